"""What a notebook prints for the tests and the build, kept out of what students download.

Two kinds of hidden cell, each executed like any cell; then the build moves
its printed text into the notebook's metadata and removes the cell:

- estimates: a session may end with a chunk labelled ``estimates-<lang>`` (or
  ``estimates``, or tagged ``estimates``) that prints machine-readable lines for a
  test (the parity of the Python and R fits), kept in ``metadata.coursebuild.estimates``
  (tests/estimates.py reads it); the chunk's ``#| include: false`` keeps it off the site;
- the checks' record: the cell tagged ``checks`` that an answers notebook with
  checked exercises ends with (`coursebuild.exercises`), kept in
  ``metadata.coursebuild.checks``: what the worked answers' checks measured.
"""

from __future__ import annotations

TAG = "estimates"
CHECKS = "checks"


def is_estimates(cell: dict) -> bool:
    """Whether a cell is an estimates cell: its id or one of its tags says so."""
    cell_id = str(cell.get("id", ""))
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.get("cell_type") == "code" and (
        cell_id == TAG or cell_id.startswith(TAG + "-") or TAG in tags
    )


def _is_record(cell: dict) -> bool:
    return cell.get("cell_type") == "code" and CHECKS in cell.get("metadata", {}).get("tags", [])


def extract(notebook: dict) -> dict:
    """Move the stdout of every hidden cell into the metadata; drop those cells.

    The text of several cells of a kind is joined in notebook order. A notebook
    without any is returned unchanged.
    """
    for key, hidden in ((TAG, is_estimates), (CHECKS, _is_record)):
        found = [c for c in notebook.get("cells", []) if hidden(c)]
        if not found:
            continue
        text = "".join(_stdout(c) for c in found)
        notebook["cells"] = [c for c in notebook["cells"] if not hidden(c)]
        notebook.setdefault("metadata", {}).setdefault("coursebuild", {})[key] = text
    return notebook


def _stdout(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)
