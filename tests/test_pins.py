"""Everything the sessions and helpers use is pinned, at the versions tests run with."""

from importlib import metadata

from coursebuild import pins


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
