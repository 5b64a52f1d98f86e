"""The build: every stale (session, language) pair becomes an executed notebook.

A notebook is stale when the hash of its inputs (see `inputs`) differs from
the one recorded in it. A session gets a notebook for each course language
it has chunks in; one with ``::: qna`` blocks also gets an answers notebook
per language, ``<session>.answers.ipynb``, executed with every answer in: the
downloads keep the questions only (``qna.targets.ipynb``) and the website
takes the answers' outputs from these.

The build works on a `Course`, read once. Stale notebooks are checked and
converted first (fast), every problem of every selected session is reported
at once, sorted and once each; if there is any error nothing is executed or
written. Otherwise the notebooks are executed in parallel, each written to a
temporary file and renamed, so a failure leaves the previous notebook as it
was. `build` returns a `BuildReport`; progress and problems go to `log`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import estimates, execute, exercises, source  # convert, notebook: when needed
from .config import ROOT
from .course import Course
from .inputs import inputs_sha1
from .problems import BuildError, Problem
from .report import CURRENT, EXECUTED, FAILED, BuildReport, NotebookResult

ANSWERS = "answers"  # the variant with every qna answer in


@dataclass
class Job:
    """One notebook to build, from its session as read once."""

    source: source.Source
    lang: str
    output: Path
    inputs_sha1: str
    variant: str = ""  # "" (the download) or ANSWERS

    @property
    def session(self) -> Path:
        """Return the session's source file."""
        return self.source.path

    @property
    def name(self) -> str:
        """Name the job as the build log shows it: ``<lang>/<notebook stem>``."""
        return f"{self.lang}/{self.output.name.removesuffix('.ipynb')}"

    @property
    def stale(self) -> bool:
        """Whether the notebook on disk was built from other inputs (or is missing)."""
        return recorded_inputs(self.output) != self.inputs_sha1


def output_path(session: Path, lang: str, root: Path = ROOT, variant: str = "") -> Path:
    """Return where the notebook of `session` for `lang` (and `variant`) is written."""
    suffix = f".{variant}" if variant else ""
    return root / "notebooks" / lang / f"{session.stem}{suffix}.ipynb"


def jobs_of(course: Course, src: source.Source) -> list[Job]:
    """Return the notebooks a session makes: one per language it uses, per variant."""
    variants = ["", ANSWERS] if "qna" in src.divs else [""]
    return [
        Job(
            src,
            lang,
            output_path(src.path, lang, course.root, variant),
            inputs_sha1(src, f"{lang}.{variant}", course.shared_sha1),
            variant,
        )
        for variant in variants
        for lang in src.languages(course.config.languages)
    ]


def targets(course: Course, names: Iterable[str] = ()) -> list[Job]:
    """Every notebook the selected sessions make, with the hash of its inputs now."""
    return [job for src in course.select(names) for job in jobs_of(course, src)]


def plan(course: Course, names: Iterable[str] = (), force: bool = False) -> list[Job]:
    """Return the notebooks whose recorded inputs hash differs from their inputs now."""
    return [job for job in targets(course, names) if force or job.stale]


# Where a notebook the build wrote (sorted keys: "metadata" after "cells") keeps its hash.
RECORDED = re.compile(rb'"inputs_sha1": "([0-9a-f]{40})"')
TAIL = 1 << 16  # bytes: the metadata, not the (image-heavy) cells


def recorded_inputs(path: Path) -> str | None:
    """Return the inputs hash a built notebook records, or None if there is none.

    A no-op build asks this of every notebook: the hash is read from the end of the
    file, where the build writes the metadata, before parsing it all as a fallback.
    """
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - TAIL))
            found = RECORDED.findall(handle.read())
        if len(found) == 1:
            return found[0].decode()
        meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
        return meta["coursebuild"]["inputs_sha1"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unexecuted(session: Path, lang: str, root: Path = ROOT, variant: str = "") -> dict:
    """Return the notebook for `lang` before execution; `BuildError` lists the session's errors.

    Reads the course at `root` once (the notebook's first cell links its neighbours);
    `session` may also be a page outside it (a test's fixture), read with the course's
    configuration.
    """
    course = Course.load(root)
    src = course.sessions.get(session.stem)
    if src is None or src.path.resolve() != session.resolve():
        src = course.read(session)
    job = Job(src, lang, output_path(session, lang, root, variant), "", variant)
    job.inputs_sha1 = inputs_sha1(src, f"{lang}.{variant}", course.shared_sha1)
    nb, problems = _convert(course, job)
    errors = [p for p in src.problems + problems if not p.warning]
    if errors:
        raise BuildError.of(errors)
    if _waits(job):  # the student's checks: keys from the stored answers notebook
        path = output_path(session, lang, root, ANSWERS)
        answers = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        nb = _with_keys(job, nb, answers)
    return nb


def _convert(course: Course, job: Job) -> tuple[dict, list[Problem]]:
    """Return the unexecuted notebook of a job, and the problems the filters reported."""
    from . import convert, notebook

    if job.source.fatal:  # pandoc would only repeat the source's problems, confusingly
        return {}, []
    answers = job.variant == ANSWERS
    raw, problems = convert.to_ipynb(course, job.source, job.lang, answers=answers)
    if [p for p in problems if not p.warning]:
        # A div left unconverted makes the later filters warn about it: noise.
        return {}, [p for p in problems if not p.warning]
    nb = notebook.finish(course, raw, job.source, job.lang, job.inputs_sha1)
    if answers:  # the checks run on the worked answers (a student's wait for their keys)
        nb = exercises.fill(nb, job.source, job.lang, True, None)
    return nb, problems


def _waits(job: Job) -> bool:
    """Whether a job's notebook needs its answers notebook first (the checks' keys)."""
    return job.variant != ANSWERS and bool(job.source.exercises)


def _with_keys(job: Job, nb: dict, answers: dict | None) -> dict:
    """Fill a student notebook's checks with keys from its executed answers notebook."""
    recorded = exercises.recorded_in(answers) if answers else None
    if recorded is None:
        where = job.source.exercises[0]
        raise execute.ExecutionFailed(
            None, f"no checks recorded by {job.lang}/{job.session.stem}.answers (line {where.line})"
        )
    try:
        return exercises.fill(nb, job.source, job.lang, False, recorded)
    except KeyError as exc:
        raise execute.ExecutionFailed(None, str(exc.args[0])) from None


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
    from . import execute

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
    root: Path | Course = ROOT,
    names: Iterable[str] = (),
    force: bool = False,
    jobs: int = 2,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Build every stale notebook of the selected sessions; return what happened.

    `root` is the course folder, or a `Course` already read (the preview reads it
    itself). A broken `_quarto.yml` or an unknown session name is a `BuildError`:
    nothing of the course can be built then.
    """
    start = time.perf_counter()
    report = BuildReport()
    course = root if isinstance(root, Course) else Course.load(root)
    sources = course.select(names)
    made = {src.name: jobs_of(course, src) for src in sources}  # each notebook read once
    stale = {id(job): force or job.stale for found in made.values() for job in found}
    todo = [job for found in made.values() for job in found if stale[id(job)]]
    building = {job.session for job in todo}
    for src in sources:  # errors always; warnings of the sessions being built
        kept = [p for p in src.problems if not p.warning or src.path in building]
        report.session(src.name).problems.extend(kept)
        report.session(src.name).notebooks.extend(
            NotebookResult(j.name, j.lang, CURRENT) for j in made[src.name] if not stale[id(j)]
        )
    checks = [  # sessions without notebooks are still checked, by one conversion
        Job(src, course.config.languages[0], src.path, "")
        for src in sources
        if not src.chunks and not src.errors
    ]
    ready: list[tuple[Job, dict]] = []
    if todo or checks:  # a no-op build starts no threads and asks pandoc nothing
        ready = _convert_all(course, todo, checks, report, jobs)
    report.convert_seconds = time.perf_counter() - start
    for problem in sorted({p for s in report.sessions.values() for p in s.problems}):
        log(str(problem))
    if report.errors:
        log(f"{len(report.errors)} error(s): nothing was built; fix them and run the build again.")
        return report
    if not todo:
        log("All notebooks are up to date.")
        return report
    if course.unchecked:
        log(f"note: {course.unchecked}")
    log(f"Checked and converted {len(ready)} notebook(s) in {report.convert_seconds:.2f} s.")
    start = time.perf_counter()
    _run(course, ready, jobs, log, report)
    report.execute_seconds = time.perf_counter() - start
    log(f"Executed {len(ready)} notebook(s) in {report.execute_seconds:.2f} s.")
    return report


def _convert_all(
    course: Course, todo: list[Job], checks: list[Job], report: BuildReport, jobs: int
) -> list[tuple[Job, dict]]:
    """Convert the stale notebooks (and check the sessions without any) in threads."""
    from concurrent.futures import ThreadPoolExecutor

    from . import convert

    convert.pandoc_path()  # found once (it asks pandoc its version), before the threads
    ready = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:  # pandoc: subprocesses
        converted = pool.map(lambda j: _convert(course, j), todo + checks)
        for job, (nb, found) in zip(todo + checks, converted, strict=True):
            problems = report.session(job.source.name).problems
            if job in todo:
                problems.extend(p for p in found if p not in problems)
                ready.append((job, nb))
                continue
            problems.extend(p for p in found if not p.warning and p not in problems)
            if not found:
                where = course.shown(job.session)
                problems.append(Problem(where, 0, "no code chunks: no notebook is built", True))
    return ready


def _run(
    course: Course,
    ready: list[tuple[Job, dict]],
    jobs: int,
    log: Callable[[str], None],
    report: BuildReport,
) -> None:
    """Execute the converted notebooks; write each one that succeeds.

    A student notebook with checks waits for its answers notebook (the keys come
    from what the worked answers measured): submitted when that one is written,
    or at once when the stored answers notebook is current.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from . import notebook

    building = {(j.source.name, j.lang) for j, _ in ready if j.variant == ANSWERS}
    waiting = {
        (j.source.name, j.lang): (j, nb)
        for j, nb in ready
        if _waits(j) and (j.source.name, j.lang) in building
    }
    log(f"Executing {len(ready)} notebook(s) with {jobs} worker(s).")
    done = 0
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        running = {}

        def submit(job: Job, nb: dict, answers: dict | None = None) -> None:
            nonlocal done
            try:
                if _waits(job):
                    if answers is None:
                        path = output_path(job.session, job.lang, course.root, ANSWERS)
                        answers = json.loads(path.read_text(encoding="utf-8"))
                    nb = _with_keys(job, nb, answers)
            except (OSError, ValueError, execute.ExecutionFailed) as exc:
                done += 1
                _failed(course, job, exc, report, log, f"[{done}/{len(ready)}]")
                return
            running[pool.submit(_execute, job, nb, course.root)] = job

        for job, nb in ready:
            if waiting.get((job.source.name, job.lang), (None,))[0] is not job:
                submit(job, nb)  # (a waiting one goes when its answers notebook is written)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                done += 1
                step = f"[{done}/{len(ready)}]"
                sibling = waiting.pop((job.source.name, job.lang), None) if job.variant else None
                try:
                    executed, seconds = future.result()
                except Exception as exc:  # a failing cell, a kernel that would not start, ...
                    _failed(course, job, exc, report, log, step)
                    if sibling is not None:
                        done += 1
                        why = f"its answers notebook {job.name} failed"
                        failed = execute.ExecutionFailed(None, why)
                        _failed(course, sibling[0], failed, report, log, f"[{done}/{len(ready)}]")
                    continue
                executed = estimates.extract(executed)  # hidden output -> metadata
                write_atomic(job.output, notebook.dumps(executed))
                log(f"{step} {job.name}: executed in {seconds:.1f} s")
                report.session(job.source.name).notebooks.append(
                    NotebookResult(job.name, job.lang, EXECUTED, seconds)
                )
                if sibling is not None:
                    submit(*sibling, answers=executed)


def _failed(
    course: Course,
    job: Job,
    exc: Exception,
    report: BuildReport,
    log: Callable[[str], None],
    step: str,
) -> None:
    """Report a notebook that could not be executed (its failing cell's file:line if known)."""
    notebooks = report.session(job.source.name).notebooks
    if isinstance(exc, execute.ExecutionFailed):
        chunk = next((c for c in job.source.chunks if c.id == exc.cell), None)
        exercise = next((e for e in job.source.exercises if exc.cell and
                         exc.cell.startswith(e.id + "-")), None)  # fmt: skip
        if chunk is not None:
            where = Problem(chunk.file, chunk.line)
        elif exercise is not None:  # a worked answer its check refused
            where = Problem(exercise.file, exercise.line)
        else:
            where = Problem(course.shown(job.session))
        cell = f" in cell '{exc.cell}'" if exc.cell else ""
        problem = Problem(where.path, where.line, exc.message)
        log(f"{step} {job.name}: FAILED{cell}\n  {problem}")
    else:
        problem = Problem(course.shown(job.session), 0, f"{type(exc).__name__}: {exc}")
        log(f"{step} {job.name}: FAILED: {problem.message}")
    notebooks.append(NotebookResult(job.name, job.lang, FAILED, None, problem))
