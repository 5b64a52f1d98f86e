"""`./course doctor`: one line per need, a fix for each problem, non-zero exit on a problem."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursebuild import doctor
from coursebuild.config import ROOT


def run_doctor(root: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursebuild", "doctor", "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
    )


def data_copy(tmp_path: Path, without: str = "") -> Path:
    """Return a data cache holding every registered file (links to the real cache) but `without`.

    A test calling it takes the ``course_data`` fixture (the real cache, complete).
    """
    source = doctor.data_folder()
    folder = tmp_path / "data"
    folder.mkdir()
    for name in doctor._registry(ROOT):
        if name != without:
            (folder / name).symlink_to(source / name)
    return folder


def project_copy(tmp_path: Path) -> Path:
    """Return the files the doctor reads, in a throw-away folder that can be broken at will."""
    root = tmp_path / "course"
    for rel in ("requirements.txt", "renv.lock", "helpers/registry.txt", "tools/apt-packages.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    return root


def failures(items: list[doctor.Item]) -> list[str]:
    return [i.line() for i in items if i.required and not i.ok]


# The doctor runs pandoc and Rscript and looks for the kernels and Chromium.
@pytest.mark.usefixtures("pandoc", "rscript", "kernel", "r_kernel", "chromium")
def test_this_machine_has_everything(course_data, quarto_share):
    result = run_doctor()
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(line[0] in "✓!" for line in lines[:-1]), result.stdout
    for need in (
        "Python packages",
        "pandoc",
        "kernel python3",
        "kernel ir",
        "R packages",
        "Quarto",
        "Chromium",
        "data",
        "write notebooks/",
    ):
        assert any(line.startswith(f"✓ {need}:") for line in lines), (need, result.stdout)


def share_of_files(tmp_path: Path) -> Path:
    """Return a folder holding the two files the doctor looks for in Quarto's share."""
    share = tmp_path / "shared" / "quarto" / "share"
    for rel in ("filters/main.lua", "rmd/execute.R"):
        (share / rel).parent.mkdir(parents=True, exist_ok=True)
        (share / rel).write_text("")
    return share


@pytest.mark.usefixtures("pandoc", "rscript", "kernel", "r_kernel", "chromium")
def test_missing_data_file_fails_with_its_fix(course_data, tmp_path):
    folder = data_copy(tmp_path, without="england_abs.csv")
    # Quarto's share is another check's business: where there is none (a bare clone),
    # a folder with its files keeps this run to the one problem made here
    share = share_of_files(tmp_path)
    result = run_doctor(QM_DATA_DIR=str(folder), QUARTO_SHARE_PATH=str(share))
    assert result.returncode == 1
    expected = (
        f"✗ data england_abs.csv: missing in {folder} -> .venv/bin/python -c "
        "\"from helpers.data import fetch; fetch('england_abs.csv')\""
    )
    assert expected in result.stdout, result.stdout
    assert "1 problem(s)" in result.stdout


def test_damaged_data_file_is_caught_by_its_checksum(course_data, tmp_path, monkeypatch):
    folder = data_copy(tmp_path, without="abs_meta.csv")
    (folder / "abs_meta.csv").write_text("not the registered file\n")
    monkeypatch.setenv("QM_DATA_DIR", str(folder))
    (line,) = failures(list(doctor.data(ROOT)))
    assert line.startswith(f"✗ data abs_meta.csv: {folder / 'abs_meta.csv'} has sha256 ")
    assert f"-> rm {folder / 'abs_meta.csv'} && .venv/bin/python -c" in line


def test_python_pin_not_met(tmp_path):
    root = project_copy(tmp_path)
    pins = root / "requirements.txt"
    pins.write_text(pins.read_text().replace("nbformat==5.11.1", "nbformat==0.0.1"))
    (line,) = failures(list(doctor.python_pins(root)))
    assert line.startswith(
        "✗ Python package nbformat: 5.11.1 installed, requirements.txt pins 0.0.1 -> ./course setup"
    )


@pytest.mark.usefixtures("rscript")
def test_r_pin_not_met_and_r_package_missing(tmp_path):
    root = project_copy(tmp_path)
    lock = json.loads((root / "renv.lock").read_text())
    lock["Packages"]["lme4"]["Version"] = "0.0-1"
    lock["Packages"]["notAPackage"] = {"Package": "notAPackage", "Version": "1.0"}
    (root / "renv.lock").write_text(json.dumps(lock))
    lines = failures(list(doctor.r_packages(root)))
    assert len(lines) == 2, lines
    assert lines[0].startswith("✗ R package lme4: ")
    assert "renv.lock pins 0.0-1" in lines[0]
    assert lines[1].startswith("✗ R package notAPackage: not installed, renv.lock pins 1.0")
    assert "apt-get install r-cran-notapackage" in lines[1]


def test_quarto_share_path_that_is_not_a_share(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no quarto binary
    monkeypatch.setenv("QUARTO_SHARE_PATH", str(tmp_path / "nowhere"))
    (line,) = failures(list(doctor.quarto(ROOT)))
    assert "QUARTO_SHARE_PATH" in line
    assert "has no Quarto share" in line
    assert "-> install Quarto" in line


def test_quarto_share_beside_the_checkout_is_found(tmp_path, monkeypatch):
    share = share_of_files(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("QUARTO_SHARE_PATH", raising=False)
    (item,) = doctor.quarto(tmp_path / "course")
    assert item.ok
    assert str(share) in item.detail


def test_missing_debian_package(tmp_path):
    if shutil.which("dpkg-query") is None:
        pytest.skip("not a Debian/Ubuntu machine: the Debian check does not run")
    root = project_copy(tmp_path)
    with (root / "tools" / "apt-packages.txt").open("a") as f:
        f.write("no-such-package-qm\n")
    (line,) = failures(list(doctor.debian_packages(root)))
    assert "missing: no-such-package-qm" in line
    assert "apt-get install no-such-package-qm" in line


@pytest.mark.usefixtures("pandoc", "rscript")
def test_every_problem_says_how_to_fix_it(tmp_path, monkeypatch):
    root = project_copy(tmp_path)
    (root / "requirements.txt").write_text("no-such-dist-qm==1.0\n")
    monkeypatch.setenv("QM_DATA_DIR", str(tmp_path / "empty"))
    items = doctor.run(root)
    problems = [i for i in items if not i.ok]
    assert problems, "a broken project must show problems"
    assert all(i.fix for i in problems), [i.line() for i in problems if not i.fix]


def test_broken_kernels(tmp_path, monkeypatch):
    # Kernels found first on JUPYTER_PATH shadow the ones setup registered in .venv.
    specs = {
        "ir": {"argv": ["/nowhere/R", "--slave"], "env": {"OPENBLAS_NUM_THREADS": "1"}},
        "python3": {"argv": [sys.executable, "-m", "ipykernel_launcher"], "env": {}},
    }
    for name, spec in specs.items():
        folder = tmp_path / "kernels" / name
        folder.mkdir(parents=True)
        spec.update(display_name=name, language=name)
        (folder / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    lines = failures(list(doctor.kernels(ROOT)))
    assert lines == [
        f"✗ kernel python3: {tmp_path / 'kernels' / 'python3'}: no OPENBLAS_NUM_THREADS=1 "
        "in its env (outputs would vary) -> ./course setup",
        f"✗ kernel ir: {tmp_path / 'kernels' / 'ir'}: /nowhere/R not found -> ./course setup",
    ]
