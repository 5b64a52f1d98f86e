"""Checks of session 05 (linear algebra in practice).

- parity: Python and R give the same determinant, inverse, solution, least-squares
  coefficients (by the normal equations and by statsmodels / ``lm``), standard errors
  and p-values (the notebooks' hidden estimates), in the downloads and the answers;
- the two languages print the same sentences, and their words follow from the numbers:
  the plan and what is left over, "falls"/"rises", how many recipe numbers lie in their
  intervals and which do not, whether a constant is significant; the worked answers'
  fixed words hold for the data;
- the worked answers ran in the answers notebooks and are absent from the downloads;
- the notebooks link session 4 before and session 6 after, and the page ends on the
  bridge to session 6.

The notebooks run with the default parameters: supplies 400, 750 and 200.
"""

from __future__ import annotations

import copy
import re

import pytest
import sessioncheck as sc
from parity import Estimates, Spec, compare
from scipy import stats

SESSION = "05-linear-algebra"
SUPPLIES = (400, 750, 200)  # the notebook's default `supplies` parameter
RECIPE = ((8, 1, 10), (4, 1, 23), (4, 1, 5))  # the page's matrix M
MATERIALS = ("aluminium", "rubber", "paint")
PARTS = ("handlebar", "brake", "wheel")
RTOL = 1e-6  # closed-form linear algebra: both languages agree far beyond this
ATOL = 1e-9  # values that are 0 up to rounding (a solution's zero count) differ in sign
P_ATOL = 1e-6  # p-values are shown to 4 decimals at most
MODELS = ("system", "normal", "by_hand", "records", "ols_aluminium", "ols_paint", "ols_rubber")


def _read(variant: str = "") -> tuple[Estimates, Estimates]:
    return sc.estimates(SESSION, variant)


def _by_model(estimates: Estimates) -> dict[str, dict[str, float]]:
    return {key.partition("/")[0]: values for key, values in estimates.items()}


def _spec(variant: str) -> Spec:
    """Each model on both sides (engines python and r), within RTOL + ATOL; p-values P_ATOL."""
    models = (*MODELS, "exercises") if variant else MODELS
    return Spec(
        session=SESSION,
        models=models,
        python_engines={m: ("python",) for m in models},
        tolerance=lambda model, engine: RTOL,
        default_r_engine="r",
        quantity_atol={".*": ATOL, r"p\d|constant_p": P_ATOL},
    )


@pytest.mark.parametrize("variant", ["", ".answers"])
def test_python_and_r_agree(variant):
    python, r = _read(variant)
    assert {"system", "normal", "by_hand", "ols_aluminium"} <= set(_by_model(python))
    problems = compare(_spec(variant), python, r)
    assert not problems, "\n".join(problems)


def test_answers_add_the_exercises_and_change_nothing_else():
    downloads, answers = _read(), _read(".answers")
    for lang, download, full in zip(("python", "r"), downloads, answers, strict=True):
        assert set(full) - set(download) == {f"exercises/{lang}"}
        for key, quantities in download.items():
            assert full[key] == quantities, key


def test_a_deliberate_divergence_fails():
    python, r = _read(".answers")
    for key, quantity in (
        ("system/python", "det"),
        ("normal/python", "rubber_b3"),
        ("by_hand/python", "se2"),
        ("exercises/python", "plan_fitted_1"),
    ):
        broken = copy.deepcopy(python)
        broken[key][quantity] *= 1 + 5 * RTOL
        problems = compare(_spec(".answers"), broken, r)
        assert len(problems) == 1, problems
        assert quantity in problems[0]


def test_the_numbers_are_the_problems_numbers(values):
    """The solution solves the page's system, and least squares equals lm/statsmodels."""
    system = values["system"]
    assert system["det"] == pytest.approx(-72)
    x = [system[f"x{i}"] for i in (1, 2, 3)]
    for row, supply in zip(RECIPE, SUPPLIES, strict=True):
        assert sum(m * v for m, v in zip(row, x, strict=True)) == pytest.approx(supply)
    for material in MATERIALS:
        for k in range(4):
            assert values["normal"][f"{material}_b{k}"] == pytest.approx(
                values[f"ols_{material}"][f"coef{k}"], rel=1e-9
            )
        assert values["by_hand"]["se1"] == pytest.approx(values["ols_aluminium"]["se1"])


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, at_least=3)


def _intervals(values: dict[str, dict[str, float]]) -> dict[tuple[str, str], tuple]:
    """95% interval of each recipe slope, from the estimates and standard errors (df 361)."""
    quantile = stats.t.ppf(0.975, 365 - 4)
    out = {}
    for material in MATERIALS:
        fit = values[f"ols_{material}"]
        for j, part in enumerate(PARTS, start=1):
            estimate, se = fit[f"coef{j}"], fit[f"se{j}"]
            out[(material, part)] = (estimate - quantile * se, estimate + quantile * se)
    return out


def word_problems(texts: dict[str, str], values: dict[str, dict[str, float]]) -> list[str]:
    """Every sentence whose words do not follow from the numbers."""
    problems = []
    system = values["system"]
    x = [system[f"x{i}"] for i in (1, 2, 3)]

    plan = texts["plan-says"]
    feasible = all(v >= -1e-9 * max(map(abs, x)) for v in x)
    if ("Using up every unit" in plan) != feasible:
        problems.append("plan: feasible or not")
    shown = re.search(r"takes (\S+) handlebars, (\S+) brakes and (\S+) wheels", plan)
    if not shown or [float(s) for s in shown.groups()] != [round(v, 2) + 0.0 for v in x]:
        problems.append("plan: the counts")
    whole = [int(v + 1e-9 * max(map(abs, x))) for v in x]
    left = [
        s - sum(m * w for m, w in zip(row, whole, strict=True))
        for row, s in zip(RECIPE, SUPPLIES, strict=True)
    ]
    if f"leaving {left[0]}, {left[1]} and {left[2]} over" not in plan:
        problems.append("plan: what is left over")

    inverse = texts["inverse-says"]
    if f"brakes {'falls' if system['inv_21'] < 0 else 'rises'} by" not in inverse:
        problems.append("inverse: falls/rises")

    recipe = texts["recipe-says"]
    intervals = _intervals(values)
    missed = [
        key
        for key, (low, high) in intervals.items()
        if not low <= RECIPE[MATERIALS.index(key[0])][PARTS.index(key[1])] <= high
    ]
    if not recipe.startswith(f"{9 - len(missed)} of the 9 recipe numbers"):
        problems.append("recipe: how many inside")
    for material, part in missed:
        if f"the {material} per {part} (" not in recipe:
            problems.append(f"recipe: {material} per {part} not named")
    significant = any(values[f"ols_{m}"]["constant_p"] < 0.05 for m in MATERIALS)
    if ("none is significantly different from 0" in recipe) == significant:
        problems.append("recipe: the constants")
    return problems


@pytest.fixture(scope="module")
def texts():
    return sc.says_texts(SESSION)


@pytest.fixture(scope="module")
def values():
    return _by_model(_read(".answers")[1])


def test_words_follow_from_the_numbers(texts, values):
    assert word_problems(texts, values) == []


@pytest.mark.parametrize(
    ("cell", "word", "flipped"),
    [
        ("plan-says", "leaving 12, 16 and 6 over", "leaving 12, 16 and 7 over"),
        ("plan-says", "takes 11.81 handlebars", "takes 11.80 handlebars"),
        ("inverse-says", "brakes falls by", "brakes rises by"),
        ("recipe-says", "8 of the 9", "9 of the 9"),
        ("recipe-says", "none is significantly", "at least one is significantly"),
    ],
)
def test_a_flipped_word_fails(texts, values, cell, word, flipped):
    assert word_problems(sc.flipped(texts, cell, word, flipped), values)


def test_a_changed_number_fails(texts, values):
    broken = copy.deepcopy(values)
    broken["ols_paint"]["constant_p"] = 0.01  # the page still says "none is significant"
    assert "recipe: the constants" in word_problems(texts, broken)


def test_the_answers_fixed_words_hold_for_the_data(values):
    """What the worked answers say in words, not printed by code."""
    ex, system = values["exercises"], values["system"]
    # new supplies: "a negative number of brakes", from brakes = 2 x paint - aluminium
    assert ex["plan_new_2"] < 0
    assert ex["feasible_new"] == 0
    assert (system["inv_21"], system["inv_22"], system["inv_23"]) == pytest.approx(
        (-1, 0, 2), abs=1e-9
    )
    # the new wheel: "the determinant is 0 and the rank is 2"; "both libraries refuse"
    assert abs(ex["det_new"]) < 1e-9
    assert ex["rank_new"] == 2
    for lang in ("python", "r"):
        refused = sc.sentences(sc.notebook(SESSION, lang, ".answers"), f"exercise-singular-{lang}")
        assert "solve() refused:" in refused, lang
    # the fitted recipe: "the true plan makes no brakes at all" and the fitted one
    # "a negative number of brakes"
    assert abs(system["x2"]) < 1e-9
    assert ex["plan_fitted_2"] < 0
    # through the origin: "R² ... is larger"; the constant's test "agreed" (not significant)
    assert values["ols_aluminium"]["constant_p"] >= 0.05


ANSWER_CELLS = {
    "exercise-new",
    "exercise-singular",
    "exercise-rubber",
    "exercise-origin",
    "exercise-fitted",
}


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_thread_runs_from_session_4_to_session_6(lang):
    first = sc.notebook(SESSION, lang).cells[0]
    nav = first.source.splitlines()[-1]
    assert re.fullmatch(
        r"Previous: \[Session 4: [^]]+\]\(\S+/04-hypothesis-tests\.(ipynb|html)\) · "
        r"Next: \[Session 6: [^]]+\]\(\S+/06-simple-regression\.(ipynb|html)\)",
        nav,
    ), nav
    last = sc.prose(sc.source(SESSION)).strip().split("\n## ")[-1]
    assert last.startswith("From here to regression")
    assert "Session 6 fits" in last
