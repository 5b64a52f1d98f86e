"""`./course new`: a session made from the template builds, passes nbval and renders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coursebuild import scratch, site
from coursebuild.config import ROOT, CourseConfig

sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))
import harness

NAME = "42-first-try"


def make_project(tmp_path: Path) -> Path:
    """Copy the project's build and site parts, with the real sessions folder's partials."""
    root = scratch.make_course(tmp_path / "course", parts=(*scratch.BUILD, "assets", "tools"))
    for partial in (ROOT / "sessions").glob("_*"):
        shutil.copy(partial, root / "sessions")
    shutil.copy(ROOT / "sessions" / "01-two-languages.qmd", root / "sessions")
    return root


def course(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursebuild", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory, pandoc, kernel, r_kernel) -> tuple[Path, subprocess.CompletedProcess]:
    """Return a project with one new session, created and built (once for the module)."""
    root = make_project(tmp_path_factory.mktemp("new"))
    created = course(root, "new", NAME, 'Schools: a "first" try')
    assert created.returncode == 0, created.stderr
    build = course(root, "build", NAME)
    assert build.returncode == 0, build.stdout + build.stderr
    return root, created


def test_new_session_follows_the_conventions(built):
    root, created = built
    path = root / "sessions" / f"{NAME}.qmd"
    assert f"created sessions/{NAME}.qmd" in created.stdout
    text = path.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert front["title"] == 'Session 42: Schools: a "first" try'  # quotes and colon survive
    assert text.count("::: multicode") == 2  # one block, one in the worked answer
    assert text.count("::: qna") == 1
    assert "#| label: parameters-python" in text
    assert "#| label: parameters-r" in text


def test_new_session_builds_every_notebook(built):
    root, _ = built
    made = sorted(p.relative_to(root).as_posix() for p in (root / "notebooks").rglob("*.ipynb"))
    assert made == [
        f"notebooks/python/{NAME}.answers.ipynb",
        f"notebooks/python/{NAME}.ipynb",
        f"notebooks/r/{NAME}.answers.ipynb",
        f"notebooks/r/{NAME}.ipynb",
    ]
    check = course(root, "check", NAME)
    assert check.returncode == 0, check.stdout


def test_new_session_passes_nbval(built):
    root, _ = built
    notebooks = sorted((root / "notebooks").rglob(f"{NAME}*.ipynb"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            f"--nbval-sanitize-with={ROOT / 'tests' / 'nbval-sanitize.cfg'}",
            f"--rootdir={root}",
            *map(str, notebooks),
        ],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "failed" not in result.stdout.splitlines()[-1]


def test_new_session_page_passes_the_site_checks(built, tmp_path, page_render):
    root, _ = built
    qmd = root / "sessions" / f"{NAME}.qmd"
    html = site.render_page(qmd, tmp_path / f"{NAME}.html", root)
    notebooks = {
        lang: [
            json.loads((root / "notebooks" / lang / f"{NAME}{v}.ipynb").read_text("utf-8"))
            for v in ("", ".answers")
        ]
        for lang in ("python", "r")
    }
    problems = harness.check_page(html, qmd, notebooks, CourseConfig.load(root).quarto)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("01-two-languages", "sessions/01-two-languages.qmd already exists"),
        ("01-other-name", "session number 01 is already used by sessions/01-two-languages.qmd"),
        ("9-short", "'9-short' is not a session name: use NN-slug"),
        ("09-Random_Slopes", "'09-Random_Slopes' is not a session name"),
        ("09-", "'09-' is not a session name"),
        ("../09-escape", "'../09-escape' is not a session name"),
    ],
)
def test_new_refuses_bad_or_taken_names(tmp_path, name, words):
    root = make_project(tmp_path)
    before = sorted(p.name for p in (root / "sessions").iterdir())
    original = (root / "sessions" / "01-two-languages.qmd").read_bytes()
    result = course(root, "new", name, "Title")
    assert result.returncode == 2
    assert f"error: {words}" in result.stderr, result.stderr
    assert sorted(p.name for p in (root / "sessions").iterdir()) == before
    assert (root / "sessions" / "01-two-languages.qmd").read_bytes() == original


def test_new_refuses_an_empty_title(tmp_path):
    root = make_project(tmp_path)
    result = course(root, "new", "09-untitled", "   ")
    assert result.returncode == 2
    assert "error: the title is empty" in result.stderr
    assert not (root / "sessions" / "09-untitled.qmd").exists()
