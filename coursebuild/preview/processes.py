"""The processes below the preview's build, to stop them on Ctrl-C (Linux's /proc)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def _process_tree() -> dict[int, list[int]]:
    """Parent pid -> child pids, from Linux's /proc (empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    return children


def children(pid: int) -> list[int]:
    """Return the processes started by `pid`."""
    return _process_tree().get(pid, [])


def descendants(pid: int) -> list[int]:
    """Every process below `pid`."""
    tree = _process_tree()
    found, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_workers(pid: int) -> None:
    """Stop the build's worker processes under `pid`, and every process below them.

    The workers are frozen first (SIGSTOP cannot be caught), so no kernel starts
    unseen; then every process below them gets SIGTERM (kernels shut down on it)
    and the workers SIGKILL.
    """
    workers = children(pid)
    for worker in workers:
        with contextlib.suppress(OSError):
            os.kill(worker, signal.SIGSTOP)
    below = [p for worker in workers for p in descendants(worker)]
    for target, sig in [(p, signal.SIGTERM) for p in below] + [
        (w, signal.SIGKILL) for w in workers
    ]:
        with contextlib.suppress(OSError):
            os.kill(target, sig)
