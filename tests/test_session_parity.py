"""Parity of session 08 (mixed-effects models): Python's fits agree with R's.

The last cell of each executed notebook (id ``estimates-python`` / ``estimates-r``)
prints one line per estimate: ``model/engine<TAB>quantity<TAB>value``. Python fits each
model with statsmodels (``sm``) and, for the mixed models, with lme4 through pymer4
(``pm``); R fits them with ``lm`` (``ols/lm``) and lme4 (``<model>/lme4``). This test
reads both notebooks and checks, for every Python line, the R line of the same model and
quantity:

- pymer4 against lme4 (the same library): relative difference <= 1e-6;
- statsmodels OLS against ``lm`` (both closed form): <= 1e-6;
- statsmodels MixedLM (REML) against lme4 (REML): <= 1e-3;

and that both sides report the same set of quantities for each model. Differences are
relative, ``|a - b| <= rtol * max(|a|, |b|) + atol``. ``atol`` is 0, except for the
fixed-effect coefficients, where a small floor (1e-7 for statsmodels, 2e-9 for pymer4;
log units) keeps an estimate that is zero up to optimizer noise from being compared
digit by digit: the final model's "OTHER NON SEL" admissions coefficient is about
-4.4e-7 (a 0.00004% effect) in lme4, -4.6e-7 in statsmodels, and differs between two lme4
sessions in its fifth digit (by about 2e-11). The notebooks print 7 significant digits
with at most 9 decimals, so that their outputs do not change from run to run.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from parity import notebook_estimates, parse_estimates, relative_difference

ROOT = Path(__file__).resolve().parents[1]
SESSION = "08-mixed-effects"
NOTEBOOKS = {
    "python": ROOT / "notebooks" / "python" / f"{SESSION}.ipynb",
    "r": ROOT / "notebooks" / "r" / f"{SESSION}.ipynb",
}
MODELS = ("ols", "null", "ri", "rs", "final")  # every model the session fits
PYTHON_ENGINES = {
    "ols": ("sm",),
    "null": ("sm", "pm"),
    "ri": ("sm", "pm"),
    "rs": ("sm", "pm"),
    "final": ("sm", "pm"),
}
R_ENGINE = {"ols": "lm"}  # otherwise lme4
COEF_ATOL = {"sm": 1e-7, "pm": 2e-9}

Estimates = dict[str, dict[str, float]]  # "model/engine" -> {quantity: value}


def tolerance(model: str, engine: str) -> float:
    """Relative tolerance for a Python engine's estimates of `model` against R's."""
    if engine == "pm" or (engine == "sm" and model == "ols"):
        return 1e-6
    if engine == "sm":
        return 1e-3
    raise ValueError(f"unknown Python engine {engine!r} (model {model!r})")


def absolute_floor(engine: str, quantity: str) -> float:
    return COEF_ATOL[engine] if quantity.startswith("coef:") else 0.0


def r_key(model: str) -> str:
    return f"{model}/{R_ENGINE.get(model, 'lme4')}"


def compare(python: Estimates, r: Estimates) -> list[str]:
    """Every disagreement between the two notebooks' estimates, as readable lines."""
    problems = []
    for model in MODELS:
        if r_key(model) not in r:
            problems.append(f"R has no {r_key(model)} estimates")
        for engine in PYTHON_ENGINES[model]:
            if f"{model}/{engine}" not in python:
                problems.append(f"Python has no {model}/{engine} estimates")
    for key in sorted(python):
        model, _, engine = key.partition("/")
        if model not in MODELS or engine not in PYTHON_ENGINES[model]:
            problems.append(f"Python reports an unexpected model/engine {key}")
            continue
        theirs = r.get(r_key(model))
        if theirs is None:
            continue
        ours = python[key]
        for quantity in sorted(set(ours) ^ set(theirs)):
            side = "Python" if quantity in ours else "R"
            problems.append(f"{key} vs {r_key(model)}: {quantity} only in {side}")
        rtol = tolerance(model, engine)
        for quantity in sorted(set(ours) & set(theirs)):
            a, b = ours[quantity], theirs[quantity]
            if not abs(a - b) <= rtol * max(abs(a), abs(b)) + absolute_floor(engine, quantity):
                problems.append(
                    f"{key} vs {r_key(model)}: {quantity} {a!r} vs {b!r} "
                    f"(relative difference {relative_difference(a, b):.3g} > {rtol:g})"
                )
    return problems


def max_differences(python: Estimates, r: Estimates) -> dict[str, float]:
    """Largest relative difference per engine pair, e.g. {'pm vs lme4': 2e-9}.

    Values below 1e-5 in size (zero up to noise, see the module docstring) are left out.
    """
    out: dict[str, float] = {}
    for key, ours in python.items():
        model, _, engine = key.partition("/")
        theirs = r.get(r_key(model), {})
        pair = f"{engine} vs {R_ENGINE.get(model, 'lme4')}"
        for quantity in set(ours) & set(theirs):
            if max(abs(ours[quantity]), abs(theirs[quantity])) < 1e-5:
                continue
            out[pair] = max(
                out.get(pair, 0.0), relative_difference(ours[quantity], theirs[quantity])
            )
    return out


# --------------------------------------------------------------------------- the notebooks


@pytest.fixture(scope="module")
def estimates() -> tuple[Estimates, Estimates]:
    return (
        notebook_estimates(NOTEBOOKS["python"], "python"),
        notebook_estimates(NOTEBOOKS["r"], "r"),
    )


def test_every_model_is_reported(estimates):
    python, r = estimates
    for model in MODELS:
        assert r_key(model) in r
        for engine in PYTHON_ENGINES[model]:
            assert f"{model}/{engine}" in python
    # the same rows in both languages, for every model and engine
    rows = {key: values["n"] for key, values in {**python, **r}.items()}
    assert len(set(rows.values())) == 1, rows


def test_python_and_r_agree(estimates):
    python, r = estimates
    problems = compare(python, r)
    assert not problems, "\n".join(problems)
    print(max_differences(python, r))  # shown with pytest -s


def test_mixed_models_report_what_is_identified(estimates):
    python, r = estimates
    final = r[r_key("final")]
    for quantity in (
        "var:OFSTEDRATING",
        "var:gor_name",
        "var:LANAME:gor_name",
        "var:Residual",
        "r2",
        "reml_criterion",
    ):
        assert quantity in final
    assert {"icc", "var:OFSTEDRATING"} <= set(r[r_key("null")])
    # random slopes: a boundary fit, so only fixed effects, criterion and the flag
    assert set(r[r_key("rs")]) == {
        "n",
        "coef:(Intercept)",
        "coef:log_PTFSM6CLA1A",
        "reml_criterion",
        "boundary",
    }
    assert r[r_key("rs")]["boundary"] == 1.0


@pytest.mark.parametrize("engine", ["sm", "pm"])
def test_a_deliberate_divergence_fails(estimates, engine):
    python, r = estimates
    key = f"final/{engine}"
    for quantity in ("coef:log_PERCTOT", "var:OFSTEDRATING"):
        broken = copy.deepcopy(python)
        broken[key][quantity] *= 1 + 5 * tolerance("final", engine)
        problems = compare(broken, r)
        assert len(problems) == 1 and quantity in problems[0], problems


# --------------------------------------------------------------------------- the checker itself


def _sample() -> tuple[Estimates, Estimates]:
    python = {
        "ols/sm": {"n": 10.0, "coef:x": 0.5},
        "null/sm": {"n": 10.0, "var:g": 2.0001},
        "null/pm": {"n": 10.0, "var:g": 2.0},
        "ri/sm": {"n": 10.0},
        "ri/pm": {"n": 10.0},
        "rs/sm": {"n": 10.0},
        "rs/pm": {"n": 10.0},
        "final/sm": {"n": 10.0, "coef:z": -4.6e-7},
        "final/pm": {"n": 10.0, "coef:z": -4.4e-7},
    }
    r = {
        "ols/lm": {"n": 10.0, "coef:x": 0.5},
        "null/lme4": {"n": 10.0, "var:g": 2.0},
        "ri/lme4": {"n": 10.0},
        "rs/lme4": {"n": 10.0},
        "final/lme4": {"n": 10.0, "coef:z": -4.4e-7},
    }
    return python, r


def test_compare_accepts_differences_within_tolerance():
    assert compare(*_sample()) == []


@pytest.mark.parametrize(
    ("key", "quantity", "factor", "expected"),
    [
        ("null/pm", "var:g", 1 + 1e-5, "relative difference"),  # lme4 vs lme4: 1e-6
        ("null/sm", "var:g", 1.01, "relative difference"),  # statsmodels: 1e-3
        ("ols/sm", "coef:x", 1 + 1e-5, "relative difference"),  # OLS: 1e-6
        ("final/sm", "coef:z", -1.0, "relative difference"),  # sign flip of a near-zero value
    ],
)
def test_compare_rejects_a_perturbed_value(key, quantity, factor, expected):
    python, r = _sample()
    python[key][quantity] *= factor
    problems = compare(python, r)
    assert len(problems) == 1 and expected in problems[0] and key in problems[0], problems


def test_compare_rejects_missing_and_extra_quantities():
    python, r = _sample()
    del python["final/pm"]["coef:z"]
    python["ri/sm"]["icc"] = 0.5
    problems = compare(python, r)
    assert any("coef:z only in R" in p for p in problems)
    assert any("icc only in Python" in p for p in problems)


def test_compare_rejects_a_missing_model():
    python, r = _sample()
    del python["rs/pm"]
    del r["final/lme4"]
    problems = compare(python, r)
    assert "Python has no rs/pm estimates" in problems
    assert "R has no final/lme4 estimates" in problems


def test_parse_estimates_reads_and_checks_lines():
    text = "null/sm\tvar:OFSTEDRATING\t77.68\n\nnull/sm\ticc\t0.56\n"
    assert parse_estimates(text) == {"null/sm": {"var:OFSTEDRATING": 77.68, "icc": 0.56}}
    with pytest.raises(ValueError, match="not model<TAB>quantity<TAB>value"):
        parse_estimates("null/sm icc 0.56\n")
    with pytest.raises(ValueError, match="repeats"):
        parse_estimates("a\tb\t1\na\tb\t2\n")


def test_notebook_estimates_reads_the_estimates_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("emit()")
    cell.id = "estimates-python"
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="ols/sm\tn\t10.0\n"),
        nbformat.v4.new_output("stream", name="stdout", text="ols/sm\tr2\t0.8\n"),
    ]
    nb.cells.append(cell)
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert notebook_estimates(path, "python") == {"ols/sm": {"n": 10.0, "r2": 0.8}}
