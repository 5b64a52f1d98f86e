"""The engine step: Quarto's knitr engine (its rmd/rmd.R), sent the request Quarto sends."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from ..source import Source
from .metadata import HANDLED_LANGUAGES, merge
from .share import SiteError

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


def knit(page: Source, meta: dict, share: Path, tmp: Path) -> str:
    """Run Quarto's knitr engine (rmd/rmd.R) on the page; return its markdown.

    The page's ``execute:`` and ``knitr:`` options (`meta`, as merged by
    `page_metadata`) go in the format, as Quarto sends them.
    """
    qmd = page.path.resolve()
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
        "wd": str(qmd.parent),
        "params": {
            "input": str(qmd),
            "markdown": page.text,
            "format": fmt,
            "tempDir": str(tmp),
            "libDir": None,
            "dependencies": True,
            "cwd": str(qmd.parent),
            "params": None,
            "resourceDir": str(share),
            "handledLanguages": HANDLED_LANGUAGES,
        },
        "results": str(results),
    }
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise SiteError(f"{page.path}: Quarto's knitr engine needs R (Rscript not found on PATH)")
    result = subprocess.run(
        [rscript, "--no-save", "--no-restore", str(share / "rmd" / "rmd.R")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=qmd.parent,
    )
    if result.returncode != 0 or not results.exists():
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise SiteError(f"{page.path}: knitr (Quarto's rmd/rmd.R) failed:\n{tail}")
    return json.loads(results.read_text(encoding="utf-8"))["markdown"]
