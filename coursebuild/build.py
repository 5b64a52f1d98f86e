"""The build: every stale (session, language) pair becomes an executed notebook.

A notebook is stale when the hash of its inputs (see `inputs`) differs from
the one recorded in it. A session gets a notebook for each course language
it has chunks in; one with ``::: qna`` blocks also gets an answers notebook
per language, ``<session>.answers.ipynb``, executed with every answer in: the
downloads keep the questions only (``qna.targets.ipynb``) and the website
takes the answers' outputs from these.

One build reads the course configuration once and each session once (with
the files it includes). Stale notebooks are checked and converted first
(fast), every problem of every selected session is reported at once, sorted
and once each; if there is any error nothing is executed or written.
Otherwise the notebooks are executed in parallel, each written to a
temporary file and renamed, so a failure leaves the previous notebook as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import estimates, preamble, source  # convert, execute, notebook: when there is work
from .config import ROOT, CourseConfig
from .errors import BuildError, Problem
from .inputs import inputs_sha1, shared_sha1

ANSWERS = "answers"  # the variant with every qna answer in


@dataclass
class Job:
    """One notebook to build, from its session as read once."""

    session: Path
    lang: str
    output: Path
    inputs_sha1: str
    variant: str = ""  # "" (the download) or ANSWERS
    source: source.Source | None = None
    outline: preamble.Outline = ()  # every session's name and title (the navigation links)

    @property
    def name(self) -> str:
        """Name the job as the build log shows it: ``<lang>/<notebook stem>``."""
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
    """Return where the notebook of `session` for `lang` (and `variant`) is written."""
    suffix = f".{variant}" if variant else ""
    return root / "notebooks" / lang / f"{session.stem}{suffix}.ipynb"


def shown(path: Path, root: Path) -> str:
    """Return a path as messages and notebooks name it: relative to the course, with '/'."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def load_session(path: Path, config: CourseConfig, root: Path = ROOT) -> source.Source:
    """Read and check one session (problems collected in the result)."""
    return source.load(path, config.languages, shown(path, root), config.variables, config.quarto)


def jobs_of(
    src: source.Source,
    config: CourseConfig,
    shared: str,
    root: Path = ROOT,
    outline: preamble.Outline = (),
) -> list[Job]:
    """Return the notebooks a session makes: one per language it uses, per variant."""
    variants = ["", ANSWERS] if "qna" in src.divs else [""]
    return [
        Job(
            src.path,
            lang,
            output_path(src.path, lang, root, variant),
            inputs_sha1(src, f"{lang}.{variant}", shared),
            variant,
            src,
            outline,
        )
        for variant in variants
        for lang in src.languages(config.languages)
    ]


def targets(
    root: Path = ROOT, names: Iterable[str] = (), config: CourseConfig | None = None
) -> list[Job]:
    """Every notebook the sessions make, with the hash of its inputs now."""
    config = config or CourseConfig.load(root)
    # Every session is read (once): each notebook's first cell links its neighbours.
    loaded = {path: load_session(path, config, root) for path in sessions(root)}
    outline = preamble.outline_of(loaded.values())
    shared = shared_sha1(config, root, outline)  # once: every notebook shares it
    return [
        job
        for path in sessions(root, names)
        for job in jobs_of(loaded[path], config, shared, root, outline)
    ]


def plan(
    root: Path = ROOT,
    names: Iterable[str] = (),
    force: bool = False,
    config: CourseConfig | None = None,
) -> list[Job]:
    """Return the notebooks whose recorded inputs hash differs from their inputs now."""
    return [
        job
        for job in targets(root, names, config)
        if force or recorded_inputs(job.output) != job.inputs_sha1
    ]


def recorded_inputs(path: Path) -> str | None:
    """Return the inputs hash a built notebook records, or None if there is none."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
        return meta["coursebuild"]["inputs_sha1"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unexecuted(
    session: Path, lang: str, root: Path = ROOT, inputs: str | None = None, variant: str = ""
) -> dict:
    """Return the notebook for `lang` before execution; `BuildError` lists the session's errors."""
    config = CourseConfig.load(root)
    src = load_session(session, config, root)
    if inputs is None:
        inputs = inputs_sha1(src, f"{lang}.{variant}", shared_sha1(config, root))
    job = Job(session, lang, output_path(session, lang, root, variant), inputs, variant, src)
    nb, problems = _convert(job, config, root)
    errors = [p for p in src.problems + problems if not p.warning]
    if errors:
        raise BuildError.of(errors)
    return nb


def _convert(job: Job, config: CourseConfig, root: Path) -> tuple[dict, list[Problem]]:
    """Return the unexecuted notebook of a job, and the problems the filters reported."""
    from . import convert, notebook

    src = job.source
    assert src is not None
    if src.fatal:  # pandoc would only repeat the source's problems, confusingly
        return {}, []
    raw, problems = convert.to_ipynb(src, job.lang, config, root, answers=job.variant == ANSWERS)
    if [p for p in problems if not p.warning]:
        # A div left unconverted makes the later filters warn about it: noise.
        return {}, [p for p in problems if not p.warning]
    nb = notebook.finish(
        raw, src, job.lang, job.inputs_sha1, shown(src.path, root), config, job.outline or None
    )
    return nb, problems


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
    root: Path = ROOT,
    names: Iterable[str] = (),
    force: bool = False,
    jobs: int = 2,
    log: Callable[[str], None] = print,
) -> int:
    """Build every stale notebook; return the number of failures (0: all good)."""
    start = time.perf_counter()
    config = CourseConfig.load(root)
    # Every session is read (once): each notebook's first cell links its neighbours.
    loaded = {path: load_session(path, config, root) for path in sessions(root)}
    outline = preamble.outline_of(loaded.values())
    shared = shared_sha1(config, root, outline)
    sources = [loaded[path] for path in sessions(root, names)]
    todo = [
        job
        for src in sources
        for job in jobs_of(src, config, shared, root, outline)
        if force or recorded_inputs(job.output) != job.inputs_sha1
    ]
    building = {job.session for job in todo}
    problems: set[Problem] = set()
    checks = []  # sessions without notebooks are still checked, by one conversion
    for src in sources:  # errors always; warnings of the sessions being built
        problems.update(p for p in src.problems if not p.warning or src.path in building)
        if not src.chunks and not src.errors:
            checks.append(Job(src.path, config.languages[0], src.path, "", "", src))
    ready: list[tuple[Job, dict]] = []
    if todo or checks:  # a no-op build starts no threads and asks pandoc nothing
        from concurrent.futures import ThreadPoolExecutor

        from . import convert

        convert.pandoc_path()  # found once (it asks pandoc its version), before the threads
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:  # pandoc: subprocesses
            converted = pool.map(lambda j: _convert(j, config, root), todo + checks)
            for job, (nb, found) in zip(todo + checks, converted, strict=True):
                if job in todo:
                    problems.update(found)
                    ready.append((job, nb))
                    continue
                problems.update(p for p in found if not p.warning)
                if not found:
                    where = shown(job.session, root)
                    problems.add(Problem(where, 0, "no code chunks: no notebook is built", True))
    for problem in sorted(problems):
        log(str(problem))
    errors = [p for p in problems if not p.warning]
    if errors:
        log(f"{len(errors)} error(s): nothing was built; fix them and run the build again.")
        return len(errors)
    if not todo:
        log("All notebooks are up to date.")
        return 0
    log(f"Checked and converted {len(ready)} notebook(s) in {time.perf_counter() - start:.2f} s.")
    start = time.perf_counter()
    failures = _run(ready, root, jobs, log)
    log(f"Executed {len(ready)} notebook(s) in {time.perf_counter() - start:.2f} s.")
    return failures


def _run(ready: list[tuple[Job, dict]], root: Path, jobs: int, log: Callable[[str], None]) -> int:
    """Execute the converted notebooks; write each one that succeeds."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from . import execute, notebook

    failures = 0
    log(f"Executing {len(ready)} notebook(s) with {jobs} worker(s).")
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute, job, nb, root): job for job, nb in ready}
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            try:
                executed, seconds = future.result()
            except execute.ExecutionFailed as exc:
                chunks = job.source.chunks if job.source is not None else []
                chunk = next((c for c in chunks if c.id == exc.cell), None)
                where = f"{chunk.file}:{chunk.line}" if chunk else shown(job.session, root)
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
