"""Read the estimates a built notebook keeps for the tests (not shown to students).

The build executes a session's ``estimates-<lang>`` chunk and moves its printed text
into ``metadata.coursebuild.estimates`` (coursebuild/estimates.py), removing the cell
from the notebook students download. Notebooks built before that still carry the cell
itself (id ``estimates-<lang>`` or ``estimates``): its stdout is read instead, so a
test reads both until every notebook is rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path


def text(path: Path, lang: str) -> str:
    """Return the estimates text of the notebook at `path` (language `lang`).

    Raises
    ------
    FileNotFoundError
        The notebook is missing (build it).
    ValueError
        It has no estimates, several legacy estimates cells, or an empty output.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run ./course build {path.stem}")
    nb = json.loads(path.read_text(encoding="utf-8"))
    stored = nb.get("metadata", {}).get("coursebuild", {}).get("estimates")
    if stored is None:
        stored = _legacy_cell(nb, lang, path.name)
    if not stored.strip():
        raise ValueError(f"{path.name}: the estimates are empty (the cell printed nothing?)")
    return stored


def _legacy_cell(nb: dict, lang: str, name: str) -> str:
    ids = {f"estimates-{lang}", "estimates"}
    cells = [c for c in nb.get("cells", []) if c.get("id") in ids]
    if len(cells) != 1:
        raise ValueError(
            f"{name}: no metadata.coursebuild.estimates and {len(cells)} cells with id in "
            f"{sorted(ids)} (expected one): does the session have an estimates-{lang} chunk?"
        )
    return "".join(
        o["text"] if isinstance(o.get("text"), str) else "".join(o.get("text", []))
        for o in cells[0].get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )
