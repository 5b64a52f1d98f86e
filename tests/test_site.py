"""The site: session pages rendered with pandoc 3 and the project's filters.

Quarto cannot be installed on the build machines, so each session page is
rendered the way `coursebuild.site` does (the filters of `_quarto.yml`, in
order, without Quarto's own) and checked: one tabset per multicode block with
the declared languages and group, every code cell with its stored outputs,
images that resolve, qna answers where the targets say, the notebook links.
Then headless Chromium opens each page, takes a screenshot
(test-output/site/*.png) and fails on console errors, images that do not
load, or tabsets of one group that do not switch together.

A fixture session (tests/site/) runs the same checks before any real session
is built, plus the errors: a missing or out-of-date notebook stops the render.
With `quarto` on PATH the whole site is rendered too; otherwise that test is
skipped and says so.
"""

from __future__ import annotations

import hashlib
import json
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

OUT = ROOT / "test-output" / "site"
FIXTURE = ROOT / "tests" / "site"
CONFIG = site.load_config(ROOT)
REAL_SESSIONS = site.sessions_with_notebooks(ROOT)

needs_chromium = pytest.mark.skipif(harness.chromium() is None, reason="chromium is not installed")


def notebooks_of(root: Path, session: str) -> dict[str, list[dict]]:
    """Each language's notebooks of a session: the download, and the answers variant if any."""
    langs = [str(x).lower() for x in CONFIG["multicode"]["languages"]]
    found: dict[str, list[dict]] = {}
    for lang in langs:
        for name in (f"{session}.ipynb", f"{session}.answers.ipynb"):
            path = root / "notebooks" / lang / name
            if path.exists():
                found.setdefault(lang, []).append(json.loads(path.read_text("utf-8")))
    return found


def make_project(tmp: Path) -> Path:
    """A copy of the project's site parts with the fixture session and notebooks."""
    for name in ("_quarto.yml",):
        shutil.copy(ROOT / name, tmp / name)
    for name in ("_extensions", "assets"):
        shutil.copytree(ROOT / name, tmp / name)
    shutil.copytree(FIXTURE / "sessions", tmp / "sessions")
    shutil.copytree(FIXTURE / "notebooks", tmp / "notebooks")
    return tmp


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(project, session, html) of the fixture session rendered once."""
    root = make_project(tmp_path_factory.mktemp("site"))
    qmd = root / "sessions" / "01-fixture.qmd"
    html = site.render_page(qmd, OUT / "fixture" / "01-fixture.html", root)
    return root, qmd, html


@pytest.fixture(scope="module")
def real_pages() -> dict[str, Path]:
    """Every real session with notebooks, rendered once (in parallel)."""
    with ThreadPoolExecutor() as pool:
        htmls = pool.map(lambda q: site.render_page(q, OUT / f"{q.stem}.html", ROOT), REAL_SESSIONS)
        return {q.stem: h for q, h in zip(REAL_SESSIONS, htmls, strict=True)}


# The harness itself, on the fixture ----------------------------------------


def test_fixture_notebooks_match_fixture_session():
    text = (FIXTURE / "sessions" / "01-fixture.qmd").read_bytes()
    for lang, (nb,) in notebooks_of(FIXTURE, "01-fixture").items():
        assert nb["metadata"]["coursebuild"]["source_sha1"] == hashlib.sha1(text).hexdigest(), (
            f"tests/site/notebooks/{lang}/01-fixture.ipynb is out of date: "
            "run .venv/bin/python tests/site/make_fixtures.py"
        )


def test_every_filter_in_quarto_yml_is_found():
    filters = site.pandoc_filters(ROOT)
    assert not filters.missing, f"_quarto.yml lists filters with no extension: {filters.missing}"
    assert filters.names == ("notebook-outputs", "multicode", "qna")


def test_fixture_page_structure(fixture_page):
    root, qmd, html = fixture_page
    problems = harness.check_page(html, qmd, notebooks_of(root, qmd.stem), CONFIG)
    assert problems == []


def test_fixture_page_details(fixture_page):
    """Things the generic checks take on trust, pinned on the fixture."""
    _, _, html = fixture_page
    doc = harness.parse_html(html.read_text("utf-8"))
    text = doc.text()
    assert "import math" not in text and "library(stats)" not in text  # include: false
    assert 'install.packages("lme4")' in text  # eval: false: shown, no outputs
    errors = doc.find_all("div", "cell-output-error")
    assert len(errors) == 1 and "ZeroDivisionError: division by zero" in errors[0].text()
    assert "\x1b" not in text  # ANSI colours stripped
    ids = [d.attrs["data-cell-id"] for d in doc.find_all("div", "cell")]
    assert [i for i in ids if i.startswith("python-e49")] == [
        "python-e49b9a8e91",
        "python-e49b9a8e91-2",
    ]
    # answers are on the page (targets.html: both) but not in the notebooks: no outputs there
    answer = doc.find_all("div", "tab-pane", id="qna-1-answer")[0]
    assert "2.5" in answer.text() and not answer.find_all("div", "cell-output")


def test_stale_notebook_stops_the_render(tmp_path):
    root = make_project(tmp_path)
    qmd = root / "sessions" / "01-fixture.qmd"
    qmd.write_text(qmd.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    with pytest.raises(
        site.SiteError,
        match=r"01-fixture: notebook notebooks/python/01-fixture"
        r"\.ipynb is out of date .*; run \./course build",
    ):
        site.render_page(qmd, tmp_path / "out.html", root)


def test_missing_notebook_stops_the_render(tmp_path):
    root = make_project(tmp_path)
    (root / "notebooks" / "r" / "01-fixture.ipynb").unlink()
    with pytest.raises(
        site.SiteError,
        match=r"01-fixture: notebook notebooks/r/01-fixture"
        r"\.ipynb is missing; run \./course build",
    ):
        site.render_page(root / "sessions" / "01-fixture.qmd", tmp_path / "out.html", root)


def test_pages_outside_sessions_are_untouched(tmp_path):
    root = make_project(tmp_path)
    page = root / "notes.qmd"
    page.write_text("---\ntitle: Notes\n---\n\nNo notebook here.\n", "utf-8")
    html = site.render_page(page, tmp_path / "notes.html", root)
    assert 'class="notebook-links"' not in html.read_text("utf-8")


def test_quarto_shaped_cells_get_their_outputs(tmp_path):
    """The Quarto branch: knitr with eval off gives Div.cell{CodeBlock.<lang>.cell-code}
    and drops chunk labels; cells are then found by the hash of their code."""
    from coursebuild import source

    root = make_project(tmp_path)
    qmd = root / "sessions" / "01-fixture.qmd"
    src = source.read(qmd, ("python", "r"), "sessions/01-fixture.qmd")
    blocks = []
    for chunk in src.chunks:
        if chunk.options.get("include") is False:
            continue  # knitr writes nothing for include: false
        blocks.append(f"::: {{.cell}}\n```{{.{chunk.lang} .cell-code}}\n{chunk.code}\n```\n:::\n")
    stub = FIXTURE / "quarto-stub.lua"
    filt = ROOT / "_extensions" / "notebook-outputs" / "notebook-outputs.lua"
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({k: CONFIG[k] for k in ("course", "multicode")}), "utf-8")
    result = subprocess.run(
        [site.pandoc_path(), "--from=markdown", "--to=html5", f"--metadata-file={meta}",
         f"--lua-filter={stub}"],
        input="\n".join(blocks), capture_output=True, text=True, cwd=root,
        env={"QUARTO_STUB_FILTER": str(filt), "QUARTO_STUB_INPUT": str(qmd),
             "QUARTO_STUB_ROOT": str(root), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = harness.parse_html(result.stdout)
    ids = {d.attrs.get("data-cell-id") for d in doc.find_all("div", "cell")}
    assert {"mean-python", "mean-r", "python-fa88910570", "r-29a6d16ccc"} <= ids
    for lang, (nb,) in notebooks_of(root, "01-fixture").items():
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and "setup" not in cell["metadata"].get("tags", []):
                div = doc.find_all("div", "cell", data_cell_id=cell["id"])
                assert div, f"{lang} cell {cell['id']} not found under Quarto"
                assert harness._check_outputs(div[0], cell, lang) == []
    assert "notebook-links" in result.stdout


OTHER_PAGES = ("index.qmd", "setup.qmd", "instructors.qmd")


@pytest.fixture(scope="module")
def other_pages() -> dict[str, Path]:
    """Home, setup and instructors pages, rendered once."""
    return {
        page: site.render_page(ROOT / page, OUT / "pages" / page.replace(".qmd", ".html"), ROOT)
        for page in OTHER_PAGES
    }


@pytest.mark.parametrize("page", OTHER_PAGES)
def test_other_pages_render(page, other_pages):
    """Home, setup and instructors pages go through the same filters cleanly."""
    html = other_pages[page]
    doc = harness.parse_html(html.read_text("utf-8"))
    assert not doc.find_all("div", "notebook-links")  # only session pages get links
    assert harness.check_images(doc, html.parent) == []
    for ts in doc.find_all("div", "multicode"):  # the language demos
        assert ts.attrs.get("data-group") == CONFIG["multicode"]["group"]


# The real sessions ----------------------------------------------------------


@pytest.mark.parametrize("qmd", REAL_SESSIONS, ids=[q.stem for q in REAL_SESSIONS])
def test_session_page_structure(qmd, real_pages):
    html = real_pages[qmd.stem]
    problems = harness.check_page(html, qmd, notebooks_of(ROOT, qmd.stem), CONFIG)
    assert problems == [], f"{qmd.name}:\n" + "\n".join(problems)


# In the browser ----------------------------------------------------------------


@needs_chromium
def test_pages_in_chromium(fixture_page, real_pages, other_pages):
    """Screenshot every page; fail on console errors, broken images, unsynced tabs."""
    pages = {"fixture-01-fixture": fixture_page[2], **real_pages}
    pages.update({f"page-{p.removesuffix('.qmd')}": h for p, h in other_pages.items()})

    def run(item):
        name, html = item
        harness.screenshot(html, OUT / f"{name}.png")
        return name, harness.probe_problems(harness.probe(html))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(run, pages.items()))
    for name in pages:
        assert (OUT / f"{name}.png").stat().st_size > 10_000, f"no screenshot of {name}"
    assert {n: p for n, p in results.items() if p} == {}


@needs_chromium
def test_browser_check_catches_broken_pages(fixture_page, tmp_path):
    """The browser check fails a page with a broken script or a missing image."""
    html = fixture_page[2].read_text("utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text(
        html.replace(
            "</body>", '<img src="missing.png" alt="x"><script>notDefined();</script></body>'
        ),
        "utf-8",
    )
    problems = harness.probe_problems(harness.probe(broken))
    assert any("notDefined" in p for p in problems), problems
    assert any("missing.png" in p for p in problems), problems


# The whole site, with Quarto ------------------------------------------------------


def test_quarto_render_whole_site(tmp_path):
    quarto = shutil.which("quarto")
    if quarto is None:
        pytest.skip(
            "quarto is not on PATH: the whole-site render (quarto render + link and image "
            "check) was not run; the pandoc renders above cover the session pages"
        )
    project = tmp_path / "site"
    skip = shutil.ignore_patterns(".venv", ".git", "test-output", "_site", ".build")
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
