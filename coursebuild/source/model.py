"""What a session is once read: its chunks, its problems, its pandoc-ready text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem


@dataclass
class Chunk:
    """One executable chunk of a session."""

    lang: str
    line: int  # line of the opening fence, 1-based, in `file`
    code: str  # without the `#|` option lines
    options: dict = field(default_factory=dict)
    file: str = ""  # the file it is written in (the session, or a file it includes)
    id: str = ""  # its notebook cell id, given once by `load` (see the module docstring)

    @property
    def label(self) -> str | None:
        """Return the chunk's ``label`` option as text, or None when it has none."""
        label = self.options.get("label")
        return None if label is None else str(label)


@dataclass
class Source:
    """A session source: its front matter, its chunks and the pandoc-ready text."""

    path: Path
    text: str  # the session's own text
    meta: dict
    chunks: list[Chunk]
    markdown: str  # rewritten for plain pandoc
    sha1: str = ""  # of the session file's bytes: the site's filter hashes the same bytes
    problems: list[Problem] = field(default_factory=list)
    divs: set[str] = field(default_factory=set)  # classes of the fenced divs it opens
    files: dict[str, bytes] = field(default_factory=dict)  # every file read, by shown name
    fatal: bool = False  # a problem that leaves pandoc nothing sensible to read
    exercises: list = field(default_factory=list)  # checked exercises (source.exercises)

    @property
    def name(self) -> str:
        """Name the session by its file name without ``.qmd``."""
        return self.path.stem

    @property
    def errors(self) -> list[Problem]:
        """List the problems that stop the build (warnings left out)."""
        return [p for p in self.problems if not p.warning]

    @property
    def files_sha1(self) -> str:
        """Hash of the session and every file it includes (the staleness input)."""
        digest = hashlib.sha1()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return digest.hexdigest()

    def languages(self, declared: tuple[str, ...]) -> tuple[str, ...]:
        """Return the declared languages this session has chunks in, in course order."""
        used = {c.lang for c in self.chunks}
        return tuple(lang for lang in declared if lang in used)


@dataclass
class Line:
    """One line of a session, with the file and line it was written at."""

    text: str
    file: str
    line: int
