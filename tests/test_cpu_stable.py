"""Stored outputs do not depend on the CPU: nbval passes with AVX-512 paths on and off.

The build machines are not all the same CPU. numpy dispatches its SIMD loops by CPU
level (``X86_V4`` is AVX-512) and OpenBLAS picks its kernels by CPU; an iterative fit
(statsmodels' MixedLM, lme4 near a boundary) then ends a few units apart in a late
digit. The notebooks print every number at the precision its fit determines
(``helpers.precision``), so the stored outputs must hold either way. This test runs
nbval on every notebook whose session fits a model iteratively (found from the
source, so a new session is covered) with AVX-512 switched off
(``NPY_DISABLE_CPU_FEATURES=X86_V4``, OpenBLAS's Haswell kernels): the kernels inherit
the environment nbval is started with. The suite's own nbval run over ``notebooks/``
is the default-dispatch half, so it is not repeated here. The R notebooks run too (R's
own BLAS ignores the switches, so this second run checks that lme4 lands on the same
printed digits in another R session).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from coursebuild.course import session_paths

ROOT = Path(__file__).resolve().parents[1]
SANITIZE = ROOT / "tests" / "nbval-sanitize.cfg"
ITERATIVE = re.compile(r"\b(?:mixedlm|lmer|glmer)\(")  # fits that stop where an optimizer stops
SWITCHES = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")
MODES = {
    "default": {},
    "no-avx512": {"NPY_DISABLE_CPU_FEATURES": "X86_V4", "OPENBLAS_CORETYPE": "Haswell"},
}


def iterative_notebooks() -> list[Path]:
    """Return the committed notebooks (downloads, answers) of sessions with iterative fits."""
    found = []
    for session in session_paths(ROOT):
        if not ITERATIVE.search(session.read_text(encoding="utf-8")):
            continue
        for lang in ("python", "r"):
            found += sorted((ROOT / "notebooks" / lang).glob(f"{session.stem}*.ipynb"))
    return found


def _environment(mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}  # none from the shell
    return {**env, **MODES[mode]}


def _params():
    for notebook in iterative_notebooks():
        for mode in ("no-avx512",):  # "default": the suite's own nbval run
            name = f"{notebook.parent.name}/{notebook.name}-{mode}"
            yield pytest.param(notebook, mode, id=name)


def test_sessions_with_iterative_fits_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in iterative_notebooks()}
    assert "notebooks/python/08-random-intercepts.ipynb" in names
    assert "notebooks/r/09-random-slopes.answers.ipynb" in names
    assert not any("06-simple-regression" in name for name in names)  # OLS: closed form


def test_the_switches_reach_numpy_and_openblas():
    """In the no-avx512 mode numpy's X86_V4 loops and OpenBLAS's AVX-512 kernels are off."""
    probe = (
        "import json, numpy\n"
        "from numpy._core._multiarray_umath import __cpu_features__ as features\n"
        "from threadpoolctl import threadpool_info\n"
        "blas = [i.get('architecture') for i in threadpool_info() if i['internal_api'] == "
        "'openblas']\n"
        "print(json.dumps({'x86_v4': features.get('X86_V4'), 'openblas': blas}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=_environment("no-avx512"), capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["x86_v4"] is False, seen  # None: numpy renamed its levels; update MODES
    assert seen["openblas"] == ["Haswell"], seen


# Both kernels (a Python notebook may start R for its lme4 cross-check) and the data.
@pytest.mark.usefixtures("kernel", "r_kernel", "course_data")
@pytest.mark.parametrize(("notebook", "mode"), list(_params()))
def test_stored_outputs_hold_on_this_cpu_and_without_avx512(notebook: Path, mode: str):
    cmd = [
        sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
        f"--nbval-sanitize-with={SANITIZE}", str(notebook),
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=_environment(mode), capture_output=True, text=True)
    tail = "\n".join(done.stdout.splitlines()[-60:])
    assert done.returncode == 0, f"nbval ({mode}) failed on {notebook.name}:\n{tail}"
    assert re.search(r"\d+ passed", done.stdout), tail
