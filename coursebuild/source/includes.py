"""The session's files: read as UTF-8, with every ``{{< include >}}`` expanded in place.

Each line keeps the file and line it came from, so problems in an included
partial name the partial; every file read is kept (by its shown name) for
the inputs hash.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..problems import Problem
from .chunks import FENCE, fence_end
from .model import Line

INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\S+?)\s*>\}\}\s*$")


def decode(path: Path, shown: str, problems: list[Problem], files: dict) -> str | None:
    """Return a file's text, keeping its bytes in `files`; None (and a problem) if unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(shown, 0, f"cannot read: {exc.strerror}"))
        return None
    files[shown] = data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                shown,
                line,
                f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file with UTF-8 encoding",
            )
        )
        return None


def expand_includes(text, path, shown, problems, files, stack) -> list[Line]:
    """Return the file's lines with every ``{{< include >}}`` outside code replaced, recursively."""
    out: list[Line] = []
    raw = text.splitlines()
    last = -1
    for n, line in enumerate(raw, start=1):
        if n - 1 <= last:
            out.append(Line(line, shown, n))
            continue
        fence = FENCE.match(line)
        if fence:
            last = fence_end(raw, n - 1, fence.group("fence"))
            out.append(Line(line, shown, n))
            continue
        include = INCLUDE.match(line)
        if include is None:
            out.append(Line(line, shown, n))
            continue
        target = path.parent / include.group("path")
        target_shown = _join(shown, include.group("path"))
        if target_shown in stack or target_shown == shown:
            problems.append(Problem(shown, n, f"'{include.group('path')}' includes itself"))
            continue
        if not target.is_file():
            problems.append(
                Problem(
                    shown,
                    n,
                    f"included file '{include.group('path')}' not found "
                    "(the path is relative to this file)",
                )
            )
            continue
        included = decode(target, target_shown, problems, files)
        if included is not None:
            out.extend(
                expand_includes(included, target, target_shown, problems, files, (*stack, shown))
            )
    return out


def _join(shown: str, relative: str) -> str:
    """Return the shown name of `relative` (a path written in file `shown`), normalised."""
    parts: list[str] = []
    for part in (PurePosixPath(shown).parent / relative).parts:
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)
