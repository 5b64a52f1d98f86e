"""Estimates for the tests, kept out of what students download.

A session may end with a chunk labelled ``estimates-<lang>`` (or ``estimates``, or
tagged ``estimates``) that prints machine-readable lines for a test (the parity of the
Python and R fits). The build executes it like any cell, then moves its printed text
into the notebook's metadata, ``metadata.coursebuild.estimates``, and removes the cell:
the tests read the text there (tests/estimates.py), students never see it, and the
chunk's ``#| include: false`` keeps it off the site.
"""

from __future__ import annotations

TAG = "estimates"


def is_estimates(cell: dict) -> bool:
    """Whether a cell is an estimates cell: its id or one of its tags says so."""
    cell_id = str(cell.get("id", ""))
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.get("cell_type") == "code" and (
        cell_id == TAG or cell_id.startswith(TAG + "-") or TAG in tags
    )


def extract(notebook: dict) -> dict:
    """Move the stdout of every estimates cell into the metadata; drop those cells.

    The text of several estimates cells is joined in notebook order. A notebook
    without any is returned unchanged.
    """
    found = [c for c in notebook.get("cells", []) if is_estimates(c)]
    if not found:
        return notebook
    text = "".join(_stdout(c) for c in found)
    notebook["cells"] = [c for c in notebook["cells"] if not is_estimates(c)]
    notebook.setdefault("metadata", {}).setdefault("coursebuild", {})[TAG] = text
    return notebook


def _stdout(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)
