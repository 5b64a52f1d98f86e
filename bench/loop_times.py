"""Benchmark of the instructor's loop on this machine (`.venv/bin/python bench/loop_times.py`).

Times: `tools/setup.sh` with nothing to do (median of 5), and, on a
throw-away project with one tiny session, how long `./course preview` takes
from a save to the new page being served, for an edit that re-executes the
two notebooks and for a broken edit (no kernel: the error page). Checks the
targets: setup no-op under 1 s, error page under 5 s. Exits 1 if one is missed.
"""

from __future__ import annotations

import http.client
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursebuild import scratch  # noqa: E402

SETUP_TARGET_S = 1.0
ERROR_PAGE_TARGET_S = 5.0
SESSION = scratch.TINY
BROKEN = SESSION.replace("#### R", "#### Julia")


def setup_noop() -> float:
    """Time a no-op ``./course setup`` (median of five), the cost of re-running it."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(["bash", "tools/setup.sh"], cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def page(port: int) -> str:
    """Fetch the preview's tiny page as text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/90-tiny.html")
        return conn.getresponse().read().decode()
    except OSError:
        return ""
    finally:
        conn.close()


def until(port: int, words: str, timeout: float = 300) -> float:
    """Wait until the page served on `port` contains `words`; return the seconds it took."""
    start = time.perf_counter()
    while words not in page(port):
        if time.perf_counter() - start > timeout:
            sys.exit(f"preview never showed {words!r}")
        time.sleep(0.05)
    return time.perf_counter() - start


def preview_latency() -> tuple[float, float]:
    """Time a save to its page and a broken save to the error page, in a throw-away course."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = (*scratch.BUILD, "assets")
        root = scratch.make_course(Path(tmp), {"90-tiny": SESSION.replace("VALUE", "7")}, parts)
        qmd = root / "sessions" / "90-tiny.qmd"
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "coursebuild", "preview", "90-tiny", "--root", str(root),
             "--port", str(port), "--no-browser"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            until(port, "answer 42")
            qmd.write_text(SESSION.replace("VALUE", "9"))
            executed = until(port, "answer 54")
            qmd.write_text(BROKEN)
            error = until(port, 'id="preview-error"')
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    return executed, error


def main() -> int:
    """Print the loop times against their targets; exit status 1 when one is missed."""
    noop = setup_noop()
    executed, error = preview_latency()
    rows = [
        ("setup, nothing to do", noop, SETUP_TARGET_S),
        ("preview: save -> page (2 notebooks run)", executed, None),
        ("preview: broken save -> error page", error, ERROR_PAGE_TARGET_S),
    ]
    missed = 0
    for label, seconds, target in rows:
        verdict = "" if target is None else ("ok" if seconds < target else "MISSED")
        goal = "" if target is None else f"< {target:.0f} s"
        print(f"{label:42} {seconds:6.2f} s  {goal:7} {verdict}")
        missed += verdict == "MISSED"
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
