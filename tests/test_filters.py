"""Tests of the Lua filters: multicode, qna and the notebook cells filter.

Fixtures in ``tests/filters/`` are in the preprocessed form the notebook
build feeds pandoc (chunks as ``{.python .cell data-source-line=...}``,
divs with ``data-source-line``), run with plain pandoc 3 in the order
`_quarto.yml` declares (the notebook build's pipeline: without Quarto a
block becomes its tabs under headers). Golden files sit beside them as
``<fixture>.<case>.<ext>``; regenerate with ``UPDATE_GOLDEN=1 pytest`` and
review the diff. The tabsets the site's pages get are checked through
Quarto's own Lua chain (``coursebuild.site``) on the same fixtures; those
tests need Quarto's resources (the ``quarto_share`` fixture skips without).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pypandoc
import pytest
import yaml
from htmltree import Node, parse_html

from coursebuild import site
from coursebuild.config import CourseConfig
from coursebuild.course import Course

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "filters"
ERRORS = FIXTURES / "errors"

QNA = ROOT / "_extensions" / "qna" / "qna.lua"
MULTICODE = ROOT / "_extensions" / "multicode" / "multicode.lua"
CELLS = ROOT / "filters" / "cells.lua"
# The order the build and the site run them: `_quarto.yml`'s filters: list
# (then filters/cells.lua for notebooks), read from there, never restated.
NOTEBOOK_FILTERS = tuple(ROOT / f for f in CourseConfig.load(ROOT).filters)
SITE_FILTERS = tuple(f for f in NOTEBOOK_FILTERS if f != CELLS)

pytestmark = pytest.mark.usefixtures("pandoc")  # every test runs the filters in pandoc

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pandoc(
    fixture: Path,
    filters,
    to: str,
    *,
    keep: str | None = None,
    source: str | None = "sessions/demo.qmd",
    metadata_file: Path = FIXTURES / "course.yml",
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run pandoc 3 the way the notebook build does."""
    pandoc_path = pypandoc.get_pandoc_path()  # here, not at import: a probe of the machine
    args = [
        pandoc_path,
        str(fixture),
        "-f",
        "markdown",
        "-t",
        to,
        "--metadata-file",
        str(metadata_file),
    ]
    if source:
        args += ["-M", f"source-file={source}"]
    if keep:
        args += ["-M", f"multicode-keep={keep}"]
    for lua in filters:
        args += ["--lua-filter", str(lua)]
    result = subprocess.run(
        args,
        capture_output=True,
        text=True,
        cwd=FIXTURES,
        env={**os.environ, **(env or {})},
        timeout=60,
    )
    if check and result.returncode != 0:
        pytest.fail(f"pandoc failed ({result.returncode}):\n{result.stderr}")
    return result


def notebook(text: str) -> dict:
    """Parse ipynb output, with pandoc's random cell ids made stable."""
    nb = json.loads(text)
    for cell in nb["cells"]:
        if UUID.fullmatch(cell.get("id", "")):
            cell["id"] = "RANDOM"
    return nb


def cell_sources(nb: dict, cell_type: str) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == cell_type]


def tabsets(html: str, cls: str) -> list[Node]:
    return parse_html(html).find_all("div", cls)


def tab_links(tabset: Node) -> list[Node]:
    """Return the tabs of a Quarto tabset: its nav's ``a[role=tab]``, in order."""
    nav = next(c for c in tabset.elements if c.tag == "ul")
    return nav.find_all("a", role="tab")


def tab_panes(tabset: Node) -> list[Node]:
    content = next(c for c in tabset.elements if "tab-content" in c.classes)
    return [c for c in content.elements if "tab-pane" in c.classes]


def quarto(fixture: Path, tmp_path: Path, metadata_file: Path = FIXTURES / "course.yml") -> str:
    """Render the fixture to HTML through Quarto's own reader and Lua chain.

    That is main.lua with the project's filters at pre-quarto, as coursebuild.site runs
    them. Needs Quarto's resources: a test calling it takes the ``quarto_share`` fixture.
    """
    meta = yaml.safe_load(metadata_file.read_text(encoding="utf-8"))
    markdown = fixture.read_text(encoding="utf-8")
    share = site.share_path(ROOT)
    tmp_path.mkdir(parents=True, exist_ok=True)
    return site.lua_step(Course.load(ROOT), markdown, fixture, meta, share, "markdown", tmp_path)


def quarto_tabsets(html: str, cls: str) -> list[Node]:
    return [d for d in tabsets(html, cls) if "panel-tabset" in d.classes]


# ---------------------------------------------------------------- golden files

GOLDEN = [
    # (fixture, case, filters, to, keep)
    ("multicode.md", "keep-python", (MULTICODE,), "native", "python"),
    ("multicode.md", "keep-r", (MULTICODE,), "native", "r"),
    ("multicode.md", "fallback", (MULTICODE,), "latex", None),
    ("qna.md", "notebook-python", NOTEBOOK_FILTERS, "ipynb", "python"),
    ("qna.md", "pdf", SITE_FILTERS, "latex", None),
    ("cells.md", "notebook-python", NOTEBOOK_FILTERS, "ipynb", "python"),
    ("cells.md", "notebook-r", NOTEBOOK_FILTERS, "ipynb", "r"),
]


@pytest.mark.parametrize(
    ("fixture", "case", "filters", "to", "keep"),
    GOLDEN,
    ids=[f"{g[0]}-{g[1]}" for g in GOLDEN],
)
def test_golden(fixture, case, filters, to, keep):
    result = pandoc(FIXTURES / fixture, filters, to, keep=keep)
    ext = {"native": "native", "html": "html", "latex": "tex", "ipynb": "ipynb"}[to]
    golden = FIXTURES / f"{Path(fixture).stem}.{case}.{ext}"
    output = result.stdout
    if to == "ipynb":
        output = json.dumps(notebook(output), indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not golden.exists():
        golden.write_text(output, encoding="utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {golden.name} was missing: written, review and commit it")
    assert output == golden.read_text(encoding="utf-8")


# ---------------------------------------------------------------- multicode


def test_keep_replaces_div_by_that_language_without_header():
    out = pandoc(FIXTURES / "multicode.md", (MULTICODE,), "markdown", keep="r").stdout
    assert 'df <- read.csv("schools.csv")' in out
    assert "summary(df)" in out
    assert "pandas" not in out
    assert "df.describe" not in out
    assert "#### R" not in out
    assert "### r" not in out
    assert "Python" not in out
    assert "A note for R users." in out
    assert "multicode" not in out


def test_keep_drops_div_without_that_language():
    out = pandoc(FIXTURES / "overrides.md", (MULTICODE,), "native", keep="r").stdout
    assert "python_only" not in out
    assert "r_first" in out
    assert "python_second" not in out


def test_plain_pandoc_html_shows_every_tab_under_a_header_and_adds_no_script():
    """Outside Quarto there are no tabsets: no page uses that output, so it is the fallback."""
    html = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html").stdout
    assert "<script" not in html
    assert "panel-tabset" not in html
    doc = parse_html(html)
    assert [h.words() for h in doc.find_all("h4")] == ["Question", "Answer", "question"]
    assert [h.words() for h in doc.find_all("h5")] == ["Python", "R"]  # the nested multicode
    plain = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "latex").stdout
    assert "<script>" not in plain


def test_site_ids_unique(tmp_path, quarto_share):
    html = quarto(FIXTURES / "qna.md", tmp_path)
    ids = [e.attrs["id"] for e in parse_html(html).iter() if e.attrs.get("id")]
    assert len(ids) == len(set(ids))


def test_output_is_deterministic(tmp_path, quarto_share):
    runs = {quarto(FIXTURES / "qna.md", tmp_path / str(i)) for i in range(3)}
    assert len(runs) == 1


def test_div_overrides_languages_default_group(tmp_path, quarto_share):
    html = quarto(FIXTURES / "overrides.md", tmp_path)
    first, second = quarto_tabsets(html, "multicode")
    assert [a.words() for a in tab_links(first)] == ["Python"]
    assert [a.words() for a in tab_links(second)] == ["R", "Python"]
    assert second.attrs["data-group"] == "other"
    assert [a.attrs["aria-selected"] for a in tab_links(second)] == ["true", "false"]


def test_fallback_for_other_formats_shows_every_tab_under_a_header():
    tex = pandoc(FIXTURES / "multicode.md", (MULTICODE,), "latex").stdout
    headers = re.findall(r"\\(paragraph|subsubsection)\*\{(\w+)\}", tex)
    assert headers == [
        ("paragraph", "Python"),
        ("paragraph", "R"),
        ("subsubsection", "Python"),
        ("subsubsection", "R"),
    ]


def test_real_course_configuration_is_accepted():
    result = pandoc(
        FIXTURES / "multicode.md",
        NOTEBOOK_FILTERS,
        "ipynb",
        keep="python",
        metadata_file=ROOT / "_quarto.yml",
    )
    assert "df.describe()" in result.stdout


def test_labels_from_metadata(tmp_path, quarto_share):
    config = tmp_path / "course.yml"
    config.write_text(
        "multicode:\n  languages: [r, python]\n  default: r\n"
        "  labels: {python: 'Python 3', r: 'GNU R'}\n  group: lang\n"
    )
    fixture = tmp_path / "labels.md"
    fixture.write_text(
        "::: multicode\n#### gnu r\n\n```r\nx <- 1\n```\n\n"
        "#### Python 3\n\n```python\nx = 1\n```\n:::\n"
    )
    html = quarto(fixture, tmp_path, metadata_file=config)
    (tabset,) = quarto_tabsets(html, "multicode")
    assert [a.words() for a in tab_links(tabset)] == ["GNU R", "Python 3"]
    assert tabset.attrs["data-group"] == "lang"


# ---------------------------------------------------------------- qna


def test_qna_ipynb_question_and_override_both():
    nb = notebook(pandoc(FIXTURES / "qna.md", NOTEBOOK_FILTERS, "ipynb", keep="python").stdout)
    text = "\n".join(cell_sources(nb, "markdown"))
    assert "What is `x` after the example?" in text
    assert "One." not in text
    assert "print(x)" not in json.dumps(nb)  # the answer's code goes with it
    # second block: ipynb="both" beats show="question"
    assert "Name two languages." in text
    assert "Python and R." in text
    assert text.index("#### question") < text.index("#### ANSWER")


def test_qna_latex_answer():
    tex = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "latex").stdout
    assert "One." in tex  # pdf keeps its default
    assert "after the example" not in tex
    assert "\\paragraph{Answer}" in tex
    assert "Name two languages." in tex
    assert "Python and R." not in tex


def test_qna_div_overrides():
    html = pandoc(FIXTURES / "overrides.md", SITE_FILTERS, "html").stdout
    assert "A1." in html  # html="answer"
    assert "Q1?" not in html
    assert "A2." in html  # show="answer"
    assert "Q2?" not in html
    assert not tabsets(html, "qna")
    tex = pandoc(FIXTURES / "overrides.md", SITE_FILTERS, "latex").stdout
    assert "Q1?" in tex  # pdf="both"
    assert "A1." in tex
    assert "Q2?" not in tex
    assert "A2." in tex


def test_qna_targets_from_metadata(tmp_path):
    config = tmp_path / "course.yml"
    config.write_text(
        "multicode: {languages: [python, r]}\nqna:\n  targets: {html: question, ipynb: answer}\n"
    )
    html = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html", metadata_file=config).stdout
    assert "after the example" in html
    assert "One." not in html
    assert not tabsets(html, "qna")
    tex = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "latex", metadata_file=config).stdout
    assert "One." in tex
    assert "after the example" not in tex


def test_qna_bad_target_in_metadata(tmp_path):
    config = tmp_path / "course.yml"
    config.write_text("multicode: {languages: [python, r]}\nqna:\n  targets: {html: everything}\n")
    result = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html", metadata_file=config, check=False)
    assert result.returncode != 0
    assert (
        'sessions/demo.qmd: [qna] metadata qna.targets.html is "everything", '
        "expected question, answer or both" in result.stderr
    )


# ---------------------------------------------------------------- cells


def test_cells_mapping_python():
    nb = notebook(pandoc(FIXTURES / "cells.md", NOTEBOOK_FILTERS, "ipynb", keep="python").stdout)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in code]
    assert sources == ["import numpy as np", "model = fit()", "print(model)"]
    assert [c["id"] for c in code] == ["setup", "fit", "python-fa21060a8e"]  # the #id given
    assert code[0]["metadata"] == {"tags": ["setup"]}  # include: false
    assert code[1]["metadata"] == {}  # echo and fig-cap are not copied
    markdown = "\n".join(cell_sources(nb, "markdown"))
    assert "``` python\nmodel = slow_fit()\n```" in markdown  # eval: false
    assert "library(lme4)" not in json.dumps(nb)


def test_cells_mapping_r():
    nb = notebook(pandoc(FIXTURES / "cells.md", NOTEBOOK_FILTERS, "ipynb", keep="r").stdout)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["source"]) for c in code] == ["library(lme4)", "print(model)"]
    assert code[0]["id"] == "setup-r"
    assert code[0]["metadata"] == {"tags": ["setup"]}
    assert "numpy" not in json.dumps(nb)


def test_cells_after_multicode_keep():
    result = pandoc(FIXTURES / "multicode.md", NOTEBOOK_FILTERS, "ipynb", keep="python")
    nb = notebook(result.stdout)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["id"] for c in code] == ["load-py", "python-f40a5cb4c2"]
    assert code[1]["metadata"] == {"tags": ["setup"]}
    assert "read.csv" not in json.dumps(nb)


def test_cells_warns_about_cell_nested_in_div():
    result = pandoc(FIXTURES / "cells.md", NOTEBOOK_FILTERS, "ipynb", keep="python")
    assert "demo.qmd:31: [cells] code cell inside div .callout-note" in result.stderr


def test_cells_needs_keep():
    result = pandoc(FIXTURES / "cells.md", (CELLS,), "ipynb", check=False)
    assert result.returncode != 0
    assert "sessions/demo.qmd: [cells] metadata multicode-keep is not set" in result.stderr


# ---------------------------------------------------------------- error paths

ERROR_CASES = [
    (
        "missing-language.md",
        'sessions/demo.qmd:10: [multicode] no tab for language "r", '
        "expected one tab per declared language: python (Python), r (R)",
    ),
    (
        "language-twice.md",
        'sessions/demo.qmd:20: [multicode] language "python" has two tabs, '
        "expected exactly one tab per language",
    ),
    (
        "unknown-language.md",
        'sessions/demo.qmd:30: [multicode] unknown language "Julia" in a tab header, '
        "expected one of the declared languages: python (Python), r (R)",
    ),
    (
        "tab-without-code.md",
        'sessions/demo.qmd:40: [multicode] tab "R" has no code block, '
        "expected at least one code block in every tab",
    ),
    (
        "content-before-tab.md",
        "sessions/demo.qmd:50: [multicode] content before the first tab header (Para), "
        'expected the block to start with a tab header such as "#### Python"',
    ),
    (
        "no-line.md",
        'sessions/demo.qmd: [multicode] multicode block 2: no tab for language "r"',
    ),
    (
        "bad-default.md",
        'sessions/demo.qmd:90: [multicode] default="julia" is not a language of this block, '
        "expected one of: python, r",
    ),
    (
        "qna-missing-question.md",
        "sessions/demo.qmd:60: [qna] no Question tab, expected a Question tab and an Answer tab",
    ),
    (
        "qna-unknown-tab.md",
        'sessions/demo.qmd:70: [qna] unknown tab "Hint", '
        'expected "Question" and "Answer" tabs (and an optional "Check" tab)',
    ),
    (
        "qna-bad-show.md",
        'sessions/demo.qmd:80: [qna] show is "sometimes", expected question, answer or both',
    ),
]


@pytest.mark.parametrize(("fixture", "message"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
@pytest.mark.parametrize("keep", [None, "python"], ids=["site", "notebook"])
def test_error_paths(fixture, message, keep):
    filters = NOTEBOOK_FILTERS if keep else SITE_FILTERS
    result = pandoc(ERRORS / fixture, filters, "ipynb" if keep else "html", keep=keep, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def test_error_names_input_file_without_source_file_metadata():
    result = pandoc(ERRORS / "missing-language.md", SITE_FILTERS, "html", source=None, check=False)
    assert result.returncode != 0
    assert f"{ERRORS / 'missing-language.md'}:10: [multicode]" in result.stderr


def test_keep_must_be_declared():
    result = pandoc(FIXTURES / "multicode.md", (MULTICODE,), "native", keep="julia", check=False)
    assert result.returncode != 0
    assert (
        'sessions/demo.qmd: [multicode] multicode-keep is "julia", '
        "expected one of the declared languages: python, r" in result.stderr
    )


# ---------------------------------------------------------------- under Quarto


def test_quarto_tabsets_with_group_and_active_tab(tmp_path, quarto_share):
    """Multicode's quarto.Tabset as Quarto renders it: one group, the default tab active.

    One tabset per div with the declared languages, each tab controlling its pane.
    """
    sets = quarto_tabsets(quarto(FIXTURES / "multicode.md", tmp_path), "multicode")
    assert len(sets) == 2
    selected = []
    for ts in sets:
        assert ts.attrs["data-group"] == "language"
        links = tab_links(ts)
        assert [a.words() for a in links] == ["Python", "R"]
        selected.append([a.attrs["aria-selected"] for a in links])
        panes = tab_panes(ts)
        assert [p.attrs["role"] for p in panes] == ["tabpanel", "tabpanel"]
        for link, pane in zip(links, panes, strict=True):
            assert link.attrs["aria-controls"] == pane.attrs["id"]
            assert pane.attrs["aria-labelledby"] == link.attrs["id"]
            assert ("active" in pane.classes) == (link.attrs["aria-selected"] == "true")
        assert not ts.find_all("h4")  # the tab headers became tabs
        assert not ts.find_all("h3")
    assert selected == [["true", "false"], ["false", "true"]]  # second block: default="r"


def test_quarto_qna_tabset(tmp_path, quarto_share):
    """Question and Answer tabs, no group; a multicode block in the answer stays a tabset."""
    html = quarto(FIXTURES / "qna.md", tmp_path)
    (qna,) = quarto_tabsets(html, "qna")  # the second qna says show="question"
    assert "data-group" not in qna.attrs
    tabs = [a.words() for a in qna.find_all("a", role="tab") if "multicode" not in a.text()]
    assert tabs[:2] == ["Question", "Answer"]
    assert [a.words() for a in tab_links(qna)] == ["Question", "Answer"]
    question, answer = tab_panes(qna)
    assert "after the example" in question.words()
    assert "One." in answer.words()
    nested = [d for d in answer.find_all("div", "multicode") if "panel-tabset" in d.classes]
    assert len(nested) == 1
    assert "Name two languages." in html
    assert "Python and R." not in html


def test_quarto_errors_name_the_input_file(tmp_path, quarto_share):
    fixture = ERRORS / "missing-language.md"
    with pytest.raises(site.SiteError, match=re.escape(f"{fixture}:10: [multicode]")):
        quarto(fixture, tmp_path)


def test_logos_beside_labels_with_alt_text(tmp_path, quarto_share):
    html = quarto(FIXTURES / "multicode.md", tmp_path / "logos")
    first = quarto_tabsets(html, "multicode")[0]
    images = [a.find_all("img") for a in tab_links(first)]
    assert [[i.attrs["alt"] for i in imgs] for imgs in images] == [["Python logo"], ["R logo"]]
    assert all(i.attrs["src"].startswith("data:image/svg+xml,") for imgs in images for i in imgs)
    config = tmp_path / "course.yml"
    config.write_text("multicode:\n  languages: [python, r]\n  logos: false\n")
    html = quarto(FIXTURES / "multicode.md", tmp_path / "none", metadata_file=config)
    assert "<img" not in html
    tex = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "latex").stdout
    assert "svg" not in tex


def test_qna_error_without_line(tmp_path):
    fixture = tmp_path / "qna.md"
    fixture.write_text("::: qna\n#### Question\n\nWhy?\n:::\n")
    result = pandoc(fixture, SITE_FILTERS, "html", check=False)
    assert result.returncode != 0
    assert "sessions/demo.qmd: [qna] qna block 1: no Answer tab" in result.stderr


def test_language_ids_and_choices_are_case_insensitive(tmp_path, quarto_share):
    config = tmp_path / "course.yml"
    config.write_text("multicode:\n  languages: [Python, R]\n  default: R\n")
    nb = notebook(
        pandoc(
            FIXTURES / "multicode.md",
            NOTEBOOK_FILTERS,
            "ipynb",
            keep="Python",
            metadata_file=config,
        ).stdout
    )
    code_ids = [c["id"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert code_ids == ["load-py", "python-f40a5cb4c2"]
    html = quarto(FIXTURES / "multicode.md", tmp_path / "site", metadata_file=config)
    assert [a.attrs["aria-selected"] for a in tab_links(quarto_tabsets(html, "multicode")[0])] == [
        "false",
        "true",
    ]
    fixture = tmp_path / "qna.md"
    fixture.write_text(
        "::: {.qna show=Answer}\n#### Question\n\nWhy?\n\n#### Answer\n\nBecause.\n:::\n"
    )
    html = pandoc(fixture, SITE_FILTERS, "html").stdout
    assert "Because." in html
    assert "Why?" not in html
