"""The build: every stale (session, language) pair becomes an executed notebook.

A notebook is stale when the hash of its inputs (see `inputs`) differs from
the one recorded in it. A session with ``::: qna`` blocks also gets an
answers notebook per language, ``<session>.answers.ipynb``, executed with
every answer in: the downloads keep the questions only (``qna.targets.ipynb``)
and the website takes the answers' outputs from these.

Stale notebooks are checked and converted first (fast, and every problem is
reported before any kernel starts), then executed in parallel. Each notebook
is written to a temporary file and renamed, so a failure leaves the previous
notebook as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from . import convert, estimates, execute, notebook, source
from .config import ROOT, CourseConfig
from .errors import BuildError
from .inputs import inputs_sha1, shared_sha1

ANSWERS = "answers"  # the variant with every qna answer in


@dataclass
class Job:
    """One notebook to build."""

    session: Path
    lang: str
    output: Path
    inputs_sha1: str
    variant: str = ""  # "" (the download) or ANSWERS

    @property
    def name(self) -> str:
        return f"{self.lang}/{self.output.name.removesuffix('.ipynb')}"


def sessions(root: Path = ROOT, names: Iterable[str] = ()) -> list[Path]:
    """Session sources in course order; `_`-prefixed files are partials, not sessions."""
    found = sorted(p for p in (root / "sessions").glob("*.qmd") if not p.name.startswith("_"))
    wanted = {Path(n).stem for n in names}
    if wanted:
        unknown = wanted - {p.stem for p in found}
        if unknown:
            raise BuildError("sessions/", None, f"no such session(s): {', '.join(sorted(unknown))}")
        found = [p for p in found if p.stem in wanted]
    return found


def output_path(session: Path, lang: str, root: Path = ROOT, variant: str = "") -> Path:
    suffix = f".{variant}" if variant else ""
    return root / "notebooks" / lang / f"{session.stem}{suffix}.ipynb"


def targets(root: Path = ROOT, names: Iterable[str] = ()) -> list[Job]:
    """Every notebook the sessions make, with the hash of its inputs now."""
    config = CourseConfig.load(root)
    shared = shared_sha1(root)  # once: every notebook shares it
    jobs = []
    for session in sessions(root, names):
        variants = ["", ANSWERS] if source.has_div(session, "qna") else [""]
        for variant in variants:
            for lang in config.languages:
                output = output_path(session, lang, root, variant)
                inputs = inputs_sha1(session, f"{lang}.{variant}", shared)
                jobs.append(Job(session, lang, output, inputs, variant))
    return jobs


def plan(root: Path = ROOT, names: Iterable[str] = (), force: bool = False) -> list[Job]:
    """The notebooks whose recorded inputs hash differs from their inputs now."""
    return [
        job
        for job in targets(root, names)
        if force or recorded_inputs(job.output) != job.inputs_sha1
    ]


def recorded_inputs(path: Path) -> str | None:
    """The inputs hash a built notebook records, or None if there is none."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
        return meta["coursebuild"]["inputs_sha1"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unexecuted(
    session: Path, lang: str, root: Path = ROOT, inputs: str | None = None, variant: str = ""
) -> dict:
    """The notebook for `lang` before execution (checks the session on the way)."""
    return _prepare(session, lang, root, inputs, variant)[0]


def _prepare(
    session: Path, lang: str, root: Path, inputs: str | None, variant: str = ""
) -> tuple[dict, dict]:
    """The unexecuted notebook, and the source line of each code cell's chunk."""
    config = CourseConfig.load(root)
    shown = session.resolve().relative_to(root.resolve()).as_posix()
    src = source.read(session, config.languages, shown)
    raw = convert.to_ipynb(src, lang, config, root, answers=variant == ANSWERS)
    if inputs is None:
        inputs = next(
            j.inputs_sha1
            for j in targets(root, [session.stem])
            if j.lang == lang and j.variant == variant
        )
    lines = {
        notebook.cell_id(c.lang, c.code, c.label): c.line for c in src.chunks if c.lang == lang
    }
    return notebook.finish(raw, src, lang, inputs, shown), lines


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _execute(job: Job, nb: dict, root: Path) -> tuple[dict, float]:
    """Worker: execute one notebook (in its own process).

    The kernel's own chatter on stderr (start-up notices, R's "Execution halted"
    at shutdown) goes to a temporary log rather than over the progress lines;
    its tail is shown only if the kernel itself fails.
    """
    start = time.perf_counter()
    job.output.parent.mkdir(parents=True, exist_ok=True)  # the kernel's working directory
    with tempfile.TemporaryFile() as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)  # inherited by the kernel this process starts
        try:
            executed = execute.run(nb, job.lang, cwd=job.output.parent)
        except execute.ExecutionFailed:
            raise
        except Exception as exc:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{exc}\n  kernel said: " + "\n  ".join(tail)) from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    leaks = execute.machine_details(executed, root)
    if leaks:
        raise execute.ExecutionFailed(None, "output shows machine details: " + "; ".join(leaks))
    return executed, time.perf_counter() - start


def build(
    root: Path = ROOT,
    names: Iterable[str] = (),
    force: bool = False,
    jobs: int = 2,
    log: Callable[[str], None] = print,
) -> int:
    """Build every stale notebook; return the number of failures (0: all good)."""
    todo = plan(root, names, force)
    if not todo:
        log("All notebooks are up to date.")
        return 0
    failures = 0
    ready: list[tuple[Job, dict]] = []
    lines: dict[str, dict] = {}
    for job in todo:  # convert everything first: source errors show before any kernel runs
        try:
            nb, lines[job.name] = _prepare(
                job.session, job.lang, root, job.inputs_sha1, job.variant
            )
            ready.append((job, nb))
        except BuildError as exc:
            log(f"error: {exc}")
            failures += 1
    log(f"Executing {len(ready)} notebook(s) with {jobs} worker(s).")
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute, job, nb, root): job for job, nb in ready}
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            try:
                executed, seconds = future.result()
            except execute.ExecutionFailed as exc:
                where = f"{job.session.relative_to(root).as_posix()}"
                line = lines[job.name].get(exc.cell)
                where += f":{line}" if line else ""
                cell = f" in cell '{exc.cell}'" if exc.cell else ""
                log(f"[{done}/{len(ready)}] {job.name}: FAILED{cell}\n  {where}: {exc.message}")
                failures += 1
                continue
            except Exception as exc:  # a kernel that would not start, a papermill crash, ...
                log(f"[{done}/{len(ready)}] {job.name}: FAILED: {type(exc).__name__}: {exc}")
                failures += 1
                continue
            executed = estimates.extract(executed)  # test-only output -> metadata
            write_atomic(job.output, notebook.dumps(executed))
            log(f"[{done}/{len(ready)}] {job.name}: executed in {seconds:.1f} s")
    return failures
