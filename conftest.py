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
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

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
