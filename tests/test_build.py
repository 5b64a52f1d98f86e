"""The multicode build: bad input, notebook structure, determinism, rebuilds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursebuild import build, estimates, notebook, source
from coursebuild.config import ROOT
from coursebuild.errors import BuildError

HERE = Path(__file__).parent / "build"
LANGS = ("python", "r")

# fixture -> (line the error must name, words the message must contain)
BAD = {
    "multicode-missing-language": (5, 'no tab for language "r"'),
    "multicode-language-twice": (7, 'language "python" has two tabs'),
    "multicode-unknown-language": (5, 'unknown language "Julia"'),
    "multicode-tab-without-code": (5, 'tab "Python" has no code block'),
    "duplicate-label": (10, "duplicate chunk label 'load' (first used at line 5)"),
    "unclosed-div": (5, "never closed"),
    "broken-front-matter": (2, "front matter is not valid YAML"),
    "undeclared-language": (5, "chunk in language 'julia', which the course does not declare"),
    "qna-without-question": (5, "[qna] no Question tab"),
}


def make_project(tmp_path: Path, sessions: dict[str, str]) -> Path:
    """A throw-away course folder sharing this project's config, filters and helpers."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "_quarto.yml", root)
    for folder in ("_extensions", "filters"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "sessions").mkdir()
    for name, text in sessions.items():
        (root / "sessions" / f"{name}.qmd").write_text(text, encoding="utf-8")
    return root


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursebuild", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_names_file_and_line_and_keeps_old_notebooks(tmp_path, name):
    line, words = BAD[name]
    root = make_project(tmp_path, {name: (HERE / "bad" / f"{name}.qmd").read_text()})
    previous = {}
    for lang in LANGS:
        path = root / "notebooks" / lang / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(f'{{"previous": "{lang}"}}')
        previous[path] = path.read_bytes()

    result = run_cli(root, "build")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"sessions/{name}.qmd:{line}: " in output, output
    assert words in output, output
    for path, content in previous.items():
        assert path.read_bytes() == content
        assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files


def test_every_bad_fixture_is_tested():
    assert {p.stem for p in (HERE / "bad").glob("*.qmd")} == set(BAD)


def test_chunks_become_pandoc_code_blocks_with_options_and_lines():
    text = (
        "---\ntitle: T\n---\n\n::: multicode\n#### Python\n"
        "```{python}\n#| label: load-data\n#| include: false\nx = 1\n```\n:::\n"
    )
    src = source.parse(text, "s.qmd", LANGS)
    assert '::: {.multicode data-source-line="5"}' in src.markdown
    assert (
        '``` {.python .cell data-source-line="7" label="load-data" include="false"}\nx = 1\n```'
        in src.markdown
    )
    (chunk,) = src.chunks
    assert (chunk.lang, chunk.line, chunk.code, chunk.label) == ("python", 7, "x = 1", "load-data")


def test_plain_and_raw_code_blocks_are_left_alone():
    text = "```{=html}\n<b>x</b>\n```\n\n```python\nprint(1)\n```\n\n````\n```{r}\n````\n"
    src = source.parse(text, "s.qmd", LANGS)
    assert src.chunks == []
    assert src.markdown == text


def test_closing_a_div_that_is_not_open_is_an_error():
    with pytest.raises(BuildError, match=r"s\.qmd:3: ':::' closes a div"):
        source.parse("Text\n\n:::\n", "s.qmd", LANGS)


def test_fence_header_options_are_refused_with_advice():
    with pytest.raises(BuildError, match=r"s\.qmd:1: .*write them as '#\| key: value' lines"):
        source.parse("```{r, echo=FALSE}\nx\n```\n", "s.qmd", LANGS)


def example(lang: str) -> dict:
    return build.unexecuted(ROOT / "sessions" / "01-two-languages.qmd", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_example_session_gives_one_language_per_notebook(lang):
    nb = example(lang)
    nbformat.validate(nbformat.from_dict(nb))
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert nb["metadata"]["kernelspec"]["name"] == {"python": "python3", "r": "ir"}[lang]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "no code cells"
    other = "<-" if lang == "python" else "print(f"
    assert all(other not in "".join(c["source"]) for c in code)
    markdown = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "#### Python" not in markdown and "#### R" not in markdown  # no stray tab headers
    assert "Change one value" in markdown  # the question...
    assert "Adding 4 points" not in markdown  # ...but not the answer (ipynb: question)
    assert "Every step in this course" in markdown  # shared prose in both
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert [c["id"] for c in params] == [f"parameters-{lang}"]
    assert code[0] is params[0]


def test_chunk_options_map_to_notebook_cells(tmp_path):
    text = (HERE / "good" / "options.qmd").read_text()
    root = make_project(tmp_path, {"options": text})
    nb = build.unexecuted(root / "sessions" / "options.qmd", "python", root)
    cells = {c["id"]: c for c in nb["cells"]}
    assert cells["setup-python"]["metadata"] == {
        "jupyter": {"source_hidden": True},
        "tags": ["setup"],
    }
    assert cells["shows-an-error"]["metadata"] == {"tags": ["raises-exception"]}
    shown_only = [c for c in nb["cells"] if "never_run()" in "".join(c["source"])]
    assert [c["cell_type"] for c in shown_only] == ["markdown"]  # eval: false
    unlabelled = notebook.cell_id("python", "print(answer)")
    assert cells[unlabelled]["cell_type"] == "code"
    assert unlabelled.startswith("python-") and len(unlabelled) == len("python-") + 10


def test_rebuilding_an_unchanged_session_is_byte_identical():
    for lang in LANGS:
        assert notebook.dumps(example(lang)) == notebook.dumps(example(lang))


def test_committed_notebooks_are_current_and_match_their_sources():
    stale = build.plan(ROOT)
    assert stale == [], f"out of date (run ./course build): {[j.name for j in stale]}"
    for job in build.targets(ROOT):
        committed = json.loads(job.output.read_text())
        fresh = build.unexecuted(job.session, job.lang, variant=job.variant)
        fresh = estimates.extract(fresh)  # the build keeps estimates cells out of sight
        assert [(c["id"], c["source"]) for c in committed["cells"]] == [
            (c["id"], c["source"]) for c in fresh["cells"]
        ]
    on_disk = {p.relative_to(ROOT) for p in (ROOT / "notebooks").glob("*/*.ipynb")}
    built = {j.output.relative_to(ROOT) for j in build.targets(ROOT)}
    assert on_disk == built, f"notebooks no session makes: {sorted(on_disk - built)}"


@pytest.mark.parametrize("lang", LANGS)
def test_answers_notebook_has_the_answers_the_download_leaves_out(lang):
    session = ROOT / "sessions" / "01-two-languages.qmd"
    answers = build.unexecuted(session, lang, variant=build.ANSWERS)
    text = json.dumps(answers["cells"])
    assert "Adding 4 points" in text and "Change one value" in text
    download = json.dumps(example(lang)["cells"])
    assert "Adding 4 points" not in download
    code = {c["id"] for c in answers["cells"] if c["cell_type"] == "code"}
    assert {c["id"] for c in example(lang)["cells"] if c["cell_type"] == "code"} < code


def test_committed_notebooks_show_no_machine_details():
    needles = [str(ROOT), str(Path.home()) + "/", "/tmp/", "ipykernel_"]
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        text = path.read_text()
        for needle in needles:
            assert needle not in text, f"{path.name} contains {needle!r}"


def test_noop_rebuild_does_nothing_and_a_touched_session_rebuilds_alone(tmp_path):
    good = (ROOT / "sessions" / "01-two-languages.qmd").read_text()
    root = make_project(tmp_path, {"a": good, "b": good})
    first: list[str] = []
    assert build.build(root, log=first.append) == 0, "\n".join(first)
    assert build.plan(root) == []
    messages: list[str] = []
    assert build.build(root, log=messages.append) == 0
    assert messages == ["All notebooks are up to date."]
    (root / "sessions" / "b.qmd").write_text(good + "\nOne more line.\n")
    assert sorted(j.name for j in build.plan(root)) == [
        "python/b",
        "python/b.answers",
        "r/b",
        "r/b.answers",
    ]


def test_a_failing_cell_names_its_line_and_keeps_the_old_notebook(tmp_path):
    text = (HERE / "good" / "fails.qmd").read_text()
    root = make_project(tmp_path, {"fails": text})
    old = root / "notebooks" / "python" / "fails.ipynb"
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    messages: list[str] = []
    assert build.build(root, log=messages.append) == 1
    report = "\n".join(messages)
    assert "python/fails: FAILED in cell 'boom'" in report
    assert "sessions/fails.qmd:7: ZeroDivisionError" in report
    assert old.read_text() == "{}"
    assert (root / "notebooks" / "r" / "fails.ipynb").exists()  # the other language still built


def test_nbval_fails_when_a_stored_output_changes(tmp_path):
    nb = json.loads((ROOT / "notebooks" / "python" / "01-two-languages.ipynb").read_text())
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if output.get("name") == "stdout":
                output["text"] = ["The mean of 4 values is 99.99.\n"]
    path = tmp_path / "changed.ipynb"
    path.write_text(json.dumps(nb))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout
    assert "99.99" in result.stdout and "51.30" in result.stdout


def test_consecutive_stream_outputs_are_joined_so_reruns_do_not_churn():
    from coursebuild.execute import clean

    nb = {
        "metadata": {"papermill": {"input_path": "/somewhere/in.ipynb"}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"papermill": {"duration": 1.0}, "execution": {}, "tags": []},
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["a\n"]},
                    {"output_type": "stream", "name": "stdout", "text": "b\nc"},
                    {"output_type": "stream", "name": "stderr", "text": ["warn\n"]},
                    {"output_type": "stream", "name": "stdout", "text": ["d\n"]},
                ],
            }
        ],
    }
    cell = clean(nb)["cells"][0]
    assert nb["metadata"] == {} and cell["metadata"] == {}
    assert [(o["name"], o["text"]) for o in cell["outputs"]] == [
        ("stdout", ["a\n", "b\n", "c"]),
        ("stderr", ["warn\n"]),
        ("stdout", ["d\n"]),
    ]


@pytest.mark.parametrize("variant", ["", build.ANSWERS])
def test_a_qna_block_inside_a_language_tab_is_not_read_as_tabs(tmp_path, variant):
    root = make_project(tmp_path, {"q": (HERE / "good" / "qna-in-tab.qmd").read_text()})
    python = build.unexecuted(root / "sessions" / "q.qmd", "python", root, variant=variant)
    text = json.dumps(python["cells"])
    assert "What is `x` in Python?" in text
    assert ("print(x)" in text) == (variant == build.ANSWERS)
    r = build.unexecuted(root / "sessions" / "q.qmd", "r", root, variant=variant)
    assert "in Python?" not in json.dumps(r["cells"])


def test_an_error_true_chunk_keeps_its_error_and_the_build_goes_on(tmp_path):
    root = make_project(tmp_path, {"options": (HERE / "good" / "options.qmd").read_text()})
    assert build.build(root, names=["options"], log=lambda _: None) == 0
    nb = json.loads((root / "notebooks" / "python" / "options.ipynb").read_text())
    cells = {c["id"]: c for c in nb["cells"]}
    assert [o["ename"] for o in cells["shows-an-error"]["outputs"]] == ["ZeroDivisionError"]
    assert not [c for c in nb["cells"] if "papermill" in json.dumps(c["metadata"])]
    assert cells[notebook.cell_id("python", "print(answer)")]["outputs"][0]["text"] == ["42\n"]
