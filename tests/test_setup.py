"""tools/setup.sh's steps: one line each with its time, silent when done, the log on failure.

The real steps install packages; these tests run setup.sh's own machinery with
small steps of their own in a throw-away folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from coursebuild.config import ROOT

MARKER = "# --- the steps, in order"


def make_setup(tmp_path: Path, steps: str) -> Path:
    """tmp/tools/setup.sh: the real script up to its list of steps, then `steps`."""
    script = (ROOT / "tools" / "setup.sh").read_text()
    assert MARKER in script, "setup.sh lost its steps marker"
    (tmp_path / "tools").mkdir()
    path = tmp_path / "tools" / "setup.sh"
    path.write_text(script[: script.index(MARKER)] + steps)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    return path


def run(path: Path, verbose: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "COURSE_VERBOSE": "1" if verbose else "0"}
    return subprocess.run(["bash", str(path)], capture_output=True, text=True, env=env)


STEPS = """
say() { echo "said: $(cat input.txt)"; }
step "Say it" "input.txt" say
step "Echo" "" echo "an argument"
"""


def test_a_step_prints_one_line_then_nothing_until_its_input_changes(tmp_path):
    (tmp_path / "input.txt").write_text("one\n")
    path = make_setup(tmp_path, STEPS)

    first = run(path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 2, first.stdout
    assert re.fullmatch(r"setup: Say it\.\.\. +\d+\.\d s", lines[0]), lines[0]
    assert re.fullmatch(r"setup: Echo\.\.\. +\d+\.\d s", lines[1]), lines[1]
    log = (tmp_path / ".venv" / "setup.log").read_text()
    assert "said: one" in log  # the output went to the log
    assert "an argument" in log

    again = run(path)
    assert again.returncode == 0
    assert again.stdout == ""
    assert again.stderr == ""

    (tmp_path / "input.txt").write_text("two\n")
    changed = run(path)
    assert [ln.split("...")[0] for ln in changed.stdout.splitlines()] == ["setup: Say it"]
    assert "said: two" in (tmp_path / ".venv" / "setup.log").read_text()


def test_verbose_shows_the_output(tmp_path):
    (tmp_path / "input.txt").write_text("loud\n")
    result = run(make_setup(tmp_path, STEPS), verbose=True)
    assert "said: loud" in result.stdout
    assert "an argument" in result.stdout
    assert "setup: Say it done in" in result.stdout


def test_a_failing_step_shows_the_log_tail_and_path_and_stops(tmp_path):
    steps = """
noisy() { for i in $(seq 1 40); do echo "line $i"; done; echo "the real cause" >&2; return 3; }
step "Noisy" "" noisy
step "Never" "" echo never
"""
    path = make_setup(tmp_path, steps)
    result = run(path)
    log = tmp_path / ".venv" / "setup.log"
    assert result.returncode == 1
    assert "setup: Noisy...  " in result.stdout
    assert " FAILED after " in result.stdout
    assert "  | the real cause" in result.stdout
    assert "  | line 40" in result.stdout
    assert "  | line 1\n" not in result.stdout  # the tail, not everything
    assert f"setup: step 'Noisy' failed; full log: {log}" in result.stderr
    assert "never" not in result.stdout
    assert "line 1\n" in log.read_text()
    assert run(path).returncode == 1  # no stamp: it runs (and fails) again
