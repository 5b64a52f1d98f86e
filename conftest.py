"""Root pytest configuration: test tiers, traps, and nbval for the committed notebooks only.

Tiers (markers registered in pyproject.toml; tests/tiers.py has the rules): a test's
tiers come from the fixtures it uses, directly or through other fixtures: ``pandoc``,
``quarto_share``/``quarto_cli`` (``quarto``), ``rscript``/``lmer`` (``r``),
``kernel``, ``r_kernel`` (``r`` and ``kernel``), ``chromium`` (``browser``),
``course_data`` (``data``), ``ruff``/``mypy``/``node``/``actionlint`` (``tools``);
a test with none is ``unit``. A tier marker written by hand is an error: give the test
the fixture instead, which skips it, saying how to get what is missing. So
``pytest -m unit`` is the quick loop, ``-m "not r"`` runs without R, and
``./course test`` runs every tier. While a test runs, what its tiers do not include is
a trap (R, the kernels, pandoc, the data): a test that starts one without saying so
fails, naming what it started.

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

from tests import tiers

# One BLAS thread in every process of the run (kept if set): the notebooks' kernels
# have it already, and with xdist two workers share the cores; OpenBLAS threads
# spinning against another worker's made an lme4 fit in a test several times slower.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parent
SHARED_DATA = ROOT.parent / "shared" / "data"  # the build machines' pre-filled cache

# Notebooks under tests/ are fixtures of the build and site tests, not course
# material: nbval must not collect them.
collect_ignore_glob = ["tests/**/*.ipynb", "bench/*", ".venv/*"]


@functools.cache
def _notebook_code(notebook: Path) -> str:
    """Return the code of a notebook's cells (what its tiers are read from)."""
    import json

    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    return "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")


def item_tiers(item: pytest.Item) -> set[str]:
    """Return the tiers of a collected test (see tests/tiers.py)."""
    if item.path.suffix == ".ipynb":  # an nbval cell
        return tiers.notebook_tiers(item.path.parent.name, _notebook_code(item.path))
    return tiers.fixture_tiers(getattr(item, "fixturenames", ()))


def _collects_notebooks(config: pytest.Config) -> bool:
    notebooks = ROOT / "notebooks"
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (Path(config.invocation_params.dir) / path).resolve()
        if path == notebooks or notebooks in path.parents or path in notebooks.parents:
            return True
    return False


def _selected(config: pytest.Config, candidates: list[set[str]]) -> list[bool] | None:
    """For each set of tiers, whether ``-m`` selects a test with them (None: no -m)."""
    if not config.option.markexpr:
        return None
    from _pytest.mark.expression import Expression

    try:
        expression = Expression.compile(config.option.markexpr)
    except Exception:  # pytest says what is wrong with it, later
        return None
    return [expression.evaluate(lambda name, /, t=t, **_: name in t) for t in candidates]


def _selects_notebooks(config: pytest.Config) -> bool:
    """Whether ``--part`` and ``-m`` can select an nbval cell (whose tiers include kernel)."""
    if config.option.part not in (None, "execute"):
        return False
    cells = [{"kernel"}, {"kernel", "r"}, {"kernel", "data"}, {"kernel", "r", "data"}]
    found = _selected(config, cells)
    return found is None or any(found)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (pyproject.toml): xdist's worker a core, but none for test files named.

    Workers pay for themselves on a folder (the whole suite, a tier); the tests of a file
    would all go to one worker anyway (``--dist loadfile``), unless shared out.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    paths = [Path(config.invocation_params.dir) / arg.split("::")[0] for arg in config.args]
    if paths and all(p.is_file() and p.name not in tiers.SHARED_OUT for p in paths):
        return 0
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--part",
        choices=tiers.PARTS,
        help="run one part of the suite (CI runs each in a job of its own): fast (what "
        "executes no notebook and drives no browser), execute (the rest, nbval among it), "
        "sandbox (the downloaded notebooks in fresh environments)",
    )


def pytest_configure(config: pytest.Config) -> None:
    _data_folder()
    option = config.option
    off = hasattr(option, "nbval") and not (option.nbval or option.nbval_lax)
    if off and _collects_notebooks(config) and _selects_notebooks(config):
        option.nbval = True
    if getattr(option, "nbval", False) and not option.nbval_sanitize_with:
        option.nbval_sanitize_with = str(ROOT / "tests" / "nbval-sanitize.cfg")


# On every core (pytest-xdist) ----------------------------------------------------------
# pyproject.toml asks for ``-n auto --dist loadfile``: the tests of a file (or the cells
# of a notebook) stay together on one worker, so a module's fixtures are made once and
# a notebook's cells run in order in one kernel; the tests of tiers.SHARED_OUT are
# shared out one by one instead (each runs alone in kernels of its own; what they share
# is built once, under a lock). Heavy files go first, so light ones fill the end.


def part_of(item: pytest.Item) -> str:
    """Return the part of the suite a test is in (``--part``, tiers.PARTS)."""
    return tiers.part(item.path.name, item_tiers(item))


def _weight(found: set[str]) -> int:
    """How early a file's tests go to a worker: heavy ones first, so light ones fill the end."""
    return 2 if found & {"kernel", "browser"} else 1 if found != {"unit"} else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        by_hand = [name for name in tiers.TIERS if item.get_closest_marker(name)]
        if by_hand:
            raise pytest.UsageError(
                f"{item.nodeid}: tier marker(s) {by_hand} set by hand; a test's tiers come "
                "from its fixtures (tests/tiers.py): give it the fixture it needs instead"
            )
        for tier in sorted(item_tiers(item)):
            item.add_marker(tier)
    if config.option.part:
        config.hook.pytest_deselected(items=[i for i in items if part_of(i) != config.option.part])
        items[:] = [i for i in items if part_of(i) == config.option.part]
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts alike
        files: dict[Path, int] = {}
        for item in items:
            files[item.path] = max(files.get(item.path, 0), _weight(item_tiers(item)))
        for path in files:
            if path.name in tiers.SHARED_OUT:  # finely divided: after the big indivisible files
                files[path] = min(files[path], 1)
        items.sort(key=lambda item: -files[item.path])  # stable: each file keeps its order


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Schedule ``--dist loadfile``, but tiers.SHARED_OUT's tests one by one, heavy first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return nodeid if Path(file).name in tiers.SHARED_OUT else file

    config.option.loadscopereorder = False  # keep the heavy-first order
    return Scheduling(config, log)


# The traps (tests/tiers.py) ------------------------------------------------------------


@functools.cache
def _traps() -> tiers.Traps:
    return tiers.Traps()  # made on first use: each xdist worker makes its own


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Arm the traps of what the test does not need, before any of its fixtures is made.

    An nbval cell of a notebook that reads the data is skipped when the data cannot be had.
    """
    needs = item_tiers(item)
    _traps().arm(needs)
    if item.path.suffix == ".ipynb" and "data" in needs:
        folder, why = _course_data()
        if folder is None:
            pytest.skip(why)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Fail the test if a trap was sprung while it ran (its setup, call or teardown)."""
    sprung = _traps().sprung()
    if sprung:
        pytest.fail("\n".join(dict.fromkeys(sprung)), pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _traps.cache_info().currsize:
        _traps().remove()


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
