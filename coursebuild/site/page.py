"""One page of the site, rendered with Quarto's own render code; and which pages there are."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..config import ROOT
from ..course import Course
from ..problems import BuildError
from .assets import copy_assets, copy_css, head_and_tail
from .knitr import knit
from .lua import lua_step
from .metadata import engine_of, page_metadata
from .share import SiteError


def render_page(qmd: Path, out_html: Path, course: Course | Path = ROOT) -> Path:
    """Render one page (index, setup, instructors or a session) to standalone HTML.

    `course` is the course as read once (or its folder, read here once); a
    session page is the one the course holds, any other page is read once.
    Raises `SiteError` with a message naming the page (or the filter's own
    message, e.g. a missing or out-of-date notebook) if the render stops.
    """
    qmd = Path(qmd)
    try:
        course = course if isinstance(course, Course) else Course.load(Path(course))
        page = _page(course, qmd)
        meta = page_metadata(course, page)
    except BuildError as exc:
        raise SiteError(str(exc)) from exc
    share = course.share
    engine = engine_of(page)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="site-") as name:
        tmp = Path(name)
        if engine == "knitr":
            markdown = knit(page, meta, share, tmp)
        elif engine == "markdown":
            markdown = page.text
        else:
            raise SiteError(
                f"{qmd}: Quarto would run this page with the {engine} engine; "
                "this renderer runs knitr (pages with R chunks) and plain markdown only"
            )
        libs = copy_assets(out_html.parent, course.root, share)
        css = copy_css(meta, qmd, course.root, out_html.parent)
        head, tail = head_and_tail(libs, share, css)
        (tmp / "header.html").write_text(head, encoding="utf-8")
        (tmp / "after.html").write_text("</main>\n" + tail, encoding="utf-8")
        # Quarto's page has one <main>; pandoc's default template has none.
        (tmp / "before.html").write_text(
            '<main class="content" id="quarto-document-content">\n', encoding="utf-8"
        )
        html = lua_step(course, markdown, qmd, meta, share, engine, tmp)
    partial = out_html.with_name(out_html.name + ".part")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out_html)  # nothing half-written
    return out_html


def _page(course: Course, qmd: Path):
    """Return the page's source: the course's reading of a session, else one read now."""
    for src in course.sessions.values():
        if src.path.resolve() == qmd.resolve():
            page = src
            break
    else:
        page = course.read(qmd)
    front = [p for p in page.problems if not p.warning and "front matter" in p.message]
    if front:
        raise SiteError(str(front[0]))
    return page


def site_pages(course: Course) -> list[Path]:
    """Return the pages `_quarto.yml`'s ``project: render:`` lists (no ``_`` partials)."""
    pages: list[Path] = []
    for pattern in (course.config.quarto.get("project") or {}).get("render") or []:
        for page in sorted(course.root.glob(pattern)):
            if not page.name.startswith("_") and page not in pages:
                pages.append(page)
    return pages


def sessions_with_notebooks(course: Course) -> list[Path]:
    """Sessions with at least one built notebook."""
    notebooks = course.root / "notebooks"
    return [
        src.path for name, src in course.sessions.items() if any(notebooks.glob(f"*/{name}.ipynb"))
    ]


def output_path(page: Path, root: Path, out: Path) -> Path:
    """Where a page goes: its path under the project, with .html (as in _site/)."""
    return out / page.resolve().relative_to(root.resolve()).with_suffix(".html")


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m coursebuild.site``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m coursebuild.site",
        description="Render pages with Quarto's knitr and Lua chain (test-output/site/).",
    )
    parser.add_argument("pages", nargs="*", type=Path, help="pages (default: every site page)")
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "site")
    args = parser.parse_args(argv)
    try:
        course = Course.load(ROOT)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    status = 0
    for page in args.pages or site_pages(course):
        try:
            html = render_page(page, output_path(page, ROOT, args.out), course)
            print(f"{page} -> {html}")
        except SiteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status
