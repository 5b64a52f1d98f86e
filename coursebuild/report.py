"""What a build did, as data: per session and per notebook, its problems, result and time.

`coursebuild.build.build` returns a `BuildReport`; the command line prints it
(`BuildReport.lines`), the preview shows each page's own problems, the bench
reads the times (``./course build --report FILE`` writes it as JSON).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .problems import Problem

# What became of one notebook.
EXECUTED, FAILED, CURRENT = "executed", "failed", "current"


@dataclass
class NotebookResult:
    """One notebook of the build: ``<lang>/<notebook stem>``, what became of it, and when."""

    name: str
    lang: str
    status: str  # EXECUTED, FAILED or CURRENT (up to date: nothing to do)
    seconds: float | None = None  # execution time, when it was executed
    problem: Problem | None = None  # why it failed (the cell's file:line and the error)


@dataclass
class SessionReport:
    """One session of the build: the problems in its sources, and its notebooks."""

    name: str
    problems: list[Problem] = field(default_factory=list)
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop the build, and failed notebooks' problems."""
        found = [p for p in self.problems if not p.warning]
        return found + [n.problem for n in self.notebooks if n.problem is not None]


@dataclass
class BuildReport:
    """The whole build: every selected session."""

    sessions: dict[str, SessionReport] = field(default_factory=dict)
    convert_seconds: float = 0.0  # reading, checking and converting
    execute_seconds: float = 0.0  # the execution phase (0 when nothing ran)

    def session(self, name: str) -> SessionReport:
        """Return the report of session `name`, made empty on first use."""
        return self.sessions.setdefault(name, SessionReport(name))

    @property
    def notebooks(self) -> list[NotebookResult]:
        """Every notebook of the build, session by session."""
        return [n for s in self.sessions.values() for n in s.notebooks]

    @property
    def errors(self) -> list[Problem]:
        """Every problem in the sources that stops the build (failed notebooks aside)."""
        every = [p for s in self.sessions.values() for p in s.problems]
        return sorted({p for p in every if not p.warning})

    @property
    def failures(self) -> int:
        """How many things went wrong: source errors, or notebooks that failed to execute."""
        return len(self.errors) or sum(n.status == FAILED for n in self.notebooks)

    @property
    def ok(self) -> bool:
        """Whether the build did everything it had to (warnings allowed)."""
        return self.failures == 0

    def executed(self) -> list[NotebookResult]:
        """List the notebooks executed (successfully) by this build."""
        return [n for n in self.notebooks if n.status == EXECUTED]

    def to_json(self) -> str:
        """Return the report as JSON (for the bench, and anyone scripting the build)."""
        data = asdict(self)
        data["ok"] = self.ok
        return json.dumps(data, indent=1, default=str)
