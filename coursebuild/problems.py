"""Problems in a course's sources, each naming the file and line at fault.

Every step of the build collects `Problem`s rather than stopping at the
first, so one run reports everything an author has to fix; `BuildError`
carries them to the command line, which prints them sorted, once each.
The YAML files of a course are read here too (`read_yaml`), so a broken
one is a problem like any other, and so are the problems the Lua filters
write to their problems file (`read_problems`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

# libyaml's parser when PyYAML has it: a no-op build parses every session's
# front matter and chunk options, and the pure-Python parser is most of its time.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """`yaml.safe_load`, with libyaml when available (same errors, with marks)."""
    return yaml.load(text, Loader=_LOADER)  # a safe loader (see _LOADER)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or, with `warning`, worth knowing) at ``path:line``.

    Reads ``<path>:<line>: <message>`` so that editors and terminals can jump
    to the spot; sorts by file, then line.

    Examples
    --------
    >>> str(Problem("sessions/01.qmd", 12, "duplicate chunk label 'x'"))
    "sessions/01.qmd:12: duplicate chunk label 'x'"
    >>> str(Problem("sessions/01.qmd", 0, "no code chunks", warning=True))
    'sessions/01.qmd: warning: no code chunks'
    >>> [p.line for p in sorted([Problem("b.qmd", 1), Problem("a.qmd", 9), Problem("a.qmd", 2)])]
    [2, 9, 1]
    """

    path: str
    line: int = 0  # 0: the file as a whole
    message: str = ""
    warning: bool = False

    def __str__(self) -> str:
        """Format as ``path:line: message`` (``warning:`` before survivable ones)."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


class BuildError(Exception):
    """The build cannot go on: one or more problems the author must fix.

    ``BuildError(path, line, message)`` for one problem, or
    ``BuildError.of(problems)`` for many; ``str()`` lists them sorted.
    """

    def __init__(self, path: object, line: int | None, message: str) -> None:
        self.problems = [Problem(str(path), line or 0, message)]
        super().__init__(str(self.problems[0]))

    @property
    def path(self) -> str:
        """Name the file of the first problem."""
        return self.problems[0].path

    @property
    def line(self) -> int | None:
        """Return the line of the first problem, None when it has none."""
        return self.problems[0].line or None

    @property
    def message(self) -> str:
        """Return the message of the first problem."""
        return self.problems[0].message

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> BuildError:
        """Make one error of several problems, sorted and without repeats."""
        found = sorted(set(problems))
        error = cls(found[0].path, found[0].line, found[0].message)
        error.problems = found
        error.args = ("\n".join(str(p) for p in found),)
        return error


def read_yaml(path: Path, root: Path) -> object:
    """Return a YAML file's content (``{}`` when empty); any problem is a `BuildError`.

    The course's one reader of YAML files (`_quarto.yml`, `_variables.yml`,
    `_metadata.yml`, extension manifests): a syntax error names the file,
    relative to `root`, and the line.
    """
    shown = shown_path(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BuildError(shown, None, f"cannot read: {reason}") from exc
    try:
        return load_yaml(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise BuildError(shown, line, f"invalid YAML: {exc}") from exc


def shown_path(path: Path, root: Path) -> str:
    """Return a path as messages and notebooks name it: relative to the course, with '/'.

    A file outside the course is named by its file name alone, never by a
    machine path.
    """
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).name


def read_problems(path: Path) -> list[Problem]:
    """Return the problems the Lua filters wrote to their ``problems-file``.

    The filters' one way to report (see `_extensions/multicode/support.lua`): one JSON
    object a line, ``{"file", "line", "filter", "message", "warning"}``. A missing file
    means none were reported.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found = []
    for raw in text.splitlines():
        if raw.strip():
            item = json.loads(raw)
            message = (
                f"[{item['filter']}] {item['message']}" if item.get("filter") else item["message"]
            )
            found.append(
                Problem(
                    str(item.get("file") or ""),
                    int(item.get("line") or 0),
                    message,
                    bool(item.get("warning")),
                )
            )
    return found
