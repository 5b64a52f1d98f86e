"""Make pandoc's notebook deterministic and runnable: ids, kernel, tags, metadata.

Code cells keep the id their chunk was given once, in `coursebuild.source`,
and carried through pandoc (the code block's ``#id``); markdown cells, to
which pandoc gives random ids, get ``md-<sha1 of their text>[:10]`` (repeats
numbered), so rebuilding an unchanged session is byte-identical. Every
notebook gets the kernelspec of its language; the tags filters/cells.lua gave
a cell (from its chunk options) are kept, and ``setup`` cells
(``include: false``) get their source hidden.
"""

from __future__ import annotations

import hashlib
import json

from . import exercises, preamble
from .cells import cell as make
from .course import Course
from .languages import LANGUAGES
from .problems import BuildError
from .source import Source

NBFORMAT, NBFORMAT_MINOR = 4, 5


def finish(course: Course, raw: dict, source: Source, lang: str, inputs_sha1: str) -> dict:
    """Turn pandoc's notebook for `lang` into the notebook the build writes."""
    shown = course.shown(source.path)
    ids = {c.id for c in source.chunks if c.lang == lang}
    cells = []
    for cell in raw.get("cells", []):
        text = _text(cell.get("source", ""))
        if cell.get("cell_type") == "code":
            placeholder = exercises.TAG in cell.get("metadata", {}).get("tags", [])
            if cell.get("id") not in ids and not placeholder:  # cells.lua: chunks, checks
                raise BuildError(shown, None, f"{lang} notebook: a code cell has no chunk id")
            cells.append(_code(cell["id"], text, cell.get("metadata", {}).get("tags", [])))
        elif text.strip():
            cells.append(make("markdown", text))
    cells = preamble.add(course, source, lang, cells)  # title, needs, install
    _number_markdown_ids(cells)
    build: dict[str, object] = {
        "inputs_sha1": inputs_sha1,
        "language": lang,
        "source": shown,
        "source_sha1": source.sha1,
    }
    included = {
        name: hashlib.sha1(data).hexdigest() for name, data in source.files.items() if name != shown
    }
    if included:  # the partials it includes: the site checks them like the source
        build["includes_sha1"] = dict(sorted(included.items()))
    return {
        "cells": cells,
        "metadata": {
            "coursebuild": build,
            "kernelspec": LANGUAGES[lang].kernel,
            "language_info": LANGUAGES[lang].language_info,
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }


def dumps(notebook: dict) -> str:
    """Serialise a notebook the same way every time (sorted keys, one-space indent)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _code(cell_id: str, text: str, tags: list[str]) -> dict:
    """Return a code cell; its tags come from filters/cells.lua (the chunk options' mapping)."""
    out = make("code", text, cell_id, tags)
    if "setup" in tags:  # include: false
        out["metadata"]["jupyter"] = {"source_hidden": True}
    return out


def _number_markdown_ids(cells: list[dict]) -> None:
    """Repeated markdown text gives repeated ids: suffix -2, -3, ... in order."""
    seen: dict[str, int] = {c["id"]: 1 for c in cells if c["cell_type"] == "code"}
    for cell in cells:
        if cell["cell_type"] == "code":
            continue
        base = cell["id"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            cell["id"] = f"{base}-{seen[base]}"


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)
