"""Root pytest configuration: test tiers, and nbval for the committed notebooks only.

Tiers (markers registered in pyproject.toml): ``unit`` (fast, no kernel),
``kernel`` (executes notebooks: a Jupyter kernel), ``r`` (needs R),
``browser`` (headless Chromium), ``quarto`` (the quarto binary). A test
file or test may set its tier itself (``pytestmark = pytest.mark.kernel``);
otherwise the rules below give it, and everything else is ``unit``. So
``pytest -m unit`` is the quick loop and ``./course test`` runs every tier.

nbval (which re-executes each committed notebook and compares its outputs)
is switched on here only when the notebooks are collected, i.e. when
``notebooks/`` (or a notebook in it) is among the paths pytest runs, as with
a bare ``pytest`` or ``./course test``; a unit run on ``tests/`` does not
load kernels for it. ``--nbval`` on the command line still works.

The course data: ``QM_DATA_DIR`` when set, else the pre-filled cache beside the
checkout (``../shared/data``, as ``./course`` does), else the helpers' own cache
folder; the run exports the one it uses, so every kernel and process a test
starts reads the same files. A test that reads the data takes the
``course_data`` fixture, and the notebooks that read it are nbval-checked
only with it: when files are missing and cannot be downloaded (no network)
they are skipped, saying so and how to provide them.
"""

import functools
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED_DATA = ROOT.parent / "shared" / "data"  # the build machines' pre-filled cache
# What a notebook calls when it reads the course data (its cells' code).
READS_DATA = ("load_schools(", "analysis_table(", "fetch(", "qm_fetch(")

# Notebooks under tests/ are fixtures of the build and site tests, not course
# material: nbval must not collect them.
collect_ignore_glob = ["tests/**/*.ipynb", "bench/*", ".venv/*"]

TIER_NAMES = ("unit", "kernel", "r", "browser", "quarto")
# What tells that a test needs more than Python: its file, its name, the
# reason of a skipif marker, or a fixture it uses.
BY_FILE = {
    "test_helpers_r_parity.py": ("r",),
    "test_helpers_regression.py": ("r",),  # the R twins give the same numbers
    "test_notebook_start.py": ("r",),  # install cells and fit_lme4 with and without R
    "test_doctor.py": ("r",),  # checks R's packages against renv.lock
    "test_site.py": ("r",),  # knitr renders the pages
    "test_build.py": ("kernel", "r"),  # builds and executes scratch courses
    "test_new_session.py": ("kernel", "r"),
    "test_preview.py": ("kernel", "r"),
    "test_student_sandbox.py": ("kernel", "r"),  # fresh venvs and R libraries
}
BY_NAME = {"test_quarto_render_whole_site": ("quarto",)}
BY_SKIP_REASON = {"chromium": ("browser",), "quarto": ("quarto",), "Rscript": ("r",)}
BY_FIXTURE = {"lmer": ("r",)}  # lme4 through pymer4


def _tiers(item: pytest.Item) -> set[str]:
    if item.path.suffix == ".ipynb":  # an nbval cell: a kernel, R's for R notebooks
        return {"kernel", "r"} if item.path.parent.name == "r" else {"kernel"}
    tiers = set(BY_FILE.get(item.path.name, ()))
    tiers.update(BY_NAME.get(getattr(item, "originalname", item.name), ()))
    for mark in item.iter_markers("skipif"):
        reason = str(mark.kwargs.get("reason", ""))
        for word, found in BY_SKIP_REASON.items():
            if word in reason:
                tiers.update(found)
    for fixture in getattr(item, "fixturenames", ()):
        tiers.update(BY_FIXTURE.get(fixture, ()))
    return tiers or {"unit"}


def _collects_notebooks(config: pytest.Config) -> bool:
    notebooks = ROOT / "notebooks"
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (Path(config.invocation_params.dir) / path).resolve()
        if path == notebooks or notebooks in path.parents or path in notebooks.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    _data_folder()
    option = config.option
    off = hasattr(option, "nbval") and not (option.nbval or option.nbval_lax)
    if off and _collects_notebooks(config):
        option.nbval = True
    if getattr(option, "nbval", False) and not option.nbval_sanitize_with:
        option.nbval_sanitize_with = str(ROOT / "tests" / "nbval-sanitize.cfg")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in TIER_NAMES):
            continue  # the test set its tier itself
        for tier in sorted(_tiers(item)):
            item.add_marker(tier)


# The course data ---------------------------------------------------------------------


def _data_folder() -> None:
    """Export QM_DATA_DIR: as given, else ../shared/data when it exists, else the default cache."""
    if os.environ.get("QM_DATA_DIR"):
        return
    if SHARED_DATA.is_dir():
        os.environ["QM_DATA_DIR"] = str(SHARED_DATA)
        return
    from helpers.registry import data_dir

    os.environ["QM_DATA_DIR"] = str(data_dir())


@functools.cache
def _course_data() -> tuple[Path | None, str]:
    """Return (the cache folder, "") when every registered file is there, else (None, why)."""
    from helpers import registry

    try:
        registry.fetch_all()  # downloads what is missing, when there is a network
    except FileNotFoundError as exc:
        return None, f"course data missing, and no download: {exc}"
    return registry.data_dir(), ""


@pytest.fixture(scope="session")
def course_data() -> Path:
    """Give the data cache with every file of helpers/registry.txt, checked by its SHA-256.

    Missing files are downloaded; when that fails (no network) the test is skipped with
    the reason and the fix. A damaged file is an error, not a skip.
    """
    folder, why = _course_data()
    if folder is None:
        pytest.skip(why)
    return folder


@functools.cache
def _reads_data(notebook: Path) -> bool:
    text = notebook.read_text(encoding="utf-8")
    return any(call in text for call in READS_DATA)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip an nbval cell of a notebook that reads the data when the data cannot be had."""
    if item.path.suffix == ".ipynb" and _reads_data(item.path):
        folder, why = _course_data()
        if folder is None:
            pytest.skip(why)
