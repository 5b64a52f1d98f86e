"""Render session pages with plain pandoc 3 and the site's filters (no Quarto).

The site is a Quarto website, but Quarto is not needed to check a page: this
module renders a session the way the site does, minus Quarto's own filters
and theme, so tests (and instructors without Quarto) can look at it:

1. the session is preprocessed like the notebook build does
   (``coursebuild.source``: executable chunks become
   ```` ``` {.python .cell label=...} ```` code blocks, ``#|`` lines removed);
2. pandoc 3 (pypandoc-binary) writes standalone HTML5, running the filters
   that ``_quarto.yml`` lists under ``filters:``, in that order, skipping
   ``quarto`` (Quarto's own filters); each name is resolved through
   ``_extensions/<name>/_extension.yml`` like Quarto does;
3. the metadata is what Quarto would give the filters: ``_quarto.yml``'s
   ``course``, ``multicode`` and ``qna`` keys, plus ``source-file`` (the
   session, relative to the project) and ``project-root``.

Command line (writes test-output/site/<session>.html)::

    python -m coursebuild.site [--out DIR] [sessions/NN-name.qmd ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .config import ROOT

META_KEYS = ("course", "multicode", "qna")
# Filter messages: "[notebook-outputs] ..." or "<file>:<line>: [multicode] ...".
FILTER_ERROR = re.compile(r"(?:[^\s:]+:\d+: )?\[[\w-]+\].*$", re.MULTILINE)


class SiteError(Exception):
    """A page could not be rendered; the message is the filter's own."""


@dataclass(frozen=True)
class Filters:
    """Lua filters to run with plain pandoc, in `_quarto.yml` order."""

    paths: tuple[Path, ...]
    names: tuple[str, ...]  # the names found and run
    missing: tuple[str, ...]  # names listed whose extension is not in _extensions/


def load_config(root: Path = ROOT) -> dict:
    """`_quarto.yml` as a dict."""
    return yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}


def pandoc_filters(root: Path = ROOT, config: dict | None = None) -> Filters:
    """The Lua files behind `_quarto.yml`'s `filters:` list, without `quarto`."""
    config = load_config(root) if config is None else config
    paths: list[Path] = []
    names: list[str] = []
    missing: list[str] = []
    for entry in config.get("filters") or []:
        name = entry if isinstance(entry, str) else (entry or {}).get("path", "")
        if name == "quarto" or not name:
            continue
        if name.endswith(".lua"):
            path = root / name
            if path.exists():
                paths.append(path)
                names.append(name)
            else:
                missing.append(name)
            continue
        manifest = root / "_extensions" / name / "_extension.yml"
        if not manifest.exists():
            missing.append(name)
            continue
        ext = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        lua = (ext.get("contributes") or {}).get("filters") or []
        found = [manifest.parent / f for f in lua if (manifest.parent / f).exists()]
        if not found:
            missing.append(name)
            continue
        paths.extend(found)
        names.append(name)
    return Filters(tuple(paths), tuple(names), tuple(missing))


def session_markdown(qmd: Path, root: Path = ROOT, config: dict | None = None) -> str:
    """The session as pandoc markdown, preprocessed like the notebook build."""
    from . import source

    config = load_config(root) if config is None else config
    if hasattr(source, "preprocess"):
        return source.preprocess(qmd)
    languages = tuple(str(x).lower() for x in (config.get("multicode") or {}).get("languages", []))
    return source.read(qmd, languages, _shown(qmd, root)).markdown


def pandoc_path() -> str:
    """The pandoc 3 binary shipped inside pypandoc-binary (not on PATH)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def render_page(qmd: Path, out_html: Path, root: Path = ROOT) -> Path:
    """Render one session page to standalone HTML; return the HTML path.

    Raises `SiteError` with the filter's message if the render stops (for
    example a missing or out-of-date notebook).
    """
    config = load_config(root)
    filters = pandoc_filters(root, config)
    markdown = session_markdown(qmd, root, config)
    meta = {key: config[key] for key in META_KEYS if key in config}
    meta["source-file"] = _shown(qmd, root)
    meta["project-root"] = str(root)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        meta_file = Path(tmp) / "meta.yml"
        meta_file.write_text(yaml.safe_dump(meta), encoding="utf-8")
        header = Path(tmp) / "header.html"
        css = root / "assets" / "site.css"
        header.write_text(
            "<style>\n" + (css.read_text(encoding="utf-8") if css.exists() else "") + "</style>\n",
            encoding="utf-8",
        )
        cmd = [
            pandoc_path(),
            "--from=markdown",
            "--to=html5",
            "--standalone",
            f"--metadata-file={meta_file}",
            f"--include-in-header={header}",
            f"--output={out_html}",
        ]
        cmd += [f"--lua-filter={p}" for p in filters.paths]
        result = subprocess.run(
            cmd, input=markdown, capture_output=True, text=True, encoding="utf-8", cwd=root
        )
    if result.returncode != 0:
        found = FILTER_ERROR.search(result.stderr)
        raise SiteError(found.group(0).strip() if found else result.stderr.strip())
    return out_html


def sessions_with_notebooks(root: Path = ROOT) -> list[Path]:
    """Sessions (sessions/*.qmd, not _-prefixed) with at least one built notebook."""
    found = []
    for qmd in sorted((root / "sessions").glob("*.qmd")):
        if qmd.name.startswith("_"):
            continue
        if any((root / "notebooks").glob(f"*/{qmd.stem}.ipynb")):
            found.append(qmd)
    return found


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursebuild.site", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "sessions", nargs="*", type=Path, help="session .qmd files (default: all built)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "site")
    args = parser.parse_args(argv)
    sessions = args.sessions or sessions_with_notebooks(ROOT)
    status = 0
    for qmd in sessions:
        try:
            html = render_page(qmd, args.out / f"{qmd.stem}.html")
            print(f"{_shown(qmd, ROOT)} -> {html}")
        except SiteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
