"""Problems in a course's sources, each naming the file and line at fault.

Every step of the build collects `Problem`s rather than stopping at the
first, so one run reports everything an author has to fix; `BuildError`
carries them to the command line, which prints them sorted, once each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
