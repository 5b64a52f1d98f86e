"""coursebuild.source on canned text: the reader, chunks, includes, prose, exercises.

Pure tests (the unit tier): each reads a few lines written here (or files in
tmp_path), never the course, pandoc or a kernel. The build's end-to-end checks of
the same rules (through the command line and pandoc) are in test_build.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebuild import source
from coursebuild.problems import BuildError, Problem
from coursebuild.source import chunks, exercises, includes, prose
from coursebuild.source.frontmatter import front_matter
from coursebuild.source.model import Chunk, Line

LANGS = ("python", "r")


def lines(text: str, file: str = "s.qmd") -> list[Line]:
    return [Line(t, file, n) for n, t in enumerate(text.splitlines(), start=1)]


def problems_of(text: str, languages: tuple[str, ...] = LANGS) -> list[str]:
    """Return every error `source.parse` raises for `text`, as ``line: message``."""
    with pytest.raises(BuildError) as caught:
        source.parse(text, "s.qmd", languages)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


# --------------------------------------------------------------------------- the reader


def test_front_matter_is_read_and_kept_as_written():
    src = source.parse('---\ntitle: "A: B"\nn: 2\n---\n\nText.\n', "s.qmd", LANGS)
    assert src.meta == {"title": "A: B", "n": 2}
    assert src.markdown.startswith('---\ntitle: "A: B"\nn: 2\n---\n')
    assert src.chunks == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: T\n\nText.\n", (1, "front matter opened here is never closed")),
        ("---\ntitle: 'T\n---\n", (2, "front matter is not valid YAML")),
        ("---\n- a\n- b\n---\n", (2, "front matter must be a YAML mapping")),
    ],
)
def test_broken_front_matter_is_one_problem_at_its_line(text, expected):
    problems: list[Problem] = []
    meta, body = front_matter(lines(text), problems)
    assert (meta, body) == ({}, -1)
    ((line, message),) = [(p.line, p.message) for p in problems]
    assert (line, message[: len(expected[1])]) == expected


def test_a_session_without_front_matter_starts_at_its_first_line():
    assert front_matter(lines("Text.\n"), []) == ({}, 0)


def test_divs_get_their_line_and_keep_their_attributes():
    src = source.parse('::: {.callout-note #n1 title="x"}\nA note.\n:::\n', "s.qmd", LANGS)
    assert src.markdown.splitlines()[0] == '::: {.callout-note #n1 title="x" data-source-line="1"}'
    assert src.divs == {"callout-note"}


def test_a_bare_class_div_becomes_an_attribute_block():
    src = source.parse("::: multicode\n#### Python\n```{python}\nx = 1\n```\n:::\n", "s.qmd", LANGS)
    assert src.markdown.splitlines()[0] == '::: {.multicode data-source-line="1"}'


def test_every_unclosed_div_is_reported_where_it_opens():
    text = "::: a\n\n::: b\n\nText.\n"
    assert problems_of(text) == [
        "1: div opened here is never closed (missing ':::')",
        "3: div opened here is never closed (missing ':::')",
    ]


def test_an_empty_session_is_an_error():
    assert problems_of("---\ntitle: T\n---\n\n\n") == [
        "1: the session is empty: write its content (or delete the file)"
    ]


def test_a_chunk_in_an_undeclared_language_names_the_declared_ones():
    (problem,) = problems_of("```{julia}\nx = 1\n```\n")
    assert problem == (
        "1: chunk in language 'julia', which the course does not declare "
        "(multicode.languages in _quarto.yml: python, r)"
    )


def test_fenced_code_inside_a_longer_fence_is_not_a_chunk():
    text = "````markdown\n```{python}\nx = 1\n```\n````\n"
    src = source.parse(text, "s.qmd", LANGS)
    assert src.chunks == []
    assert src.markdown == text


def test_the_hash_is_of_the_bytes_and_the_text_is_kept():
    text = "Text é.\n\n```{r}\nx <- 1\n```\n"
    src = source.parse(text, "s.qmd", LANGS)
    import hashlib

    assert src.sha1 == hashlib.sha1(text.encode("utf-8")).hexdigest()
    assert src.text == text
    assert src.languages(LANGS) == ("r",)


def test_load_collects_problems_without_raising(tmp_path):
    path = tmp_path / "s.qmd"
    path.write_text("::: a\n```{python}\n#| label: x\n1\n```\n```{python}\n#| label: x\n2\n```\n")
    src = source.load(path, LANGS, "sessions/s.qmd")
    assert [(p.path, p.line) for p in src.problems] == [
        ("sessions/s.qmd", 6),
        ("sessions/s.qmd", 1),
    ]
    assert src.fatal  # the unclosed div
    assert [c.id for c in src.chunks] == ["x", "x-2"]
    with pytest.raises(BuildError, match="duplicate chunk label 'x'"):
        source.read(path, LANGS, "sessions/s.qmd")


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "s.qmd"
    path.write_bytes(b"One.\nTwo \xe9.\n")
    src = source.load(path, LANGS, "sessions/s.qmd")
    assert src.fatal
    assert [str(p) for p in src.problems] == [
        "sessions/s.qmd:2: not UTF-8 text (byte 0xe9); save the file with UTF-8 encoding"
    ]
    assert src.files == {"sessions/s.qmd": b"One.\nTwo \xe9.\n"}


# --------------------------------------------------------------------------- chunks


def test_cell_id_is_the_label_else_the_hash_of_the_code():
    assert chunks.cell_id("python", "x = 1", "load-data") == "load-data"
    unlabelled = chunks.cell_id("python", "x = 1  \n")
    assert unlabelled == chunks.cell_id("python", "x = 1")  # trailing white space ignored
    assert unlabelled.startswith("python-")
    assert len(unlabelled) == len("python-") + 10
    assert chunks.cell_id("python", "x = 1", "2 bad") == unlabelled  # not a valid id: hashed


def test_repeated_code_gets_numbered_ids_in_order():
    seen: dict[str, int] = {}
    made = [Chunk("python", n, "x = 1") for n in (1, 5, 9)]
    for c in made:
        chunks.give_id(c, seen)
    base = chunks.cell_id("python", "x = 1")
    assert [c.id for c in made] == [base, f"{base}-2", f"{base}-3"]


def test_a_fence_closes_only_with_as_many_marks_or_more():
    raw = ["````{python}", "```", "x", "`````", "after"]
    assert chunks.fence_end(raw, 0, "````") == 3
    assert chunks.fence_end(["~~~", "x"], 0, "~~~") == 1  # never closed: the last line


def test_options_become_attributes_and_leave_the_code():
    text = "```{python}\n#| label: fit\n#| eval: false\n#| fig-cap: 'A \"b\"'\nfit()\n```\n"
    src = source.parse(text, "s.qmd", LANGS)
    (chunk,) = src.chunks
    assert chunk.options == {"label": "fit", "eval": False, "fig-cap": 'A "b"'}
    assert chunk.code == "fit()"
    first = src.markdown.splitlines()[0]
    assert first == (
        '``` {#fit .python .cell data-source-line="1" label="fit" eval="false" fig-cap=\'A "b"\'}'
    )


def test_list_and_mapping_options_are_written_as_json():
    chunk = Chunk("r", 3, "x", {"fig-cap": ["a", "b"], "n": {"k": 1}}, "other.qmd", "c1")
    assert chunks.attributes(chunk, "s.qmd") == (
        '{#c1 .r .cell data-source-line="3" data-source-file="other.qmd" '
        'fig-cap=\'["a", "b"]\' n=\'{"k": 1}\'}'
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("#| label: a: b\n", "2: chunk options are not valid YAML: mapping values"),
        ("#| just text\n", "2: chunk options must be '#| key: value' lines"),
        ("#| label: 1-bad\n", "2: chunk label '1-bad' must start with a letter"),
    ],
)
def test_bad_chunk_options_are_reported_at_their_line(options, expected):
    (problem,) = problems_of(f"```{{python}}\n{options}x = 1\n```\n")
    assert problem.startswith(expected), problem


def test_options_are_checked_against_the_schemas_given():
    schemas = {"eval": {"boolean": True}, "fig-width": {"number": True}}
    problems: list[Problem] = []
    text = "```{python}\n#| eval: flase\n#| fig.width: 3\n#| fig-widht: 3\nx\n```"
    raw = lines(text)
    info = chunks.CHUNK_INFO.match("{python}")
    chunk = chunks.chunk(raw, 0, 5, info, LANGS, problems, schemas)
    assert chunk is not None
    assert [(p.line, p.warning, p.message[:40]) for p in problems] == [
        (2, False, "chunk option 'eval: flase' is not valid:"),
        (4, True, "chunk option 'fig-widht' is not one of Q"),
    ]  # fig.width: knitr's own, dotted: not reported


# --------------------------------------------------------------------------- includes


def test_includes_are_expanded_in_place_keeping_each_lines_file(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "_a.qmd").write_text("A1\n{{< include ../_b.qmd >}}\nA3\n")
    (tmp_path / "_b.qmd").write_text("B1\n")
    main = tmp_path / "s.qmd"
    main.write_text("S1\n{{< include parts/_a.qmd >}}\nS3\n")
    problems: list[Problem] = []
    files: dict[str, bytes] = {}
    text = includes.decode(main, "sessions/s.qmd", problems, files)
    out = includes.expand_includes(text, main, "sessions/s.qmd", problems, files, ())
    assert problems == []
    assert [(x.text, x.file, x.line) for x in out] == [
        ("S1", "sessions/s.qmd", 1),
        ("A1", "sessions/parts/_a.qmd", 1),
        ("B1", "sessions/_b.qmd", 1),
        ("A3", "sessions/parts/_a.qmd", 3),
        ("S3", "sessions/s.qmd", 3),
    ]
    assert sorted(files) == ["sessions/_b.qmd", "sessions/parts/_a.qmd", "sessions/s.qmd"]


def test_an_include_inside_a_code_block_is_code(tmp_path):
    main = tmp_path / "s.qmd"
    text = "```\n{{< include nowhere.qmd >}}\n```\n"
    problems: list[Problem] = []
    out = includes.expand_includes(text, main, "s.qmd", problems, {}, ())
    assert problems == []
    assert [x.text for x in out] == text.splitlines()


def test_a_missing_or_circular_include_is_a_problem_at_its_line(tmp_path):
    (tmp_path / "_loop.qmd").write_text("L1\n{{< include s.qmd >}}\n")
    main = tmp_path / "s.qmd"
    main.write_text("{{< include _gone.qmd >}}\n{{< include _loop.qmd >}}\n")
    src = source.load(main, LANGS, "s.qmd")
    assert [str(p) for p in src.problems] == [
        "s.qmd:1: included file '_gone.qmd' not found (the path is relative to this file)",
        "_loop.qmd:2: 's.qmd' includes itself",
    ]


def test_an_included_file_changes_the_inputs_hash(tmp_path):
    (tmp_path / "_p.qmd").write_text("One.\n")
    main = tmp_path / "s.qmd"
    main.write_text("{{< include _p.qmd >}}\n")
    before = source.load(main, LANGS, "s.qmd")
    (tmp_path / "_p.qmd").write_text("Two.\n")
    after = source.load(main, LANGS, "s.qmd")
    assert before.sha1 == after.sha1  # the session's own bytes
    assert before.files_sha1 != after.files_sha1


# --------------------------------------------------------------------------- prose


def expand(text: str, meta=None, variables=None, config=None, path=Path("s.qmd")):
    problems: list[Problem] = []
    out = prose.expand(Line(text, "s.qmd", 4), meta or {}, (variables or {}, config or {}),
                       path, problems)  # fmt: skip
    return out, [(p.line, p.warning, p.message) for p in problems]


def test_var_and_meta_shortcodes_are_expanded():
    out, problems = expand(
        "{{< var module.code >}} by {{< meta author >}}, {{< meta course.year >}}",
        meta={"author": "Ann"},
        variables={"module": {"code": "QM101"}},
        config={"course": {"year": 2026}, "author": "not this"},
    )
    assert (out, problems) == ("QM101 by Ann, 2026", [])


def test_shortcode_values_that_are_not_text_are_written_out():
    out, _ = expand("{{< var a >}} {{< var b >}}", variables={"a": True, "b": [1, 2]})
    assert out == "true [1, 2]"


def test_an_unknown_key_is_an_error_and_an_unknown_shortcode_a_warning():
    out, problems = expand("{{< var nope >}} {{< video x.mp4 >}}")
    assert out == "{{< var nope >}} {{< video x.mp4 >}}"
    assert problems == [
        (4, False, "'{{< var nope >}}': no 'nope' in _variables.yml"),
        (4, True, "shortcode 'video' is not expanded in notebooks (the build expands 'include', "
                  "'var' and 'meta'); its text is left as written"),
    ]  # fmt: skip


def test_an_escaped_shortcode_is_written_out_not_expanded():
    out, problems = expand("Write {{{< var x >}}} to get it.", variables={"x": "1"})
    assert (out, problems) == ("Write {{< var x >}} to get it.", [])


def test_without_a_configuration_shortcodes_are_left_alone():
    problems: list[Problem] = []
    text = "{{< var x >}}"
    assert prose.expand(Line(text, "s.qmd", 1), {}, None, Path("s.qmd"), problems) == text
    assert problems == []


def test_a_missing_image_shows_its_description_and_an_existing_one_stays(tmp_path):
    (tmp_path / "here.png").write_bytes(b"png")
    path = tmp_path / "s.qmd"
    out, problems = expand("![Here](here.png) ![Gone](gone.png){width=3} ![](gone.png)",
                           path=path)  # fmt: skip
    assert out == "![Here](here.png) [Gone]{.image-missing} "
    assert [p[:2] for p in problems] == [(4, True), (4, True)]
    assert problems[0][2].startswith("image 'gone.png' not found")


def test_remote_and_anchored_images_are_not_looked_for():
    text = "![a](https://x.org/a.png) ![b](/abs.png) ![c](data:image/png;base64,AA==)"
    assert expand(text) == (text, [])


def test_missing_image_warnings_are_grouped_per_file_and_image():
    warn = "image 'a.png' not found"
    found = prose.group_missing_images([
        Problem("s.qmd", 3, warn, True),
        Problem("s.qmd", 4, "other", False),
        Problem("s.qmd", 9, warn, True),
        Problem("t.qmd", 2, warn, True),
        Problem("s.qmd", 12, warn, True),
    ])  # fmt: skip
    assert [str(p) for p in found] == [
        f"s.qmd:3: warning: {warn} (also at lines 9, 12)",
        "s.qmd:4: other",
        f"t.qmd:2: warning: {warn}",
    ]


# --------------------------------------------------------------------------- exercises

QNA = """::: qna
#### Question
Store it as `icc`.
#### Answer
```{{python}}
{python}
```
```{{r}}
{r}
```
#### Check
```yaml
{checks}
```
:::
"""


def exercise_text(checks: str, python: str = "icc = 0.5", r: str = "icc <- 0.5") -> str:
    return QNA.format(checks=checks, python=python, r=r)


def test_a_check_tab_becomes_an_exercise_and_a_placeholder():
    text = exercise_text('icc: {number: 0.01, hint: "the share", r: {number: 0.02}}')
    src = source.parse(text, "s.qmd", LANGS)
    (ex,) = src.exercises
    assert (ex.id, ex.number, ex.file, ex.line) == ("exercise-1", 1, "s.qmd", 12)
    assert ex.checks == {
        "icc": {"python": {"number": 0.01, "hint": "the share"},
                "r": {"number": 0.02, "hint": "the share"}},
    }  # fmt: skip
    assert '``` {#exercise-1 .exercise-check data-source-line="12"}' in src.markdown


def test_exercises_are_numbered_by_their_qna_block():
    plain = "::: qna\n#### Question\nQ\n#### Answer\nA.\n:::\n\n"
    src = source.parse(plain + exercise_text("icc: {number: 0.1}"), "s.qmd", LANGS)
    assert [e.id for e in src.exercises] == ["exercise-2"]


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ("icc: {number: 0}", "check 'icc': the tolerance of number must be a number above 0"),
        ("icc: {numbr: 0.1}", "check 'icc': "),
        ("2icc: {number: 0.1}", "'2icc' cannot be a variable in Python and R"),
        ("icc: [", "the checks are not valid YAML"),
        ("- icc", "the checks must be 'name: spec' lines"),
        ("m: {number: 0.1}", "check 'm': no python chunk of the Answer tab defines 'm'"),
    ],
)
def test_a_bad_check_names_its_line_and_says_what_is_wrong(checks, message):
    found = problems_of(exercise_text(checks))
    assert found, checks
    assert found[0].startswith(f"13: {message}"), found


def test_a_check_is_defined_only_by_an_assignment_in_each_language():
    for python, r in (("icc == 0.5", "icc <- 0.5"), ("icc = 0.5", "print(icc)")):
        (problem,) = problems_of(exercise_text("icc: {number: 0.1}", python, r))
        assert "no " in problem
        assert "defines 'icc'" in problem
    ok = exercise_text("icc: {number: 0.1}", "a, icc = 1, 2", "0.5 -> icc")
    assert source.parse(ok, "s.qmd", LANGS).exercises[0].checks


@pytest.mark.parametrize(
    ("code", "lang", "assigns"),
    [
        ("icc = 1", "python", True),
        ("(a, icc) = 1, 2", "python", True),
        ("icc: float = 1", "python", True),
        ("icc == 1", "python", False),
        ("x.icc = 1", "python", False),
        ("icc <- 1", "r", True),
        ("icc <<- 1", "r", True),
        ("1 -> icc", "r", True),
        ('assign("icc", 1)', "r", True),
        ("if (TRUE) { icc = 1 }", "r", True),
        ("icc == 1", "r", False),
    ],
)
def test_what_counts_as_defining_a_name(code, lang, assigns):
    assert exercises._assigns(code, "icc", lang) is assigns


def test_a_check_tab_takes_one_yaml_block():
    two = exercise_text("icc: {number: 0.1}").replace(
        ":::\n", "```yaml\nicc: {number: 0.2}\n```\n:::\n"
    )
    assert problems_of(two) == [
        "15: a second block of checks in one exercise: write every check in one ```yaml block"
    ]
    other = exercise_text("icc: {number: 0.1}").replace("```yaml", "```json")
    assert problems_of(other)[0].startswith("12: a Check tab holds one ```yaml block")
