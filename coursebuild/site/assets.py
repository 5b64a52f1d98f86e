"""What a standalone page needs beside it: Bootstrap, the page's CSS, Quarto's tabsets.js."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..config import ROOT
from .share import SiteError

# Files copied beside each page: (where from, relative to share or node_modules; to).
ASSETS = {
    "bootstrap.min.css": ("npm", "bootstrap/dist/css/bootstrap.min.css"),
    "bootstrap.bundle.min.js": ("npm", "bootstrap/dist/js/bootstrap.bundle.min.js"),
}
LIBS = "site_libs"


def node_modules(root: Path) -> Path:
    """Return the npm packages' folder (Bootstrap): the project's, else this checkout's.

    They are the renderer's, not the course's: a scratch course (a test's, a new
    instructor's copy) renders with the ones installed beside coursebuild.
    """
    own = root / "node_modules"
    return own if own.is_dir() else ROOT / "node_modules"


def copy_assets(out_dir: Path, root: Path, share: Path) -> str:
    """Copy Bootstrap beside the page; return the relative prefix of the copies."""
    libs = out_dir / LIBS
    libs.mkdir(parents=True, exist_ok=True)
    for name, (where, rel) in ASSETS.items():
        src = (share if where == "share" else node_modules(root)) / rel
        if not src.is_file():
            hint = "" if where == "share" else " (run tools/setup.sh: npm ci)"
            raise SiteError(f"{src} is missing{hint}")
        shutil.copyfile(src, libs / name)
    return LIBS


def copy_css(meta: dict, qmd: Path, root: Path, out_dir: Path) -> list[str]:
    """Copy the ``css:`` files beside the page; return their links.

    A name is looked up beside the page, then in the project (where
    `_quarto.yml`'s own entries are relative to).
    """
    listed = meta.pop("css", None) or []
    links = []
    for name in [listed] if isinstance(listed, str) else listed:
        src = qmd.resolve().parent / name
        src = src if src.is_file() else root / name
        if not src.is_file():
            raise SiteError(f"{qmd}: css file {name} does not exist")
        shutil.copyfile(src, out_dir / LIBS / src.name)
        links.append(f"{LIBS}/{src.name}")
    return links


def head_and_tail(libs: str, share: Path, css: list[str]) -> tuple[str, str]:
    """Return the <head> additions and the scripts at the end of <body>.

    Quarto's tabsets.js is an ES module; it goes inline (unchanged, then
    ``init()``) so the page also works opened as a file, where browsers
    refuse to import modules.
    """
    tabsets = (share / "formats" / "html" / "tabsets" / "tabsets.js").read_text(encoding="utf-8")
    head = (
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="stylesheet" href="{libs}/bootstrap.min.css">\n'
    ) + "".join(f'<link rel="stylesheet" href="{href}">\n' for href in css)
    tail = (
        f'<script src="{libs}/bootstrap.bundle.min.js"></script>\n'
        f'<script type="module">\n{tabsets}\ninit();\n</script>\n'
    )
    return head, tail
