"""Render one page of the site with Quarto's own render code.

Every page (home, setup, instructors, each session) goes through the two
halves of a Quarto render that are not TypeScript, taken from a Quarto
installation's resources (its *share* path):

1. the engine step, chosen the way Quarto chooses it (the page's own
   ``engine:`` key, else knitr for a page with an ``{r}`` chunk, else the
   markdown engine, which passes the text through). knitr runs through
   Quarto's own ``rmd/rmd.R`` (``execute.R``, ``hooks.R``, ``patch.R``),
   sent the request Quarto sends, with the page's ``execute:`` and
   ``knitr:`` options merged over `_quarto.yml`'s;
2. pandoc 3 with Quarto's ``filters/qmd-reader.lua`` and
   ``filters/main.lua``, the project's filters at the stage `_quarto.yml`
   gives them (those listed before ``quarto`` run at ``pre-quarto``), and
   the metadata Quarto would merge: `_quarto.yml`, ``_metadata.yml`` files,
   the page's front matter, then ``format: html:`` options.

Quarto's resources: the installed Quarto's share path when ``quarto`` is on
PATH, else ``$QUARTO_SHARE_PATH``, else ``../shared/quarto/share`` beside
the checkout. What this is not: Quarto's TypeScript half (website navbar
and sidebar, search, the Bootstrap/SASS theme, HTML post-processing). The
page is standalone HTML with Quarto's ``tabsets.js`` (grouped tabs, the
choice kept in localStorage) and Bootstrap's CSS and tab JavaScript from
``node_modules/bootstrap`` (pinned in package.json), copied beside it.

Command line (writes test-output/site/)::

    python -m coursebuild.site [--out DIR] [PAGE.qmd ...]
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from . import filters as project_filters
from .config import ROOT
from .errors import BuildError

SHARE_ENV = "QUARTO_SHARE_PATH"
# Languages Quarto handles itself (cell handlers) and asks knitr to pass through.
HANDLED_LANGUAGES = ["ojs", "mermaid", "dot"]
# Quarto's execute defaults for HTML (src/config/defaults.ts); knitr's hooks need them.
EXECUTE_DEFAULTS = {
    "fig-width": 7,
    "fig-height": 5,
    "fig-format": "retina",
    "fig-dpi": 96,
    "df-print": "default",
    "error": False,
    "eval": True,
    "cache": None,
    "freeze": False,
    "echo": True,
    "output": True,
    "warning": True,
    "include": True,
    "keep-md": False,
    "keep-ipynb": False,
    "ipynb": None,
    "enabled": None,
    "daemon": None,
    "daemon-restart": False,
    "debug": False,
}
# Files copied beside each page: (where from, relative to share or node_modules; to).
ASSETS = {
    "bootstrap.min.css": ("npm", "bootstrap/dist/css/bootstrap.min.css"),
    "bootstrap.bundle.min.js": ("npm", "bootstrap/dist/js/bootstrap.bundle.min.js"),
}
LIBS = "site_libs"
# Files render_page writes into the temporary folder for pandoc to include.
INCLUDES = {
    "include-in-header": "header.html",
    "include-before-body": "before.html",
    "include-after-body": "after.html",
}
CHUNK = re.compile(r"^\s*```+\s*\{(?P<lang>[A-Za-z][\w-]*)[^}]*\}\s*$", re.MULTILINE)
# A filter's own message: "[name] ..." possibly after "<file>:<line>: ".
FILTER_ERROR = re.compile(r"(?:[^\s:]+:\d+: )?\[[\w-]+\].*$", re.MULTILINE)


class SiteError(Exception):
    """A page could not be rendered; the message says which page and why."""


# Quarto's resources ----------------------------------------------------------


def share_path(root: Path = ROOT) -> Path:
    """Quarto's share folder: installed Quarto, else $QUARTO_SHARE_PATH, else ../shared."""
    quarto = shutil.which("quarto")
    candidates: list[tuple[str, Path]] = []
    if quarto:
        out = subprocess.run([quarto, "--paths"], capture_output=True, text=True).stdout
        candidates += [("quarto --paths", Path(line.strip())) for line in out.splitlines()]
    if os.environ.get(SHARE_ENV):
        candidates.append((f"${SHARE_ENV}", Path(os.environ[SHARE_ENV])))
    for folder in dict.fromkeys((root, ROOT)):  # the project, then this checkout (a scratch
        # course made by a test or an instructor renders with this checkout's copy)
        candidates.append(("beside the checkout", folder.parent / "shared" / "quarto" / "share"))
    for _, path in candidates:
        if (path / "filters" / "main.lua").is_file() and (path / "rmd" / "rmd.R").is_file():
            return path
    tried = ", ".join(f"{where}: {path}" for where, path in candidates)
    raise SiteError(
        f"Quarto's resources not found (tried {tried}); install Quarto or set {SHARE_ENV}"
    )


def pandoc_path() -> str:
    """Pandoc 3: pypandoc-binary's (not on PATH; Debian's 2.17 is too old)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


# Configuration ------------------------------------------------------------------


def load_config(root: Path = ROOT) -> dict:
    """`_quarto.yml` as a dict."""
    return yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}


def front_matter(path: Path) -> tuple[dict, int]:
    """Return a page's YAML front matter and the number of lines it takes."""
    text = path.read_text(encoding="utf-8")
    found = re.match(r"---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(\n|$)", text, re.S)
    if not found:
        return {}, 0
    try:
        meta = yaml.safe_load(found.group(1) or "") or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 2}" if mark else ""
        raise SiteError(f"{path}{line}: invalid front matter: {exc}") from exc
    return meta, found.group(0).count("\n")


def merge(base: dict, over: dict) -> dict:
    """Quarto's metadata merge: maps merge key by key, anything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def page_metadata(qmd: Path, root: Path, config: dict) -> dict:
    """`_quarto.yml`, then every `_metadata.yml` down to the page, then its front matter.

    ``format: html:`` options are lifted to the top (the page renders to
    HTML only); ``project`` and ``format`` themselves are not metadata.
    """
    meta = {k: v for k, v in config.items() if k not in ("project", "format")}
    folder, top = qmd.resolve().parent, root.resolve()
    chain = [folder, *folder.parents]
    for parent in reversed(chain[: chain.index(top) + 1] if top in chain else []):
        extra = parent / "_metadata.yml"
        if extra.exists():
            meta = merge(meta, yaml.safe_load(extra.read_text(encoding="utf-8")) or {})
    page, _ = front_matter(qmd)
    meta = merge(meta, {k: v for k, v in page.items() if k != "format"})
    html: dict = {}
    for source in (config, page):
        fmt = source.get("format") or {}
        if isinstance(fmt, dict) and isinstance(fmt.get("html"), dict):
            html = merge(html, fmt["html"])
    meta = merge(meta, html)
    meta.setdefault("lang", "en")  # Quarto's default language
    return meta


def engine_of(qmd: Path, meta: dict) -> str:
    """Return the engine Quarto picks: front matter `engine:`, else knitr for `{r}` chunks."""
    page, _ = front_matter(qmd)
    if page.get("engine"):
        return str(page["engine"])
    langs = {m.group("lang").lower() for m in CHUNK.finditer(qmd.read_text(encoding="utf-8"))}
    langs -= set(HANDLED_LANGUAGES)
    if "r" in langs:
        return "knitr"
    if langs:
        return "jupyter"
    return "markdown"


# 1. The engine step -------------------------------------------------------------


def knit(qmd: Path, meta: dict, share: Path, tmp: Path) -> str:
    """Run Quarto's knitr engine (rmd/rmd.R) on the page; return its markdown."""
    execute = merge(EXECUTE_DEFAULTS, meta.get("execute") or {})
    knitr = meta.get("knitr") or {}
    fmt = {
        "identifier": {"base-format": "html", "target-format": "html", "display-name": "HTML"},
        "execute": execute,
        "render": {},
        "pandoc": {"to": "html", "from": "markdown"},
        "metadata": {"knitr": knitr} if knitr else {},
    }
    results = tmp / "knitr-results.json"
    request = {
        "action": "execute",
        "wd": str(qmd.resolve().parent),
        "params": {
            "input": str(qmd.resolve()),
            "markdown": qmd.read_text(encoding="utf-8"),
            "format": fmt,
            "tempDir": str(tmp),
            "libDir": None,
            "dependencies": True,
            "cwd": str(qmd.resolve().parent),
            "params": None,
            "resourceDir": str(share),
            "handledLanguages": HANDLED_LANGUAGES,
        },
        "results": str(results),
    }
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise SiteError(f"{qmd}: Quarto's knitr engine needs R (Rscript not found on PATH)")
    result = subprocess.run(
        [rscript, "--no-save", "--no-restore", str(share / "rmd" / "rmd.R")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=qmd.resolve().parent,
    )
    if result.returncode != 0 or not results.exists():
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise SiteError(f"{qmd}: knitr (Quarto's rmd/rmd.R) failed:\n{tail}")
    return json.loads(results.read_text(encoding="utf-8"))["markdown"]


# 2. The Lua step ----------------------------------------------------------------


def filter_params(qmd: Path, root: Path, share: Path, engine: str, tmp: Path) -> dict:
    """Return what Quarto passes its Lua filters in QUARTO_FILTER_PARAMS."""
    names = project_filters.declared(root)
    if "quarto" not in names:
        names.append("quarto")  # Quarto's own filters run after any listed filter
    at = names.index("quarto")
    entry_points, after = [], []
    for k, name in enumerate(names):
        if name == "quarto":
            continue
        try:
            files = project_filters.lua_files(root, name)
        except BuildError as exc:
            raise SiteError(str(exc)) from exc
        for lua in files:
            spec = {"type": "lua", "path": str(root / lua)}
            if k < at:
                entry_points.append({**spec, "at": "pre-quarto"})
            else:
                after.append(spec)
    language = yaml.safe_load((share / "language" / "_language.yml").read_text(encoding="utf-8"))
    return {
        "quarto-filters": {
            "quartoFilters": [str(share / "filters" / "main.lua")],
            "beforeQuartoFilters": [],
            "afterQuartoFilters": after,
            "entryPoints": entry_points,
        },
        "active-filters": {"normalization": True, "crossref": True, "jats-subarticle": False},
        "format-identifier": {
            "base-format": "html",
            "target-format": "html",
            "display-name": "HTML",
        },
        "has-bootstrap": True,
        "execution-engine": engine,
        "quarto-source": str(qmd.resolve()),
        "results-file": str(tmp / "results.json"),
        "project-output-dir": str(tmp / "_site"),
        "quarto-environment": "local",
        "language": language,
        "crossref-index-file": str(tmp / "crossref.json"),
        "output-divs": True,
        "code-copy": "hover",
    }


def lua_step(
    markdown: str, qmd: Path, root: Path, meta: dict, share: Path, engine: str, tmp: Path
) -> str:
    """Pandoc with Quarto's reader and filter chain; return the HTML body document."""
    source = tmp / (qmd.stem + ".md")
    source.write_text(markdown, encoding="utf-8")
    meta_file = tmp / "meta.json"
    meta_file.write_text(json.dumps(meta, default=str), encoding="utf-8")
    dependency_file = tmp / "dependencies.json"
    dependency_file.write_text("", encoding="utf-8")
    params = filter_params(qmd, root, share, engine, tmp)
    env = dict(
        os.environ,
        QUARTO_FILTER_PARAMS=base64.b64encode(json.dumps(params).encode()).decode(),
        QUARTO_FILTER_DEPENDENCY_FILE=str(dependency_file),
        QUARTO_PROJECT_DIR=str(root.resolve()),
        QUARTO_SHARE_PATH=str(share),
    )
    toc = ["--toc", f"--toc-depth={meta.get('toc-depth', 3)}"] if meta.get("toc") else []
    cmd = [
        pandoc_path(),
        str(source),
        f"--from={share / 'filters' / 'qmd-reader.lua'}",
        "--to=html",
        f"--data-dir={share / 'pandoc' / 'datadir'}",
        f"--lua-filter={share / 'filters' / 'main.lua'}",
        f"--metadata-file={meta_file}",
        "--section-divs",
        "--standalone",
        *toc,
        f"--output={tmp / 'page.html'}",
    ]
    for option, name in INCLUDES.items():
        if (tmp / name).exists():
            cmd.append(f"--{option}={tmp / name}")
    result = subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", env=env, cwd=qmd.resolve().parent
    )
    stderr = re.sub(r"\x1b\[[\d;]*m", "", result.stderr)  # Quarto's log colours
    if result.returncode != 0:
        found = FILTER_ERROR.search(stderr)
        raise SiteError(found.group(0).strip() if found else f"{qmd}: {stderr.strip()}")
    for line in stderr.splitlines():  # the filters' warnings (quarto.log.warning)
        if line.strip():
            print(f"{qmd.name}: {line}", file=sys.stderr)
    return (tmp / "page.html").read_text(encoding="utf-8")


# The page ------------------------------------------------------------------------


def node_modules(root: Path) -> Path:
    """Return the npm packages' folder (Bootstrap): the project's, else this checkout's.

    They are the renderer's, not the course's: a scratch course (a test's, a new
    instructor's copy) renders with the ones installed beside coursebuild.
    """
    own = root / "node_modules"
    return own if own.is_dir() else ROOT / "node_modules"


def copy_assets(out_dir: Path, root: Path, share: Path) -> str:
    """Copy Quarto's tabsets.js and Bootstrap beside the page; return the relative prefix."""
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


def render_page(qmd: Path, out_html: Path, root: Path = ROOT) -> Path:
    """Render one page (index, setup, instructors or a session) to standalone HTML.

    Raises `SiteError` with a message naming the page (or the filter's own
    message, e.g. a missing or out-of-date notebook) if the render stops.
    """
    qmd, root = Path(qmd), Path(root)
    share = share_path(root)
    config = load_config(root)
    meta = page_metadata(qmd, root, config)
    engine = engine_of(qmd, meta)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="site-") as name:
        tmp = Path(name)
        if engine == "knitr":
            markdown = knit(qmd, meta, share, tmp)
        elif engine == "markdown":
            markdown = qmd.read_text(encoding="utf-8")
        else:
            raise SiteError(
                f"{qmd}: Quarto would run this page with the {engine} engine; "
                "this renderer runs knitr (pages with R chunks) and plain markdown only"
            )
        libs = copy_assets(out_html.parent, root, share)
        head, tail = head_and_tail(libs, share, copy_css(meta, qmd, root, out_html.parent))
        (tmp / "header.html").write_text(head, encoding="utf-8")
        (tmp / "after.html").write_text("</main>\n" + tail, encoding="utf-8")
        # Quarto's page has one <main>; pandoc's default template has none.
        (tmp / "before.html").write_text(
            '<main class="content" id="quarto-document-content">\n', encoding="utf-8"
        )
        html = lua_step(markdown, qmd, root, meta, share, engine, tmp)
    partial = out_html.with_name(out_html.name + ".part")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out_html)  # nothing half-written
    return out_html


def site_pages(root: Path = ROOT) -> list[Path]:
    """Return the pages `_quarto.yml`'s ``project: render:`` lists (no ``_`` partials)."""
    pages: list[Path] = []
    for pattern in (load_config(root).get("project") or {}).get("render") or []:
        for page in sorted(root.glob(pattern)):
            if not page.name.startswith("_") and page not in pages:
                pages.append(page)
    return pages


def sessions_with_notebooks(root: Path = ROOT) -> list[Path]:
    """Sessions (sessions/*.qmd, not _-prefixed) with at least one built notebook."""
    return [
        qmd
        for qmd in sorted((root / "sessions").glob("*.qmd"))
        if not qmd.name.startswith("_") and any((root / "notebooks").glob(f"*/{qmd.stem}.ipynb"))
    ]


def output_path(page: Path, root: Path, out: Path) -> Path:
    """Where a page goes: its path under the project, with .html (as in _site/)."""
    return out / page.resolve().relative_to(root.resolve()).with_suffix(".html")


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m coursebuild.site``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m coursebuild.site", description=__doc__.split("\n")[0]
    )
    parser.add_argument("pages", nargs="*", type=Path, help="pages (default: every site page)")
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "site")
    args = parser.parse_args(argv)
    status = 0
    for page in args.pages or site_pages(ROOT):
        try:
            html = render_page(page, output_path(page, ROOT, args.out), ROOT)
            print(f"{page} -> {html}")
        except SiteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
