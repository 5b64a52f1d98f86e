"""Test tiers: what a test needs, read from its fixtures; traps for what it does not need.

A test's tiers (pytest markers, registered in pyproject.toml) come from the fixtures in
its closure (``item.fixturenames``: those it asks for, directly or through other
fixtures), never from its file or its name (`FIXTURE_TIERS`). A test with none of them is
``unit``. nbval's cells (the committed notebooks) need a kernel; R's notebooks, and
Python notebooks that start R (pymer4, rpy2), need R; a notebook that reads the course
data needs the data (`notebook_tiers`).

What a test's tiers do not include is replaced by a trap while it runs (`arm`): a
program that fails loudly and writes a line to a log the test's teardown reads
(`sprung`), so a test that starts R, pandoc or a kernel without saying so fails, even
when it swallows the error:

- ``r``: ``R_PROFILE_USER`` (read by every R that starts: Rscript, R, the ``ir`` kernel,
  rpy2's embedded R) and ``R``/``Rscript`` first on PATH (which also catches
  ``--vanilla``, which skips the profile);
- ``kernel``: ``JUPYTER_PATH`` holding ``python3`` and ``ir`` kernels that are the trap;
- ``pandoc``: ``PYPANDOC_PANDOC``, pypandoc's override (coursebuild asks pypandoc);
- ``data``: ``QM_DATA_DIR``, an empty folder (reading a data file fails).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

# fixture -> the tiers it puts a test in (tests/conftest.py and conftest.py define them)
FIXTURE_TIERS: dict[str, tuple[str, ...]] = {
    "pandoc": ("pandoc",),
    "quarto_share": ("quarto",),
    "quarto_cli": ("quarto",),
    "rscript": ("r",),
    "r_kernel": ("r", "kernel"),
    "lmer": ("r",),
    "kernel": ("kernel",),
    "chromium": ("browser",),
    "course_data": ("data",),
    "ruff": ("tools",),
    "mypy": ("tools",),
    "node": ("tools",),
    "actionlint": ("tools",),
}
TIERS = ("unit", "pandoc", "quarto", "r", "kernel", "browser", "data", "tools")
# What a notebook's code calls when it reads the course data, or starts R from Python.
READS_DATA = ("load_schools(", "analysis_table(", "fetch(", "qm_fetch(")
STARTS_R = ("fit_lme4(", "pymer4", "rpy2")
TRAPPED = ("r", "kernel", "pandoc", "data")
# The suite in parts, for CI's jobs (``--part``; .github/workflows/test.yml runs each):
# every test is in exactly one (`part`), so together they are the whole suite.
PARTS = ("fast", "execute", "sandbox")
# Files whose tests xdist shares out one by one (each runs alone in kernels of its own).
SHARED_OUT = ("test_student_sandbox.py",)


def fixture_tiers(fixturenames: Iterable[str]) -> set[str]:
    """Return the tiers of a test using `fixturenames` (its closure): ``{"unit"}`` if none."""
    found = {tier for name in fixturenames for tier in FIXTURE_TIERS.get(name, ())}
    return found or {"unit"}


def notebook_tiers(language: str, code: str) -> set[str]:
    """Return the tiers of an nbval cell of a notebook in `language` whose cells hold `code`."""
    found = {"kernel"}
    if language == "r" or any(call in code for call in STARTS_R):
        found.add("r")
    if any(call in code for call in READS_DATA):
        found.add("data")
    return found


def part(file_name: str, found: set[str]) -> str:
    """Return the part of a test in file `file_name` with tiers `found`.

    ``sandbox``: the downloaded notebooks in fresh environments; ``execute``: what runs
    notebooks (nbval among it) or drives a browser; ``fast``: the rest.
    """
    if file_name in SHARED_OUT:
        return "sandbox"
    return "execute" if found & {"kernel", "browser"} else "fast"


# --------------------------------------------------------------------------- traps

MESSAGE = "{what} started in a test not marked {tier}"
SHELL = """#!/bin/sh
echo "{message}: $0 $*" >> '{log}'
echo "{message} ($0): give the test the fixture that says it needs it" >&2
exit 86
"""
PROFILE = """local({{
  msg <- "{message}"
  cat(msg, ": R ", paste(commandArgs(), collapse = " "), "\\n", sep = "",
      file = "{log}", append = TRUE)
  stop(msg, " (R_PROFILE_USER): give the test the rscript fixture", call. = FALSE)
}})
"""


class Traps:
    """The trap files of this process (one folder), and the environment they replace."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="qm-test-traps-"))
        self.log = self.folder / "sprung.log"
        self.log.touch()
        self.original = {
            name: os.environ.get(name)
            for name in ("R_PROFILE_USER", "PATH", "JUPYTER_PATH", "PYPANDOC_PANDOC", "QM_DATA_DIR")
        }
        bin_ = self.folder / "bin"
        bin_.mkdir()
        for program in ("R", "Rscript"):
            self._script(bin_ / program, MESSAGE.format(what="R", tier="r"))
        profile = self.folder / "trap.Rprofile"
        profile.write_text(PROFILE.format(message=MESSAGE.format(what="R", tier="r"), log=self.log))
        message = MESSAGE.format(what="A kernel", tier="kernel")
        kernel = self._script(self.folder / "kernel", message)
        for name, language in (("python3", "python"), ("ir", "R")):
            spec = self.folder / "jupyter" / "kernels" / name
            spec.mkdir(parents=True)
            data = {"argv": [str(kernel), "{connection_file}"], "display_name": name,
                    "language": language}  # fmt: skip
            (spec / "kernel.json").write_text(json.dumps(data))
        self._script(self.folder / "pandoc", MESSAGE.format(what="pandoc", tier="pandoc"))
        (self.folder / "no-data").mkdir()
        self.armed: frozenset[str] | None = None

    def _script(self, path: Path, message: str) -> Path:
        path.write_text(SHELL.format(message=message, log=self.log))
        path.chmod(0o755)
        return path

    def trap_values(self) -> dict[str, dict[str, str]]:
        """Return, per trapped tier, the environment variables its trap sets."""
        path = self.original["PATH"] or os.defpath
        r_path = f"{self.folder / 'bin'}{os.pathsep}{path}"
        return {
            "r": {"R_PROFILE_USER": str(self.folder / "trap.Rprofile"), "PATH": r_path},
            "kernel": {"JUPYTER_PATH": str(self.folder / "jupyter")},
            "pandoc": {"PYPANDOC_PANDOC": str(self.folder / "pandoc")},
            "data": {"QM_DATA_DIR": str(self.folder / "no-data")},
        }

    def arm(self, tiers: set[str]) -> None:
        """Set the traps of every trapped tier not in `tiers`; restore the others."""
        trapped = frozenset(t for t in TRAPPED if t not in tiers)
        if trapped == self.armed:
            return
        for tier, values in self.trap_values().items():
            for name, value in values.items():
                if tier in trapped:
                    os.environ[name] = value
                elif self.original[name] is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = str(self.original[name])
        if self.armed is None or ("pandoc" in trapped) != ("pandoc" in self.armed):
            _forget_pandoc()
        self.armed = trapped

    def disarm(self) -> None:
        """Restore the environment the run started with."""
        self.arm(set(TRAPPED))

    def remove(self) -> None:
        """Restore the environment and delete the trap files."""
        self.disarm()
        shutil.rmtree(self.folder, ignore_errors=True)

    def sprung(self) -> list[str]:
        """Return (and clear) the lines the traps wrote since the last call."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        if lines:
            self.log.write_text("")
        return lines


def _forget_pandoc() -> None:
    """Make the next pandoc lookup ask again (coursebuild and pypandoc keep the path found)."""
    convert = sys.modules.get("coursebuild.convert")
    if convert is not None:
        convert.pandoc_path.cache_clear()
    pypandoc = sys.modules.get("pypandoc")
    if pypandoc is not None:
        vars(pypandoc).update({"__pandoc_path": None, "__version": None})
