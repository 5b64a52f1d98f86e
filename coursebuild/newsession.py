"""Start a new session from the course's template (``./course new NN-slug "Title"``).

The template (``tools/templates/session.qmd``) follows the sessions'
conventions: front matter, the papermill parameters cell in each language,
one multicode block and one qna exercise. It builds and passes nbval as
created, so an instructor starts from something that works.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .config import ROOT

NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
TEMPLATE = Path("tools") / "templates" / "session.qmd"


class NewSessionError(ValueError):
    """The name or title cannot make a session; the message says what to type instead."""


def check_name(name: str, root: Path = ROOT) -> int:
    """Return the session number of `name`, or raise `NewSessionError` saying why it is refused."""
    name = name.removesuffix(".qmd")
    match = NAME.match(name)
    if not match:
        raise NewSessionError(
            f"{name!r} is not a session name: use NN-slug, two digits then lower-case words "
            "joined by hyphens, e.g. 10-binary-choice"
        )
    folder = root / "sessions"
    existing = folder / f"{name}.qmd"
    if existing.exists():
        raise NewSessionError(f"sessions/{name}.qmd already exists: pick another name")
    number = match.group(1)
    taken = sorted(p.name for p in folder.glob(f"{number}-*.qmd"))
    if taken:
        raise NewSessionError(
            f"session number {number} is already used by sessions/{taken[0]}: pick another number"
        )
    return int(number)


def create(name: str, title: str, root: Path = ROOT) -> Path:
    """Write ``sessions/<name>.qmd`` from the template; return its path.

    The page title becomes ``Session <N>: <title>``, the sessions' own form.
    Nothing is written when the name or the title is refused.
    """
    name = name.removesuffix(".qmd")
    number = check_name(name, root)
    title = " ".join(title.split())
    if not title:
        raise NewSessionError('the title is empty: give one in quotes, e.g. "Binary choice"')
    template = (root / TEMPLATE).read_text(encoding="utf-8")
    # A JSON string is a valid YAML double-quoted scalar: quotes and colons stay safe.
    text = template.replace("@TITLE@", json.dumps(f"Session {number}: {title}", ensure_ascii=False))
    path = root / "sessions" / f"{name}.qmd"
    with path.open("x", encoding="utf-8") as out:  # "x": never overwrite, even in a race
        out.write(text)
    return path
