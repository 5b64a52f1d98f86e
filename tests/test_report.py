"""coursebuild.report and coursebuild.problems on canned problems, files and reports (unit tier)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coursebuild.problems import BuildError, Problem, read_problems, read_yaml, shown_path
from coursebuild.report import CURRENT, EXECUTED, FAILED, BuildReport, NotebookResult

# --------------------------------------------------------------------------- problems


def test_a_problem_reads_as_file_line_message():
    assert str(Problem("a.qmd", 3, "bad")) == "a.qmd:3: bad"
    assert str(Problem("a.qmd", 0, "bad", warning=True)) == "a.qmd: warning: bad"


def test_build_error_of_many_problems_sorts_them_and_drops_repeats():
    found = [Problem("b.qmd", 2, "x"), Problem("a.qmd", 9, "y"), Problem("a.qmd", 9, "y"),
             Problem("a.qmd", 1, "z")]  # fmt: skip
    error = BuildError.of(found)
    assert str(error) == "a.qmd:1: z\na.qmd:9: y\nb.qmd:2: x"
    assert (error.path, error.line, error.message) == ("a.qmd", 1, "z")
    whole = BuildError("_quarto.yml", None, "broken")
    assert whole.line is None
    assert str(whole) == "_quarto.yml: broken"


def test_read_yaml_names_the_file_and_line_of_a_syntax_error(tmp_path):
    path = tmp_path / "conf" / "_quarto.yml"
    path.parent.mkdir()
    path.write_text("a: 1\nb: [2\n")
    with pytest.raises(BuildError) as caught:
        read_yaml(path, tmp_path)
    assert (caught.value.path, caught.value.line) == ("conf/_quarto.yml", 3)
    assert caught.value.message.startswith("invalid YAML: ")
    path.write_text("")
    assert read_yaml(path, tmp_path) == {}
    with pytest.raises(BuildError, match=r"^nope\.yml: cannot read: "):
        read_yaml(tmp_path / "nope.yml", tmp_path)
    path.write_bytes(b"a: \xe9\n")
    with pytest.raises(BuildError, match=r"^conf/_quarto\.yml: cannot read: .*utf-8"):
        read_yaml(path, tmp_path)


def test_shown_paths_are_relative_to_the_course_or_just_the_name(tmp_path):
    assert shown_path(tmp_path / "sessions" / "a.qmd", tmp_path) == "sessions/a.qmd"
    assert shown_path(Path("/elsewhere/b.qmd"), tmp_path) == "b.qmd"  # no machine path


def test_the_filters_problems_file_is_read_one_object_a_line(tmp_path):
    path = tmp_path / "problems.jsonl"
    assert read_problems(path) == []  # none written: none reported
    rows = [
        {"file": "s.qmd", "line": 4, "filter": "multicode", "message": "no tab", "warning": False},
        {"message": "no line", "warning": True},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert read_problems(path) == [
        Problem("s.qmd", 4, "[multicode] no tab", False),
        Problem("", 0, "no line", True),
    ]


# --------------------------------------------------------------------------- report


def report() -> BuildReport:
    made = BuildReport(convert_seconds=1.5, execute_seconds=20.0)
    a = made.session("a")
    a.problems = [Problem("sessions/a.qmd", 3, "careful", warning=True)]
    a.notebooks = [
        NotebookResult("python/a", "python", EXECUTED, 4.0),
        NotebookResult("r/a", "r", FAILED, 2.0, Problem("sessions/a.qmd", 9, "ZeroDivisionError")),
    ]
    made.session("b").notebooks = [NotebookResult("python/b", "python", CURRENT)]
    return made


def test_a_report_counts_failed_notebooks_when_the_sources_are_fine():
    made = report()
    assert made.session("a") is made.sessions["a"]  # made once, then found
    assert [n.name for n in made.notebooks] == ["python/a", "r/a", "python/b"]
    assert made.errors == []  # the warning does not stop the build
    assert made.failures == 1
    assert not made.ok
    assert [n.name for n in made.executed()] == ["python/a"]
    assert [str(p) for p in made.sessions["a"].errors] == ["sessions/a.qmd:9: ZeroDivisionError"]


def test_source_errors_come_first_sorted_and_once_each():
    made = report()
    made.session("b").problems = [
        Problem("sessions/b.qmd", 2, "x"),
        Problem("sessions/b.qmd", 1, "y"),
    ]
    made.session("c").problems = [Problem("sessions/b.qmd", 2, "x")]
    assert [str(p) for p in made.errors] == ["sessions/b.qmd:1: y", "sessions/b.qmd:2: x"]
    assert made.failures == 2  # the sources' errors, not the failed notebook


def test_an_empty_report_is_ok_and_its_json_says_everything():
    assert BuildReport().ok
    data = json.loads(report().to_json())
    assert data["ok"] is False
    assert data["convert_seconds"] == 1.5
    (failed,) = [n for n in data["sessions"]["a"]["notebooks"] if n["status"] == FAILED]
    assert failed["problem"] == {
        "path": "sessions/a.qmd", "line": 9, "message": "ZeroDivisionError", "warning": False
    }  # fmt: skip
