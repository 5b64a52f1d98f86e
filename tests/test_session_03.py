"""Checks of session 03 (distributions) beyond the recipe (tests/test_sessions.py).

- parity: Python and R report the same numbers (moments with the same definitions of
  skewness and kurtosis, shares within k SDs, histogram counts with the same bins, the
  other distributions' probabilities, Anscombe's summaries, and in the answers notebooks
  the worked answers' values), read from the estimates the notebooks keep for the tests;
- the two languages print the same sentences, and the words in them follow from the
  numbers ("strongly right-skewed", "almost all of the right tail", ...): a flipped
  word or a flipped number fails; the worked answers' words agree with their values;
- the exercises' checks follow the exercise format; the worked answers ran in the
  answers notebooks and are absent from the downloads; the first cell links the
  neighbours in course order.
"""

from __future__ import annotations

import copy
import re

import pytest
import sessioncheck as sc
from parity import Spec, compare

from coursebuild.course import session_paths

SESSION = "03-distributions"
RTOL = 1e-9  # no fit here: closed-form summaries of the same values in both languages
MODELS = ("heights", "att8", "not_selective", "selective", "eal", "log_eal", "others", "anscombe")
ANSWER_CELLS = (
    "exercise-tall",
    "exercise-not-selective",
    "exercise-fsm",
    "exercise-anscombe",
)


def _spec(variant: str) -> Spec:
    models = (*MODELS, "answers") if variant else MODELS
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


def test_a_deliberate_divergence_fails():
    spec, python, r = _read("")
    broken = copy.deepcopy(python)
    broken["att8/py"]["skewness"] *= 1.002  # e.g. pandas' adjusted skewness on one side
    problems = compare(spec, broken, r)
    assert len(problems) == 1
    assert "skewness" in problems[0]


def test_answers_report_every_checked_number():
    _, python, _ = _read(".answers")
    checked = {
        name
        for exercise in sc.exercises(SESSION)
        for name, specs in exercise.checks.items()
        if {"number", "numbers"} & set(specs["python"])
    }
    assert checked <= set(python["answers/py"])


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, at_least=6)


def shape(skewness: float) -> str:
    """Return the session's words for a skewness (the page states the same rule)."""
    if abs(skewness) < 0.5:
        return "close to symmetric"
    side = "right" if skewness > 0 else "left"
    return f"{'moderately' if abs(skewness) < 1 else 'strongly'} {side}-skewed"


def tails(kurtosis: float) -> str:
    if abs(kurtosis) < 0.5:
        return "close to a normal distribution's"
    return "heavier than normal" if kurtosis > 0 else "lighter than normal"


def word_problems(e: dict[str, dict[str, float]], said: dict[str, str]) -> list[str]:
    """Every sentence whose words or numbers do not follow from the estimates `e`."""
    out = []

    def expect(cell: str, claim: str) -> None:
        if claim not in said[cell]:
            out.append(f"{cell}: {claim!r} missing from {said[cell]!r}")

    h = e["heights"]
    expect("heights", f"The heights are {shape(h['skewness'])} (skewness {h['skewness']:.2f})")
    expect("heights", f"with tails {tails(h['excess kurtosis'])}")
    for k in (1, 2, 3):
        expect("rule", f"Within {k} SD of the mean: {100 * h[f'within_{k}_sd']:.1f}%")
    a = e["att8"]
    expect("att8", f"Attainment 8 is {shape(a['skewness'])} (skewness {a['skewness']:.2f})")
    expect("att8", f"with tails {tails(a['excess kurtosis'])}")
    share = a["tail_selective"] / a["tail_n"]
    words = "almost all" if share >= 0.9 else "most" if share > 0.5 else "only part"
    expect("selective", f"{a['tail_selective']:.0f} of the {a['tail_n']:.0f} schools")
    expect("selective", f"{words} of the right tail")
    expect("selective", f"The {e['selective']['n']:.0f} selective schools")
    g1_not = e["not_selective"]["skewness"]
    expect("selective", f"Attainment 8 is {shape(g1_not)} (skewness {g1_not:.2f}")
    eal, log_eal = e["eal"]["skewness"], e["log_eal"]["skewness"]
    expect("eal", f"EAL pupils is {shape(eal)} (skewness {eal:.2f}); its log is {shape(log_eal)}")
    expect("eal", f"without the {e['eal']['zeros']:.0f} schools at 0%")
    sets = e["anscombe"]
    quantities = {q.rsplit(" ", 1)[0] for q in sets}
    widest = max(
        max(sets[f"{q} {k}"] for k in range(1, 5)) - min(sets[f"{q} {k}"] for k in range(1, 5))
        for q in quantities
    )
    expect("anscombe", f"differs by more than {widest:.3f} from one set to another")
    return out


def _said() -> dict[str, str]:
    nb = sc.notebook(SESSION, "r")
    cells = ("heights", "rule", "att8", "selective", "eal", "anscombe")
    return {cell: sc.sentences(nb, f"{cell}-says-r") for cell in cells}


def _estimates() -> dict[str, dict[str, float]]:
    _, _, r = _read("")
    return {key.removesuffix("/r"): values for key, values in r.items()}


def test_words_follow_from_the_numbers():
    assert word_problems(_estimates(), _said()) == []


def test_a_flipped_word_or_number_fails():
    e, said = _estimates(), _said()
    flipped = dict(said, att8=said["att8"].replace("right-skewed", "left-skewed"))
    assert flipped != said
    assert word_problems(e, flipped)
    fewer = copy.deepcopy(e)
    fewer["att8"]["tail_selective"] = fewer["att8"]["tail_n"] / 2  # "most", not "almost all"
    assert word_problems(fewer, said)
    symmetric = copy.deepcopy(e)
    symmetric["eal"]["skewness"] = 0.1
    assert word_problems(symmetric, said)


def test_worked_answers_say_what_their_numbers_say():
    """The Answer tabs' sentences are typed; their claims are held to the answers' values."""
    _, _, r = _read(".answers")
    a, sets = r["answers/r"], r["anscombe/r"]
    text = " ".join(sc.prose(sc.source(SESSION)).split())
    assert "the log has the longer tail on the left" in text
    assert a["skew_log_fsm"] < -0.5  # "left", and overshooting
    assert "bend upward a little" in text
    assert 0 < a["skew_not_selective"] < 0.5  # a small positive skewness
    assert "with a visibly smaller slope" in text
    assert a["slope_clean"] < sets["slope 3"]


def test_exercise_checks_follow_the_format():
    """The build reads the Check tabs (coursebuild.source.exercises): no problem in any."""
    assert 3 <= len(sc.exercises(SESSION)) <= 6
    assert not sc.check_problems(sc.source(SESSION))


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
    assert "Session 2 described" in sc.prose(sc.source(SESSION)).strip().split("\n\n")[0]
