"""A throw-away course: this course's build parts copied into a folder, with chosen sessions.

The tests and the bench build, preview and render such copies (never the
course itself), and a new instructor can try things in one. The parts copied
are named; `_quarto.yml` always comes along.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from .config import ROOT

# A session small enough to time the instructor's loop with (VALUE: a number to edit).
TINY = """---
title: "Session 90: Tiny"
---

::: multicode
#### Python
```{python}
print("answer", 6 * VALUE)
```
#### R
```{r}
cat("answer", 6 * VALUE, "\\n")
```
:::
"""
BUILD = ("_extensions", "filters")  # what a notebook build needs besides _quarto.yml
SITE = ("_extensions", "assets")  # what a page render needs besides _quarto.yml


def make_course(
    root: Path,
    sessions: Mapping[str, str | bytes] = {},
    parts: Iterable[str] = BUILD,
    source: Path = ROOT,
) -> Path:
    """Make the course folder `root` and return it.

    `parts` (files or folders of `source`, this course by default) are copied;
    `sessions` maps a session name to its text, written to ``sessions/<name>.qmd``.
    """
    root.mkdir(parents=True, exist_ok=True)
    for name in ("_quarto.yml", *parts):
        src = source / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, root / name)
    (root / "sessions").mkdir(exist_ok=True)
    for name, text in sessions.items():
        path = root / "sessions" / f"{name}.qmd"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return root
