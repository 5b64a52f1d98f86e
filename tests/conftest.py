"""Shared pytest setup: point the data cache at the pre-filled ../shared/data (read-only)."""

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def qm_data_dir() -> None:
    """Set QM_DATA_DIR to <repo>/../shared/data when it is unset, so no test needs network."""
    if not os.environ.get("QM_DATA_DIR"):
        os.environ["QM_DATA_DIR"] = str(Path(__file__).resolve().parents[2] / "shared" / "data")
