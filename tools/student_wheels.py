"""Record which pins of notebooks/requirements*.txt install from a wheel, per Python.

A student installs those files on their own Python (the setup page promises a range of
versions) on Linux, Windows or macOS. For each pin, each CPython version and each of
three platforms, this asks PyPI's simple index (JSON, PEP 691) what the release offers:
``wheel`` (a compatible wheel), ``sdist`` (source only: pip builds it), or ``none``.
It writes tests/student-wheels.txt, which tests/test_pins.py reads offline: every pin
must be recorded, and every promised version must have wheels.

Usage (needs https://pypi.org)::

    python tools/student_wheels.py           # rewrite tests/student-wheels.txt
    python tools/student_wheels.py --check   # exit 1 if PyPI says otherwise than the record
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "student-wheels.txt"
REQUIREMENTS = ("notebooks/requirements.txt", "notebooks/requirements-lme4.txt")
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
MANYLINUX = [f"manylinux_2_{minor}_x86_64" for minor in range(39, 4, -1)]
LINUX = [*MANYLINUX, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
PLATFORMS = {
    "linux-x86_64": LINUX,
    "windows-amd64": ["win_amd64"],
    "macos-arm64": list(mac_platforms((14, 0), "arm64")),
}
HEADER = (
    "# Wheels on PyPI for the pins of notebooks/requirements*.txt, per CPython and platform:\n"
    "# wheel (a compatible wheel), sdist (source only: pip builds it), none.\n"
    "# Written by tools/student_wheels.py from PyPI's index; read by tests/test_pins.py.\n"
    f"# pin python {' '.join(PLATFORMS)}\n"
)


def pins(root: Path = ROOT) -> dict[str, str]:
    """Every ``name==version`` line of the students' requirement files -> its file, in order."""
    found = {}
    for rel in REQUIREMENTS:
        for line in (root / rel).read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            if line:
                found[line] = rel
    return found


def _files(name: str) -> list[dict]:
    request = urllib.request.Request(
        f"https://pypi.org/simple/{canonicalize_name(name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["files"]


def _supported(python: str, platforms: list[str]) -> set[Tag]:
    version = tuple(int(p) for p in python.split("."))
    return {*cpython_tags(version, platforms=platforms),
            *compatible_tags(version, f"cp{python.replace('.', '')}", platforms)}  # fmt: skip


def availability(pin: str) -> list[str]:
    """Record lines ``pin python kind kind kind`` for one pin, from PyPI."""
    name, version = pin.split("==")
    wheels, sdist = [], False
    for entry in _files(name):
        filename, needs = entry["filename"], entry.get("requires-python") or ""
        if filename.endswith(".whl"):
            _, found, _, tags = parse_wheel_filename(filename)
            if str(found) == version:
                wheels.append((tags, SpecifierSet(needs)))
        elif filename.endswith((".tar.gz", ".zip")):
            try:
                sdist |= str(parse_sdist_filename(filename)[1]) == version
            except ValueError:
                continue
    lines = []
    for python in PYTHONS:
        kinds = []
        for platforms in PLATFORMS.values():
            supported = _supported(python, platforms)
            ok = any(tags & supported and python in needs for tags, needs in wheels)
            kinds.append("wheel" if ok else "sdist" if sdist else "none")
        lines.append(f"{pin} {python} {' '.join(kinds)}")
    return lines


def record() -> str:
    """Return the record's text, from PyPI now."""
    return HEADER + "".join(line + "\n" for pin in pins() for line in availability(pin))


def main(argv: list[str]) -> int:
    """Write the record, or with --check compare it with PyPI; return the exit status."""
    text = record()
    if argv == ["--check"]:
        if text != RECORD.read_text(encoding="utf-8"):
            print(f"{RECORD.relative_to(ROOT)} differs from PyPI: run {__file__}", file=sys.stderr)
            return 1
        print(f"{RECORD.relative_to(ROOT)} matches PyPI")
        return 0
    RECORD.write_text(text, encoding="utf-8")
    print(f"wrote {RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
