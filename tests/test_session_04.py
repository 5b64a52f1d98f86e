"""Checks of session 04 (hypotheses and tests).

- parity: Python and R report the same statistics, intervals and p-values (the
  notebooks' hidden estimates), in the downloads and in the answers notebooks;
- the two languages print the same sentences, and the words in them follow from the
  numbers: reject or not, higher or lower, Cohen's label, the KS verdict, which way
  Student's test errs; the worked answers' fixed words hold for the data too;
- the worked answers ran in the answers notebooks and are absent from the downloads.

The notebooks run with the default parameters: region London, alpha 0.05.
"""

from __future__ import annotations

import copy
import re

import pytest
import sessioncheck as sc
from parity import Estimates, Spec, compare

SESSION = "04-hypothesis-tests"
REGION = "London"  # the notebook's default `region` parameter
ALPHA = 0.05  # and its default `alpha`
RTOL = 1e-6  # closed-form statistics: both languages agree far beyond this
P_ATOL = 1e-6  # p-values are shown to 3 decimals; R computes 1 - F, exact to ~1e-16 only
MODELS = ("summary", "welch", "ks", "sizes")


def _read(variant: str = "") -> tuple[Estimates, Estimates]:
    return sc.estimates(SESSION, variant)


def _by_model(estimates: Estimates) -> dict[str, dict[str, float]]:
    """``{"welch/python": {...}}`` -> ``{"welch": {...}}`` (one engine per language)."""
    return {key.partition("/")[0]: values for key, values in estimates.items()}


def _spec(variant: str) -> Spec:
    """Each model on both sides (engines python and r), within RTOL; p-values within P_ATOL."""
    models = (*MODELS, "exercises") if variant else MODELS
    return Spec(
        session=SESSION,
        models=models,
        python_engines={m: ("python",) for m in models},
        tolerance=lambda model, engine: RTOL,
        default_r_engine="r",
        quantity_atol={"p|p_.*|ks_sw_p.*": P_ATOL},
    )


@pytest.mark.parametrize("variant", ["", ".answers"])
def test_python_and_r_agree(variant):
    python, r = _read(variant)
    assert {"summary", "welch", "ks", "sizes"} <= set(_by_model(python))
    problems = compare(_spec(variant), python, r)
    assert not problems, "\n".join(problems)


def test_answers_add_the_exercises_and_change_nothing_else():
    for lang, values in zip(("python", "r"), _read(), strict=True):
        full = _read(".answers")[0 if lang == "python" else 1]
        assert set(full) - set(values) == {f"exercises/{lang}"}
        for key, quantities in values.items():
            assert full[key] == quantities, key


def test_a_deliberate_divergence_fails():
    python, r = _read(".answers")
    for key, quantity, factor in (
        ("welch/python", "t", 1 + 5 * RTOL),
        ("ks/python", "d", 1 + 5 * RTOL),
        ("exercises/python", "p_sw", 1.001),
    ):
        broken = copy.deepcopy(python)
        broken[key][quantity] *= factor
        problems = compare(_spec(".answers"), broken, r)
        assert len(problems) == 1, problems
        assert quantity in problems[0]


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, at_least=6)


def _significant(text: str, alpha: float) -> bool:
    """Whether a printed p-value ("p < 0.001" or "p = 0.011") is below alpha."""
    match = re.search(r"p (<|=) (\d\.\d+)", text)
    assert match, text
    return match[1] == "<" or float(match[2]) < alpha


def _cohen(d: float) -> str:
    return next(w for limit, w in COHEN if abs(d) < limit)


COHEN = [(0.2, "negligible"), (0.5, "small"), (0.8, "medium"), (float("inf"), "large")]


def word_problems(texts: dict[str, str], values: dict[str, dict[str, float]]) -> list[str]:
    """Every sentence whose words do not follow from the numbers."""
    problems = []
    welch, summary, ks = values["welch"], values["summary"], values["ks"]

    decision = texts["decision-says"]
    reject = welch["p"] < ALPHA
    if ("so we reject" in decision) != reject or ("so we do not reject" in decision) == reject:
        problems.append("decision: reject/do not reject")
    if _significant(decision, ALPHA) != reject:
        problems.append("decision: the printed p-value")
    higher = summary["mean_region"] > summary["mean_rest"]
    if f"points {'higher' if higher else 'lower'} on average" not in decision:
        problems.append("decision: higher/lower")
    if f"a {_cohen(welch['cohens_d'])} difference by Cohen's guide" not in decision:
        problems.append("decision: Cohen's label")
    if f"{'higher' if higher else 'lower'}." not in texts["gap-says"]:
        problems.append("gap: higher/lower")

    verdict = texts["ks-says"]
    ks_reject = ks["p"] < ALPHA
    if ("so we reject" in verdict) != ks_reject or _significant(verdict, ALPHA) != ks_reject:
        problems.append("ks: reject/do not reject")

    smaller_has_larger_sd = (summary["n_region"] < summary["n_rest"]) == (
        summary["sd_region"] > summary["sd_rest"]
    )
    word = "overstate" if smaller_has_larger_sd else "understate"
    if f"pooled test would {word} the evidence" not in texts["assumptions-says"]:
        problems.append("assumptions: overstate/understate")
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
        ("decision-says", "so we reject", "so we do not reject"),
        ("decision-says", "points higher", "points lower"),
        ("decision-says", "a medium difference", "a large difference"),
        ("ks-says", "so we reject", "so we do not reject"),
        ("assumptions-says", "would overstate", "would understate"),
    ],
)
def test_a_flipped_word_fails(texts, values, cell, word, flipped):
    assert word_problems(sc.flipped(texts, cell, word, flipped), values)


def test_a_changed_number_fails(texts, values):
    broken = copy.deepcopy(values)
    broken["welch"]["p"] = 0.2  # the page still says "reject"
    assert "decision: reject/do not reject" in word_problems(texts, broken)


def test_the_answers_fixed_words_hold_for_the_data(values):
    """What the worked answers say in words, not printed by code, about the default data."""
    summary, welch, ex = values["summary"], values["welch"], values["exercises"]
    # Student's question: "the smaller group (the region) has the larger SD, as London does",
    # so Student's t is too large
    assert summary["n_region"] < summary["n_rest"]
    assert summary["sd_region"] > summary["sd_rest"]
    assert ex["t_pooled"] > welch["t"]
    # East of England: not rejected, and the interval contains 0
    assert ex["p_east"] >= ALPHA
    assert ex["ci_east_1"] < 0 < ex["ci_east_2"]
    # South West: "Welch's test finds no evidence"; the KS p-value "close to alpha"
    assert ex["p_sw"] >= ALPHA
    assert abs(ex["ks_sw_p"] - ALPHA) < 0.01
    # "why is its t so much smaller": the two-sample t on the same columns
    assert ex["t_unpaired"] < ex["t_paired"] / 2
    assert ex["n_significant"] == sum(ex[f"p_digits_{i}"] < ALPHA for i in range(1, 11))


def test_a_region_defined_by_town_would_differ():
    """The page's point about TOWN.x: the counts it prints differ."""
    text = sc.sentences(sc.notebook(SESSION, "python"), "town-says-python")
    town, region = map(int, re.findall(r"(\d+) (?:schools give|are in)", text))
    assert town < region


ANSWER_CELLS = {
    "exercise-pooled",
    "exercise-east",
    "exercise-sw",
    "exercise-paired",
    "exercise-digits",
}


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)
