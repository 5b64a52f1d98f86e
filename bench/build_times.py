"""Benchmark of the build on this machine (run with `./course bench`).

Times, in a throw-away copy of the course: a clean build with execution of
every notebook, a no-op rebuild, and the rebuild after touching one session,
then checks the targets: no-op rebuild under 2 s, and after a touch only the
touched session's notebooks re-execute. Prints a table; exits 1 if a target
is missed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("_quarto.yml", "_extensions", "filters", "sessions", "helpers", "coursebuild",
        "requirements.txt", "renv.lock", "tools")  # fmt: skip
NOOP_TARGET_S = 2.0


def run_build(root: Path) -> tuple[float, list[str]]:
    """Wall time of `python -m coursebuild build` (a fresh process, as a user runs it)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "coursebuild", "build", "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stdout}\n{result.stderr}")
    executed = [
        line.split()[1].rstrip(":") for line in result.stdout.splitlines() if "executed" in line
    ]
    return seconds, executed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        root = Path(tmp) / "course"
        root.mkdir()
        for name in COPY:
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
        sessions = sorted(
            p for p in (root / "sessions").glob("*.qmd") if not p.name.startswith("_")
        )
        clean_s, clean_run = run_build(root)
        noop_s, noop_run = run_build(root)
        touched = sessions[0]
        touched.write_text(touched.read_text() + "\n")
        touch_s, touch_run = run_build(root)
    rows = [
        ("clean build + execution", clean_s, clean_run),
        ("no-op rebuild", noop_s, noop_run),
        (f"rebuild after touching {touched.stem}", touch_s, touch_run),
    ]
    print(f"{'step':48} {'seconds':>8}  notebooks executed")
    for step, seconds, executed in rows:
        print(f"{step:48} {seconds:8.2f}  {', '.join(executed) or '-'}")
    ok = True
    if noop_s >= NOOP_TARGET_S or noop_run:
        print(f"MISSED: no-op rebuild must take < {NOOP_TARGET_S} s and execute nothing")
        ok = False
    others = [n for n in touch_run if n.split("/")[1].split(".")[0] != touched.stem]
    if others or not touch_run:
        print(f"MISSED: after touching {touched.stem} only its notebooks should execute")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
