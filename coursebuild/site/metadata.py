"""A page's metadata as Quarto merges it, and the engine Quarto would run it with."""

from __future__ import annotations

import copy
import re

from ..course import Course
from ..problems import read_yaml
from ..source import Source

# Languages Quarto handles itself (cell handlers) and asks knitr to pass through.
HANDLED_LANGUAGES = ["ojs", "mermaid", "dot"]
CHUNK = re.compile(r"^\s*```+\s*\{(?P<lang>[A-Za-z][\w-]*)[^}]*\}\s*$", re.MULTILINE)


def merge(base: dict, over: dict) -> dict:
    """Quarto's metadata merge: maps merge key by key, anything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def page_metadata(course: Course, page: Source) -> dict:
    """`_quarto.yml`, then every `_metadata.yml` down to the page, then its front matter.

    ``format: html:`` options are lifted to the top (the page renders to
    HTML only); ``project`` and ``format`` themselves are not metadata.
    """
    config = course.config.quarto
    meta = {k: v for k, v in config.items() if k not in ("project", "format")}
    folder, top = page.path.resolve().parent, course.root.resolve()
    chain = [folder, *folder.parents]
    for parent in reversed(chain[: chain.index(top) + 1] if top in chain else []):
        extra = parent / "_metadata.yml"
        if extra.exists():
            loaded = read_yaml(extra, course.root)
            meta = merge(meta, loaded if isinstance(loaded, dict) else {})
    meta = merge(meta, {k: v for k, v in page.meta.items() if k != "format"})
    html: dict = {}
    for source in (config, page.meta):
        fmt = source.get("format") or {}
        if isinstance(fmt, dict) and isinstance(fmt.get("html"), dict):
            html = merge(html, fmt["html"])
    meta = merge(meta, html)
    meta.setdefault("lang", "en")  # Quarto's default language
    return meta


def engine_of(page: Source) -> str:
    """Return the engine Quarto picks: front matter `engine:`, else knitr for `{r}` chunks."""
    if page.meta.get("engine"):
        return str(page.meta["engine"])
    langs = {m.group("lang").lower() for m in CHUNK.finditer(page.text)}
    langs -= set(HANDLED_LANGUAGES)
    if "r" in langs:
        return "knitr"
    if langs:
        return "jupyter"
    return "markdown"
