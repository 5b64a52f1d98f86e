"""Check everything the build, the tests, the site and the downloads need (``./course doctor``).

Each check prints one line: ``✓`` and what was found, or ``✗`` with what is
wrong and the command that fixes it (``!`` for something optional). The exit
status is 1 when anything required is missing, so a missing R package, kernel
or data file shows up here rather than half-way through a build.

Only the standard library is imported at the top: the doctor must still speak
when the virtual environment itself is what is broken.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUP = "./course setup"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@dataclass(frozen=True)
class Item:
    """One line of the report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def line(self, marks: tuple[str, str, str] = ("✓", "✗", "!")) -> str:
        """Format the item as one report line: mark, name, detail, and the fix when it failed."""
        mark = marks[0] if self.ok else marks[1] if self.required else marks[2]
        text = f"{mark} {self.name}: {self.detail}"
        return text + (f" -> {self.fix}" if self.fix and not self.ok else "")


# --------------------------------------------------------------------------- Python


def python_env(root: Path) -> Iterator[Item]:
    """Check the interpreter and the project's own .venv."""
    version = ".".join(map(str, sys.version_info[:3]))
    yield Item(
        "Python",
        sys.version_info >= (3, 11),
        f"{version} ({sys.executable})",
        "install Python 3.11 or later",
    )
    venv = root / ".venv"
    inside = Path(sys.prefix).resolve() == venv.resolve()
    if not (venv / "bin" / "python").exists():
        yield Item(".venv", False, f"no virtual environment in {venv}", SETUP)
    else:
        yield Item(
            ".venv",
            inside,
            str(venv) if inside else f"running outside {venv}",
            f"run the doctor as {venv}/bin/python -m coursebuild.doctor",
        )


def python_pins(root: Path) -> Iterator[Item]:
    """Every `name==version` in requirements.txt, installed at that version."""
    from importlib import metadata

    pins = _requirements(root)
    bad = 0
    for name, pinned in pins.items():
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = None
        if found != pinned:
            bad += 1
            what = "not installed" if found is None else f"{found} installed"
            yield Item(
                f"Python package {name}",
                False,
                f"{what}, requirements.txt pins {pinned}",
                f"{SETUP}  (or: .venv/bin/pip install {name}=={pinned})",
            )
    if not bad:
        found = f"{len(pins)} installed at the pins of requirements.txt"
        yield Item("Python packages", True, found)


def project(root: Path) -> Iterator[Item]:
    """Check this checkout's helpers and coursebuild, installed editable into the environment."""
    try:
        import coursebuild
        import helpers
    except ImportError as exc:
        yield Item("project", False, f"cannot import it: {exc}", SETUP)
        return
    homes = {Path(m.__file__).resolve().parent.parent for m in (helpers, coursebuild) if m.__file__}
    yield Item(
        "project",
        homes == {root.resolve()},
        "helpers and coursebuild import from " + ", ".join(map(str, sorted(homes))),
        ".venv/bin/pip install --no-deps -e .",
    )


def _requirements(root: Path) -> dict[str, str]:
    pins = {}
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def pandoc(root: Path) -> Iterator[Item]:
    """Pandoc 3 from pypandoc-binary (Debian's pandoc 2 lacks what the filters use)."""
    fix = f"{SETUP}  (pypandoc-binary in requirements.txt ships pandoc 3)"
    try:
        import pypandoc

        path = pypandoc.get_pandoc_path()
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        version = out.stdout.split("\n", 1)[0].split()[-1]
    except Exception as exc:  # not installed, binary missing or not runnable
        yield Item("pandoc", False, f"pypandoc-binary's pandoc not usable ({exc})", fix)
        return
    major = int(m.group(0)) if (m := re.match(r"\d+", version)) else 0
    yield Item("pandoc", major >= 3, f"{version} ({path})", fix)


def course(root: Path) -> Iterator[Item]:
    """Read the course once, as the build does: `_quarto.yml` and every session."""
    try:
        from .course import Course
        from .problems import BuildError

        loaded = Course.load(root)
    except BuildError as exc:
        yield Item("course", False, str(exc), "fix _quarto.yml as the message says")
        return
    except ImportError as exc:
        yield Item("course", False, f"cannot read it: {exc}", SETUP)
        return
    errors = [p for src in loaded.sessions.values() for p in src.errors]
    languages = ", ".join(loaded.config.languages)
    detail = f"{len(loaded.sessions)} sessions in {languages}"
    if errors:
        detail += f"; {len(errors)} problem(s) in the sources, first: {errors[0]}"
    yield Item("course", not errors, detail, "./course build  (lists every problem)")


def kernels(root: Path) -> Iterator[Item]:
    """Check the Jupyter kernels the build runs (`coursebuild.languages`), inside .venv."""
    from .languages import kernel_names

    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().get_all_specs()
    except Exception as exc:
        yield Item("Jupyter kernels", False, f"jupyter_client not usable ({exc})", SETUP)
        return
    for name in kernel_names().values():
        spec = specs.get(name)
        if spec is None:
            yield Item(f"kernel {name}", False, "not registered", SETUP)
            continue
        argv0 = spec["spec"]["argv"][0]
        runnable = Path(argv0).exists() or shutil.which(argv0) is not None
        # One BLAS thread (set by setup): lme4's estimates move between runs otherwise.
        env = spec["spec"].get("env") or {}
        one_thread = env.get("OPENBLAS_NUM_THREADS") == "1"
        where = spec["resource_dir"]
        problem = ""
        if not runnable:
            problem = f"{argv0} not found"
        elif not one_thread:
            problem = "no OPENBLAS_NUM_THREADS=1 in its env (outputs would vary)"
        yield Item(
            f"kernel {name}", not problem, f"{where}: {problem}" if problem else where, SETUP
        )


# --------------------------------------------------------------------------- R and system


def r_packages(root: Path) -> Iterator[Item]:
    """R itself and every package of renv.lock at its locked version."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        yield Item("R", False, "Rscript not on PATH", f"{SETUP}  (installs r-base-core)")
        return
    lock = json.loads((root / "renv.lock").read_text(encoding="utf-8"))
    locked = {name: entry["Version"] for name, entry in lock["Packages"].items()}
    script = (
        "cat(format(getRversion()), '\\n');"
        "ip <- installed.packages(); v <- ip[!duplicated(rownames(ip)), 'Version'];"
        "pk <- commandArgs(TRUE); cat(paste(pk, ifelse(pk %in% names(v), v[pk], '-')), sep = '\\n')"
    )
    try:
        out = subprocess.run(
            [rscript, "-e", script, *sorted(locked)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.splitlines()
    except (subprocess.SubprocessError, OSError) as exc:
        yield Item("R", False, f"Rscript failed: {exc}", SETUP)
        return
    version, installed = out[0].strip(), dict(line.split(" ", 1) for line in out[1:] if line)
    wanted = lock.get("R", {}).get("Version", version)
    yield Item(
        "R",
        version == wanted,
        f"{version} (renv.lock: {wanted})",
        f"R {wanted} (others may change stored outputs)",
        required=False,
    )
    bad = 0
    for name, pinned in sorted(locked.items()):
        found = installed.get(name, "-")
        if found != pinned:
            bad += 1
            what = "not installed" if found == "-" else f"{found} installed"
            yield Item(
                f"R package {name}",
                False,
                f"{what}, renv.lock pins {pinned}",
                f"apt-get install r-cran-{name.lower()}  (or in R: "
                f'remotes::install_version("{name}", "{pinned}"))',
            )
    if not bad:
        yield Item("R packages", True, f"{len(locked)} installed at the versions of renv.lock")


def debian_packages(root: Path) -> Iterator[Item]:
    """Check the Debian packages tools/apt-packages.txt lists (on Debian/Ubuntu only)."""
    listed = root / "tools" / "apt-packages.txt"
    if not listed.exists() or shutil.which("dpkg-query") is None:
        return
    names = [ln.split("#")[0].strip() for ln in listed.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n]
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n", *names],
        capture_output=True,
        text=True,
    ).stdout
    ok = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    missing = [n for n in names if n not in ok]
    found = (
        f"missing: {' '.join(missing)}" if missing else f"{len(names)} of tools/apt-packages.txt"
    )
    yield Item(
        "Debian packages",
        not missing,
        found,
        f"{SETUP}  (as root: apt-get install {' '.join(missing)})",
    )


def quarto(root: Path) -> Iterator[Item]:
    """Quarto, or its share folder (the Lua filters and knitr scripts the page render runs)."""
    found = shutil.which("quarto")
    if found:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60)
        yield Item(
            "Quarto",
            out.returncode == 0,
            f"{out.stdout.strip()} ({found})",
            "reinstall Quarto: https://quarto.org/docs/get-started/",
        )
        return
    env = os.environ.get("QUARTO_SHARE_PATH")
    share = Path(env) if env else root.parent / "shared" / "quarto" / "share"
    source = "QUARTO_SHARE_PATH" if env else "../shared/quarto/share"
    usable = (share / "filters" / "main.lua").is_file() and (share / "rmd" / "execute.R").is_file()
    detail = f"no quarto on PATH; {source} = {share}" + ("" if usable else " has no Quarto share")
    yield Item(
        "Quarto",
        usable,
        detail,
        "install Quarto (https://quarto.org/docs/get-started/) or set QUARTO_SHARE_PATH "
        "to its share folder",
    )


def chromium(root: Path) -> Iterator[Item]:
    """Check a headless Chromium for the page tests."""
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    yield Item(
        "Chromium",
        found is not None,
        found or "not on PATH (the page tests need it)",
        f"{SETUP}  (installs the Debian package chromium)",
    )


# --------------------------------------------------------------------------- data and files


def data(root: Path) -> Iterator[Item]:
    """Every file of helpers/registry.txt in the data cache, with its registered SHA-256."""
    folder = data_folder()
    bad = 0
    registry = _registry(root)
    for name, (sha, _url) in registry.items():
        path = folder / name
        fetch = f".venv/bin/python -c \"from helpers.data import fetch; fetch('{name}')\""
        if not path.is_file():
            bad += 1
            yield Item(
                f"data {name}",
                False,
                f"missing in {folder}",
                f"{fetch}  (downloads it), or set QM_DATA_DIR to a folder with it",
            )
            continue
        actual = _sha256(path)
        if actual != sha:
            bad += 1
            yield Item(
                f"data {name}",
                False,
                f"{path} has sha256 {actual[:12]}..., registry.txt says {sha[:12]}...",
                f"rm {path} && {fetch}",
            )
    if not bad:
        yield Item("data", True, f"{len(registry)} files in {folder}, checksums match")


def data_folder() -> Path:
    """Check the cache the sessions read: QM_DATA_DIR, else the helpers' default cache folder."""
    if os.environ.get("QM_DATA_DIR"):
        return Path(os.environ["QM_DATA_DIR"])
    try:
        from helpers.data import data_dir

        return data_dir()
    except ImportError:
        return Path.home() / ".cache" / "qm-course"


def _registry(root: Path) -> dict[str, tuple[str, str]]:
    """``helpers/registry.txt`` (pooch format: name, sha256, url; ``#`` comments)."""
    entries = {}
    for line in (root / "helpers" / "registry.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            entries[fields[0]] = (fields[1].lower(), fields[2] if len(fields) > 2 else "")
    return entries


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def writable(root: Path) -> Iterator[Item]:
    """Folders the build and tests write to (checked by writing a file, not by mode bits)."""
    for rel in ("notebooks", "test-output", ".venv"):
        folder = root / rel
        target = folder if folder.exists() else root
        try:
            with tempfile.TemporaryFile(dir=target):
                pass
            yield Item(f"write {rel}/", True, "writable")
        except OSError as exc:
            yield Item(
                f"write {rel}/",
                False,
                f"cannot write in {target}: {exc.strerror}",
                f"make {target} writable by {os.environ.get('USER', 'you')}",
            )


CHECKS: tuple[Callable[[Path], Iterator[Item]], ...] = (
    python_env,
    python_pins,
    project,
    course,
    pandoc,
    kernels,
    r_packages,
    debian_packages,
    quarto,
    chromium,
    data,
    writable,
)


def run(root: Path = ROOT) -> list[Item]:
    """Every check's items, in report order."""
    items: list[Item] = []
    for check in CHECKS:
        try:
            items.extend(check(root))
        except Exception as exc:  # a broken check must not hide the others
            items.append(Item(check.__name__, False, f"check crashed: {type(exc).__name__}: {exc}"))
    return items


def main(argv: list[str] | None = None) -> int:
    """Run every check and print the report; exit status 1 when a required check fails."""
    parser = argparse.ArgumentParser(prog="course doctor", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="course folder (default: this one)")
    args = parser.parse_args(argv)
    marks = ("✓", "✗", "!")
    try:
        "".join(marks).encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        marks = ("ok", "XX", "!!")
    items = run(args.root.resolve())
    for item in items:
        print(item.line(marks), flush=True)
    failed = [i for i in items if i.required and not i.ok]
    if failed:
        print(f"{len(failed)} problem(s): fix them with the commands after '->'.")
        return 1
    print("Everything the build, the tests and the site need is here.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
