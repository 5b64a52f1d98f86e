"""The Examples sections of the helpers' docstrings run as doctests."""

import doctest
import importlib
import subprocess
import sys
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = [
    "helpers." + m
    for m in (
        "columns",
        "mixed.effects",
        "mixed.gains",
        "mixed.intervals",
        "mixed.lrt",
        "mixed.variance",
        "fitting",
        "precision",
        "plots",
        "regression",
        "transforms",
    )
]
# Modules whose examples read the course data (from the cache, QM_DATA_DIR).
READ_DATA = ["helpers." + m for m in ("dictionary", "registry", "tables")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    run_examples(name)


@pytest.mark.usefixtures("course_data")
@pytest.mark.parametrize("name", READ_DATA)
def test_docstring_examples_reading_the_data(name: str) -> None:
    run_examples(name)


def run_examples(name: str) -> None:
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # toy fits in the examples warn about convergence
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_import_reads_no_data(tmp_path) -> None:
    code = "import helpers, helpers.registry as d; print(d.data_dir())"
    env = {"QM_DATA_DIR": str(tmp_path / "absent"), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "absent").exists()
