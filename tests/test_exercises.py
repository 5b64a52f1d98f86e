"""Checked exercises, built and run: the student's cells, the worked answer's, the feedback.

A scratch course with one checked exercise (tests/build/good/checked-exercise.qmd)
is built once; then each language's student notebook is run as a student
would: unanswered, with a wrong answer, with the right one. The committed
sessions' exercises are checked in tests/test_sessions.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coursebuild import build, exercises, scratch
from coursebuild.course import Course
from coursebuild.execute import run

HERE = Path(__file__).parent / "build"
LANGS = ("python", "r")
pytestmark = pytest.mark.usefixtures("pandoc", "kernel", "r_kernel")  # each builds and runs


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    text = (HERE / "good" / "checked-exercise.qmd").read_text(encoding="utf-8")
    root = scratch.make_course(tmp_path_factory.mktemp("ex") / "course", {"ex": text})
    report = build.build(root, log=lambda _: None)
    assert report.ok, [str(p) for p in report.sessions["ex"].errors]
    return root


def notebook(root: Path, lang: str, variant: str = "") -> dict:
    return json.loads(
        build.output_path(root / "sessions" / "ex.qmd", lang, root, variant).read_text()
    )


def printed(nb: dict, cell_id: str) -> str:
    (cell,) = [c for c in nb["cells"] if c["id"] == cell_id]
    return "".join("".join(o.get("text", "")) for o in cell["outputs"])


def answered(root: Path, lang: str, value: str) -> str:
    """Run the student's notebook with `value` as the answer; return what the check printed."""
    nb = notebook(root, lang)
    (cell,) = [c for c in nb["cells"] if c["id"] == "exercise-1-answer"]
    empty = "m = ..." if lang == "python" else "m <- NULL"
    code = "".join(cell["source"])
    assert empty in code
    cell["source"] = code.replace(empty, f"m = {value}" if lang == "python" else f"m <- {value}")
    executed = run(nb, lang, cwd=root / "notebooks" / lang)
    return printed(executed, "exercise-1-check")


@pytest.mark.parametrize("lang", LANGS)
def test_the_student_notebook_asks_and_says_not_yet(course, lang):
    nb = notebook(course, lang)
    ids = [c["id"] for c in nb["cells"]]
    assert ids.index("exercise-1-answer") + 1 == ids.index("exercise-1-check")
    assert "m <- mean(x)" not in json.dumps(nb)  # the worked answer is not in the download
    assert "sum(x) / len(x)" not in json.dumps(nb)
    said = printed(nb, "exercise-1-check")
    assert said.startswith("m: not yet."), said
    assert "2.5" not in said


@pytest.mark.parametrize("lang", LANGS)
def test_the_answers_notebook_runs_the_checks_on_the_worked_answer(course, lang):
    nb = notebook(course, lang, build.ANSWERS)
    assert printed(nb, "exercise-1-check").startswith("✓ m: a number")
    assert exercises.RECORD_ID not in [c["id"] for c in nb["cells"]]  # kept in the metadata
    assert json.loads(nb["metadata"]["coursebuild"]["checks"]) == {"m": 2.5}


@pytest.mark.parametrize("lang", LANGS)
def test_a_wrong_answer_fails_its_check_and_the_right_one_passes(course, lang):
    wrong = answered(course, lang, "3")
    assert wrong.startswith("m: not yet. A number, but it is not the worked answer's"), wrong
    assert "2.5" not in wrong
    assert answered(course, lang, "2.5").startswith("✓ m: a number")


def test_a_wrong_worked_answer_fails_the_build(tmp_path):
    text = (HERE / "good" / "checked-exercise.qmd").read_text(encoding="utf-8")
    text = text.replace("m <- mean(x)", 'm <- "two and a half"')
    root = scratch.make_course(tmp_path / "course", {"ex": text})
    lines: list[str] = []
    report = build.build(root, log=lines.append)
    assert not report.ok
    failed = {n.name: n for n in report.notebooks if n.status == "failed"}
    assert set(failed) == {"r/ex.answers", "r/ex"}  # and the student's waits for it
    assert failed["r/ex.answers"].problem.line == Course.load(root).sessions["ex"].exercises[0].line
    assert "m (worked answer): expected a number" in failed["r/ex.answers"].problem.message
