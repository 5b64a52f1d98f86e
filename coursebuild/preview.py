"""Live preview of session pages (``./course preview [SESSION]``).

Serves the pages on 127.0.0.1 only and keeps them current while you write:

1. ``watchfiles`` watches ``sessions/``, the extensions, the filters, the
   helpers, ``assets/`` and ``_quarto.yml``;
2. on a save, ``coursebuild.build.build`` rebuilds what is stale (its own
   staleness rules: a session's notebooks re-execute only when their inputs
   changed), then ``coursebuild.site.render_page`` renders the page, the same
   renderer the site tests use;
3. each open page listens on a server-sent-events stream and reloads itself
   when its page changes.

A build or render error goes to the terminal and to the top of the page with
its ``file:line``; the last good page stays underneath. Pages are written to
``test-output/preview/`` through a staging folder, so a failed render never
leaves half a page.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import ROOT

DEFAULT_PORT = 4321
WATCHED = ("sessions", "_extensions", "filters", "helpers", "assets", "_quarto.yml")
EVENTS = "/_preview/events"
ERROR_LINE = re.compile(r"error:|FAILED|\[[\w-]+\]")


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
        found = (self.root / "sessions").glob("*.qmd")
        return sorted(p.stem for p in found if not p.name.startswith("_"))

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
        from . import build
        from .errors import BuildError

        with self._lock:
            for name in list(self.pages):
                if name not in self.sessions():
                    del self.pages[name]
            names = [n for n in names if (self.root / "sessions" / f"{n}.qmd").exists()]
            for name in names:
                self._update(name, building=True)
            start = time.perf_counter()
            began = time.time()  # for the sources' mtimes: edited during this build?
            lines: list[str] = []

            def note(text: str) -> None:
                lines.append(text)
                self.log("  " + text.replace("\n", "\n  "))

            try:
                failures = build.build(self.root, names, False, self.jobs, log=note)
            except BuildError as exc:
                note(f"error: {exc}")
                failures = 1
            except Exception as exc:  # a crash in the build: shown like any error, preview goes on
                note(f"error: {type(exc).__name__}: {exc}")
                failures = 1
            if self.stop.is_set():  # stopped half-way: nothing to report
                return
            # once each: the build reports a source error for every notebook of the session
            errors = [ln for ln in lines if ERROR_LINE.search(ln)] if failures else []
            errors = list(dict.fromkeys(errors))
            for name in names:
                mine = [e for e in errors if _mentions(e, name)]
                if not mine and errors and not any(_mentions(e, n) for e in errors for n in names):
                    mine = errors  # an error no session claims (e.g. _quarto.yml) is everyone's
                error = "\n".join(mine) or self._render(name)
                if error and not mine and self._edited_since(name, began):
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

    def _render(self, name: str) -> str:
        """Render one page into the output folder; return the error, or "" when it worked."""
        from .site import SiteError, render_page

        qmd = self.root / "sessions" / f"{name}.qmd"
        staging = Path(tempfile.mkdtemp(prefix=".render-", dir=self.out))
        try:
            render_page(qmd, staging / f"{name}.html", self.root)
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
        sessions of their own. The workers are frozen first (SIGSTOP cannot be
        caught), so no kernel starts unseen; then every process below them gets
        SIGTERM (kernels shut down on it) and the workers SIGKILL.
        """
        if self._thread is None or not self._thread.is_alive():
            return
        self.log("preview: stopping the build in progress")
        workers = _children(os.getpid())
        for pid in workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        below = [pid for worker in workers for pid in _descendants(worker)]
        for pid, sig in [(p, signal.SIGTERM) for p in below] + [
            (w, signal.SIGKILL) for w in workers
        ]:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
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
                shown = sorted({_shown(Path(p), self.root) for _, p in changes})
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
            body = _shell(name, f"<p>Building {html.escape(name)}&hellip;</p>")
        elif not page.error:
            body = _shell(name, "<p>Not built yet.</p>")
        else:
            body = _shell(name, "")
        return inject(body, page.error, page.version, name)

    def index_html(self) -> str:
        """Render the index page: every session with its last build's state."""
        items = []
        for name in self.sessions():
            page = self.pages.get(name) or Page(name)
            state = "building" if page.building else "error" if page.error else "ok"
            items.append(f'<li><a href="{name}.html">{name}</a> ({state})</li>')
        body = _shell("Preview", "<h1>Sessions</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>")
        return inject(body, "", self.version, "")


def _process_tree() -> dict[int, list[int]]:
    """Parent pid -> child pids, from Linux's /proc (empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    return children


def _children(pid: int) -> list[int]:
    return _process_tree().get(pid, [])


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`."""
    tree = _process_tree()
    found, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _mentions(line: str, name: str) -> bool:
    """Whether a build log line is about session `name` (its file, or its notebook's name)."""
    own = re.search(rf"\b\w+/{re.escape(name)}(?![\w-])", line)  # python/NAME, r/NAME.answers
    return f"sessions/{name}.qmd" in line or own is not None


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _shell(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head>\n<body>\n{body}\n</body></html>\n"
    )


RELOAD = """<script>
(function () {
  var seen = "%(version)s";
  var key = "preview-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) { window.scrollTo(0, +saved); sessionStorage.removeItem(key); }
  var source = new EventSource("%(events)s?page=%(page)s");
  source.onmessage = function (e) {
    if (e.data !== seen) {
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    }
  };
})();
</script>
"""
BANNER = (
    '<div id="preview-error" style="position:sticky;top:0;z-index:10000;margin:0;'
    "padding:0.75em 1em;background:#fdecea;color:#611a15;border-bottom:3px solid #d32f2f;"
    'font-family:sans-serif">'
    "<strong>Build error</strong> (the page below is the last one that built)"
    '<pre style="white-space:pre-wrap;margin:0.5em 0 0">%s</pre></div>\n'
)


def inject(page: str, error: str, version: int, name: str) -> str:
    """Add the error banner after ``<body>`` and the reload script before ``</body>``."""
    script = RELOAD % {"version": version, "events": EVENTS, "page": html.escape(name)}
    if error:
        banner = BANNER % html.escape(error)
        match = re.search(r"<body[^>]*>", page, re.IGNORECASE)
        at = match.end() if match else 0
        page = page[:at] + "\n" + banner + page[at:]
    end = page.lower().rfind("</body>")
    return page + script if end < 0 else page[:end] + script + page[end:]


def make_app(preview: Preview, should_stop: Callable[[], bool]):
    """Return the Starlette application: index, pages, events, and the page's own files."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, Response, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    no_store = {"Cache-Control": "no-store"}

    async def index(request):
        if preview.only:
            return Response(status_code=307, headers={"Location": f"/{preview.only}.html"})
        return HTMLResponse(preview.index_html(), headers=no_store)

    async def page(request):
        text = preview.page_html(request.path_params["name"])
        if text is None:
            return await static(request)
        return HTMLResponse(text, headers=no_store)

    async def events(request):
        name = request.query_params.get("page", "")
        return StreamingResponse(
            preview.events(name, should_stop), media_type="text/event-stream", headers=no_store
        )

    files = StaticFiles(directory=preview.out, check_dir=False)

    async def static(request):
        scope = dict(request.scope, path=request.url.path)
        return await files.get_response(request.url.path.lstrip("/"), scope)

    routes = [
        Route("/", index),
        Route(EVENTS, events),
        Route("/{name}.html", page),
        Mount("/", app=files),
    ]
    return Starlette(routes=routes)


def bind(port: int | None) -> socket.socket:
    """Return a listening-ready socket on 127.0.0.1 (loopback only).

    An explicit port must be free (0: any free port); by default `DEFAULT_PORT`,
    else any free port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", DEFAULT_PORT if port is None else port))
    except OSError:
        if port is not None:
            sock.close()
            raise
        sock.bind(("127.0.0.1", 0))
    return sock


async def serve(preview: Preview, sock: socket.socket, open_browser: bool) -> None:
    """Serve `preview` on `sock` until cancelled, rebuilding on changes."""
    import uvicorn

    server: uvicorn.Server | None = None

    def should_stop() -> bool:
        return preview.stop.is_set() or bool(server and server.should_exit)

    app = make_app(preview, should_stop)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/" + (f"{preview.only}.html" if preview.only else "")
    preview.log(f"preview: serving {url}  (Ctrl-C to stop)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    watcher = asyncio.create_task(preview.watch())
    try:
        await server.serve(sockets=[sock])
    finally:
        preview.stop.set()
        await asyncio.to_thread(preview.stop_build)
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher


def has_display() -> bool:
    """Whether opening a browser can work (a desktop session, not a bare server)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    """Run ``./course preview``; return the exit status."""
    parser = argparse.ArgumentParser(prog="course preview", description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("session", nargs="?", help="one session, e.g. 09-random-slopes (default: all)")
    add("--port", type=int, help=f"port on 127.0.0.1 (default {DEFAULT_PORT}, else free; 0: any)")
    add("--no-browser", action="store_true", help="do not open a browser")
    add("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--root", type=Path, default=ROOT, help="course folder (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    only = None
    if args.session:
        only = Path(args.session).name.removesuffix(".qmd")
        if not (root / "sessions" / f"{only}.qmd").exists():
            print(f"error: no session sessions/{only}.qmd", file=sys.stderr)
            return 2
    try:
        sock = bind(args.port)
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2

    def log(text: str) -> None:
        print(text, flush=True)

    async def run() -> None:
        preview = Preview(root, only, log=log, jobs=args.jobs)
        await serve(preview, sock, open_browser=has_display() and not args.no_browser)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("preview: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
