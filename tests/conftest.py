"""Shared pytest setup for tests/: Quarto's resources, and one environment per test.

The course data (``course_data``) is a fixture of the root conftest.py: nbval's
notebook cells need it too.
"""

import os
from pathlib import Path

import pytest

from coursebuild import site


@pytest.fixture(scope="session")
def quarto_share() -> Path:
    """Quarto's share folder (its Lua filters and knitr scripts), or skip saying how to get it.

    Found as the site renderer finds it: the installed Quarto's, else $QUARTO_SHARE_PATH,
    else ../shared/quarto/share beside the checkout. Found, it is exported as
    $QUARTO_SHARE_PATH, so scratch copies of the project (no ../shared beside them) and
    the processes the tests start use the same one.
    """
    try:
        share = site.share_path()
    except site.SiteError as exc:
        pytest.skip(
            f"{exc} (Quarto 1.7 or later: https://quarto.org/docs/get-started/; "
            f"{site.SHARE_ENV}: the share folder of an installed or unpacked Quarto, the one "
            "holding filters/main.lua)"
        )
    os.environ.setdefault(site.SHARE_ENV, str(share))
    return share


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
