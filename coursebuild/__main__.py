"""Command line: `python -m coursebuild build [SESSION ...] [--force] [--jobs N]`, `check`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build
from .config import ROOT
from .errors import BuildError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build and execute every stale notebook")
    b.add_argument("sessions", nargs="*", help="session names (default: all)")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    c = sub.add_parser("check", help="exit 1 if any notebook is out of date with its inputs")
    c.add_argument("sessions", nargs="*")
    for p in (b, c):
        p.add_argument("--root", type=Path, default=ROOT, help="course folder (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "build":
            return 1 if build.build(root, args.sessions, args.force, args.jobs) else 0
        stale = build.plan(root, args.sessions)
        for job in stale:
            print(f"out of date: {job.output.relative_to(root)} (run ./course build)")
        return 1 if stale else 0
    except BuildError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
