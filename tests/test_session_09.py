"""Checks of session 09 (mixed models II: random slopes, few groups, the final model).

(What every session must satisfy is in test_sessions.py.)

- parity: every model, test, bootstrap count and Brighton number the two notebooks keep
  in their hidden estimates agrees (tests/parity.py), downloads and answers notebooks;
- the sentences are the same in both languages, every decision shows its rule and
  follows from it, and the words that read the numbers (the structure kept, singular or
  not, the random slope kept in the final model, the smallest bootstrap p, the largest
  standard-error ratio) follow from the estimates: a flipped word fails;
- the Brighton schools are found by name; the page is a two-hour practical.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import sessioncheck as sc
from parity import Estimates, Spec, compare, notebook_estimates

from helpers.mixed import kept_structure

SESSION = "09-random-slopes"
ALPHA = 0.05  # the notebooks' default `alpha`
BOOT_SIMS = 199  # and `boot_sims`
MAX_WORDS = 3200
MODELS = ("ols", "ri", "rsu", "rs", "la_ri", "la_rsu", "la_rs", "final_ri", "final_rs", "final",
          "rating_fixed", "no_rating", "tests", "boot", "se_ratio", "brighton")  # fmt: skip
OLS_RTOL = 1e-6
# statsmodels fits finished on lme4's criterion, and the bootstrap's refits, against
# lme4: seen up to 4e-4 (the p of the final model's disadvantage slope, on 3.8 df, which
# lme4 itself moves by about 1e-4 between runs), everything else below 1e-4
MIXED_RTOL = 1e-3
ANSWER_CELLS = {"exercise-uncentred", "exercise-ri-df", "exercise-size", "exercise-la-slopes",
                "exercise-gorard", "exercise-se", "exercise-own"}  # fmt: skip


def tolerance(model: str, engine: str) -> float:
    return OLS_RTOL if model == "ols" else MIXED_RTOL


SPEC = Spec(
    SESSION,
    MODELS,
    {model: ("sm",) for model in MODELS},
    tolerance,
    r_engine={"ols": "lm"},
    default_r_engine="lme4",
    coef_atol={"sm": 1e-6},
    # OTHER NON SEL in final_ri is -4e-7 with an SE of 0.01: zero up to optimizer noise
    quantity_atol={"t:.*": 1e-4},
)


@pytest.mark.parametrize("variant", ["", ".answers"])
def test_python_and_r_agree(variant):
    python, r = sc.estimates(SESSION, variant)
    problems = compare(SPEC, python, r)
    assert not problems, "\n".join(problems)
    rows = {key: values["n"] for key, values in {**python, **r}.items() if "n" in values}
    assert set(rows.values()) == {2902.0}, rows


def test_the_bootstrap_counts_are_equal():
    python, r = sc.estimates(SESSION)
    for quantity in ("exceed", "above_3.84"):
        assert python["boot/sm"][quantity] == r["boot/lme4"][quantity]


def test_a_deliberate_divergence_fails():
    python, r = sc.estimates(SESSION)
    for key, quantity in (("final/sm", "df:log_PTFSM6CLA1A"), ("tests/sm", "region_ml:statistic"),
                          ("brighton/sm", "bias_corrected:Longhill High School")):  # fmt: skip
        broken = copy.deepcopy(python)
        broken[key][quantity] *= 1 + 5 * MIXED_RTOL
        problems = compare(SPEC, broken, r)
        assert len(problems) == 1, problems
        assert quantity in problems[0]


# --------------------------------------------------------------------------- the words


def _texts(lang: str) -> dict[str, str]:
    nb = sc.notebook(SESSION, lang)
    return {
        cell.removesuffix(f"-{lang}"): sc.sentences(nb, cell) for cell in sc.says_cells(nb, lang)
    }


def _p(values: dict[str, float], quantity: str) -> float:
    """Return a p-value kept in the estimates (0 for those left out there: below 1e-8)."""
    return values.get(quantity, 0.0)


def _singular(values: dict[str, float], group: str) -> bool:
    """Apply the boundary rule of helpers.mixed.on_boundary to a fit's estimates."""
    variances = [v for k, v in values.items() if k.startswith(f"var:{group}")]
    if min(variances) < 1e-6 * values["var:Residual"]:
        return True
    return abs(values.get(f"cor:{group}", 0.0)) > 0.99


def word_problems(texts: dict[str, str], est: Estimates, engine: str) -> list[str]:
    """Every word in the sentences that the estimates contradict (empty: none)."""
    problems = [p for text in texts.values() for p in sc.decision_problems(text)]

    def check(cell: str, pattern: str, expected: str) -> None:
        match = re.search(pattern, texts[cell])
        if match is None:
            problems.append(f"{cell}: no sentence matches {pattern!r}")
        elif match.group(1) != expected:
            problems.append(f"{cell}: says {match.group(1)!r}, the numbers say {expected!r}")

    tests = est[f"tests/{engine}"]
    rs_singular = est[f"rs/{engine}"]["singular"] == 1.0
    check("rs-says", r"the correlated fit is (singular|not singular)",
          "singular" if rs_singular else "not singular")  # fmt: skip
    kept = kept_structure(_p(tests, "slope:p"), _p(tests, "correlation:p"), rs_singular, ALPHA)
    check("rs-says", r"We keep ([a-z ]+)\.", kept)
    la_singular = _singular(est[f"la_rs/{engine}"], "region_la")
    check("la-slopes-says", r"We keep ([a-z ]+)\.",
          kept_structure(_p(tests, "la_slope:p"), _p(tests, "la_correlation:p"), la_singular,
                         ALPHA))  # fmt: skip
    kept_slope = _p(tests, "final_slope:p") < ALPHA
    check("final-says", r"we keep (it|random intercepts only)",
          "it" if kept_slope else "random intercepts only")  # fmt: skip
    if ("var:OFSTEDRATING fsm_c" in est[f"final/{engine}"]) != kept_slope:
        problems.append("the final model's random part does not follow its test")
    boot = est[f"boot/{engine}"]
    p_boot = (boot["exceed"] + 1) / (BOOT_SIMS + 1)
    match = re.search(
        r"p = \(\d+ \+ 1\) / \(\d+ \+ 1\): p = ([0-9.]+) (<|>=) alpha", texts["bootstrap-says"]
    )
    if match is None or abs(float(match[1]) - p_boot) > 5e-5:
        problems.append(f"bootstrap-says: the p printed is not (k + 1) / (B + 1) = {p_boot}")
    if ("the smallest p" in texts["bootstrap-says"]) != (boot["exceed"] == 0):
        problems.append("bootstrap-says: 'the smallest p' only when no statistic reaches it")
    ratios = {k: v for k, v in est[f"se_ratio/{engine}"].items()}
    check(
        "se-ratios-says", r"The largest ratio is [0-9.]+, for (\S+?);", max(ratios, key=ratios.get)
    )
    return problems


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_words_follow_the_numbers(lang):
    est = notebook_estimates(SPEC.notebook(lang), lang, SESSION)
    problems = word_problems(_texts(lang), est, "sm" if lang == "python" else "lme4")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("cell", "word", "flipped"),
    [
        ("rs-says", "fit is singular", "fit is not singular"),
        ("rs-says", "We keep uncorrelated", "We keep correlated"),
        ("la-slopes-says", "We keep correlated", "We keep uncorrelated"),
        ("final-says", "we keep it", "we keep random intercepts only"),
        ("few-groups-says", "0.0020 < alpha", "0.0020 >= alpha"),
        ("bootstrap-says", ", the smallest p 199 simulations can give", ""),
        ("se-ratios-says", "for log_PTFSM6CLA1A", "for log_PERCTOT"),
    ],
)
def test_a_flipped_word_fails(cell, word, flipped):
    est = notebook_estimates(SPEC.notebook("python"), "python", SESSION)
    texts = _texts("python")
    assert word in texts[cell], (cell, word)
    broken = {**texts, cell: texts[cell].replace(word, flipped, 1)}
    assert word_problems(broken, est, "sm")


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, at_least=10)


def test_the_bootstrap_shows_the_generator_and_its_seed():
    """Same draws in both languages: the page says so, and the seed is a parameter."""
    text = sc.source(SESSION)
    assert "seed = 2023" in text
    assert "seed <- 2023" in text
    assert "Wichmann" in sc.prose(text)


WORDS = re.compile(r"\b(supported|not supported|singular|not singular|we keep)\b", re.I)


def test_prose_does_not_type_a_verdict():
    prose = re.sub(r"[^.?!:]*\?", "", sc.prose(sc.source(SESSION)))  # questions ask, not claim
    found = sorted({m.group(0).lower() for m in WORDS.finditer(prose)})
    assert not found, f"verdicts typed in the prose (print them from code): {found}"


def test_brighton_urns_are_looked_up_not_typed():
    text = sc.source(SESSION)
    for urn in ("114581", "114608", "14608", "136164", "114580"):
        assert urn not in text


# --------------------------------------------------------------------------- the practical


def test_the_practical_fits_two_hours():
    assert sc.words(sc.source(SESSION)) <= MAX_WORDS


def test_at_least_three_checked_exercises():
    found = sc.exercises(SESSION)
    assert len(found) >= 3
    assert sum(len(e.checks) for e in found) >= 6


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)


def test_the_slopes_of_every_authority_agree_between_languages():
    """The exercise's 151 slopes: R's ranef order is statsmodels' group order."""
    import json

    recorded = {
        lang: json.loads(sc.notebook(SESSION, lang, ".answers").metadata["coursebuild"]["checks"])
        for lang in ("python", "r")
    }
    python, r = (np.asarray(recorded[lang]["la_slopes"], dtype=float) for lang in ("python", "r"))
    assert len(python) == len(r) == 151
    assert np.allclose(python, r, rtol=0, atol=1e-5)
