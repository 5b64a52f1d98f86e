"""The Lua filters report every problem, then stop once (or, for the build, go on)."""

from __future__ import annotations

import subprocess

import pytest

from coursebuild.config import ROOT, CourseConfig
from coursebuild.convert import pandoc_path
from coursebuild.problems import read_problems

FILTERS = CourseConfig.load(ROOT).filters
pytestmark = pytest.mark.usefixtures("pandoc")  # every test runs the filters in pandoc

TWO_BAD_DIVS = """\
::: {.multicode data-source-line="1"}
#### Python
``` {#a .python .cell data-source-line="3"}
x = 1
```
:::

::: {.multicode data-source-line="8"}
#### Julia
``` {#b .r .cell data-source-line="10"}
x <- 1
```
:::

::: {.qna data-source-line="15" data-source-file="sessions/_part.qmd"}
#### Answer
A.
:::
"""
COURSE = "multicode: {languages: [python, r]}\nsource-file: sessions/s.qmd\n"


def run(tmp_path, text: str, meta: str, *extra: str) -> subprocess.CompletedProcess:
    cmd = [pandoc_path(), "-f", "markdown", "-t", "ipynb", "-M", "multicode-keep=python"]
    cmd += [f"--lua-filter={ROOT / f}" for f in FILTERS]
    cmd += list(extra)
    meta_file = tmp_path / "meta.yml"
    meta_file.write_text(meta)
    cmd.append(f"--metadata-file={meta_file}")
    return subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=60)


def test_every_div_problem_is_listed_then_the_render_stops_once(tmp_path):
    result = run(tmp_path, TWO_BAD_DIVS, COURSE)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert (
        'sessions/s.qmd:1: [multicode] no tab for language "r", '
        "expected one tab per declared language: python (Python), r (R)"
    ) in lines
    assert any(
        x.startswith('sessions/s.qmd:8: [multicode] unknown language "Julia"') for x in lines
    )
    assert "[multicode] 2 problem(s), listed above" in result.stderr


def test_collecting_reports_the_problems_of_every_filter_in_one_run(tmp_path):
    problems = tmp_path / "problems.jsonl"
    meta = COURSE + f"collect-problems: true\nproblems-file: {problems}\n"
    result = run(tmp_path, TWO_BAD_DIVS, meta)
    assert result.returncode == 0, result.stderr  # collected: the run goes on
    found = [str(p) for p in read_problems(problems) if not p.warning]
    assert [f.split(": [")[0] for f in found] == [
        "sessions/s.qmd:1",
        "sessions/s.qmd:8",
        "sessions/_part.qmd:15",
    ]
    assert "no Question tab" in found[2]


def test_without_declared_languages_the_filters_say_so(tmp_path):
    result = run(tmp_path, TWO_BAD_DIVS, "source-file: sessions/s.qmd\n")
    assert result.returncode != 0
    assert "sessions/s.qmd: [multicode] metadata multicode.languages is not set" in result.stderr


@pytest.mark.parametrize("header", ["#### ![](python-logo-only.png){width=30}", "####"])
def test_a_tab_header_without_text_takes_the_language_of_its_code(tmp_path, header):
    text = (
        f'::: {{.multicode data-source-line="1"}}\n{header}\n'
        '``` {#a .python .cell data-source-line="3"}\nx = 1\n```\n'
        '#### R\n``` {#b .r .cell data-source-line="7"}\nx <- 1\n```\n:::\n'
    )
    result = run(
        tmp_path,
        text,
        COURSE,
        "--resource-path=" + str(ROOT / "_extensions" / "multicode" / "logos"),
    )
    assert result.returncode == 0, result.stderr
    assert '"x = 1"' in result.stdout
    assert "x <- 1" not in result.stdout


def test_a_multicode_block_nested_in_another_is_reported(tmp_path):
    inner = (
        '::: {.multicode data-source-line="4"}\n#### Python\n'
        '``` {#c .python .cell data-source-line="6"}\ny = 1\n```\n'
        '#### R\n``` {#d .r .cell data-source-line="9"}\ny <- 1\n```\n:::\n'
    )
    text = (
        '::: {.multicode data-source-line="1"}\n#### Python\n'
        '``` {#a .python .cell data-source-line="3"}\nx = 1\n```\n\n' + inner + "\n"
        '#### R\n``` {#b .r .cell data-source-line="20"}\nx <- 1\n```\n:::\n'
    )
    result = run(tmp_path, text, COURSE)
    assert result.returncode != 0
    assert (
        "sessions/s.qmd:4: [multicode] multicode block inside another multicode block "
        "(opened at line 1)"
    ) in result.stderr


def test_a_qna_tab_header_without_text_says_how_to_fix_it(tmp_path):
    text = '::: {.qna data-source-line="1"}\n#### ![](logo.png)\nText.\n:::\n'
    result = run(tmp_path, text, COURSE)
    assert (
        'sessions/s.qmd:1: [qna] a tab header with no text (only an image?), expected "#### '
        'Question" and "#### Answer" tabs (for one tab per language, use \'::: multicode\')'
    ) in result.stderr
