"""Checks of session 06 (simple regression) beyond parity (see test_regression_parity.py).

- no computed numbers typed in the prose; parameters first, estimates last;
- clean outputs (no warnings, errors, paths or addresses), in downloads and answers;
- the two languages print the same sentences, and the words in them follow from the
  estimates and the page's `alpha`: the sign of the slope, "steeper"/"flatter",
  "significantly" (with the rule shown: "below alpha = ..."), the best R²; a flipped word
  is caught;
- the worked answers' fixed words hold for the data (what their checks recorded);
- the page picks up from session 5 (least squares by the normal equations) and, where it
  explains logs, from session 3.
"""

from __future__ import annotations

import json
import re

import pytest
import sessioncheck as sc
from parity import notebook_estimates

SESSION = "06-simple-regression"
AREAS = ("Camden", "Leeds")  # the notebook's default `areas` parameter


@pytest.fixture(scope="module")
def estimates():
    path = sc.ROOT / "notebooks" / "r" / f"{SESSION}.ipynb"
    return notebook_estimates(path, "r", SESSION)


def test_both_languages_print_the_same_sentences():
    sc.assert_same_sentences(SESSION, extra=("skewness", "r2"))


def alpha_of(nb) -> float:
    """Return the significance level set in the notebook's parameters cell."""
    cell = next(c for c in nb.cells if c.get("id", "").startswith("parameters"))
    match = re.search(r"^alpha\s*(?:=|<-)\s*([0-9.]+)", cell.source, re.M)
    assert match, "no alpha in the parameters cell"
    return float(match[1])


def _significant(text: str, alpha: float) -> bool:
    """Return whether the first printed p-value ("p < 0.001", "p = 0.011") is below alpha."""
    match = re.search(r"p (<|=) (\d\.\d+)", text)
    assert match, text
    return (match[1] == "<" and float(match[2]) <= alpha) or float(match[2]) < alpha


def significance_problems(text: str, alpha: float) -> list[str]:
    """List where "significantly" or the rule shown ("below alpha") contradicts the p-value."""
    significant = _significant(text, alpha)
    problems = []
    if (" significantly different" in text and "not significantly" not in text) != significant:
        problems.append("'significantly' does not follow from p and alpha")
    if (f"not below alpha = {alpha}" in text) == significant:
        problems.append("the rule shown does not follow from p and alpha")
    return problems


def test_words_follow_from_the_estimates(estimates):
    nb = sc.notebook(SESSION, "r")
    alpha = alpha_of(nb)
    england = estimates["england/lm"]["coef:log_PTFSM6CLA1A"]
    text = sc.sentences(nb, "england-says-r")
    assert ("The slope is negative" in text) == (england < 0)
    assert significance_problems(text, alpha) == []
    areas_text = sc.sentences(nb, "areas-says-r")
    for area in AREAS:
        part = areas_text[areas_text.index(f"{area} (") :]
        part = part.split(" intercept is ")[0]
        slope = estimates[f"{area.lower()}/lm"]["coef:log_PTFSM6CLA1A"]
        assert ("steeper than England's" in part) == (slope < england), area
        assert significance_problems(part, alpha) == [], area
    r2 = {name: estimates[f"{name.lower()}/lm"]["r2"] for name in ("England", *AREAS)}
    best = max(r2, key=r2.get)
    assert f"The highest R² of the three models is {best}'s" in sc.sentences(nb, "r2-r")


def test_the_significance_check_can_fail():
    nb = sc.notebook(SESSION, "r")
    text = sc.sentences(nb, "england-says-r")
    assert "is significantly different" in text
    alpha = alpha_of(nb)
    assert significance_problems(text.replace("is significantly", "is not significantly"), alpha)
    assert significance_problems(text.replace("below alpha", "not below alpha"), alpha)


def test_the_word_check_can_fail(estimates):
    broken = {k: dict(v) for k, v in estimates.items()}
    broken["camden/lm"]["r2"] = 0.0
    broken["leeds/lm"]["r2"] = 0.0
    r2 = {name: broken[f"{name.lower()}/lm"]["r2"] for name in ("England", *AREAS)}
    text = sc.sentences(sc.notebook(SESSION, "r"), "r2-r")
    assert f"is {max(r2, key=r2.get)}'s" not in text  # the page names another model


ANSWER_CELLS = {"exercise-intervals", "exercise-below", "exercise-predict", "exercise-level"}


def recorded(lang: str) -> dict:
    """Return what the answers notebook's checks measured on the worked answers."""
    nb = sc.notebook(SESSION, lang, ".answers")
    return json.loads(nb.metadata["coursebuild"]["checks"])


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_worked_answers_fixed_words_hold(lang, estimates):
    """The answers' fixed words: "Several are UTCs or studio schools"; "we keep" the log model.

    And the recorded values are the models' own: the raw-scale R², the intervals' count.
    """
    values = recorded(lang)
    assert values["n_technical"] >= 3
    assert values["better"] == "log"
    answers = notebook_estimates(
        sc.ROOT / "notebooks" / "r" / f"{SESSION}.answers.ipynb", "r", SESSION
    )
    assert values["r2_level"] == pytest.approx(answers["level/lm"]["r2"], rel=1e-6)
    intervals = values["intervals"]["values"]
    england = estimates["england/lm"]["coef:log_PTFSM6CLA1A"]
    inside = [
        lo <= england <= hi for lo, hi in zip(intervals["lower"], intervals["upper"], strict=True)
    ]
    assert inside[0]  # England's own interval
    assert values["n_contain"] == sum(inside[1:])
    fit, low, high = values["prediction_30"]
    assert low < fit < high


def test_the_page_picks_up_from_sessions_5_and_3():
    paragraphs = sc.prose(sc.source(SESSION)).strip().split("\n\n")
    opening = " ".join(paragraphs[0].split())
    assert opening.startswith("Session 5 fitted")
    assert "normal equations" in opening
    logs = " ".join(sc.prose(sc.source(SESSION)).split())
    assert "Session 3 showed what a log does" in logs


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)


def _stdout(nb, cell_id: str) -> list[str]:
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    return text.splitlines()


def test_both_languages_print_the_same_row_counts(estimates):
    """Python's and R's print_row_counts print the same lines.

    The last is the number of rows the England model was fitted to.
    """
    python = _stdout(sc.notebook(SESSION, "python"), "load-python")
    r = _stdout(sc.notebook(SESSION, "r"), "load-r")
    end = next(i for i, line in enumerate(python) if line.startswith("Rows every model uses:"))
    assert python[0].startswith("Schools in the file:")
    assert end >= 3
    assert python[: end + 1] == r[: end + 1]
    assert int(python[end].split()[-1]) == estimates["england/lm"]["n"]
