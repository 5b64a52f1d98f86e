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

from coursebuild import estimates, preamble, release, source
from coursebuild.build import output_path, sessions
from coursebuild.config import ROOT, CourseConfig
from coursebuild.pins import pinned_requirements

LANGS = CourseConfig.load(ROOT).languages


def _source(root: Path, name: str):
    return source.read(root / "sessions" / f"{name}.qmd", LANGS)


def _text(cell: dict) -> str:
    return "".join(cell["source"])


# --------------------------------------------------------------------------- first cells


def make_course(tmp_path: Path, titles: dict[str, str]) -> Path:
    root = tmp_path / "course"
    (root / "sessions").mkdir(parents=True)
    shutil.copy(ROOT / "_quarto.yml", root)
    shutil.copytree(ROOT / "_extensions", root / "_extensions")  # the filters it names
    shutil.copytree(ROOT / "helpers", root / "helpers", ignore=shutil.ignore_patterns("*.py*"))
    for name, title in titles.items():
        (root / "sessions" / f"{name}.qmd").write_text(f'---\ntitle: "{title}"\n---\n\nText.\n')
    (root / "sessions" / "_partial.qmd").write_text("---\ntitle: partial\n---\n")
    return root


@pytest.mark.parametrize("lang", LANGS)
def test_first_cell_says_what_is_needed_and_links_the_neighbours(tmp_path, lang):
    root = make_course(tmp_path, {"01-a": "Session A", "02-b": "Session B", "03-c": "Session C"})
    middle = preamble.first_cells(_source(root, "02-b"), lang)
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
    first = _text(preamble.first_cells(_source(root, "01-a"), lang)[0])
    last = _text(preamble.first_cells(_source(root, "03-c"), lang)[0])
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
    text = _text(preamble.first_cells(_source(root, "01-a"), "python")[0])
    assert "[setup](https://x.org/qm/setup.html)" in text
    assert "Next: [B](https://x.org/qm/sessions/02-b.html)" in text


def test_a_new_session_makes_its_neighbour_stale(tmp_path):
    root = make_course(tmp_path, {"01-a": "A"})
    before = preamble.outline(root)
    (root / "sessions" / "02-b.qmd").write_text('---\ntitle: "B"\n---\n')
    assert preamble.outline(root) != before


@pytest.mark.parametrize("lang", LANGS)
def test_install_cell_pins_the_release_of_this_version(lang):
    cell = preamble.first_cells(_source(ROOT, sessions(ROOT)[0].stem), lang)[1]
    assert cell["id"] == preamble.INSTALL_ID
    assert cell["cell_type"] == "code"
    repo = CourseConfig.load(ROOT).metadata["course"]["repo-url"].rstrip("/")
    name = release.wheel_name() if lang == "python" else release.r_tarball_name()
    url = f"{repo}/releases/download/helpers-v{release.version()}/{name}"
    assert f'"{url}"' in _text(cell)


def test_python_install_cell_runs_pip_only_when_helpers_are_missing(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    code = _text(preamble.first_cells(_source(ROOT, sessions(ROOT)[0].stem), "python")[1])
    shell = InteractiveShell.instance()
    calls = []
    monkeypatch.setattr(shell, "run_line_magic", lambda name, line, *a: calls.append((name, line)))
    assert shell.run_cell(code).success
    assert calls == []  # helpers are installed here
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "helpers" else real(n, *a)
    )
    assert shell.run_cell(code).success
    wheel = release.wheel_name()
    assert len(calls) == 1, calls
    assert calls[0][0] == "pip", calls
    assert wheel in calls[0][1], calls
    assert calls[0][1].startswith("install -q ")


@pytest.mark.parametrize("installed", [True, False])
def test_r_install_cell_installs_only_when_qmhelpers_is_missing(tmp_path, installed):
    code = _text(preamble.first_cells(_source(ROOT, sessions(ROOT)[0].stem), "r")[1])
    lib = tmp_path / "lib"
    lib.mkdir()
    if installed:
        tarball = release.build_r_package(tmp_path / "dist")
        subprocess.run(["R", "CMD", "INSTALL", f"--library={lib}", str(tarball)],
                       check=True, capture_output=True)  # fmt: skip
    stub = 'install.packages <- function(pkgs, ...) cat("install:", pkgs, "\\n")\n'
    (tmp_path / "cell.R").write_text(stub + code + "\n")
    env = {**os.environ, "R_LIBS": str(lib), "R_LIBS_USER": str(lib)}
    done = subprocess.run(
        ["Rscript", str(tmp_path / "cell.R")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    if installed:
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


@pytest.mark.skipif(shutil.which("R") is None, reason="R is not installed: no lme4 to fit with")
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
