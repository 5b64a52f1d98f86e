"""Checks of session 08 (mixed models I: groups, pooling and random intercepts).

(What every session must satisfy, typed numbers and clean outputs among it, is in
test_sessions.py.)

- parity: every model, interval and test the two notebooks keep in their hidden
  estimates agrees (tests/parity.py), in the downloads and in the answers notebooks;
- the sentences are the same in both languages, every decision shows its rule and
  follows from it, and each word that reads the numbers ("falls", "higher", "agrees",
  "more alike") follows from the estimates: a flipped word fails;
- the page is a two-hour practical: at most 3,200 words of prose, at least three
  checked exercises, each worked answer run in the answers notebook only.
"""

from __future__ import annotations

import copy
import re

import pytest
import sessioncheck as sc
from parity import Estimates, Spec, compare, notebook_estimates

SESSION = "08-random-intercepts"
ALPHA = 0.05  # the notebooks' default `alpha`
MAX_WORDS = 3200
MODELS = ("ols", "null_raw", "null_log", "null_la", "ri_la", "ri_rating", "ctx", "ctx_lrt",
          "pooling")  # fmt: skip
OLS_RTOL = 1e-6  # closed form in both languages
# statsmodels fits finished on lme4's criterion against lme4: seen up to 2e-4 (the p-value
# of an intercept with 4 df), everything else below 2e-5
MIXED_RTOL = 1e-3
ANSWER_CELLS = {"exercise-region", "exercise-rutland", "exercise-ratio", "exercise-contextual"}


def tolerance(model: str, engine: str) -> float:
    return OLS_RTOL if model == "ols" else MIXED_RTOL


SPEC = Spec(
    SESSION,
    MODELS,
    {model: ("sm",) for model in MODELS},
    tolerance,
    r_engine={"ols": "lm"},
    default_r_engine="lme4",
    coef_atol={"sm": 1e-7},
)


@pytest.mark.parametrize("variant", ["", ".answers"])
def test_python_and_r_agree(variant):
    python, r = sc.estimates(SESSION, variant)
    problems = compare(SPEC, python, r)
    assert not problems, "\n".join(problems)
    rows = {key: values["n"] for key, values in {**python, **r}.items() if "n" in values}
    assert set(rows.values()) == {2902.0}, rows


def test_a_deliberate_divergence_fails():
    python, r = sc.estimates(SESSION)
    for key, quantity in (("ctx/sm", "df:fsm_la_mean"), ("null_log/sm", "icc_upper"),
                          ("ols/sm", "coef:log_PERCTOT")):  # fmt: skip
        broken = copy.deepcopy(python)
        broken[key][quantity] *= 1 + 5 * tolerance(key.split("/")[0], "sm")
        problems = compare(SPEC, broken, r)
        assert len(problems) == 1, problems
        assert quantity in problems[0]


# --------------------------------------------------------------------------- the words


def _texts() -> dict[str, dict[str, str]]:
    """Each says cell's sentences, per language (Markdown in Python, stdout in R)."""
    out = {}
    for lang in ("python", "r"):
        nb = sc.notebook(SESSION, lang)
        out[lang] = {
            cell.removesuffix(f"-{lang}"): sc.sentences(nb, cell)
            for cell in sc.says_cells(nb, lang)
        }
    return out


def _p(values: dict[str, float], quantity: str) -> float:
    """Return a p-value kept in the estimates (0 for those left out there: below 1e-8)."""
    return values.get(quantity, 0.0)


def word_problems(texts: dict[str, str], est: Estimates, engine: str) -> list[str]:
    """Every word in the sentences that the estimates contradict (empty: none)."""
    problems = [p for text in texts.values() for p in sc.decision_problems(text)]

    def check(cell: str, pattern: str, expected: str) -> None:
        match = re.search(pattern, texts[cell])
        if match is None:
            problems.append(f"{cell}: no sentence matches {pattern!r}")
        elif match.group(1) != expected:
            problems.append(f"{cell}: says {match.group(1)!r}, the numbers say {expected!r}")

    def get(model: str) -> dict[str, float]:
        return est[f"{model}/{'lm' if model == 'ols' and engine == 'lme4' else engine}"]

    check(
        "warm-up-says",
        r"schools in the same authority are (more alike|no more alike)",
        "more alike" if get("ols")["resid_la_p"] < ALPHA else "no more alike",
    )

    def moves(before: str, after: str, group: str) -> str:
        return "falls" if get(after)[f"var:{group}"] < get(before)[f"var:{group}"] else "grows"

    within = r"the variance \w+ by \d+% and within them it (\w+)"
    check("explained-says", r"Between ratings the variance (falls|grows)",
          moves("null_log", "ri_rating", "OFSTEDRATING"))  # fmt: skip
    check(
        "explained-says", rf"Between ratings {within}", moves("null_log", "ri_rating", "Residual")
    )
    check("explained-says", r"Between authorities the variance (falls|grows)",
          moves("null_la", "ri_la", "region_la"))  # fmt: skip
    check("explained-says", rf"Between authorities {within}", moves("null_la", "ri_la", "Residual"))
    ctx = get("ctx")
    check("contextual-says", r"Attainment 8 [0-9.]+% (higher|lower) \(slope",
          "higher" if ctx["coef:log_PTFSM6CLA1A"] > 0 else "lower")  # fmt: skip
    check("contextual-says", r"overall scores [0-9.]+% (higher|lower)",
          "higher" if ctx["coef:fsm_la_mean"] > 0 else "lower")  # fmt: skip
    agree = (_p(ctx, "p:fsm_la_mean") < ALPHA) == (_p(get("ctx_lrt"), "p") < ALPHA)
    check("contextual-says", r"likelihood-ratio test (agrees|disagrees)",
          "agrees" if agree else "disagrees")  # fmt: skip
    check("contextual-says", r"the authority variance (falls|grows)",
          moves("ri_la", "ctx", "region_la"))  # fmt: skip
    return problems


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_words_follow_the_numbers(lang):
    est = notebook_estimates(SPEC.notebook(lang), lang, SESSION)
    problems = word_problems(_texts()[lang], est, "sm" if lang == "python" else "lme4")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("cell", "word", "flipped"),
    [
        ("warm-up-says", "more alike", "no more alike"),
        ("explained-says", "Between ratings the variance falls",
         "Between ratings the variance grows"),
        ("explained-says", "Between authorities the variance grows",
         "Between authorities the variance falls"),
        ("contextual-says", "% higher.", "% lower."),
        ("contextual-says", "test agrees", "test disagrees"),
        ("contextual-says", "the authority variance falls", "the authority variance grows"),
        ("contextual-says", "< alpha = 0.05; the", ">= alpha = 0.05; the"),
    ],
)  # fmt: skip
def test_a_flipped_word_fails(cell, word, flipped):
    est = notebook_estimates(SPEC.notebook("python"), "python", SESSION)
    texts = _texts()["python"]
    assert word in texts[cell], (cell, word)
    broken = {**texts, cell: texts[cell].replace(word, flipped, 1)}
    assert word_problems(broken, est, "sm")


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, at_least=6)


WORDS = re.compile(r"\b(supported|not supported|singular|not singular|we keep)\b", re.I)


def test_prose_does_not_type_a_verdict():
    found = sorted({m.group(0).lower() for m in WORDS.finditer(sc.prose(sc.source(SESSION)))})
    assert not found, f"verdicts typed in the prose (print them from code): {found}"


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
