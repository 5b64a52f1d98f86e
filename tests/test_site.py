"""The site's pages, rendered with Quarto's own render code, checked as readers get them.

Every page `_quarto.yml` renders (home, setup, instructors, each built
session) and a fixture session (tests/site/) go through `coursebuild.site`:
Quarto's knitr engine (its rmd/ scripts) and Quarto's Lua chain (main.lua,
the project's filters at pre-quarto) from Quarto's share folder. The pages
are checked for what Quarto's filters made of them (one grouped
`quarto.Tabset` per multicode block, every notebook output under its code),
then opened in headless Chromium from a loopback server: Quarto's
tabsets.js must switch every panel on one click and remember the choice
across a reload and another page, with no console error, no broken image,
and no serious or critical axe-core violation.

With `quarto` on PATH the whole site is also rendered by `quarto render`;
otherwise that test is skipped and says so. Tests that render a session page take
the ``page_render`` fixture (tests/conftest.py: Quarto's resources, R for knitr,
pandoc), other pages ``quarto_share`` and ``pandoc``: without them they are
skipped, saying how to get them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))

import harness  # noqa: E402

from coursebuild import site  # noqa: E402
from coursebuild.config import CourseConfig  # noqa: E402
from coursebuild.course import Course, session_paths  # noqa: E402

OUT = ROOT / "test-output" / "site"
FIXTURE = ROOT / "tests" / "site"
# Read at import: `_quarto.yml` and the file names only (no probe of the machine).
CONFIG = CourseConfig.load(ROOT).quarto
PAGES = site.site_pages(Course(ROOT, CourseConfig.load(ROOT)))
SESSIONS = [p for p in session_paths(ROOT) if any((ROOT / "notebooks").glob(f"*/{p.stem}.ipynb"))]
PAGES = [p for p in PAGES if p.parent.name != "sessions" or p in SESSIONS]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LABELS = CONFIG["multicode"]["labels"]
LANGUAGES = [str(x).lower() for x in CONFIG["multicode"]["languages"]]


def notebooks_of(root: Path, session: str) -> dict[str, list[dict]]:
    """Each language's notebooks of a session: the download, and the answers variant if any."""
    found: dict[str, list[dict]] = {}
    for lang in LANGUAGES:
        for name in (f"{session}.ipynb", f"{session}.answers.ipynb"):
            path = root / "notebooks" / lang / name
            if path.exists():
                found.setdefault(lang, []).append(json.loads(path.read_text("utf-8")))
    return found


def make_project(tmp: Path) -> Path:
    """Return a copy of the project's site parts with the fixture session and notebooks."""
    shutil.copy(ROOT / "_quarto.yml", tmp / "_quarto.yml")
    for name in ("_extensions", "assets"):
        shutil.copytree(ROOT / name, tmp / name)
    if (ROOT / "node_modules").exists():
        (tmp / "node_modules").symlink_to(ROOT / "node_modules")
    shutil.copytree(FIXTURE / "sessions", tmp / "sessions")
    shutil.copytree(FIXTURE / "notebooks", tmp / "notebooks")
    return tmp


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory, page_render) -> tuple[Path, Path, Path]:
    """(project, session, html) of the fixture session rendered once."""
    root = make_project(tmp_path_factory.mktemp("site"))
    qmd = root / "sessions" / "01-fixture.qmd"
    html = site.render_page(qmd, OUT / "fixture" / "sessions" / "01-fixture.html", root)
    return root, qmd, html


@pytest.fixture(scope="module")
def course() -> Course:
    """Read the course as the renderer does, once for the module."""
    return Course.load(ROOT)


@pytest.fixture(scope="module")
def pages(page_render, course) -> dict[Path, Path]:
    """Every page of the site (built sessions only), rendered once: {qmd: html}."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        htmls = pool.map(
            lambda q: site.render_page(q, site.output_path(q, ROOT, OUT), course), PAGES
        )
        return dict(zip(PAGES, htmls, strict=True))


# The renderer ----------------------------------------------------------------------


def test_fixture_notebooks_match_fixture_session():
    text = (FIXTURE / "sessions" / "01-fixture.qmd").read_bytes()
    for lang, (nb,) in notebooks_of(FIXTURE, "01-fixture").items():
        assert nb["metadata"]["coursebuild"]["source_sha1"] == hashlib.sha1(text).hexdigest(), (
            f"tests/site/notebooks/{lang}/01-fixture.ipynb is out of date: "
            "run .venv/bin/python tests/site/make_fixtures.py"
        )


def test_filters_run_at_the_stage_quarto_yml_gives_them(tmp_path, quarto_share, course):
    """Filters listed before `quarto` are pre-quarto entry points, in `_quarto.yml` order."""
    share = quarto_share
    params = site.filter_params(course, ROOT / "index.qmd", share, "markdown", tmp_path)
    chain = params["quarto-filters"]
    names = CONFIG["filters"]
    before = names[: names.index("quarto")]
    assert [Path(e["path"]).parent.name for e in chain["entryPoints"]] == before
    assert {e["at"] for e in chain["entryPoints"]} == {"pre-quarto"}
    assert chain["quartoFilters"] == [str(share / "filters" / "main.lua")]
    assert chain["afterQuartoFilters"] == []


def test_engine_is_chosen_like_quarto(course):
    assert site.engine_of(course.read(FIXTURE / "sessions" / "01-fixture.qmd")) == "knitr"
    assert site.engine_of(course.read(ROOT / "index.qmd")) == "markdown"


@pytest.mark.usefixtures("rscript")
def test_knitr_cell_shape(tmp_path, quarto_share, course):
    """Check what notebook-outputs relies on in Quarto's knitr output.

    Under Quarto's knitr (eval off) each shown chunk is one `.cell` div holding one
    ```{.<lang> .cell-code}``` block with the chunk's code (no `#|` lines, no label),
    and include: false chunks are gone.
    """
    qmd = FIXTURE / "sessions" / "01-fixture.qmd"
    page = course.read(qmd)
    meta = site.page_metadata(course, page)
    markdown = site.knit(page, meta, quarto_share, tmp_path)
    found = re.findall(
        r"^::: \{\.cell[^}]*\}\n\n```\{\.(\w+) \.cell-code\}\n(.*?)\n```\n:::$",
        markdown,
        re.M | re.S,
    )
    shown = [
        (c.lang, c.code.rstrip("\n")) for c in page.chunks if c.options.get("include") is not False
    ]
    assert found == shown
    assert markdown.count("::: {.cell") == len(shown)
    assert "#|" not in markdown


@pytest.mark.usefixtures("rscript")
def test_render_needs_no_python_or_reticulate(tmp_path, quarto_share, course):
    """Check that the knitr step never calls Python.

    A `python`/`python3` first on PATH would leave a mark; without the knitr option
    knitr does want reticulate.
    """
    page = course.read(FIXTURE / "sessions" / "01-fixture.qmd")
    meta = site.page_metadata(course, page)
    assert meta["knitr"]["opts_chunk"]["python.reticulate"] is False
    trap = tmp_path / "bin"
    trap.mkdir()
    for name in ("python", "python3"):
        (trap / name).write_text(f"#!/bin/sh\ntouch {tmp_path / 'python-called'}\nexit 1\n")
        (trap / name).chmod(0o755)
    env_path = os.environ["PATH"]
    os.environ["PATH"] = f"{trap}:/usr/bin:/bin"
    try:
        markdown = site.knit(page, meta, quarto_share, tmp_path)
    finally:
        os.environ["PATH"] = env_path
    assert "print(sum(values) / len(values))" in markdown
    assert not (tmp_path / "python-called").exists()
    result = subprocess.run(
        ["Rscript", "-e", "cat(requireNamespace('reticulate', quietly = TRUE))"],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.stdout.strip() == "FALSE":
        del meta["knitr"]  # and without the option, knitr does need reticulate
        with pytest.raises(site.SiteError, match="reticulate"):
            site.knit(page, meta, quarto_share, tmp_path)


def test_missing_share_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(site.SHARE_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(site.share, "ROOT", tmp_path / "checkout")  # no copy beside it either
    with pytest.raises(site.SiteError, match="Quarto's resources not found"):
        site.share_path(tmp_path)


# The fixture session -----------------------------------------------------------------


def test_fixture_page_structure(fixture_page):
    root, qmd, html = fixture_page
    problems = harness.check_page(html, qmd, notebooks_of(root, qmd.stem), CONFIG)
    assert problems == []


def test_fixture_page_details(fixture_page):
    """Things the generic checks take on trust, pinned on the fixture."""
    root, qmd, html = fixture_page
    doc = harness.parse_html(html.read_text("utf-8"))
    text = doc.text()
    assert "import math" not in text  # include: false
    assert "library(stats)" not in text
    assert 'install.packages("lme4")' in text  # eval: false: shown, no outputs
    errors = doc.find_all("div", "cell-output-error")
    assert len(errors) == 1
    assert "ZeroDivisionError: division by zero" in errors[0].text()
    assert "\x1b" not in text  # ANSI colours stripped
    # repeated code pairs with the notebook's cells in order
    (python,) = notebooks_of(root, qmd.stem)["python"]
    again = [c["id"] for c in python["cells"] if "".join(c["source"]) == 'print("again")']
    on_page = [
        d.attrs["data-cell-id"]
        for d in doc.find_all("div", "cell")
        if d.find_all("pre")[0].text().strip() == 'print("again")'
    ]
    assert len(again) == 2
    assert on_page == again
    # answers are on the page (targets.html: both) but not in the notebooks: no outputs there
    qna = doc.find_all("div", "qna")[0]
    answer = harness.panes_of(qna)[1]
    assert "2.5" in answer.text()
    assert not answer.find_all("div", "cell-output")


def test_multicode_blocks_are_quarto_tabsets(fixture_page):
    """Quarto's own tabset HTML (quarto.Tabset): Bootstrap tabs, Quarto's ids, one group."""
    doc = harness.parse_html(fixture_page[2].read_text("utf-8"))
    sets = [d for d in doc.find_all("div", "multicode") if "panel-tabset" in d.classes]
    assert len(sets) == 4  # three blocks and the one inside the answer
    for ts in sets:
        assert ts.attrs["data-group"] == CONFIG["multicode"]["group"]
        tabs = harness.tabs_of(ts)
        assert [t.words() for t in tabs] == [LABELS[lang] for lang in LANGUAGES]
        assert all(re.fullmatch(r"tabset-\d+-\d+-tab", t.attrs["id"]) for t in tabs)
        assert all(t.attrs["data-bs-toggle"] == "tab" for t in tabs)
        assert [t.attrs["aria-selected"] for t in tabs] == ["true", "false"]  # default: python
        assert not ts.find_all("h4")  # the tab headers became tabs


def test_stale_notebook_stops_the_render(tmp_path, page_render):
    root = make_project(tmp_path)
    qmd = root / "sessions" / "01-fixture.qmd"
    qmd.write_text(qmd.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    out = tmp_path / "out.html"
    with pytest.raises(
        site.SiteError,
        match=r"01-fixture: notebook notebooks/python/01-fixture"
        r"\.ipynb is out of date .*; run \./course build",
    ):
        site.render_page(qmd, out, root)
    assert not out.exists()


def test_missing_notebook_stops_the_render(tmp_path, page_render):
    root = make_project(tmp_path)
    (root / "notebooks" / "r" / "01-fixture.ipynb").unlink()
    with pytest.raises(
        site.SiteError,
        match=r"01-fixture: notebook notebooks/r/01-fixture"
        r"\.ipynb is missing; run \./course build",
    ):
        site.render_page(root / "sessions" / "01-fixture.qmd", tmp_path / "out.html", root)


def test_chunk_without_its_notebook_cell_is_reported(tmp_path, capsys, page_render):
    """Check a chunk whose code no notebook cell has (notebook edited by hand).

    It gets no outputs and a warning naming the session; the page check then fails.
    """
    root = make_project(tmp_path)
    path = root / "notebooks" / "python" / "01-fixture.ipynb"
    nb = json.loads(path.read_text("utf-8"))
    cell = next(c for c in nb["cells"] if "".join(c["source"]).startswith("values = [1, 2, 3, 4]"))
    cell["source"] = "values = [4, 3, 2, 1]\nprint(sum(values) / len(values))"
    path.write_text(json.dumps(nb), "utf-8")
    qmd = root / "sessions" / "01-fixture.qmd"
    html = site.render_page(qmd, tmp_path / "out" / "01-fixture.html", root)
    assert "01-fixture: no python notebook cell has the code" in capsys.readouterr().err
    problems = harness.check_page(html, qmd, notebooks_of(root, qmd.stem), CONFIG)
    assert any("is not on the page" in p for p in problems), problems


@pytest.mark.usefixtures("pandoc")  # a page without R chunks: no knitr
def test_malformed_block_stops_the_render(tmp_path, quarto_share):
    """Under Quarto (whose `error` only logs) a filter's error still stops the page."""
    root = make_project(tmp_path)
    page = root / "notes.qmd"
    page.write_text("---\ntitle: Notes\n---\n\n::: multicode\n#### Python\n\n```python\n"
                    "x = 1\n```\n:::\n", "utf-8")  # fmt: skip
    out = tmp_path / "notes.html"
    with pytest.raises(site.SiteError, match=r'\[multicode\] .*no tab for language "r"'):
        site.render_page(page, out, root)
    assert not out.exists()


@pytest.mark.usefixtures("pandoc")  # a page without R chunks: no knitr
def test_pages_outside_sessions_are_untouched(tmp_path, quarto_share):
    root = make_project(tmp_path)
    page = root / "notes.qmd"
    page.write_text("---\ntitle: Notes\n---\n\nNo notebook here.\n", "utf-8")
    html = site.render_page(page, tmp_path / "notes.html", root)
    assert 'class="notebook-links"' not in html.read_text("utf-8")


# The real pages ------------------------------------------------------------------------


@pytest.mark.parametrize("qmd", SESSIONS, ids=[q.stem for q in SESSIONS])
def test_session_page_structure(qmd, pages):
    html = pages[qmd]
    problems = harness.check_page(html, qmd, notebooks_of(ROOT, qmd.stem), CONFIG)
    assert problems == [], f"{qmd.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", ["index.qmd", "setup.qmd", "instructors.qmd"])
def test_other_pages_render(page, pages):
    """Home, setup and instructors pages go through the same chain cleanly."""
    html = pages[ROOT / page]
    doc = harness.parse_html(html.read_text("utf-8"))
    assert not doc.find_all("div", "notebook-links")  # only session pages get links
    assert harness.check_images(doc, html.parent) == []
    for ts in doc.find_all("div", "multicode"):  # the language demos
        assert ts.attrs.get("data-group") == CONFIG["multicode"]["group"]


# In the browser ---------------------------------------------------------------------------


def probe_pages(pages: dict[Path, Path], fixture: Path) -> dict[str, Path]:
    """{name: probe copy} of every page (served from OUT)."""
    axe = AXE if AXE.exists() else None
    found = {"fixture": harness.with_probe(fixture, axe)}
    for qmd, html in pages.items():
        found[qmd.relative_to(ROOT).as_posix()] = harness.with_probe(html, axe)
    return found


def url_of(base: str, probe_copy: Path) -> str:
    return f"{base}/{probe_copy.relative_to(OUT).as_posix()}"


@pytest.mark.usefixtures("chromium")
def test_one_click_switches_every_panel_and_is_remembered(fixture_page, pages, tmp_path):
    """Check Quarto's tabsets.js: one click on R shows R in every grouped tabset.

    The choice survives a reload and a move to another page (localStorage).
    """
    copies = probe_pages(pages, fixture_page[2])
    other = next((copies[k] for k in copies if k.startswith("sessions/")), copies["index.qmd"])
    profile = tmp_path / "profile"
    with harness.serve(OUT) as base:
        fresh = harness.probe(url_of(base, copies["fixture"]), tmp_path / "fresh")
        clicked = harness.probe(url_of(base, copies["fixture"]) + "?choose=R", profile)
        reloaded = harness.probe(url_of(base, copies["fixture"]), profile)
        moved = harness.probe(url_of(base, other), profile)
    assert len(fresh["groups"]) == 4
    assert harness.tab_problems(fresh, "Python") == []
    assert harness.tab_problems(clicked, "R") == []
    assert harness.tab_problems(reloaded, "R") == []
    assert moved["groups"]
    assert harness.tab_problems(moved, "R") == []
    for data in (fresh, clicked, reloaded, moved):
        assert harness.probe_problems(data) == []


@pytest.mark.usefixtures("chromium")
@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core missing: run tools/setup.sh")
def test_every_page_in_chromium(fixture_page, pages, tmp_path):
    """Every page: screenshot; no console error, broken image or serious axe violation."""
    copies = probe_pages(pages, fixture_page[2])
    with harness.serve(OUT) as base:

        def run(item):
            name, copy = item
            profile = tmp_path / re.sub(r"\W", "_", name)
            data = harness.probe(url_of(base, copy), profile)
            png = OUT / "screenshots" / (re.sub(r"\W", "_", name) + ".png")
            harness.screenshot(url_of(base, copy), png, profile)
            return name, harness.probe_problems(data) + harness.axe_problems(data)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(pool.map(run, copies.items()))
    for name in copies:
        png = OUT / "screenshots" / (re.sub(r"\W", "_", name) + ".png")
        assert png.stat().st_size > 10_000, f"no screenshot of {name}"
    assert {n: p for n, p in results.items() if p} == {}


@pytest.mark.usefixtures("chromium")
@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core missing: run tools/setup.sh")
def test_browser_check_catches_broken_pages(fixture_page, tmp_path):
    """The browser check fails a page with a broken script, a missing image, no alt text."""
    html = fixture_page[2]
    broken = html.with_name("broken.html")
    broken.write_text(
        html.read_text("utf-8").replace(
            "</body>", '<img src="missing.png"><script>notDefined();</script></body>'
        ),
        "utf-8",
    )
    copy = harness.with_probe(broken, AXE)
    with harness.serve(OUT) as base:
        data = harness.probe(url_of(base, copy), tmp_path / "profile")
    problems = harness.probe_problems(data)
    assert any("notDefined" in p for p in problems), problems
    assert any("missing.png" in p for p in problems), problems
    assert any("image-alt" in p for p in harness.axe_problems(data)), data["axe"]


# The whole site, with Quarto ------------------------------------------------------------------


@pytest.mark.usefixtures("rscript")  # quarto render runs knitr
def test_quarto_render_whole_site(tmp_path, quarto_cli):
    quarto = quarto_cli
    project = tmp_path / "site"
    skip = shutil.ignore_patterns(".venv", ".git", "test-output", "_site", ".build", "node_modules")
    shutil.copytree(ROOT, project, ignore=skip)
    result = subprocess.run([quarto, "render"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    out = project / "_site"
    problems = []
    for page in out.rglob("*.html"):
        doc = harness.parse_html(page.read_text("utf-8"))
        problems += [f"{page.name}: {p}" for p in harness.check_images(doc, page.parent)]
        for a in doc.find_all("a"):
            href = a.attrs.get("href", "")
            if not href or re.match(r"^([a-z]+:|#|//)", href):
                continue
            target = (page.parent / href.split("#")[0].split("?")[0]).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(out)}: broken link {href}")
    assert problems == []


@pytest.mark.usefixtures("page_render")
def test_one_page_render_reads_the_configuration_once_and_each_session_once(tmp_path, file_reads):
    root = make_project(tmp_path)
    reads = file_reads
    reads.clear()  # what setting up the course read
    site.render_page(root / "sessions" / "01-fixture.qmd", tmp_path / "out.html", root)
    assert reads.count("_quarto.yml") == 1
    assert reads.count("01-fixture.qmd") == 1


@pytest.mark.usefixtures("page_render")
def test_a_notebook_built_with_another_version_of_a_partial_stops_the_render(tmp_path):
    root = make_project(tmp_path)
    (root / "sessions" / "_note.qmd").write_text("A partial.\n", "utf-8")
    for path in (root / "notebooks").glob("*/01-fixture.ipynb"):
        nb = json.loads(path.read_text("utf-8"))
        nb["metadata"]["coursebuild"]["includes_sha1"] = {"sessions/_note.qmd": "0" * 40}
        path.write_text(json.dumps(nb), "utf-8")
    with pytest.raises(site.SiteError, match=r"out of date \(built from another version of "
                       r"sessions/_note\.qmd\)"):  # fmt: skip
        site.render_page(root / "sessions" / "01-fixture.qmd", tmp_path / "out.html", root)


@pytest.mark.usefixtures("page_render")
def test_a_markdown_output_starting_with_a_percent_sign_is_shown(tmp_path):
    """Pandoc reads a leading "%" as a title block: a say() sentence must not vanish."""
    root = make_project(tmp_path)
    path = root / "notebooks" / "python" / "01-fixture.ipynb"
    nb = json.loads(path.read_text("utf-8"))
    cell = next(c for c in nb["cells"] if "".join(c["source"]).startswith("values = [1, 2, 3, 4]"))
    said = "% of the values above the mean: 50"
    cell["outputs"].append(
        {"output_type": "display_data", "data": {"text/markdown": said}, "metadata": {}}
    )
    path.write_text(json.dumps(nb), "utf-8")
    html = site.render_page(root / "sessions" / "01-fixture.qmd", tmp_path / "out.html", root)
    assert said in html.read_text("utf-8")
