"""Everything the sessions and helpers use is pinned, at the versions tests run with.

And what students install has wheels on the Pythons the setup page promises.
"""

import importlib.util
import re
from importlib import metadata

import pytest

from coursebuild import pins
from coursebuild.config import ROOT
from coursebuild.languages import LANGUAGES


def test_every_python_import_is_pinned_in_requirements():
    pinned = pins.pinned_requirements()
    missing = sorted(m for m in pins.python_imports() if pins.distribution(m) not in pinned)
    assert not missing, f"imported but not pinned in requirements.txt: {missing}"


def test_requirements_pins_are_the_installed_versions():
    wrong = {
        name: (version, metadata.version(name))
        for name, version in pins.pinned_requirements().items()
        if metadata.version(name) != version
    }
    assert not wrong, f"requirements.txt pin vs installed: {wrong}"


@pytest.mark.usefixtures("rscript")  # asks R for the installed versions
def test_every_r_package_used_is_locked_at_the_installed_version():
    locked = pins.locked_r()
    used = pins.r_packages()
    assert not used - set(locked), f"used but not in renv.lock: {sorted(used - set(locked))}"
    installed = pins.installed_r(used)
    wrong = {n: (locked.get(n), v) for n, v in installed.items() if locked.get(n) != v}
    assert not wrong, (
        f"renv.lock vs installed (lock, installed): {wrong}; "
        "run python -m coursebuild.pins --write-renv-lock"
    )


def test_pin_scanner_sees_library_calls_and_namespaces():
    found = {
        m.group(1) or m.group(2) for m in pins.R_CALL.finditer("library(dplyr)\nx <- lme4::lmer")
    }
    assert found == {"dplyr", "lme4"}


# --------------------------------------------------------------------------- students' Pythons

WHEELS = ROOT / "tests" / "student-wheels.txt"  # from PyPI by tools/student_wheels.py
WHEELS_TOOL = ROOT / "tools" / "student_wheels.py"
PROMISE = re.compile(r"Python (3\.\d+) to (3\.\d+)")


def student_pins() -> dict[str, str]:
    """Pin -> the requirements file it is in, for the files a student installs."""
    spec = importlib.util.spec_from_file_location("student_wheels", WHEELS_TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)  # the tool that writes WHEELS reads the pins the same way
    return tool.pins(ROOT)


def promised_pythons() -> list[str]:
    """Return the Python versions the setup page promises (``Python 3.11 to 3.13``)."""
    (low, high), *others = PROMISE.findall((ROOT / "setup.qmd").read_text(encoding="utf-8"))
    assert all(o == (low, high) for o in others), f"setup.qmd promises two ranges: {others}"
    return [f"3.{minor}" for minor in range(int(low[2:]), int(high[2:]) + 1)]


def test_notebooks_and_setup_page_promise_the_same_pythons():
    first_cell = LANGUAGES["python"].needs
    assert (
        PROMISE.findall(first_cell)
        == PROMISE.findall((ROOT / "setup.qmd").read_text(encoding="utf-8"))[:1]
    )
    assert promised_pythons()[0] == "3.11"


def test_student_pins_have_wheels_on_every_promised_python():
    """Check every pin a student installs against PyPI's files, as recorded.

    The record says, per pin, CPython version and platform, whether PyPI has a wheel. A
    pin not in the record (changed since) fails: rerun tools/student_wheels.py. The
    notebooks' own list must have wheels everywhere it is promised; the optional lme4
    list may be source-only (rpy2 compiles against the student's R, as the page says).
    """
    kinds: dict[tuple[str, str], list[str]] = {}
    for line in WHEELS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            pin, python, *per_platform = line.split()
            kinds[pin, python] = per_platform
    pins = student_pins()
    unrecorded = sorted({p for p in pins if not any(k[0] == p for k in kinds)})
    assert not unrecorded, f"not in {WHEELS.name}: {unrecorded}; run tools/student_wheels.py"
    problems = []
    for pin, rel in pins.items():
        allowed = {"wheel"} if rel.endswith("requirements.txt") else {"wheel", "sdist"}
        for python in promised_pythons():
            found = kinds.get((pin, python))
            if found is None or set(found) - allowed:
                problems.append(f"{pin} on Python {python}: {found} ({rel})")
    assert problems == []
    setup = (ROOT / "setup.qmd").read_text(encoding="utf-8")
    source_only = sorted({p.split("==")[0] for (p, _), k in kinds.items() if "sdist" in k
                          and p in pins})  # fmt: skip
    assert all(name in setup for name in source_only), source_only  # the page says so
