"""The tiers come from fixtures, and the traps catch a test that starts what it did not ask for.

See tests/tiers.py (the rules and the traps) and conftest.py (where they are applied).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests import tiers

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = ("R_PROFILE_USER", "PATH", "JUPYTER_PATH", "PYPANDOC_PANDOC", "QM_DATA_DIR")


@pytest.mark.parametrize(
    ("fixtures", "expected"),
    [
        (["tmp_path", "monkeypatch"], {"unit"}),
        (["pandoc"], {"pandoc"}),
        (["page_render", "quarto_share", "rscript", "pandoc"], {"quarto", "r", "pandoc"}),
        (["r_kernel", "rscript", "kernel"], {"r", "kernel"}),
        (["lmer", "rscript"], {"r"}),
        (["chromium", "course_data"], {"browser", "data"}),
        (["ruff"], {"tools"}),
    ],
)
def test_a_tests_tiers_are_those_of_its_fixtures(fixtures, expected):
    assert tiers.fixture_tiers(fixtures) == expected


@pytest.fixture
def through(rscript) -> str:
    """Need R through another fixture."""
    return rscript


def test_a_fixture_used_through_another_counts(request, through):
    """Read a test's tiers from the closure of its fixtures (pytest's), not only its own."""
    assert "rscript" in request.node.fixturenames
    found = {t for t in tiers.TIERS if request.node.get_closest_marker(t)}
    assert found == {"r"}


def test_a_test_without_fixtures_is_unit(request):
    found = {t for t in tiers.TIERS if request.node.get_closest_marker(t)}
    assert found == {"unit"}


@pytest.mark.parametrize(
    ("language", "code", "expected"),
    [
        ("python", "x = 1", {"kernel"}),
        ("r", "x <- 1", {"kernel", "r"}),
        ("python", "model, _ = fit_lme4(formula, table)", {"kernel", "r"}),
        ("python", "import pymer4.models", {"kernel", "r"}),
        ("python", "table = analysis_table(load_schools())", {"kernel", "data"}),
        ("r", "d <- qm_fetch('a.csv')", {"kernel", "r", "data"}),
    ],
)
def test_a_notebooks_tiers_come_from_its_language_and_code(language, code, expected):
    assert tiers.notebook_tiers(language, code) == expected


@pytest.mark.parametrize(
    ("file", "found", "expected"),
    [
        ("test_student_sandbox.py", {"r", "kernel", "data"}, "sandbox"),
        ("08-mixed-effects.ipynb", {"kernel", "r"}, "execute"),
        ("test_site.py", {"pandoc", "quarto", "r", "browser"}, "execute"),
        ("test_site.py", {"pandoc", "quarto", "r"}, "fast"),
        ("test_source.py", {"unit"}, "fast"),
    ],
)
def test_every_test_is_in_one_part_of_the_suite(file, found, expected):
    assert tiers.part(file, found) == expected
    assert expected in tiers.PARTS


def test_every_tier_is_a_registered_marker():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    markers = config["tool"]["pytest"]["ini_options"]["markers"]
    assert [m.split(":")[0] for m in markers] == list(tiers.TIERS)
    used = {t for found in tiers.FIXTURE_TIERS.values() for t in found}
    assert used | {"unit"} == set(tiers.TIERS)


@pytest.fixture
def traps(monkeypatch) -> tiers.Traps:
    """Make traps of the test's own (the run's are armed too); restore the environment after."""
    for name in ENVIRONMENT:
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    made = tiers.Traps()
    yield made
    shutil.rmtree(made.folder, ignore_errors=True)


def test_the_r_trap_fails_rscript_and_r_and_leaves_a_line(traps):
    traps.arm({"unit"})
    for cmd in (["Rscript", "-e", "1"], ["R", "CMD", "INSTALL", "x.tar.gz"],
                ["Rscript", "--vanilla", "-e", "1"]):  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode == 86, cmd
        assert "R started in a test not marked r" in done.stderr
    sprung = traps.sprung()
    assert len(sprung) == 3
    assert sprung[0].startswith("R started in a test not marked r: ")
    assert sprung[2].endswith("Rscript --vanilla -e 1")
    assert traps.sprung() == []  # read once


def test_the_other_traps_replace_the_kernels_pandoc_and_the_data(traps):
    from jupyter_client.kernelspec import KernelSpecManager

    traps.arm({"unit"})
    for name in ("python3", "ir"):
        spec = KernelSpecManager().get_kernel_spec(name)
        assert Path(spec.argv[0]) == traps.folder / "kernel", name
    done = subprocess.run([os.environ["PYPANDOC_PANDOC"], "--version"], capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 86
    pandoc = traps.folder / "pandoc"
    assert traps.sprung() == [f"pandoc started in a test not marked pandoc: {pandoc} --version"]
    assert list(Path(os.environ["QM_DATA_DIR"]).iterdir()) == []


def test_a_tier_the_test_has_is_not_trapped(traps):
    before = {name: os.environ.get(name) for name in ENVIRONMENT}
    traps.arm({"unit"})
    traps.arm({"r", "kernel", "pandoc", "data"})
    assert {name: os.environ.get(name) for name in ENVIRONMENT} == before
    traps.arm({"pandoc"})
    assert os.environ.get("PYPANDOC_PANDOC") == before["PYPANDOC_PANDOC"]
    assert os.environ["R_PROFILE_USER"] == str(traps.folder / "trap.Rprofile")


def test_the_profile_trap_stops_every_r_that_starts(traps, rscript):
    """R's own start-up reads the trap: Rscript by its full path, and rpy2's embedded R."""
    env = {**os.environ, "R_PROFILE_USER": str(traps.folder / "trap.Rprofile")}
    done = subprocess.run([rscript, "-e", "cat('ran')"], capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert "ran" not in done.stdout
    assert "R started in a test not marked r" in done.stderr
    code = "import rpy2.robjects as ro; print(ro.r('1 + 1')[0])"
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    sprung = traps.sprung()
    assert len(sprung) >= 2, sprung  # Rscript, then the embedded R (which goes on: the log says)
    assert all(line.startswith("R started in a test not marked r: R ") for line in sprung)


CONFTEST_TESTS = """
import subprocess


def test_starts_r_without_saying_so():
    subprocess.run(["Rscript", "-e", "1"], capture_output=True)  # the error swallowed


def test_says_it_needs_r(rscript):
    assert subprocess.run([rscript, "-e", "cat(1)"], capture_output=True).stdout == b"1"
"""


def test_a_test_that_starts_r_without_the_fixture_fails_and_one_with_it_passes(tmp_path, rscript):
    """The whole chain in a pytest run of its own: markers from fixtures, trap, teardown."""
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    shutil.copy(ROOT / "tests" / "tiers.py", tmp_path / "tests" / "tiers.py")
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "test_inner.py").write_text(CONFTEST_TESTS)
    markers = "".join(f"    {tier}\n" for tier in tiers.TIERS)
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nmarkers =\n{markers}")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "tests"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 1, out
    assert out.splitlines()[-1].startswith("2 passed, 1 error in "), out  # R ran, then failed
    assert "ERROR tests/test_inner.py::test_starts_r_without_saying_so" in out
    assert "R started in a test not marked r: " in out
    assert "PASSED tests/test_inner.py::test_says_it_needs_r" in out
