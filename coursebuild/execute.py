"""Execute a notebook with papermill and keep only what students should download.

Papermill records absolute input/output paths and timings in the notebook's
metadata; those change on every run and leak machine details, so they are
removed. Outputs that still carry a machine path are refused.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from .config import ROOT
from .languages import LANGUAGES

# Volatile metadata papermill and nbclient add to cells and notebooks.
VOLATILE_CELL_KEYS = ("papermill", "execution")


class ExecutionFailed(Exception):
    """A cell raised: carries the cell id and the error text."""

    def __init__(self, cell: str | None, message: str) -> None:
        super().__init__(cell, message)  # both in args, so it survives the process pool
        self.cell = cell
        self.message = message

    def __str__(self) -> str:
        """Return the message alone (the build adds the cell's place)."""
        return self.message


def run(notebook: dict, lang: str, cwd: Path, timeout: int = 600) -> dict:
    """Execute `notebook` (a dict) in `cwd` with the language's kernel; return it cleaned."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with tempfile.TemporaryDirectory(prefix="coursebuild-") as tmp:
        src, out = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        src.write_text(json.dumps(notebook), encoding="utf-8")
        try:
            papermill.execute_notebook(
                str(src),
                str(out),
                kernel_name=LANGUAGES[lang].kernel["name"],
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
            )
        except PapermillExecutionError as exc:
            executed = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
            failed = _unexpected_errors(executed) if executed else [exc.cell_index]
            if failed or executed is None:  # no output notebook: failed holds papermill's cell
                # Index into our own cells: papermill's output gains an error banner on top.
                cells = notebook.get("cells", [])
                index = failed[0] if executed is None else _our_index(executed, failed[0])
                cell = cells[index].get("id") if index < len(cells) else None
                raise ExecutionFailed(cell, f"{exc.ename}: {exc.evalue}") from None
            # Every error was in an `error: true` cell (tag raises-exception): nbclient ran
            # on, but papermill reports any error; keep the notebook without its banners.
            executed["cells"] = [c for c in executed["cells"] if not _papermill_banner(c)]
        else:
            executed = json.loads(out.read_text(encoding="utf-8"))
    return clean(executed)


def _papermill_banner(cell: dict) -> bool:
    return "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", [])


def _unexpected_errors(notebook: dict) -> list[int]:
    """Indexes of cells with an error output that were not expected to raise."""
    return [
        i
        for i, cell in enumerate(notebook["cells"])
        if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        and "raises-exception" not in cell.get("metadata", {}).get("tags", [])
    ]


def _our_index(executed: dict, index: int) -> int:
    """Return the index a cell of papermill's output had in the notebook we gave it."""
    return index - sum(1 for c in executed["cells"][:index] if _papermill_banner(c))


def clean(notebook: dict) -> dict:
    """Drop papermill's paths and timings; keep outputs and the build's metadata.

    Consecutive stream outputs are joined: how a kernel splits its printing
    into messages varies from run to run, and would churn the stored notebook.
    """
    notebook["metadata"].pop("papermill", None)
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {})
        for key in VOLATILE_CELL_KEYS:
            meta.pop(key, None)
        if meta.get("tags") == []:
            meta.pop("tags")
        if "outputs" in cell:
            cell["outputs"] = _join_streams(cell["outputs"])
    return notebook


def _join_streams(outputs: list[dict]) -> list[dict]:
    joined: list[dict] = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (
            last is not None
            and output.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and last.get("name") == output.get("name")
        ):
            text = _text(last["text"]) + _text(output["text"])
            last["text"] = text.splitlines(keepends=True)
        else:
            joined.append(output)
    return joined


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def machine_details(notebook: dict, root: Path = ROOT) -> list[str]:
    """Places where a notebook's outputs show this machine: its paths or user name."""
    needles = {str(root), str(Path.home()), tempfile.gettempdir() + "/"}
    user = os.environ.get("USER") or os.environ.get("LOGNAME")
    if user and user not in ("root",):
        needles.add(f"/{user}/")
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles) if n not in ("/", "")))
    found = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = json.dumps(output)
            match = pattern.search(text)
            if match:
                found.append(f"cell '{cell.get('id')}' shows '{match.group(0)}'")
    return found
