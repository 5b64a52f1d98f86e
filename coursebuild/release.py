"""Build the helpers students install: a Python wheel and an R source package.

Both are made from this checkout (helpers/ and helpers/R/) at the version in
helpers/pyproject.toml, and published as the assets of the GitHub release tagged
``helpers-v<version>``; the notebooks' first code cell installs them from there when
they are missing (see `coursebuild.preamble`). The student-sandbox test installs the
same two files, built the same way, into an environment with no checkout on any path.

Usage: ``python -m coursebuild.release [OUT_DIR]`` (default ``dist/``), then upload the
two files: ``gh release create helpers-v<version> dist/*``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from .config import ROOT
from .problems import BuildError

R_PACKAGE = "qmhelpers"
# helpers/R/ -> the package's R/
R_FILES = (
    "schools.R", "mixed.R", "precision.R", "session.R", "regression.R", "checks.R", "draws.R",
    "inference.R",
)  # fmt: skip
R_DATA = ("schools.json", "registry.txt")  # helpers/ -> the package's inst/extdata/
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")


def version(root: Path = ROOT) -> str:
    """Return the helpers' version: ``[project] version`` in helpers/pyproject.toml."""
    path = root / "helpers" / "pyproject.toml"
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(path, None, f"cannot read [project] version: {exc}") from exc


def tag(root: Path = ROOT) -> str:
    """Return the git tag (and GitHub release) the notebooks install the helpers from."""
    return f"helpers-v{version(root)}"


def wheel_name(root: Path = ROOT) -> str:
    """Return the file name of the helpers' wheel for this version."""
    return f"qm_helpers-{version(root)}-py3-none-any.whl"


def r_tarball_name(root: Path = ROOT) -> str:
    """Return the file name of the R helpers' source package for this version."""
    return f"{R_PACKAGE}_{version(root)}.tar.gz"


def asset_url(repo_url: str, name: str, root: Path = ROOT) -> str:
    """Download URL of a release asset on GitHub."""
    base = repo_url.rstrip("/").removesuffix(".git")
    return f"{base}/releases/download/{tag(root)}/{name}"


def build_wheel(out: Path, root: Path = ROOT) -> Path:
    """Build the qm-helpers wheel into `out` (from a copy: the checkout stays clean)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qm-helpers-") as tmp:
        src = Path(tmp) / "helpers"
        shutil.copytree(root / "helpers", src, ignore=IGNORED)
        _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(out)])
    path = out / wheel_name(root)
    if not path.is_file():
        raise BuildError(root / "helpers" / "pyproject.toml", None, f"pip made no {path.name}")
    return path


def build_r_package(out: Path, root: Path = ROOT) -> Path:
    """Assemble the qmhelpers R package from helpers/ and build its source tarball."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qmhelpers-") as tmp:
        pkg = Path(tmp) / R_PACKAGE
        (pkg / "R").mkdir(parents=True)
        (pkg / "inst" / "extdata").mkdir(parents=True)
        for name in R_FILES:
            shutil.copy2(root / "helpers" / "R" / name, pkg / "R" / name)
        for name in R_DATA:
            shutil.copy2(root / "helpers" / name, pkg / "inst" / "extdata" / name)
        shutil.copy2(root / "helpers" / "R" / "NAMESPACE", pkg / "NAMESPACE")
        (pkg / "DESCRIPTION").write_text(_description(version(root)), encoding="utf-8")
        _run(["R", "CMD", "build", "--no-build-vignettes", "--no-manual", str(pkg)], cwd=out)
    path = out / r_tarball_name(root)
    if not path.is_file():
        raise BuildError(root / "helpers" / "R", None, f"R CMD build made no {path.name}")
    return path


def _description(v: str) -> str:
    return (
        f"Package: {R_PACKAGE}\n"
        "Title: Helpers for the Quantitative Methods in R and Python Course\n"
        f"Version: {v}\n"
        "Description: Verified downloads of the course data, the rows every model uses\n"
        "    (the same rule as the Python helpers), notebook start-up and the\n"
        "    exercises' self-checks.\n"
        "License: MIT\n"
        "Encoding: UTF-8\n"
        "Imports: digest, jsonlite, stats, utils\n"
        "Suggests: ggplot2, IRdisplay, lme4, lmerTest\n"
    )


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise BuildError(" ".join(cmd[:3]), None, f"failed (exit {done.returncode}):\n{tail}")


def main(argv: list[str]) -> int:
    """Build the wheel and the R package into `argv[0]` (default dist/); return the exit status."""
    out = Path(argv[0]) if argv else ROOT / "dist"
    try:
        files = [build_wheel(out), build_r_package(out)]
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in files:
        print(f"built {path}")
    print(f"publish: gh release create {tag()} {' '.join(str(p) for p in files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
