"""The preview's loopback web server and its command line (``./course preview``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..config import ROOT
from .pages import EVENTS
from .state import Preview

DEFAULT_PORT = 4321


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
    parser = argparse.ArgumentParser(
        prog="course preview", description="Live preview of the session pages."
    )
    add = parser.add_argument
    add("session", nargs="?", help="one session, e.g. 10-binary-choice (default: all)")
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
