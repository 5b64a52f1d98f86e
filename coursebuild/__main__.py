"""Command line: `python -m coursebuild build|check|new|preview|doctor ...` (see ./course)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build
from .config import ROOT
from .course import Course
from .problems import BuildError


def main(argv: list[str] | None = None) -> int:
    """Run ``./course build`` (preview, doctor: their own parsers); return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("preview", "doctor"):  # own parsers: their options pass through
        from importlib import import_module

        return import_module(f"coursebuild.{argv[0]}").main(argv[1:])
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build and execute every stale notebook")
    b.add_argument("sessions", nargs="*", help="session names (default: all)")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    b.add_argument("--report", type=Path, help="also write what the build did, as JSON, to FILE")
    c = sub.add_parser("check", help="exit 1 if any notebook is out of date with its inputs")
    c.add_argument("sessions", nargs="*")
    n = sub.add_parser("new", help='start a session from the template: new NN-slug "Title"')
    n.add_argument("name", help="NN-slug, e.g. 10-binary-choice")
    n.add_argument("title", help='the page title after "Session N: "')
    sub.add_parser("preview", help="live preview of the session pages (see preview --help)")
    sub.add_parser("doctor", help="check everything the course needs (see doctor --help)")
    for p in (b, c, n):
        p.add_argument("--root", type=Path, default=ROOT, help="course folder (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "build":
            report = build.build(root, args.sessions, args.force, args.jobs, log=_print)
            if args.report:
                args.report.write_text(report.to_json() + "\n", encoding="utf-8")
            return 0 if report.ok else 1
        if args.command == "new":
            return new_session(root, args.name, args.title)
        stale = build.plan(Course.load(root), args.sessions)
        for job in stale:
            print(f"out of date: {job.output.relative_to(root)} (run ./course build)")
        return 1 if stale else 0
    except BuildError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1


def _print(line: str) -> None:
    print(line, flush=True)  # progress shows as it happens, also through a pipe


def new_session(root: Path, name: str, title: str) -> int:
    """Create session `name` titled `title` from the template; return the exit status."""
    from .newsession import NewSessionError, create

    try:
        path = create(name, title, root)
    except NewSessionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = path.relative_to(root).as_posix()
    print(f"created {shown}\nnext: ./course preview {path.stem}   (edit {shown}; the page follows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
