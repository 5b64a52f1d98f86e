"""Notebook cells as the build writes them (nbformat 4 dictionaries), made in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def cell(kind: str, text: str, cell_id: str | None = None, tags: Iterable[str] = ()) -> dict:
    """Return a ``code`` or ``markdown`` cell holding `text`, unexecuted.

    A cell without an id (markdown) is named after its text, ``md-<sha1[:10]>``; the
    notebook numbers repeats. Trailing newlines are dropped, as Jupyter saves them.
    """
    lines = text.rstrip("\n").split("\n")
    out: dict = {
        "cell_type": kind,
        "id": cell_id or "md-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10],
        "metadata": {"tags": [str(t) for t in tags]} if tags else {},
        "source": [line + "\n" for line in lines[:-1]] + [lines[-1]],
    }
    if kind == "code":
        out.update(execution_count=None, outputs=[])
    return out
