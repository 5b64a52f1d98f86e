"""Parity of sessions 06 and 07 (OLS): Python's statsmodels fits agree with R's ``lm``.

Every model of both sessions is printed by the notebooks' last cell (see tests/parity.py)
as ``<model>/sm`` (Python) and ``<model>/lm`` (R). OLS is closed form in both, so every
quantity (coefficients, R², adjusted R², residual standard error and the extra numbers a
session reports: F-tests, generalised VIFs, Cook's distances) must agree to 1e-6
relative; a floor of 1e-12 (log units) on coefficients keeps one that is zero up to
rounding from being compared digit by digit. The exercises' models exist only in the
answers notebooks (the downloads leave the answers out), so those are compared there.

Session 07's final model is session 08's warm-up: the test checks that the two sessions
report the same estimates for it, so the thread from 07 to 08 cannot break silently.
"""

from __future__ import annotations

import copy

import pytest
from parity import Spec, compare, max_differences, notebook_estimates

RTOL = 1e-6


def _spec(session: str, models: tuple[str, ...]) -> Spec:
    return Spec(
        session=session,
        models=models,
        python_engines={m: ("sm",) for m in models},
        tolerance=lambda model, engine: RTOL,
        coef_atol={"sm": 1e-12},
    )


SESSIONS = {
    "06": (
        _spec("06-simple-regression", ("england", "camden", "leeds")),
        ("level",),  # in the answers only
    ),
    "07": (
        _spec(
            "07-multiple-regression",
            (
                "baseline",
                "absence",
                "eal",
                "ofsted",
                "region",
                "final",
                "without_influential",
                "interaction",
            ),
        ),
        ("reference_good", "faith"),
    ),
}


def _read(spec: Spec, variant: str):
    return tuple(
        notebook_estimates(spec.notebook(lang, variant), lang, spec.session)
        for lang in ("python", "r")
    )


def _with_answers(spec: Spec, answers: tuple[str, ...]) -> Spec:
    models = spec.models + answers
    return Spec(
        session=spec.session,
        models=models,
        python_engines={m: ("sm",) for m in models},
        tolerance=spec.tolerance,
        coef_atol=spec.coef_atol,
    )


@pytest.mark.parametrize("session", sorted(SESSIONS))
@pytest.mark.parametrize("variant", ["", ".answers"])
def test_python_and_r_agree(session, variant):
    spec, answers = SESSIONS[session]
    if variant:
        spec = _with_answers(spec, answers)
    python, r = _read(spec, variant)
    problems = compare(spec, python, r)
    assert not problems, "\n".join(problems)
    print(session, variant, max_differences(spec, python, r))  # shown with pytest -s


@pytest.mark.parametrize("session", sorted(SESSIONS))
def test_download_and_answers_report_the_same_models(session):
    """The answers notebook adds the exercises' models and changes nothing else."""
    spec, answers = SESSIONS[session]
    for lang in ("python", "r"):
        download = notebook_estimates(spec.notebook(lang), lang)
        full = notebook_estimates(spec.notebook(lang, ".answers"), lang)
        engine = "sm" if lang == "python" else "lm"
        assert set(full) - set(download) == {f"{m}/{engine}" for m in answers}
        for key, values in download.items():
            assert full[key] == values, key


def test_every_model_of_a_session_uses_the_same_rows():
    spec, _ = SESSIONS["07"]
    python, r = _read(spec, "")
    sizes = {key: v["n"] for key, v in {**python, **r}.items() if "without_influential" not in key}
    assert len(set(sizes.values())) == 1, sizes
    six, _ = SESSIONS["06"]
    england = notebook_estimates(six.notebook("r"), "r")["england/lm"]
    assert england == r["baseline/lm"]  # session 07 starts from session 06's England model


def test_session_07_ends_on_session_08s_warm_up_model():
    spec, _ = SESSIONS["07"]
    seven = notebook_estimates(spec.notebook("r"), "r")["final/lm"]
    eight_spec = _spec("08-random-intercepts", ())
    for lang, key in (("r", "ols/lm"), ("python", "ols/sm")):
        eight = notebook_estimates(eight_spec.notebook(lang), lang)[key]
        shared = set(eight) & set(seven)
        assert {q for q in eight if q.startswith("coef:")} <= shared, "08's terms differ"
        assert eight["n"] == seven["n"]
        for quantity in sorted(shared):
            a, b = seven[quantity], eight[quantity]
            assert abs(a - b) <= RTOL * max(abs(a), abs(b)), (quantity, a, b)


def test_a_deliberate_divergence_fails():
    spec, _ = SESSIONS["07"]
    python, r = _read(spec, "")
    for quantity in ("coef:log_PERCTOT", "gvif:PTPRIORLO", "r2"):
        broken = copy.deepcopy(python)
        broken["final/sm"][quantity] *= 1 + 5 * RTOL
        problems = compare(spec, broken, r)
        assert len(problems) == 1, problems
        assert quantity in problems[0], problems
    broken = copy.deepcopy(r)
    del broken["interaction/lm"]
    assert "R has no interaction/lm estimates" in compare(spec, python, broken)
