"""The multicode build: bad input, notebook structure, determinism, rebuilds."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from coursebuild import build, estimates, notebook, scratch, source
from coursebuild.config import ROOT
from coursebuild.course import Course
from coursebuild.preamble import INSTALL_ID as INSTALL
from coursebuild.problems import BuildError

HERE = Path(__file__).parent / "build"
LANGS = ("python", "r")
VARIABLES = "module:\n  code: QM101\n"  # the _variables.yml of the throw-away courses

# fixture -> (file:line the error must name, words the message must contain);
# a bare line number means the fixture itself.
BAD = {
    "not-utf8": (5, "not UTF-8 text (byte 0xe9); save the file with UTF-8 encoding"),
    "empty": (1, "the session is empty"),
    "nested-multicode": (11, "multicode block inside another multicode block (opened at line 5)"),
    "image-only-tab-header": (5, "a tab header with no text, and no code of one declared language"),
    "unknown-variable": (6, "'{{< var module.web >}}': no 'module.web' in _variables.yml"),
    "includes-broken-partial": ("_broken-partial.qmd:3", 'no tab for language "r"'),
    "multicode-missing-language": (5, 'no tab for language "r"'),
    "multicode-language-twice": (7, 'language "python" has two tabs'),
    "multicode-unknown-language": (5, 'unknown language "Julia"'),
    "multicode-tab-without-code": (5, 'tab "Python" has no code block'),
    "duplicate-label": (10, "duplicate chunk label 'load' (first used at line 5)"),
    "unclosed-div": (5, "div opened here is never closed"),
    "broken-front-matter": (2, "front matter is not valid YAML"),
    "undeclared-language": (5, "chunk in language 'julia', which the course does not declare"),
    "qna-without-question": (5, "[qna] no Question tab"),
    "chunk-option-value": (
        7,
        "chunk option 'eval: flase' is not valid: Quarto expects true or false",
    ),
    "chunk-in-another-tab": (11, 'a chunk in R in the "Python" tab'),
    "check-undefined-name": (23, "check 'm': no python chunk of the Answer tab defines 'm'"),
    "check-bad-tolerance": (23, "check 'm': the tolerance of number must be a number above 0"),
}


def make_project(tmp_path: Path, sessions: dict[str, str | bytes]) -> Path:
    """Return a throw-away course folder sharing this project's config, filters and helpers.

    The fixtures' partials (``_*.qmd``) come along, for the sessions that include them.
    """
    root = scratch.make_course(tmp_path / "course", sessions)
    (root / "_variables.yml").write_text(VARIABLES)
    for partial in HERE.glob("*/_*.qmd"):
        shutil.copy(partial, root / "sessions")
    return root


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursebuild", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def reported(lines: list[str], where: str, words: str) -> bool:
    """Whether a line reports `words` at `where` (``path:line``), the filter's tag aside."""
    return any(
        re.match(re.escape(where) + r": (\[[\w-]+\] )?" + re.escape(words), x) for x in lines
    )


def bad(name: str) -> bytes:
    return (HERE / "bad" / f"{name}.qmd").read_bytes()


# Chunk options are checked against Quarto's cell schemas (its share folder).
SCHEMA_CHECKED = {"chunk-option-value"}


@pytest.mark.usefixtures("pandoc")
@pytest.mark.parametrize("name", sorted(set(BAD) - SCHEMA_CHECKED))
def test_bad_input_names_file_and_line_and_keeps_old_notebooks(tmp_path, name):
    check_bad_input(tmp_path, name)


@pytest.mark.usefixtures("pandoc", "quarto_share")
@pytest.mark.parametrize("name", sorted(SCHEMA_CHECKED))
def test_bad_chunk_option_names_file_and_line_and_keeps_old_notebooks(tmp_path, name):
    check_bad_input(tmp_path, name)


def check_bad_input(tmp_path: Path, name: str) -> None:
    line, words = BAD[name]
    where = f"sessions/{line}" if isinstance(line, str) else f"sessions/{name}.qmd:{line}"
    root = make_project(tmp_path, {name: bad(name)})
    previous = {}
    for lang in LANGS:
        path = root / "notebooks" / lang / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(f'{{"previous": "{lang}"}}')
        previous[path] = path.read_bytes()

    result = run_cli(root, "build")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert reported(output.splitlines(), where, words), output
    assert "Traceback" not in output, output
    assert "Executing" not in output, output
    for path, content in previous.items():
        assert path.read_bytes() == content
        assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files


def test_every_bad_fixture_is_tested():
    fixtures = {p.stem for p in (HERE / "bad").glob("*.qmd") if not p.name.startswith("_")}
    assert fixtures == set(BAD) | {"several-problems"}


@pytest.mark.usefixtures("pandoc", "quarto_share")
def test_every_problem_of_every_session_is_reported_once_sorted_and_nothing_runs(tmp_path):
    names = [p.stem for p in (HERE / "bad").glob("*.qmd") if not p.name.startswith("_")]
    root = make_project(tmp_path, {name: bad(name) for name in names})

    result = run_cli(root, "build")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].endswith("nothing was built; fix them and run the build again."), lines
    problems = lines[:-1]
    assert len(problems) == len(set(problems)), "a problem reported twice"
    places = [re.match(r"([^:]+):(\d*)", p).groups() for p in problems]
    assert places == sorted(places, key=lambda p: (p[0], int(p[1] or 0)))
    for name, (line, words) in BAD.items():
        where = f"sessions/{line}" if isinstance(line, str) else f"sessions/{name}.qmd:{line}"
        assert reported(problems, where, words), (where, words)
    several = [p for p in problems if p.startswith("sessions/several-problems.qmd:")]
    assert [p.split(":")[1] for p in several] == ["5", "9", "16", "22"], several
    assert not (root / "notebooks").exists()


def test_chunks_become_pandoc_code_blocks_with_options_and_lines():
    text = (
        "---\ntitle: T\n---\n\n::: multicode\n#### Python\n"
        "```{python}\n#| label: load-data\n#| include: false\nx = 1\n```\n:::\n"
    )
    src = source.parse(text, "s.qmd", LANGS)
    assert '::: {.multicode data-source-line="5"}' in src.markdown
    assert (
        '``` {#load-data .python .cell data-source-line="7" label="load-data" include="false"}'
        "\nx = 1\n```" in src.markdown
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


@pytest.mark.usefixtures("pandoc")
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
    assert "#### Python" not in markdown  # no stray tab headers
    assert "#### R" not in markdown
    assert "Change one value" in markdown  # the question...
    assert "Adding 4 points" not in markdown  # ...but not the answer (ipynb: question)
    assert "Every step in this course" in markdown  # shared prose in both
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert [c["id"] for c in params] == [f"parameters-{lang}"]
    assert code[0] is params[0]


@pytest.mark.usefixtures("pandoc")
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
    unlabelled = source.cell_id("python", "print(answer)")
    assert cells[unlabelled]["cell_type"] == "code"
    assert unlabelled.startswith("python-")
    assert len(unlabelled) == len("python-") + 10


@pytest.mark.usefixtures("pandoc")
def test_rebuilding_an_unchanged_session_is_byte_identical():
    for lang in LANGS:
        assert notebook.dumps(example(lang)) == notebook.dumps(example(lang))


@pytest.mark.usefixtures("pandoc")
def test_committed_notebooks_are_current_and_match_their_sources():
    stale = build.plan(Course.load(ROOT))
    assert stale == [], f"out of date (run ./course build): {[j.name for j in stale]}"
    for job in build.targets(Course.load(ROOT)):
        committed = json.loads(job.output.read_text())
        fresh = build.unexecuted(job.session, job.lang, variant=job.variant)
        fresh = estimates.extract(fresh)  # the build keeps estimates cells out of sight
        assert [(c["id"], c["source"]) for c in committed["cells"]] == [
            (c["id"], c["source"]) for c in fresh["cells"]
        ]
    on_disk = {p.relative_to(ROOT) for p in (ROOT / "notebooks").glob("*/*.ipynb")}
    built = {j.output.relative_to(ROOT) for j in build.targets(Course.load(ROOT))}
    assert on_disk == built, f"notebooks no session makes: {sorted(on_disk - built)}"


@pytest.mark.usefixtures("pandoc")
@pytest.mark.parametrize("lang", LANGS)
def test_answers_notebook_has_the_answers_the_download_leaves_out(lang):
    session = ROOT / "sessions" / "01-two-languages.qmd"
    answers = build.unexecuted(session, lang, variant=build.ANSWERS)
    text = json.dumps(answers["cells"])
    assert "Adding 4 points" in text
    assert "Change one value" in text
    download = json.dumps(example(lang)["cells"])
    assert "Adding 4 points" not in download
    code = {c["id"] for c in answers["cells"] if c["cell_type"] == "code"}
    downloaded = {
        c["id"]
        for c in example(lang)["cells"]
        if c["cell_type"] == "code" and "exercise" not in c["metadata"].get("tags", [])
    }  # (the student's own answer cells are the download's alone)
    assert downloaded < code


def test_committed_notebooks_show_no_machine_details():
    needles = [str(ROOT), str(Path.home()) + "/", "/tmp/", "ipykernel_"]
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        text = path.read_text()
        for needle in needles:
            assert needle not in text, f"{path.name} contains {needle!r}"


@pytest.mark.usefixtures("pandoc", "kernel", "r_kernel")
def test_noop_rebuild_does_nothing_and_a_touched_session_rebuilds_alone(tmp_path):
    good = (ROOT / "sessions" / "01-two-languages.qmd").read_text()
    root = make_project(tmp_path, {"a": good, "b": good})
    first: list[str] = []
    assert build.build(root, log=first.append).failures == 0, "\n".join(first)
    assert build.plan(Course.load(root)) == []
    messages: list[str] = []
    assert build.build(root, log=messages.append).failures == 0
    assert messages == ["All notebooks are up to date."]
    (root / "sessions" / "b.qmd").write_text(good + "\nOne more line.\n")
    assert sorted(j.name for j in build.plan(Course.load(root))) == [
        "python/b",
        "python/b.answers",
        "r/b",
        "r/b.answers",
    ]


@pytest.mark.usefixtures("pandoc", "kernel", "r_kernel")
def test_a_failing_cell_names_its_line_and_keeps_the_old_notebook(tmp_path):
    text = (HERE / "good" / "fails.qmd").read_text()
    root = make_project(tmp_path, {"fails": text})
    old = root / "notebooks" / "python" / "fails.ipynb"
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    messages: list[str] = []
    assert build.build(root, log=messages.append).failures == 1
    report = "\n".join(messages)
    assert "python/fails: FAILED in cell 'boom'" in report
    assert "sessions/fails.qmd:7: ZeroDivisionError" in report
    assert old.read_text() == "{}"
    assert (root / "notebooks" / "r" / "fails.ipynb").exists()  # the other language still built


@pytest.mark.usefixtures("kernel")
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
    assert "99.99" in result.stdout
    assert "51.30" in result.stdout


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
    assert nb["metadata"] == {}
    assert cell["metadata"] == {}
    assert [(o["name"], o["text"]) for o in cell["outputs"]] == [
        ("stdout", ["a\n", "b\n", "c"]),
        ("stderr", ["warn\n"]),
        ("stdout", ["d\n"]),
    ]


@pytest.mark.usefixtures("pandoc")
@pytest.mark.parametrize("variant", ["", build.ANSWERS])
def test_a_qna_block_inside_a_language_tab_is_not_read_as_tabs(tmp_path, variant):
    root = make_project(tmp_path, {"q": (HERE / "good" / "qna-in-tab.qmd").read_text()})
    python = build.unexecuted(root / "sessions" / "q.qmd", "python", root, variant=variant)
    text = json.dumps(python["cells"])
    assert "What is `x` in Python?" in text
    assert ("print(x)" in text) == (variant == build.ANSWERS)
    r = build.unexecuted(root / "sessions" / "q.qmd", "r", root, variant=variant)
    assert "in Python?" not in json.dumps(r["cells"])


@pytest.mark.usefixtures("pandoc", "kernel", "r_kernel")
def test_an_error_true_chunk_keeps_its_error_and_the_build_goes_on(tmp_path):
    root = make_project(tmp_path, {"options": (HERE / "good" / "options.qmd").read_text()})
    assert build.build(root, names=["options"], log=lambda _: None).failures == 0
    nb = json.loads((root / "notebooks" / "python" / "options.ipynb").read_text())
    cells = {c["id"]: c for c in nb["cells"]}
    assert [o["ename"] for o in cells["shows-an-error"]["outputs"]] == ["ZeroDivisionError"]
    assert not [c for c in nb["cells"] if "papermill" in json.dumps(c["metadata"])]
    assert cells[source.cell_id("python", "print(answer)")]["outputs"][0]["text"] == ["42\n"]


@pytest.mark.usefixtures("pandoc")
def test_logo_only_tab_headers_take_the_language_of_their_code(tmp_path):
    root = make_project(tmp_path, {"logos": (HERE / "good" / "logo-tabs.qmd").read_text()})
    for lang, code in (("python", "x = 1"), ("r", "x <- 1")):
        nb = build.unexecuted(root / "sessions" / "logos.qmd", lang, root)
        cells = [c for c in nb["cells"] if c["cell_type"] == "code" and c["id"] != INSTALL]
        assert ["".join(c["source"]) for c in cells] == [code]


@pytest.mark.usefixtures("pandoc")
def test_shortcodes_are_expanded_and_a_missing_image_is_a_warning(tmp_path):
    root = make_project(tmp_path, {"logos": (HERE / "good" / "logo-tabs.qmd").read_text()})
    src = Course.load(root).sessions["logos"]
    assert [str(p) for p in src.problems] == [
        f"sessions/logos.qmd:{line}: warning: image '{name}' not found (paths are relative to "
        "the session's folder); the notebook shows its description instead"
        for line, name in (
            (6, "python-logo-only.png"),
            (10, "r-logo-only.png"),
            (16, "nowhere.png"),
        )
    ]
    nb = build.unexecuted(root / "sessions" / "logos.qmd", "python", root)
    text = json.dumps(nb["cells"])
    assert "The module is QM101, taught in Quantitative Methods in R and Python." in text
    assert "A missing picture" in text
    assert "nowhere.png" not in text


@pytest.mark.usefixtures("pandoc")
def test_the_missing_image_warning_is_printed_and_the_build_goes_on(tmp_path):
    text = (HERE / "good" / "logo-tabs.qmd").read_text()
    root = make_project(tmp_path, {"logos": text, "broken": bad("unclosed-div")})
    result = run_cli(root, "build")
    lines = result.stdout.splitlines()
    assert "sessions/logos.qmd:16: warning: image 'nowhere.png' not found" in result.stdout
    assert lines.index(next(x for x in lines if x.startswith("sessions/broken"))) < lines.index(
        next(x for x in lines if x.startswith("sessions/logos"))
    )  # sorted by file


def test_a_session_builds_only_the_languages_it_has_code_in(tmp_path):
    root = make_project(tmp_path, {"py": (HERE / "good" / "python-only.qmd").read_text()})
    assert [job.name for job in build.targets(Course.load(root))] == ["python/py"]


@pytest.mark.usefixtures("pandoc")
def test_an_included_partial_is_part_of_the_notebook_and_of_its_hash(tmp_path):
    root = make_project(tmp_path, {"main": (HERE / "good" / "with-partial.qmd").read_text()})
    session = root / "sessions" / "main.qmd"
    nb = build.unexecuted(session, "python", root)
    text = json.dumps(nb["cells"])
    assert text.index("Before the partial") < text.index("Text from the partial")
    assert text.index("Text from the partial") < text.index("After the partial")
    code = [c["id"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert code == [INSTALL, "from-partial"]  # the generated install cell, then the chunk
    assert "{{<" not in text
    (job,) = build.targets(Course.load(root))
    (root / "sessions" / "_partial.qmd").write_text("Changed partial.\n\n```{python}\nx = 2\n```\n")
    (again,) = build.targets(Course.load(root))
    assert again.inputs_sha1 != job.inputs_sha1
    assert not [j for j in build.targets(Course.load(root)) if j.session.name.startswith("_")]


@pytest.mark.usefixtures("pandoc")
def test_repeated_chunks_get_numbered_ids_once_for_every_notebook(tmp_path):
    text = (
        "::: qna\n#### Question\nQ\n\n```{python}\nx = 1\n```\n#### Answer\nA\n\n"
        "```{python}\nx = 1\n```\n:::\n\n```{python}\nx = 1\n```\n"
    )
    root = make_project(tmp_path, {"rep": text})
    session = root / "sessions" / "rep.qmd"
    base = source.cell_id("python", "x = 1")
    cells = build.unexecuted(session, "python", root)["cells"]
    ids = [c["id"] for c in cells if "outputs" in c and c["id"] != INSTALL]
    assert ids == [base, f"{base}-3"]  # the answer's chunk (-2) is not in the download
    answers = build.unexecuted(session, "python", root, variant=build.ANSWERS)["cells"]
    ids = [c["id"] for c in answers if "outputs" in c and c["id"] != INSTALL]
    assert ids == [base, f"{base}-2", f"{base}-3"]


@pytest.mark.usefixtures("pandoc")
def test_one_build_reads_the_configuration_once_and_each_session_once(tmp_path, file_reads):
    good = (ROOT / "sessions" / "01-two-languages.qmd").read_text()
    root = make_project(tmp_path, {"a": good, "b": good, "c": bad("unclosed-div")})
    reads = file_reads
    reads.clear()  # what setting up the course read
    report = build.build(root, log=lambda _: None)
    assert report.failures == 1  # c's error: converts a and b, runs none
    assert reads.count("_quarto.yml") == 1
    assert [reads.count(f"{name}.qmd") for name in "abc"] == [1, 1, 1]


@pytest.mark.usefixtures("pandoc")
def test_a_notebook_records_the_hash_of_each_included_file(tmp_path):
    root = make_project(tmp_path, {"main": (HERE / "good" / "with-partial.qmd").read_text()})
    nb = build.unexecuted(root / "sessions" / "main.qmd", "python", root)
    partial = (root / "sessions" / "_partial.qmd").read_bytes()
    assert nb["metadata"]["coursebuild"]["includes_sha1"] == {
        "sessions/_partial.qmd": hashlib.sha1(partial).hexdigest()
    }
    assert "includes_sha1" not in example("python")["metadata"]["coursebuild"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("_quarto.yml", "multicode: [python\n", "_quarto.yml:2: invalid YAML"),
        ("_quarto.yml", "project:\n  type: website\n", "_quarto.yml: multicode.languages must"),
        ("_variables.yml", "module: {web: [\n", "_variables.yml:2: invalid YAML"),
    ],
)
def test_a_broken_configuration_names_its_file_without_a_traceback(tmp_path, name, text, expected):
    root = make_project(tmp_path, {"a": (HERE / "good" / "python-only.qmd").read_text()})
    (root / name).write_text(text)
    for command in ("build", "check"):
        result = run_cli(root, command)
        assert result.returncode == 1
        assert result.stderr.startswith(expected), result.stderr
        assert "Traceback" not in result.stderr


def test_a_shortcode_in_an_image_path_is_expanded_before_the_image_is_looked_for(tmp_path):
    text = "# T\n\n![Logo]({{< var module.code >}}/logo.png)\n\n```{python}\nx = 1\n```\n"
    root = make_project(tmp_path, {"img": text})
    (root / "sessions" / "QM101").mkdir()
    (root / "sessions" / "QM101" / "logo.png").write_bytes(
        (ROOT / "_extensions" / "multicode" / "logos" / "python.svg").read_bytes()
    )
    src = Course.load(root).sessions["img"]
    assert src.problems == []
    assert "![Logo](QM101/logo.png)" in src.markdown


def test_a_missing_image_used_many_times_is_one_warning_naming_every_line(tmp_path):
    text = "![](gone.png)\n\nText.\n\n![Again](gone.png)\n\n```{python}\nx = 1\n```\n"
    root = make_project(tmp_path, {"img": text})
    src = Course.load(root).sessions["img"]
    (problem,) = src.problems
    assert (problem.line, problem.warning) == (1, True)
    assert problem.message.startswith("image 'gone.png' not found")
    assert problem.message.endswith("(also at lines 5)")


@pytest.mark.usefixtures("quarto_share")
def test_chunk_options_are_checked_against_quartos_cell_schemas(tmp_path):
    root = make_project(tmp_path, {"opts": bad("chunk-option-value")})
    problems = Course.load(root).sessions["opts"].problems
    assert [(p.line, p.warning) for p in problems] == [(7, False), (12, False)]
    assert problems[1].message == (
        "chunk option 'fig-width: wide' is not valid: Quarto expects a number"
    )
    text = "```{python}\n#| fig-widht: 5\n#| fig.width: 5\nx = 1\n```\n"
    (root / "sessions" / "opts.qmd").write_text(text)
    (warning,) = Course.load(root).sessions["opts"].problems
    assert (warning.line, warning.warning) == (2, True)
    assert "'fig-widht' is not one of Quarto's cell options" in warning.message


def test_the_recorded_hash_is_read_from_the_end_as_it_is_stored(tmp_path):
    for path in (ROOT / "notebooks").glob("*/*.ipynb"):
        stored = json.loads(path.read_text())["metadata"]["coursebuild"]["inputs_sha1"]
        assert build.recorded_inputs(path) == stored
    odd = tmp_path / "odd.ipynb"  # not written by the build: found by parsing it all
    odd.write_text(json.dumps({"metadata": {"coursebuild": {"inputs_sha1": "a" * 40}}}))
    assert build.recorded_inputs(odd) == "a" * 40
    odd.write_text("{}")
    assert build.recorded_inputs(odd) is None


@pytest.mark.usefixtures("pandoc")
def test_problems_reach_the_build_whatever_the_temporary_folder_is_called(tmp_path, monkeypatch):
    """A folder like /tmp/_x_/ is emphasis in markdown metadata: the path must arrive whole."""
    root = make_project(tmp_path, {"m": bad("multicode-missing-language")})
    odd = tmp_path / "_odd_" / "_names_"
    odd.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    with pytest.raises(BuildError) as raised:
        build.unexecuted(root / "sessions" / "m.qmd", "python", root)
    assert [str(p) for p in raised.value.problems] == [
        'sessions/m.qmd:5: [multicode] no tab for language "r", '
        "expected one tab per declared language: python (Python), r (R)"
    ]
