"""What the preview knows and does: each page's state, rebuilding on change, reload events."""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..course import Course, session_paths
from ..problems import shown_path
from . import processes
from .pages import inject, shell

WATCHED = ("sessions", "_extensions", "filters", "helpers", "assets", "_quarto.yml")


@dataclass
class Page:
    """What the server knows about one session's page."""

    name: str
    good: bool = False  # a rendered page exists in the output folder
    error: str = ""  # the last attempt's error ("" when it went through)
    building: bool = False
    version: int = 0


class Preview:
    """Rebuilds and re-renders pages on change, and serves them.

    Parameters
    ----------
    root : Path
        The course folder.
    only : str or None
        One session to preview (its name); None previews every session.
    out : Path
        Folder the rendered pages go to (emptied at start).
    log : callable
        Where progress and errors are printed (the terminal).
    """

    def __init__(
        self,
        root: Path,
        only: str | None = None,
        out: Path | None = None,
        log: Callable[[str], None] = print,
        jobs: int = 2,
    ) -> None:
        self.root = root
        self.only = only
        self.out = out or root / "test-output" / "preview"
        self.log = log
        self.jobs = jobs
        self.pages: dict[str, Page] = {}
        self.version = 0  # of the whole set (the index page)
        self.stop = asyncio.Event()
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir(parents=True, exist_ok=True)
        for name in self.sessions():
            self.pages[name] = Page(name)

    # ------------------------------------------------------------------ what to rebuild

    def sessions(self) -> list[str]:
        """Names of the sessions this preview serves (rescanned: new files join)."""
        if self.only:
            return [self.only]
        return [p.stem for p in session_paths(self.root)]

    def affected(self, paths: Iterable[str | Path]) -> list[str]:
        """Sessions to rebuild after `paths` changed: a session's own file, else all of them."""
        served = self.sessions()
        names: set[str] = set()
        for path in paths:
            path = Path(path)
            try:
                rel = path.resolve().relative_to(self.root.resolve())
            except ValueError:
                continue
            own = rel.parts[0] == "sessions" and path.suffix == ".qmd" and len(rel.parts) == 2
            if own and not path.name.startswith("_"):
                if path.stem in served:
                    names.add(path.stem)
            else:  # a partial, metadata, filter, extension or helper: every page may change
                names.update(served)
        return sorted(names)

    # ------------------------------------------------------------------ rebuild (blocking)

    def refresh(self, names: list[str]) -> None:
        """Build what is stale among `names`, then render their pages (runs in a thread)."""
        from .. import build
        from ..course import Course
        from ..problems import BuildError

        with self._lock:
            present = self.sessions()
            for name in [n for n in self.pages if n not in present]:
                del self.pages[name]
            names = [n for n in names if (self.root / "sessions" / f"{n}.qmd").exists()]
            for name in names:
                self._update(name, building=True)
            start = time.perf_counter()
            began = time.time()  # for the sources' mtimes: edited during this build?

            def note(text: str) -> None:
                self.log("  " + text.replace("\n", "\n  "))

            course, errors = None, {name: "" for name in names}
            try:
                course = Course.load(self.root)
                report = build.build(course, names, False, self.jobs, log=note)
                for name in names:  # each page shows its own session's problems, once each
                    errors[name] = "\n".join(dict.fromkeys(map(str, report.session(name).errors)))
            except BuildError as exc:  # _quarto.yml: every page's problem
                note(f"error: {exc}")
                errors = dict.fromkeys(names, f"error: {exc}")
            except Exception as exc:  # a crash in the build: shown like any error, preview goes on
                note(f"error: {type(exc).__name__}: {exc}")
                errors = dict.fromkeys(names, f"error: {type(exc).__name__}: {exc}")
            if self.stop.is_set():  # stopped half-way: nothing to report
                return
            for name in names:
                error = errors[name] or (self._render(course, name) if course else "")
                if error and not errors[name] and self._edited_since(name, began):
                    # Saved again while it built: the build read the older text, the render
                    # the newer, so "out of date" says nothing. The watcher has the new
                    # save and rebuilds; keep the page as it is until then.
                    self.log(f"preview: {name}: changed during the build, rebuilding")
                    continue
                seconds = time.perf_counter() - start
                if error:
                    self._update(name, building=False, error=error)
                    self.log(f"preview: {name}: ERROR (last good page kept)\n  {error}")
                else:
                    self._update(name, building=False, error="", good=True)
                    self.log(f"preview: {name} updated in {seconds:.1f} s")

    def _edited_since(self, name: str, began: float) -> bool:
        """Whether session `name`'s source was saved after `began` (a time.time())."""
        try:
            return (self.root / "sessions" / f"{name}.qmd").stat().st_mtime >= began
        except OSError:
            return False

    def _render(self, course: Course, name: str) -> str:
        """Render one page into the output folder; return the error, or "" when it worked."""
        from ..site import SiteError, render_page

        qmd = self.root / "sessions" / f"{name}.qmd"
        staging = Path(tempfile.mkdtemp(prefix=".render-", dir=self.out))
        try:
            render_page(qmd, staging / f"{name}.html", course)
            for item in staging.iterdir():  # the page and anything it brought with it
                target = self.out / item.name
                if target.is_dir():
                    shutil.rmtree(target)
                os.replace(item, target)
            return ""
        except Exception as exc:  # SiteError above all; anything else is shown the same way
            message = str(exc) if isinstance(exc, SiteError) else f"{type(exc).__name__}: {exc}"
            where = f"sessions/{name}.qmd"
            return message if where in message else f"{where}: {message}"
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _update(self, name: str, **changes) -> None:
        """Change a page's state and tell its open browsers."""
        page = self.pages.setdefault(name, Page(name))
        for key, value in changes.items():
            setattr(page, key, value)
        page.version += 1
        self.version += 1
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed while we built
                self._loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ async side

    async def in_thread(self, names: list[str]) -> None:
        """Run `refresh` in a daemon thread (Ctrl-C need not wait for a kernel to finish)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def finish(error: Exception | None) -> None:
            if not done.done():
                done.set_result(error)

        def work() -> None:
            try:
                self.refresh(names)
                error = None
            except Exception as exc:  # reported, and the preview goes on
                error = exc
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(finish, error)

        self._thread = threading.Thread(target=work, daemon=True, name="preview-build")
        self._thread.start()
        error = await done
        if error is not None:
            self.log(f"preview: internal error: {type(error).__name__}: {error}")

    def stop_build(self, wait: float = 15.0) -> None:
        """End a build in progress: its worker processes and their kernels are ours to stop.

        Otherwise the build runs to its end before the preview exits: the build's
        worker processes are forks of this one and inherit the server's Ctrl-C
        handler (which only flags the server in the fork), and the kernels run in
        sessions of their own (see `processes.stop_workers`).
        """
        if self._thread is None or not self._thread.is_alive():
            return
        self.log("preview: stopping the build in progress")
        processes.stop_workers(os.getpid())
        self._thread.join(wait)

    async def watch(self) -> None:
        """Build everything once, then rebuild on every change until `stop` is set."""
        from watchfiles import awatch

        self._loop = asyncio.get_running_loop()
        await self.in_thread(self.sessions())
        paths = [self.root / p for p in WATCHED if (self.root / p).exists()]
        async for changes in awatch(*paths, stop_event=self.stop, step=50, debounce=800):
            names = self.affected(path for _, path in changes)
            if names:
                shown = sorted({shown_path(Path(p), self.root) for _, p in changes})
                self.log(f"preview: changed {', '.join(shown)}: rebuilding {', '.join(names)}")
                await self.in_thread(names)

    async def events(self, name: str, should_stop: Callable[[], bool]):
        """Server-sent events: the page's version now, then each time it changes."""
        last = None
        idle = 0.0
        while not should_stop():
            page = self.pages.get(name)
            current = page.version if page else self.version
            if current != last:
                last = current
                yield f"data: {current}\n\n"
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=0.5)
            except TimeoutError:
                idle += 0.5
                if idle >= 15:  # keep proxies and browsers from closing an idle stream
                    idle = 0.0
                    yield ": keep-alive\n\n"

    # ------------------------------------------------------------------ pages

    def page_html(self, name: str) -> str | None:
        """Return the page as served: last good render, error banner on top, reload script."""
        page = self.pages.get(name)
        if page is None:
            return None
        body = ""
        path = self.out / f"{name}.html"
        if page.good and path.exists():
            body = path.read_text(encoding="utf-8")
        elif page.building:
            body = shell(name, f"<p>Building {html.escape(name)}&hellip;</p>")
        elif not page.error:
            body = shell(name, "<p>Not built yet.</p>")
        else:
            body = shell(name, "")
        return inject(body, page.error, page.version, name)

    def index_html(self) -> str:
        """Render the index page: every session with its last build's state."""
        items = []
        for name in self.sessions():
            page = self.pages.get(name) or Page(name)
            state = "building" if page.building else "error" if page.error else "ok"
            items.append(f'<li><a href="{name}.html">{name}</a> ({state})</li>')
        body = shell("Preview", "<h1>Sessions</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>")
        return inject(body, "", self.version, "")
