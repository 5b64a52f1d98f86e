"""Checks of session 02 (describing data) beyond the recipe (tests/test_sessions.py).

- parity: Python and R report the same numbers (counts, sums, mean, median, both SDs,
  type 7 quartiles, fences, histogram counts, and in the answers notebooks the worked
  answers' values), read from the estimates the notebooks keep for the tests;
- the two languages print the same sentences, and the words in them follow from the
  numbers ("more people than there are", "above the median", "negative", ...): a
  flipped word or a flipped number fails;
- the exercises' checks follow the exercise format and name values both answers assign;
- the worked answers ran in the answers notebooks and are absent from the downloads;
- the first cell links the sessions before and after it, in course order.
"""

from __future__ import annotations

import copy
import re

import pytest
import sessioncheck as sc
from parity import Spec, compare

from coursebuild.course import session_paths

SESSION = "02-describing-data"
RTOL = 1e-9  # no fit here: every number is a closed-form summary of the same rows
ANSWER_CELLS = (
    "exercise-mean-change",
    "exercise-exact",
    "exercise-influence",
    "exercise-change-outliers",
    "exercise-change-plot",
)


def _spec(variant: str) -> Spec:
    models = ("census", "answers") if variant else ("census",)
    return Spec(
        session=SESSION,
        models=models,
        python_engines={m: ("py",) for m in models},
        default_r_engine="r",
        tolerance=lambda model, engine: RTOL,
    )


def _read(variant: str):
    return _spec(variant), *sc.estimates(SESSION, variant)


@pytest.mark.parametrize("variant", ["", ".answers"])
def test_python_and_r_agree(variant):
    spec, python, r = _read(variant)
    problems = compare(spec, python, r)
    assert not problems, "\n".join(problems)


def test_answers_report_every_checked_value():
    _, python, _ = _read(".answers")
    reported = {q.split(":")[0] for q in python["answers/py"]}
    checked = {
        name
        for exercise in sc.exercises(SESSION)
        for name, specs in exercise.checks.items()
        if {"number", "numbers"} & set(specs["python"])
    }
    assert checked <= reported


def test_a_deliberate_divergence_fails():
    spec, python, r = _read("")
    broken = copy.deepcopy(python)
    broken["census/py"]["q1"] += 1  # e.g. another quantile definition on one side
    problems = compare(spec, broken, r)
    assert len(problems) == 1
    assert "q1" in problems[0]


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, at_least=5)


def _comma(value: float) -> str:
    return f"{value:,.0f}"


def _signif(value: float, digits: int = 3) -> str:
    return _comma(float(f"{value:.{digits}g}"))


def word_problems(e: dict[str, float], said: dict[str, str]) -> list[str]:
    """Every sentence whose words or numbers do not follow from the estimates `e`."""
    out = []

    def expect(cell: str, claim: str, holds: bool) -> None:
        if (claim in said[cell]) != holds:
            out.append(f"{cell}: {claim!r} {'missing' if holds else 'wrongly'} in the text")

    over = e["la_total"] - e["national"]
    expect("twice", f"{_comma(over)} more people than there are", over > 0)
    expect("twice", "no one is counted twice", over <= 0)
    gap = e["lower_tier_total"] - e["national"]
    expect("lower-tier", f"{_comma(abs(gap))} fewer than the national total", gap < 0)
    expect("lower-tier", f"{_comma(abs(gap))} more than the national total", gap > 0)
    expect("lower-tier", f"{e['la']:.0f} local authorities remain", True)
    above = e["mean"] > e["median"]
    expect("centre", "the mean is above the median", above)
    expect("centre", "the mean is below the median", not above)
    middle = f"has {_comma(e['median'])} residents and the mean is {_comma(e['mean'])}"
    expect("centre", middle, True)
    expect("spread", f"standard deviation of about {_signif(e['sd'])} people", True)
    expect("spread", f"between {_signif(e['q1'])} and {_signif(e['q3'])} residents", True)
    expect("outliers", f"flags {e['n_outside']:.0f} of the {e['la']:.0f} authorities", True)
    expect("outliers", "all above the upper fence", e["n_below"] == 0)
    expect("outliers", "is negative", e["lower"] < 0)
    expect("outliers", f"flagged {e['n_flagged_with_counties']:.0f} rows", True)
    return out


def _said() -> dict[str, str]:
    nb = sc.notebook(SESSION, "r")
    cells = ("twice", "lower-tier", "centre", "spread", "outliers")
    return {cell: sc.sentences(nb, f"{cell}-says-r") for cell in cells}


def test_words_follow_from_the_numbers():
    _, _, r = _read("")
    assert word_problems(r["census/r"], _said()) == []


def test_a_flipped_word_or_number_fails():
    _, _, r = _read("")
    said = _said()
    flipped = dict(said, centre=said["centre"].replace("is above the", "is below the"))
    if flipped["centre"] == said["centre"]:
        flipped["centre"] = said["centre"].replace("is below the", "is above the")
    assert word_problems(r["census/r"], flipped)
    swapped = dict(r["census/r"], mean=r["census/r"]["median"], median=r["census/r"]["mean"])
    assert word_problems(swapped, said)
    negative = dict(r["census/r"], lower=-r["census/r"]["lower"])
    assert word_problems(negative, said)


def test_exercise_checks_follow_the_format():
    """The build reads the Check tabs (coursebuild.source.exercises): no problem in any."""
    assert 3 <= len(sc.exercises(SESSION)) <= 6
    assert not sc.check_problems(sc.source(SESSION))


def test_the_format_check_can_fail():
    broken = sc.source(SESSION).replace("fences <- c(", "the_fences <- c(")
    (problem,) = sc.check_problems(broken)
    assert "check 'fences': no r chunk of the Answer tab defines 'fences'" in problem


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_first_cell_links_the_neighbours_in_course_order(lang):
    names = [p.stem for p in session_paths(sc.ROOT)]
    before, after = names[names.index(SESSION) - 1], names[names.index(SESSION) + 1]
    nav = sc.notebook(SESSION, lang).cells[0].source.splitlines()[-1]
    number = {name: int(name[:2]) for name in (before, after)}
    assert re.fullmatch(
        rf"Previous: \[Session {number[before]}: [^]]+\]\(\S+/{before}\.(ipynb|html)\) · "
        rf"Next: \[Session {number[after]}: [^]]+\]\(\S+/{after}\.(ipynb|html)\)",
        nav,
    ), nav
    assert "Session 1 showed" in sc.prose(sc.source(SESSION)).strip().split("\n\n")[0]
