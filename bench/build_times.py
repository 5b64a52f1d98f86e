"""Benchmark of the build on this machine (run with `./course bench`).

Two courses, each in a throw-away folder, built as a user builds them (a
fresh `python -m coursebuild build` process each time):

- ``generated``: 20 generated sessions of small cells in both languages (every
  fourth with an exercise, so with answers notebooks): the scale the build is
  meant for. Its clean build is split into the time in the kernels (the
  execution phase the build reports) and the time outside them (start-up,
  reading, hashing, conversion, writing).
- ``course``: a copy of this course (slow: sessions 08 and 09 fit their models in both
  languages; `--generated-only` leaves it out).

For each: the clean build, a no-op rebuild, and the rebuild after touching one
session. Targets: no-op rebuild < 0.5 s and executing nothing; after a touch
only that session's notebooks execute; outside the kernels < 10% of a clean
build (generated course). Prints a table; exits 1 if a target is missed.
These are benchmarks, not tests: the numbers depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursebuild import scratch  # noqa: E402
from coursebuild.course import session_paths  # noqa: E402

SHARED = ("_extensions", "filters", "helpers", "coursebuild",
          "requirements.txt", "renv.lock", "tools")  # fmt: skip
GENERATED_SESSIONS = 20
NOOP_TARGET_S = 0.5
OUTSIDE_TARGET = 0.10


@dataclass
class Run:
    """One timed build: wall and CPU time, and the notebooks it executed."""

    seconds: float
    cpu_seconds: float  # user + system, of the build and all it started
    executed: list[str]
    kernel_seconds: float  # the build's execution phase (0 when nothing ran)
    notebook_seconds: dict[str, float]  # each executed notebook's own time, by name


def run_build(root: Path, jobs: int = 2) -> Run:
    """Wall time of `python -m coursebuild build` (a fresh process, as a user runs it).

    What it executed comes from the build's own report (``--report``), not its log.
    """
    report = root / ".build-report.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursebuild",
            "build",
            "--root",
            str(root),
            "--report",
            str(report),
            "--jobs",
            str(jobs),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stdout}\n{result.stderr}")
    data = json.loads(report.read_text(encoding="utf-8"))
    notebooks = [n for s in data["sessions"].values() for n in s["notebooks"]]
    executed = [n["name"] for n in notebooks if n["status"] == "executed"]
    times = {n["name"]: float(n["seconds"]) for n in notebooks if n["status"] == "executed"}
    return Run(seconds, cpu, executed, float(data["execute_seconds"]), times)


def session_text(n: int) -> str:
    """Return a small generated session: prose, two chunks per language, every 4th an exercise."""
    text = f"""---
title: "Generated session {n}"
---

Some prose for session {n}.

::: multicode
#### Python
```{{python}}
values = [{n}, {n + 1}, {n + 2}]
```

```{{python}}
print(sum(values) / len(values))
```
#### R
```{{r}}
values <- c({n}, {n + 1}, {n + 2})
```

```{{r}}
print(mean(values))
```
:::
"""
    if n % 4 == 0:
        text += """
::: qna
#### Question
What is the largest value?

#### Answer
::: multicode
#### Python
```{python}
print(max(values))
```
#### R
```{r}
print(max(values))
```
:::
:::
"""
    return text


def make_course(tmp: Path, generated: bool) -> Path:
    """Copy the course's build parts into `tmp`, with a generated or this course's sessions."""
    parts = SHARED + (() if generated else ("sessions",))
    root = scratch.make_course(tmp / ("generated" if generated else "course"), parts=parts)
    if generated:
        for n in range(1, GENERATED_SESSIONS + 1):
            (root / "sessions" / f"{n:02d}-generated.qmd").write_text(session_text(n))
    return root


def bench(root: Path, jobs: int = 2) -> tuple[list[tuple[str, Run]], str]:
    """Time a clean, a no-op and a one-session rebuild; return the rows and the session touched."""
    sessions = session_paths(root)
    clean = run_build(root, jobs)
    noop = run_build(root)
    touched = sessions[0]
    touched.write_text(touched.read_text() + "\nOne more line.\n")
    touch = run_build(root)
    return [
        ("clean build + execution", clean),
        ("no-op rebuild", noop),
        (f"rebuild after touching {touched.stem}", touch),
    ], touched.stem


def report(label: str, rows: list[tuple[str, Run]], touched: str, outside_target: bool) -> bool:
    """Print the rows under `label`; return whether every step met its target."""
    print(f"\n{label}")
    print(f"{'step':40} {'seconds':>8} {'kernels':>8} {'cpu':>6}  notebooks executed")
    for step, run in rows:
        names = ", ".join(run.executed) if len(run.executed) <= 4 else f"{len(run.executed)}"
        print(
            f"{step:40} {run.seconds:8.2f} {run.kernel_seconds:8.2f} {run.cpu_seconds:6.2f}"
            f"  {names or '-'}"
        )
    print("(seconds: wall time; kernels: the build's execution phase; cpu: user + system")
    print(" time of the build and all it started, which a busy machine does not inflate)")
    clean, noop, touch = (run for _, run in rows)
    outside = clean.seconds - clean.kernel_seconds
    share = outside / clean.seconds
    print(
        f"clean build outside the kernels: {outside:.2f} s of {clean.seconds:.2f} s = {share:.1%}"
    )
    ok = True
    if noop.seconds >= NOOP_TARGET_S or noop.executed:
        print(f"MISSED: no-op rebuild must take < {NOOP_TARGET_S} s and execute nothing")
        ok = False
    others = [n for n in touch.executed if n.split("/")[1].split(".")[0] != touched]
    if others or not touch.executed:
        print(f"MISSED: after touching {touched} only its notebooks should execute")
        ok = False
    if outside_target and share >= OUTSIDE_TARGET:
        print(f"MISSED: outside the kernels must be < {OUTSIDE_TARGET:.0%} of a clean build")
        ok = False
    return ok


def notebook_table(run: Run, jobs: int) -> None:
    """Print each notebook's execution time per language, and Python's over R's."""
    rows: dict[str, dict[str, float]] = {}
    for name, seconds in run.notebook_seconds.items():
        lang, notebook = name.split("/", 1)
        rows.setdefault(notebook, {})[lang] = seconds
    print(f"\nexecution time per notebook ({jobs} at a time; a loaded machine stretches both)")
    print(f"{'notebook':40} {'python':>8} {'r':>8} {'python/r':>9}")
    for notebook, times in sorted(rows.items()):
        python, r = times.get("python"), times.get("r")
        ratio = f"{python / r:9.2f}" if python and r else f"{'-':>9}"
        shown = [f"{t:8.1f}" if t is not None else f"{'-':>8}" for t in (python, r)]
        print(f"{notebook:40} {shown[0]} {shown[1]} {ratio}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--generated-only", action="store_true", help="leave out this course (slow)"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="notebooks executed at once (1: each timed alone)"
    )
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        rows, touched = bench(make_course(Path(tmp), generated=True), args.jobs)
        ok &= report(f"{GENERATED_SESSIONS} generated sessions", rows, touched, True)
        if not args.generated_only:
            rows, touched = bench(make_course(Path(tmp), generated=False), args.jobs)
            ok &= report("this course", rows, touched, False)
            notebook_table(rows[0][1], args.jobs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
