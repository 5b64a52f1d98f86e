"""`./course preview`: an edit re-executes, re-renders and reloads; a broken edit shows its error.

The preview runs as the instructor runs it (a subprocess, Ctrl-C to stop) on a
throw-away project with one tiny session, on a free loopback port.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coursebuild import preview, scratch
from coursebuild.config import ROOT

NAME = "90-tiny"
SESSION = scratch.TINY
BROKEN = """---
title: "Session 90: Tiny"
---

Some prose.

::: multicode
#### Python
```{python}
print("answer", 6 * 9)
```
:::
"""
TIMEOUT = 240  # seconds for one rebuild: two kernels start on a machine that may be busy


def clean_env() -> dict[str, str]:
    """Return this process's environment without LD_LIBRARY_PATH.

    Embedded R (rpy2, imported by other tests in this process) sets it to R's and the
    system's library folders, and then this Python's `ssl` (which uvicorn imports)
    fails to load in a child process; an instructor's shell has no such setting.
    """
    return {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}


def make_project(tmp_path: Path) -> Path:
    parts = (*scratch.BUILD, "assets")
    return scratch.make_course(tmp_path / "course", {NAME: SESSION.replace("VALUE", "7")}, parts)


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        conn.close()


def wait_for(
    port: int, path: str, condition, timeout: float = TIMEOUT, proc=None, out: Path | None = None
) -> tuple[float, str]:
    """Poll `path` until `condition(html)`; return the seconds it took and the page.

    With `proc`, stop early if the preview died; its output (`out`) goes in the message.
    """
    start = time.monotonic()
    page = ""

    def said() -> str:
        return f"\npreview's output:\n{out.read_text()[-3000:]}" if out else ""

    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the preview exited with {proc.returncode}" + said())
        try:
            status, page = get(port, path)
            if status == 200 and condition(page):
                return time.monotonic() - start, page
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise AssertionError(
        f"timed out after {timeout} s on {path}; last page:\n{page[-2000:]}{said()}"
    )


def _banner(html: str) -> str:
    found = re.search(r'<div id="preview-error".*?</div>', html, re.S)
    return found.group(0) if found else ""


class EventLog:
    """Reads the page's server-sent events in a thread and keeps the `data:` values."""

    def __init__(self, port: int, page: str) -> None:
        self.values: list[str] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.conn.request("GET", f"{preview.EVENTS}?page={page}")
        self.response = self.conn.getresponse()
        assert self.response.getheader("content-type").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode().strip()
                if line.startswith("data: "):
                    self.values.append(line[6:])
        except (OSError, ValueError):
            pass  # the server went away


@pytest.fixture
def running(tmp_path, page_render, kernel, r_kernel):
    """(project, port, process, output file) of a preview of the tiny session.

    Port 0: the preview takes a free port itself and prints it (no race with
    other programs for a port picked here). The preview builds the session (pandoc, both
    kernels) and renders its page with Quarto's resources and knitr (`page_render`):
    without them the test is skipped, saying how to get them.
    """
    root = make_project(tmp_path)
    out = tmp_path / "preview.log"
    command = [sys.executable, "-m", "coursebuild", "preview", NAME, "--root", str(root)]
    with out.open("w") as log:
        proc = subprocess.Popen(
            [*command, "--port", "0", "--no-browser"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=clean_env(),
        )
    deadline = time.monotonic() + 60
    found = None
    while found is None and proc.poll() is None and time.monotonic() < deadline:
        found = re.search(r"serving http://127\.0\.0\.1:(\d+)/", out.read_text())
        time.sleep(0.1)
    assert found, f"the preview did not start:\n{out.read_text()}"
    port = int(found.group(1))
    try:
        yield root, port, proc, out
    finally:
        if proc.poll() is None:  # a failed test: take its kernels down with it
            for pid in [*preview.descendants(proc.pid), proc.pid]:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait()


def test_edit_reloads_page_and_broken_edit_shows_error(running):
    root, port, proc, out = running
    qmd = root / "sessions" / f"{NAME}.qmd"
    page = f"/{NAME}.html"

    # First build: the notebook is executed and its output is on the page.
    wait_for(port, page, lambda html: "answer 42" in html, proc=proc, out=out)
    assert get(port, "/")[0] == 307  # the index redirects to the one session
    events = EventLog(port, NAME)

    # An edit: re-executed (the output changes, not just the code) and the page follows.
    qmd.write_text(SESSION.replace("VALUE", "9"))
    seconds, html = wait_for(port, page, lambda html: "answer 54" in html, proc=proc, out=out)
    print(f"edit -> new page in {seconds:.1f} s")
    assert "answer 42" not in html
    assert "preview-error" not in html
    deadline = time.monotonic() + 10
    while len(set(events.values)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(set(events.values)) >= 2, f"no reload event reached the page: {events.values}"

    # A broken edit (the R tab is missing): the error with its file:line on top of the last
    # good page, and in the terminal.
    qmd.write_text(BROKEN)
    where = f"sessions/{NAME}.qmd:7:"
    _, html = wait_for(port, page, lambda html: 'id="preview-error"' in html)
    banner = _banner(html)
    assert where in banner, banner
    assert "no tab for language" in banner, banner
    assert "answer 54" in html  # the last good page stays up
    assert where in out.read_text()

    # A cell that fails when run: the error names the chunk's line, the last good page stays.
    qmd.write_text(SESSION.replace("VALUE", "undefined_value"))
    _, html = wait_for(port, page, lambda html: "undefined_value" in _banner(html))
    assert f"sessions/{NAME}.qmd:7:" in _banner(html), _banner(html)  # the Python chunk
    assert "answer 54" in html

    # Fixed again: the banner goes.
    qmd.write_text(SESSION.replace("VALUE", "7"))
    wait_for(port, page, lambda html: "answer 42" in html and "preview-error" not in html)

    # Ctrl-C stops it cleanly and frees the port.
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0, out.read_text()
    assert "preview: stopped" in out.read_text()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=2),
    ):
        pass


def test_changes_map_to_sessions(tmp_path):
    root = make_project(tmp_path)
    (root / "sessions" / "91-other.qmd").write_text(SESSION)
    view = preview.Preview(root, out=tmp_path / "out", log=lambda _: None)
    sessions = root / "sessions"
    assert view.affected([sessions / "91-other.qmd"]) == ["91-other"]
    assert view.affected([sessions / "_partial.qmd"]) == [NAME, "91-other"]
    assert view.affected([root / "filters" / "cells.lua"]) == [NAME, "91-other"]
    assert view.affected([tmp_path / "elsewhere.qmd"]) == []
    one = preview.Preview(root, only=NAME, out=tmp_path / "out", log=lambda _: None)
    assert one.affected([sessions / "91-other.qmd"]) == []
    assert one.affected([root / "_quarto.yml"]) == [NAME]


def test_error_banner_and_reload_script_are_injected():
    page = "<html><body class='x'><p>old</p></body></html>"
    html = preview.inject(page, "sessions/a.qmd:3: bad <thing>", 7, "a")
    assert html.index('id="preview-error"') < html.index("<p>old</p>") < html.index("<script>")
    assert "sessions/a.qmd:3: bad &lt;thing&gt;" in html
    assert 'var seen = "7"' in html
    assert f"{preview.EVENTS}?page=a" in html


def test_port_in_use_is_refused(tmp_path):
    root = make_project(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "coursebuild",
                "preview",
                "--root",
                str(root),
                "--port",
                str(port),
                "--no-browser",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=clean_env(),
            timeout=60,
        )
    assert result.returncode == 2
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_unknown_session_is_refused(tmp_path):
    root = make_project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "coursebuild", "preview", "77-nope", "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 2
    assert "error: no session sessions/77-nope.qmd" in result.stderr


def kernels_below(pid: int) -> list[int]:
    """Kernel processes started (through the build's workers) below `pid`."""
    found = []
    for child in preview.descendants(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ipykernel" in cmdline or b"IRkernel" in cmdline:
            found.append(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_during_a_build_stops_it_and_its_kernels(running):
    root, port, proc, out = running
    qmd = root / "sessions" / f"{NAME}.qmd"
    wait_for(port, f"/{NAME}.html", lambda html: "answer 42" in html, proc=proc, out=out)
    slow = SESSION.replace('print("answer"', 'import time; time.sleep(300); print("answer"')
    qmd.write_text(slow.replace('cat("answer"', 'Sys.sleep(300); cat("answer"'))
    deadline = time.monotonic() + TIMEOUT
    while len(kernels_below(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    kernels = kernels_below(proc.pid)
    assert len(kernels) == 2, out.read_text()

    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0, out.read_text()
    assert time.monotonic() - start < 20  # not the 300 s the cells sleep
    assert "preview: stopping the build in progress" in out.read_text()
    deadline = time.monotonic() + 20  # SIGTERM: a kernel shuts down, which takes a moment
    alive = kernels
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in kernels if Path(f"/proc/{pid}").exists()]
    assert alive == [], f"kernels left running: {alive}"
