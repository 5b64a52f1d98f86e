"""Shared pytest setup: point the data cache at the pre-filled ../shared/data (read-only)."""

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def qm_data_dir() -> None:
    """Set QM_DATA_DIR to <repo>/../shared/data when it is unset, so no test needs network."""
    if not os.environ.get("QM_DATA_DIR"):
        os.environ["QM_DATA_DIR"] = str(Path(__file__).resolve().parents[2] / "shared" / "data")


# Embedded R (rpy2, which pymer4 imports in some tests) sets LD_LIBRARY_PATH in this
# process to R's and the system's library folders; a Python started from a later test
# then cannot load its own `ssl` (pip, uvicorn fail). Each test starts with the
# environment's value as it was when the run began: nobody's shell has R's.
_LD_LIBRARY_PATH = os.environ.get("LD_LIBRARY_PATH")


@pytest.fixture(autouse=True)
def _no_embedded_r_library_path():
    """Undo rpy2's LD_LIBRARY_PATH before each test (see above)."""
    if _LD_LIBRARY_PATH is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = _LD_LIBRARY_PATH


@pytest.fixture
def file_reads(monkeypatch) -> list[str]:
    """Collect the names of the files read (``Path.read_text``/``read_bytes``) in the test."""
    reads: list[str] = []
    for method in ("read_text", "read_bytes"):
        original = getattr(Path, method)

        def counted(self, *args, _original=original, **kwargs):
            reads.append(self.name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Path, method, counted)
    return reads
