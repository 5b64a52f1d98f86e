"""The one error type of the build: it names the file and line at fault."""

from __future__ import annotations


class BuildError(Exception):
    """A problem in a session source (or its build) that the author must fix.

    The message reads ``<file>:<line>: <what is wrong>`` so that editors and
    terminals can jump to the spot.
    """

    def __init__(self, path: object, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")
