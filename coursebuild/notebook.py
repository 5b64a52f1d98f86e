"""Make pandoc's notebook deterministic and runnable: ids, kernel, tags, metadata.

Pandoc gives unlabelled cells random ids and no kernelspec. Here every cell
gets an id that depends only on its content (so rebuilding an unchanged
session is byte-identical, and the website finds a chunk's outputs by the
same id) and the kernelspec of its language; the tags filters/cells.lua gave
a cell (from its chunk options) are kept, and ``setup`` cells
(``include: false``) get their source hidden.
"""

from __future__ import annotations

import hashlib
import json

from . import preamble
from .config import KERNELS, LANGUAGE_INFO
from .errors import BuildError
from .source import Chunk, Source

NBFORMAT, NBFORMAT_MINOR = 4, 5


def cell_id(lang: str, code: str, label: str | None = None) -> str:
    """The id of a chunk's cell: its label, else ``<lang>-<sha1 of its code>[:10]``.

    The code is the chunk's text without ``#|`` lines, trailing white space
    stripped; the website's notebook-outputs filter computes the same id.

    Examples
    --------
    >>> cell_id("python", "x = 1", label="setup")
    'setup'
    >>> cell_id("r", "x <- 1")
    'r-2b10b2d0ba'
    """
    if label:
        return label
    return f"{lang}-{_sha1(code.rstrip())[:10]}"


def finish(raw: dict, source: Source, lang: str, inputs_sha1: str, shown: str) -> dict:
    """Turn pandoc's notebook for `lang` into the notebook the build writes."""
    chunks = [c for c in source.chunks if c.lang == lang]
    cells = []
    next_chunk = 0
    for cell in raw.get("cells", []):
        text = _text(cell.get("source", ""))
        if cell.get("cell_type") == "code":
            chunk, next_chunk = _match(chunks, next_chunk, text, shown, lang)
            cells.append(_code(chunk, text, cell.get("metadata", {}).get("tags", [])))
        elif text.strip():
            cells.append(_markdown(text))
    cells = preamble.add(source, lang, cells)  # title, what it needs, install cell
    _unique_ids(cells)
    return {
        "cells": cells,
        "metadata": {
            "coursebuild": {
                "inputs_sha1": inputs_sha1,
                "language": lang,
                "source": shown,
                "source_sha1": source.sha1,
            },
            "kernelspec": KERNELS[lang],
            "language_info": LANGUAGE_INFO[lang],
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }


def dumps(notebook: dict) -> str:
    """Serialise a notebook the same way every time (sorted keys, one-space indent)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _match(chunks: list[Chunk], start: int, text: str, shown: str, lang: str):
    """The chunk a code cell came from: the next chunk of this language with its code."""
    for k in range(start, len(chunks)):
        if chunks[k].code.rstrip() == text.rstrip():
            return chunks[k], k + 1
    raise BuildError(shown, None, f"{lang} notebook: a code cell matches no chunk:\n{text[:200]}")


def _code(chunk: Chunk, text: str, tags: list[str]) -> dict:
    """A code cell; its tags come from filters/cells.lua (the chunk options' mapping)."""
    metadata: dict = {}
    if "setup" in tags:  # include: false
        metadata["jupyter"] = {"source_hidden": True}
    if tags:
        metadata["tags"] = [str(t) for t in tags]
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id(chunk.lang, chunk.code, chunk.label),
        "metadata": metadata,
        "outputs": [],
        "source": _lines(text),
    }


def _markdown(text: str) -> dict:
    return {
        "cell_type": "markdown",
        "id": "md-" + _sha1(text)[:10],
        "metadata": {},
        "source": _lines(text),
    }


def _unique_ids(cells: list[dict]) -> None:
    """Repeated content gives repeated ids: suffix -2, -3, ... in order."""
    seen: dict[str, int] = {}
    for cell in cells:
        base = cell["id"]
        if base in seen:
            seen[base] += 1
            cell["id"] = f"{base}-{seen[base]}"
        else:
            seen[base] = 1


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _lines(text: str) -> list[str]:
    text = text.rstrip("\n")
    return [line + "\n" for line in text.split("\n")[:-1]] + [text.split("\n")[-1]]


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
