"""Checks of session 06 (simple regression) beyond parity (see test_regression_parity.py).

- no computed numbers typed in the prose; parameters first, estimates last;
- clean outputs (no warnings, errors, paths or addresses), in downloads and answers;
- the two languages print the same sentences, and the words in them follow from the
  estimates: the sign of the slope, "steeper"/"flatter", "significantly", the best R².
"""

from __future__ import annotations

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
    python, r = sc.notebook(SESSION, "python"), sc.notebook(SESSION, "r")
    ids = sc.says_cells(python, "python")
    assert [i.replace("-python", "-r") for i in ids] == sc.says_cells(r, "r")
    for cell in [i.removesuffix("-python") for i in ids] + ["skewness", "r2"]:
        ours, theirs = sc.said(python, r, cell)
        assert ours, cell
        assert ours == theirs, cell


def _significant(text: str) -> bool:
    """Whether a printed p-value ("p < 0.001" or "p = 0.011") is below 0.05."""
    match = re.search(r"p (<|=) (\d\.\d+)", text)
    assert match, text
    return match[1] == "<" or float(match[2]) < 0.05


def test_words_follow_from_the_estimates(estimates):
    nb = sc.notebook(SESSION, "r")
    england = estimates["england/lm"]["coef:log_PTFSM6CLA1A"]
    text = sc.sentences(nb, "england-says-r")
    assert ("The slope is negative" in text) == (england < 0)
    assert ("is significantly different" in text) == _significant(text)
    areas_text = sc.sentences(nb, "areas-says-r")
    for area in AREAS:
        part = areas_text[areas_text.index(f"{area} (") :]
        part = part.split(" intercept is ")[0]
        slope = estimates[f"{area.lower()}/lm"]["coef:log_PTFSM6CLA1A"]
        assert ("steeper than England's" in part) == (slope < england), area
        assert (" significantly different" in part and "not significantly" not in part) == (
            _significant(part)
        ), area
    r2 = {name: estimates[f"{name.lower()}/lm"]["r2"] for name in ("England", *AREAS)}
    best = max(r2, key=r2.get)
    assert f"The highest R² of the three models is {best}'s" in sc.sentences(nb, "r2-r")


def test_the_word_check_can_fail(estimates):
    broken = {k: dict(v) for k, v in estimates.items()}
    broken["camden/lm"]["r2"] = 0.0
    broken["leeds/lm"]["r2"] = 0.0
    r2 = {name: broken[f"{name.lower()}/lm"]["r2"] for name in ("England", *AREAS)}
    text = sc.sentences(sc.notebook(SESSION, "r"), "r2-r")
    assert f"is {max(r2, key=r2.get)}'s" not in text  # the page names another model


ANSWER_CELLS = {"exercise-intervals", "exercise-below", "exercise-predict", "exercise-level"}


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
