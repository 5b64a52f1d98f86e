"""The course as one object, read once: its configuration, its sessions and their outline.

`Course.load` reads `_quarto.yml` (and `_variables.yml`) once and every
session once (with the partials it includes); the build, the site renderer,
the preview, the doctor and the bench take the `Course` they are given and
read none of it again. `session_paths` is the one rule for what a session is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import source
from .config import ROOT, CourseConfig
from .problems import BuildError, shown_path

# (name, title) of every session, in course order: what the navigation links show.
Outline = tuple[tuple[str, str], ...]


def session_paths(root: Path = ROOT) -> list[Path]:
    """Return the session sources in course order (file-name order, as on the site).

    Every ``sessions/*.qmd`` except ``_``-prefixed ones, which are partials
    pulled into sessions with ``{{< include >}}``.
    """
    return sorted(p for p in (root / "sessions").glob("*.qmd") if not p.name.startswith("_"))


@dataclass
class Course:
    """A course folder: its configuration and every session, as read once."""

    root: Path
    config: CourseConfig
    sessions: dict[str, source.Source] = field(default_factory=dict)  # by name, course order
    unchecked: str = ""  # why chunk options could not be checked (no Quarto resources)

    @classmethod
    def load(cls, root: Path = ROOT) -> Course:
        """Read the course at `root`; a broken `_quarto.yml` is a `BuildError`.

        Problems in a session are collected in its `Source.problems`, not raised.
        """
        root = Path(root)
        config = CourseConfig.load(root)
        course = cls(root, config)
        course.sessions = {p.stem: course.read(p) for p in session_paths(root)}
        return course

    def read(self, path: Path) -> source.Source:
        """Read one page of the course (a session, or another page) with the session reader."""
        return source.load(
            path,
            self.config.languages,
            shown_path(path, self.root),
            self.config.variables,
            self.config.quarto,
            self.cell_options,
        )

    @cached_property
    def share(self) -> Path:
        """Return Quarto's share folder, looked up once per course (`SiteError` if none)."""
        from .site.share import share_path

        return share_path(self.root)

    @cached_property
    def cell_options(self) -> dict | None:
        """Quarto's cell options and their schemas, from its share folder (None: not found).

        The build checks every chunk option with them; without Quarto's resources
        (`unchecked`) chunk options are not checked, and the build says so.
        """
        from .quarto_schema import cell_options
        from .site.share import SiteError

        try:
            return cell_options(self.share)
        except SiteError as exc:
            self.unchecked = f"chunk options not checked against Quarto's schemas: {exc}"
            return None

    def select(self, names: Iterable[str] = ()) -> list[source.Source]:
        """Return the sessions named (all of them when none is), in course order."""
        wanted = {Path(n).stem for n in names}
        unknown = wanted - set(self.sessions)
        if unknown:
            raise BuildError("sessions/", None, f"no such session(s): {', '.join(sorted(unknown))}")
        return [s for name, s in self.sessions.items() if not wanted or name in wanted]

    def shown(self, path: Path) -> str:
        """Name `path` as messages and notebooks do: relative to the course, with '/'."""
        return shown_path(path, self.root)

    @cached_property
    def outline(self) -> Outline:
        """Every session's name and title, in course order (the navigation links)."""
        return tuple(
            (name, str(src.meta.get("title") or name)) for name, src in self.sessions.items()
        )

    @cached_property
    def shared_sha1(self) -> str:
        """Hash of what every notebook depends on besides its session (see `coursebuild.inputs`)."""
        from .inputs import shared_files

        digest = hashlib.sha1(json.dumps(self.config.metadata, sort_keys=True).encode() + b"\0")
        digest.update(json.dumps(self.outline).encode() + b"\0")  # the navigation links
        for path in shared_files(self.root):
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
        return digest.hexdigest()
