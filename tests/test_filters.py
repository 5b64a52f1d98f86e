"""Tests of the Lua filters: multicode, qna and the notebook cells filter.

Fixtures in ``tests/filters/`` are in the preprocessed form the notebook
build feeds pandoc (chunks as ``{.python .cell data-source-line=...}``,
divs with ``data-source-line``), run with plain pandoc 3 in the order
`_quarto.yml` declares (the notebook build's pipeline; ``html`` cases show
the extensions' own HTML outside Quarto). Golden files sit beside them as
``<fixture>.<case>.<ext>``; regenerate with ``UPDATE_GOLDEN=1 pytest`` and
review the diff. The Quarto cases run Quarto's own Lua chain
(``coursebuild.site``) on the same fixtures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pypandoc
import pytest
import yaml
from htmltree import Node, parse_html

from coursebuild import site
from coursebuild.filters import notebook_filters

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "filters"
ERRORS = FIXTURES / "errors"
PANDOC = pypandoc.get_pandoc_path()

QNA = ROOT / "_extensions" / "qna" / "qna.lua"
MULTICODE = ROOT / "_extensions" / "multicode" / "multicode.lua"
CELLS = ROOT / "filters" / "cells.lua"
# The order the build and the site run them: `_quarto.yml`'s filters: list
# (then filters/cells.lua for notebooks), read from there, never restated.
NOTEBOOK_FILTERS = tuple(ROOT / f for f in notebook_filters(ROOT))
SITE_FILTERS = tuple(f for f in NOTEBOOK_FILTERS if f != CELLS)

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
    args = [PANDOC, str(fixture), "-f", "markdown", "-t", to, "--metadata-file", str(metadata_file)]
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


def tab_buttons(tabset: Node) -> list[Node]:
    nav = next(c for c in tabset.elements if c.tag == "ul")
    return nav.find_all("button")


def tab_panes(tabset: Node) -> list[Node]:
    content = next(c for c in tabset.elements if "tab-content" in c.classes)
    return [c for c in content.elements if "tab-pane" in c.classes]


# ---------------------------------------------------------------- golden files

GOLDEN = [
    # (fixture, case, filters, to, keep)
    ("multicode.md", "keep-python", (MULTICODE,), "native", "python"),
    ("multicode.md", "keep-r", (MULTICODE,), "native", "r"),
    ("multicode.md", "pandoc-html", (MULTICODE,), "html", None),
    ("multicode.md", "fallback", (MULTICODE,), "latex", None),
    ("qna.md", "pandoc-html", SITE_FILTERS, "html", None),
    ("qna.md", "notebook-python", NOTEBOOK_FILTERS, "ipynb", "python"),
    ("qna.md", "pdf", SITE_FILTERS, "latex", None),
    ("cells.md", "notebook-python", NOTEBOOK_FILTERS, "ipynb", "python"),
    ("cells.md", "notebook-r", NOTEBOOK_FILTERS, "ipynb", "r"),
    ("overrides.md", "pandoc-html", SITE_FILTERS, "html", None),
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


def test_site_one_tabset_per_div_with_declared_languages_and_group():
    html = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "html").stdout
    sets = tabsets(html, "multicode")
    assert len(sets) == 2
    for tabset in sets:
        assert "panel-tabset" in tabset.classes
        assert tabset.attrs["data-group"] == "language"
        buttons = tab_buttons(tabset)
        assert [b.attrs["data-value"] for b in buttons] == ["python", "r"]
        assert [b.words() for b in buttons] == ["Python", "R"]
        assert all(b.attrs["role"] == "tab" for b in buttons)
        panes = tab_panes(tabset)
        assert [p.attrs["role"] for p in panes] == ["tabpanel", "tabpanel"]
        for button, pane in zip(buttons, panes, strict=True):
            assert button.attrs["aria-controls"] == pane.attrs["id"]
            assert pane.attrs["aria-labelledby"] == button.attrs["id"]
            selected = button.attrs["aria-selected"] == "true"
            assert ("active" in pane.classes) == selected
            assert ("hidden" in pane.attrs) != selected
        assert not tabset.find_all("h4")
        assert not tabset.find_all("h3")
    # default: python first div, div attribute default="r" on the second
    assert [b.attrs["aria-selected"] for b in tab_buttons(sets[0])] == ["true", "false"]
    assert [b.attrs["aria-selected"] for b in tab_buttons(sets[1])] == ["false", "true"]


def test_site_assets_added_once():
    html = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html").stdout
    assert html.count('id="mc-tabset-assets"') == 1
    assert html.count("<script>") == 1
    assert "localStorage" in html
    plain = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "latex").stdout
    assert "<script>" not in plain


def test_site_ids_unique():
    html = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html").stdout
    ids = [e.attrs["id"] for e in parse_html(html).iter() if e.attrs.get("id")]
    assert len(ids) == len(set(ids))


def test_output_is_deterministic():
    runs = {pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html").stdout for _ in range(5)}
    assert len(runs) == 1


def test_div_overrides_languages_default_group():
    html = pandoc(FIXTURES / "overrides.md", SITE_FILTERS, "html").stdout
    first, second = tabsets(html, "multicode")
    assert [b.attrs["data-value"] for b in tab_buttons(first)] == ["python"]
    assert [b.attrs["data-value"] for b in tab_buttons(second)] == ["r", "python"]
    assert second.attrs["data-group"] == "other"
    assert [b.attrs["aria-selected"] for b in tab_buttons(second)] == ["true", "false"]


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


def test_labels_from_metadata(tmp_path):
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
    html = pandoc(fixture, SITE_FILTERS, "html", metadata_file=config).stdout
    (tabset,) = tabsets(html, "multicode")
    assert [b.words() for b in tab_buttons(tabset)] == ["GNU R", "Python 3"]
    assert tabset.attrs["data-group"] == "lang"


# ---------------------------------------------------------------- qna


def test_qna_html_both_is_a_tabset_without_group():
    html = pandoc(FIXTURES / "qna.md", SITE_FILTERS, "html").stdout
    sets = tabsets(html, "qna")
    assert len(sets) == 1  # the second qna says show="question"
    (tabset,) = sets
    assert "data-group" not in tabset.attrs
    assert [b.words() for b in tab_buttons(tabset)] == ["Question", "Answer"]
    question, answer = tab_panes(tabset)
    assert "after the example" in question.words()
    assert "One." in answer.words()
    # the multicode div inside the answer became a nested tabset
    assert len(answer.find_all("div", "multicode")) == 1
    assert "Name two languages." in html
    assert "Python and R." not in html


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


def quarto(fixture: Path, tmp_path: Path, metadata_file: Path = FIXTURES / "course.yml") -> str:
    """Render the fixture to HTML through Quarto's own reader and Lua chain.

    That is main.lua with the project's filters at pre-quarto, as coursebuild.site runs them.
    """
    meta = yaml.safe_load(metadata_file.read_text(encoding="utf-8"))
    markdown = fixture.read_text(encoding="utf-8")
    share = site.share_path(ROOT)
    return site.lua_step(markdown, fixture, ROOT, meta, share, "markdown", tmp_path)


def quarto_tabsets(html: str, cls: str) -> list[Node]:
    return [d for d in tabsets(html, cls) if "panel-tabset" in d.classes]


def test_quarto_tabsets_with_group_and_active_tab(tmp_path):
    """Multicode's quarto.Tabset as Quarto renders it: one group, the default tab active."""
    sets = quarto_tabsets(quarto(FIXTURES / "multicode.md", tmp_path), "multicode")
    assert len(sets) == 2
    selected = []
    for ts in sets:
        assert ts.attrs["data-group"] == "language"
        links = [a for a in ts.find_all("a", role="tab")]
        assert [a.words() for a in links] == ["Python", "R"]
        selected.append([a.attrs["aria-selected"] for a in links])
    assert selected == [["true", "false"], ["false", "true"]]  # second block: default="r"


def test_quarto_qna_tabset(tmp_path):
    html = quarto(FIXTURES / "qna.md", tmp_path)
    (qna,) = quarto_tabsets(html, "qna")  # the second qna says show="question"
    assert "data-group" not in qna.attrs
    tabs = [a.words() for a in qna.find_all("a", role="tab") if "multicode" not in a.text()]
    assert tabs[:2] == ["Question", "Answer"]
    assert "Name two languages." in html
    assert "Python and R." not in html


def test_quarto_errors_name_the_input_file(tmp_path):
    fixture = ERRORS / "missing-language.md"
    with pytest.raises(site.SiteError, match=re.escape(f"{fixture}:10: [multicode]")):
        quarto(fixture, tmp_path)


def test_logos_beside_labels_with_alt_text(tmp_path):
    html = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "html").stdout
    first = tabsets(html, "multicode")[0]
    images = [b.find_all("img") for b in tab_buttons(first)]
    assert [[i.attrs["alt"] for i in imgs] for imgs in images] == [["Python logo"], ["R logo"]]
    assert all(i.attrs["src"].startswith("data:image/svg+xml,") for imgs in images for i in imgs)
    config = tmp_path / "course.yml"
    config.write_text("multicode:\n  languages: [python, r]\n  logos: false\n")
    html = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "html", metadata_file=config).stdout
    assert "<img" not in html
    tex = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "latex").stdout
    assert "svg" not in tex


def test_qna_error_without_line(tmp_path):
    fixture = tmp_path / "qna.md"
    fixture.write_text("::: qna\n#### Question\n\nWhy?\n:::\n")
    result = pandoc(fixture, SITE_FILTERS, "html", check=False)
    assert result.returncode != 0
    assert "sessions/demo.qmd: [qna] qna block 1: no Answer tab" in result.stderr


# ---------------------------------------------------------------- the tabset script

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(page: Path, profile: Path) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu"]
    args += [f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120).stdout


def selected(dom: str) -> list[str]:
    """data-value of the selected tab of each tabset, in page order."""
    return re.findall(r'aria-selected="true"[^>]*data-value="(\w+)"', dom)


@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless chromium")
def test_script_syncs_group_and_remembers_choice(tmp_path):
    html = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "html").stdout
    page = tmp_path / "page.html"
    page.write_text(html)
    assert selected(dump_dom(page, tmp_path / "profile")) == ["python", "r"]
    clicking = tmp_path / "click.html"
    clicking.write_text(
        html + '<script>document.getElementById("multicode-1-r-tab").click();</script>'
    )
    assert selected(dump_dom(clicking, tmp_path / "profile")) == ["r", "r"]
    # another page, same browser profile: the choice is remembered
    assert selected(dump_dom(page, tmp_path / "profile")) == ["r", "r"]
    keys = tmp_path / "keys.html"
    keys.write_text(
        html + "<script>document.getElementById('multicode-1-python-tab').dispatchEvent("
        "new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));</script>"
    )
    assert selected(dump_dom(keys, tmp_path / "fresh")) == ["r", "r"]


def test_language_ids_and_choices_are_case_insensitive(tmp_path):
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
    html = pandoc(FIXTURES / "multicode.md", SITE_FILTERS, "html", metadata_file=config).stdout
    assert [b.attrs["aria-selected"] for b in tab_buttons(tabsets(html, "multicode")[0])] == [
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
