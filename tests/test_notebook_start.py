"""What a downloaded notebook starts with, and the helpers it starts with.

The generated first cells (coursebuild/preamble.py), the install-when-missing cells in
both languages, the estimates moved out of the notebook (coursebuild/estimates.py),
pymer4 being optional (helpers.fitting), and the one list of student packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from estimates import text as estimates_text
from test_student_sandbox import REQUIREMENTS

from coursebuild import estimates, preamble, release
from coursebuild.build import output_path
from coursebuild.config import ROOT, CourseConfig
from coursebuild.course import Course, session_paths
from coursebuild.pins import pinned_requirements

LANGS = CourseConfig.load(ROOT).languages


def _first_cells(root: Path, name: str, lang: str) -> list[dict]:
    course = Course.load(root)
    return preamble.first_cells(course, course.sessions[name], lang)


def _text(cell: dict) -> str:
    return "".join(cell["source"])


# --------------------------------------------------------------------------- first cells


def make_course(tmp_path: Path, titles: dict[str, str]) -> Path:
    """Return a scratch course with these sessions and this course's config, without site-url."""
    root = tmp_path / "course"
    (root / "sessions").mkdir(parents=True)
    config = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    (root / "_quarto.yml").write_text(re.sub(r"(?m)^  site-url: .*\n", "", config), "utf-8")
    shutil.copytree(ROOT / "_extensions", root / "_extensions")  # the filters it names
    shutil.copytree(ROOT / "helpers", root / "helpers", ignore=shutil.ignore_patterns("*.py*"))
    for name, title in titles.items():
        (root / "sessions" / f"{name}.qmd").write_text(f'---\ntitle: "{title}"\n---\n\nText.\n')
    (root / "sessions" / "_partial.qmd").write_text("---\ntitle: partial\n---\n")
    return root


@pytest.mark.parametrize("lang", LANGS)
def test_first_cell_says_what_is_needed_and_links_the_neighbours(tmp_path, lang):
    root = make_course(tmp_path, {"01-a": "Session A", "02-b": "Session B", "03-c": "Session C"})
    middle = _first_cells(root, "02-b", lang)
    text = _text(middle[0])
    assert text.startswith("# Session B\n")
    needs = [line for line in text.split("\n") if line and not line.startswith(("#", "Prev"))]
    assert len(needs) == 3, needs
    assert "setup" in needs[-1], needs
    repo = CourseConfig.load(root).metadata["course"]["repo-url"]
    assert f"[setup]({repo}/blob/main/setup.qmd)" in needs[-1]
    nav = text.split("\n")[-1]
    assert nav == (
        f"Previous: [Session A]({repo}/blob/main/notebooks/{lang}/01-a.ipynb) · "
        f"Next: [Session C]({repo}/blob/main/notebooks/{lang}/03-c.ipynb)"
    )
    first = _text(_first_cells(root, "01-a", lang)[0])
    last = _text(_first_cells(root, "03-c", lang)[0])
    assert "Previous:" not in first
    assert "Next: [Session B]" in first
    assert "Next:" not in last
    assert "Previous: [Session B]" in last
    assert "_partial" not in first + last


def test_site_url_makes_links_to_the_site(tmp_path):
    root = make_course(tmp_path, {"01-a": "A", "02-b": "B"})
    config = root / "_quarto.yml"
    config.write_text(
        config.read_text().replace(
            "  branch: main", "  branch: main\n  site-url: https://x.org/qm/"
        )
    )
    text = _text(_first_cells(root, "01-a", "python")[0])
    assert "[setup](https://x.org/qm/setup.html)" in text
    assert "Next: [B](https://x.org/qm/sessions/02-b.html)" in text


def test_this_course_links_its_notebooks_to_the_site():
    """course.site-url is set: the first cell's links go to the rendered pages."""
    site = CourseConfig.load(ROOT).metadata["course"]["site-url"].rstrip("/")
    first = session_paths(ROOT)[0]
    text = _text(_first_cells(ROOT, first.stem, "python")[0])
    assert f"[setup]({site}/setup.html)" in text
    assert re.search(rf"Next: \[[^]]+\]\({re.escape(site)}/sessions/[\w-]+\.html\)", text), text
    assert ".qmd" not in text  # no link to a raw source on GitHub


def test_a_new_session_makes_its_neighbour_stale(tmp_path):
    root = make_course(tmp_path, {"01-a": "A"})
    before = Course.load(root).outline
    (root / "sessions" / "02-b.qmd").write_text('---\ntitle: "B"\n---\n')
    assert Course.load(root).outline != before


@pytest.mark.parametrize("lang", LANGS)
def test_install_cell_pins_the_release_of_this_version(lang):
    cell = _first_cells(ROOT, session_paths(ROOT)[0].stem, lang)[1]
    assert cell["id"] == preamble.INSTALL_ID
    assert cell["cell_type"] == "code"
    repo = CourseConfig.load(ROOT).metadata["course"]["repo-url"].rstrip("/")
    name = release.wheel_name() if lang == "python" else release.r_tarball_name()
    url = f"{repo}/releases/download/helpers-v{release.version()}/{name}"
    assert f'"{url}"' in _text(cell)


def test_python_install_cell_runs_pip_only_when_helpers_are_missing(monkeypatch):
    """Check pip runs unless qm-helpers (the distribution) is installed at this version."""
    import importlib.metadata
    import importlib.util

    from IPython.core.interactiveshell import InteractiveShell

    code = _text(_first_cells(ROOT, session_paths(ROOT)[0].stem, "python")[1])
    shell = InteractiveShell.instance()
    calls = []
    monkeypatch.setattr(shell, "run_line_magic", lambda name, line, *a: calls.append((name, line)))
    assert shell.run_cell(code).success
    assert calls == []  # helpers are installed here
    real = importlib.metadata.version
    for found in (None, "0.0.1"):  # not installed; installed at another version

        def version(name: str, found=found) -> str:
            if name != "qm-helpers":
                return real(name)
            if found is None:
                raise importlib.metadata.PackageNotFoundError(name)
            return found

        monkeypatch.setattr(importlib.metadata, "version", version)
        assert importlib.util.find_spec("helpers") is not None  # a module is there: not enough
        calls.clear()
        assert shell.run_cell(code).success
        wheel = release.wheel_name()
        assert len(calls) == 1, calls
        assert calls[0][0] == "pip", calls
        assert wheel in calls[0][1], calls
        assert calls[0][1].startswith("install -q ")


def test_a_students_own_helpers_module_does_not_stop_the_install(tmp_path):
    """A helpers.py beside the notebook, and no qm-helpers installed: the cell installs."""
    code = _text(_first_cells(ROOT, session_paths(ROOT)[0].stem, "python")[1])
    assert "%pip install" in code
    script = re.sub(r"%pip (.*)$", lambda m: f"print({'pip ' + m.group(1)!r})", code, flags=re.M)
    (tmp_path / "helpers.py").write_text("# the student's own\n")
    (tmp_path / "cell.py").write_text(
        "import importlib.util\nassert importlib.util.find_spec('helpers').origin.startswith("
        f"{str(tmp_path)!r})\n" + script + "\n"
    )
    # -S: no site-packages, so no qm-helpers distribution; the folder's helpers.py is found
    done = subprocess.run([sys.executable, "-S", "cell.py"], cwd=tmp_path, capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pip install -q "), done.stdout
    assert release.wheel_name() in done.stdout


@pytest.mark.usefixtures("rscript")
@pytest.mark.parametrize("installed", ["this", "another", None])
def test_r_install_cell_installs_only_when_qmhelpers_is_missing(tmp_path, installed):
    """install.packages runs unless qmhelpers is installed at this version.

    jsonlite and digest are installed only when missing (here: made to look missing).
    """
    code = _text(_first_cells(ROOT, session_paths(ROOT)[0].stem, "r")[1])
    lib = tmp_path / "lib"
    lib.mkdir()
    if installed:
        root = ROOT
        if installed == "another":  # the same package at another version
            root = tmp_path / "other"
            shutil.copytree(ROOT / "helpers", root / "helpers",
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
            meta = root / "helpers" / "pyproject.toml"
            meta.write_text(meta.read_text().replace(f'version = "{release.version()}"',
                                                     'version = "0.0.1"'))  # fmt: skip
        tarball = release.build_r_package(tmp_path / "dist", root)
        subprocess.run(["R", "CMD", "INSTALL", f"--library={lib}", str(tarball)],
                       check=True, capture_output=True)  # fmt: skip
    stub = (
        'install.packages <- function(pkgs, ...) cat("install:", pkgs, "\\n")\n'
        "requireNamespace <- function(package, ...) {\n"
        '  if (package %in% c("jsonlite", "digest")) return(FALSE)\n'
        "  base::requireNamespace(package, ...)\n"
        "}\n"
    )
    (tmp_path / "cell.R").write_text(stub + code + "\n")
    env = {**os.environ, "R_LIBS": str(lib), "R_LIBS_USER": str(lib)}
    done = subprocess.run(
        ["Rscript", str(tmp_path / "cell.R")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    if installed == "this":
        assert done.stdout == ""
    else:
        assert "install: jsonlite digest" in done.stdout
        assert release.r_tarball_name() in done.stdout


# --------------------------------------------------------------------------- estimates


def test_estimates_cells_move_into_the_metadata():
    out = {"output_type": "stream", "name": "stdout", "text": ["m\tq\t1\n"]}
    nb = {
        "cells": [
            {"cell_type": "code", "id": "a", "metadata": {}, "outputs": []},
            {"cell_type": "code", "id": "estimates-python", "metadata": {}, "outputs": [out]},
            {
                "cell_type": "code",
                "id": "b",
                "metadata": {"tags": ["estimates"]},
                "outputs": [{**out, "text": "m\tr\t2\n"}],
            },
        ],
        "metadata": {"coursebuild": {"language": "python"}},
    }
    done = estimates.extract(nb)
    assert [c["id"] for c in done["cells"]] == ["a"]
    assert done["metadata"]["coursebuild"] == {
        "language": "python",
        "estimates": "m\tq\t1\nm\tr\t2\n",
    }
    untouched = {"cells": [{"cell_type": "code", "id": "a"}], "metadata": {}}
    assert estimates.extract(json.loads(json.dumps(untouched))) == untouched


def test_reader_wants_estimates(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}}))
    with pytest.raises(ValueError, match="estimates-python"):
        estimates_text(path, "python")
    path.write_text(json.dumps({"cells": [], "metadata": {"coursebuild": {"estimates": " "}}}))
    with pytest.raises(ValueError, match="empty"):
        estimates_text(path, "python")


def test_built_session_01_keeps_its_estimates_out_of_sight_and_they_agree():
    session = ROOT / "sessions" / "01-two-languages.qmd"
    values = {}
    for lang in LANGS:
        path = output_path(session, lang, ROOT)
        nb = json.loads(path.read_text())
        assert not [c["id"] for c in nb["cells"] if estimates.is_estimates(c)]
        ids = [c["id"] for c in nb["cells"]]
        assert nb["cells"][0]["cell_type"] == "markdown"
        assert "To run this notebook" in _text(nb["cells"][0])
        assert ids[ids.index(f"parameters-{lang}") + 1] == preamble.INSTALL_ID, ids
        assert "mean\tvalue" not in json.dumps(nb["cells"])
        values[lang] = estimates_text(path, lang)
    assert len(set(values.values())) == 1
    assert values["python"].startswith("mean\tvalue\t51.3")
    assert "#| include: false" in session.read_text().split("label: estimates-r")[1][:40]


# --------------------------------------------------------------------------- helpers


def test_import_helpers_loads_no_library():
    code = "import sys, helpers; print(sorted({'numpy', 'pandas'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_start_sets_threads_and_data_folder_but_keeps_your_choices(tmp_path):
    code = (
        "import os; from helpers import session; say = session.start(os.environ['D']);"
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'],"
        " os.environ['QM_DATA_DIR'] == os.environ['D'], say is session.say)"
    )
    env = {**os.environ, "D": str(tmp_path), "OMP_NUM_THREADS": "3", "MPLBACKEND": "Agg"}
    env.pop("OPENBLAS_NUM_THREADS", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["1", "3", "True", "True"], done.stderr


LME4_CODE = """
import numpy as np, pandas as pd, statsmodels.formula.api as smf
from helpers import fitting
rng = np.random.default_rng(1)
d = pd.DataFrame({"g": np.repeat(list("abcdefgh"), 25), "x": rng.normal(size=200)})
d["y"] = 2 + d.x + np.repeat(rng.normal(size=8), 25) + rng.normal(size=200)
model, messages = fitting.fit_lme4("y ~ x + (1 | g)", d)
sm, _ = fitting.fit_statsmodels(smf.mixedlm("y ~ x", d, groups="g"))
print("RESULT", None if model is None else abs(model.coefs["Estimate"]["x"] - sm.fe_params["x"]))
"""
BLOCK = "import sys; sys.modules['pymer4'] = None; sys.modules['rpy2'] = None\n"


def test_fit_lme4_without_r_says_how_to_enable_it():
    done = subprocess.run([sys.executable, "-c", BLOCK + LME4_CODE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    hint = [line for line in done.stdout.splitlines() if "lme4 cross-check skipped" in line]
    assert len(hint) == 1
    assert "requirements-lme4.txt" in hint[0]
    assert done.stdout.splitlines()[-1] == "RESULT None"


def test_fit_lme4_switched_off_loads_nothing_and_says_nothing():
    """The notebooks' lme4_check = False: no R, no pymer4, no line printed."""
    code = (
        "import sys\nfrom helpers import fitting\n"
        "out = fitting.fit_lme4('y ~ x + (1 | g)', None, enabled=False)\n"
        "print('RESULT', out, sorted({'rpy2', 'pymer4'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["RESULT (None, []) []"]


@pytest.mark.usefixtures("rscript")  # lme4 through pymer4 (embedded R)
def test_fit_lme4_with_r_fits_what_statsmodels_fits():
    done = subprocess.run([sys.executable, "-c", LME4_CODE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "skipped" not in done.stdout
    assert float(done.stdout.split()[-1]) < 1e-4


# --------------------------------------------------------------------------- one package list


def test_student_requirements_are_the_course_pins():
    course = pinned_requirements()
    for name in REQUIREMENTS:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                package, version = line.split("==")
                assert course.get(package.lower()) == version, f"{name}: {line} vs {course}"


def test_setup_page_colab_cell_installs_the_sandbox_lists():
    page = (ROOT / "setup.qmd").read_text()
    colab = page.split("## In Google Colab")[1].split("\n## ")[0]
    raw = "{{< meta course.repo-url >}}/raw/{{< meta course.branch >}}/"
    installed = re.findall(r"%pip install -q -r " + re.escape(raw) + r"(\S+)", colab)
    assert tuple(installed) == REQUIREMENTS
