"""Checks of session 07 (multiple regression) beyond parity (see test_regression_parity.py).

- no computed numbers typed in the prose; parameters first, estimates last;
- clean outputs (no warnings, errors, paths or addresses), in downloads and answers;
- the two languages print the same sentences, and the words in them follow from the
  estimates: "shrinks", "Every block improves ... significantly" (F-tests recomputed from
  the printed F statistics), the multicollinearity verdict, the interaction's verdict;
- the worked answers ran in the answers notebooks and are absent from the downloads.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import sessioncheck as sc
from parity import notebook_estimates
from scipy import stats

SESSION = "07-multiple-regression"
STEPS = ("baseline", "absence", "eal", "ofsted", "region", "final")


@pytest.fixture(scope="module")
def estimates():
    path = sc.ROOT / "notebooks" / "r" / f"{SESSION}.ipynb"
    return notebook_estimates(path, "r", SESSION)


def _coefficients(values: dict[str, float]) -> int:
    return sum(q.startswith("coef:") for q in values)


def test_both_languages_print_the_same_sentences():
    python, r = sc.notebook(SESSION, "python"), sc.notebook(SESSION, "r")
    cells = [i.removesuffix("-python") for i in sc.says_cells(python, "python")]
    cells += [
        "influence",
        "independence",
        "interaction",
        "vif",
        "residual-map",
        "correlations",
        "skewness",
    ]
    for cell in cells:
        ours, theirs = sc.said(python, r, cell)
        assert ours, cell
        assert ours == theirs, cell


def test_words_follow_from_the_estimates(estimates):
    nb = sc.notebook(SESSION, "r")
    start = estimates["baseline/lm"]["coef:log_PTFSM6CLA1A"]
    end = estimates["final/lm"]["coef:log_PTFSM6CLA1A"]
    steps = sc.sentences(nb, "steps-says-r")
    assert ("it shrinks" in steps) == (abs(end) < abs(start))

    # sequential F-tests against the largest model's residual variance (as anova() does)
    n = estimates["final/lm"]["n"]
    k_final = _coefficients(estimates["final/lm"])
    p_values = []
    for before, after in itertools.pairwise(STEPS):
        df1 = _coefficients(estimates[f"{after}/lm"]) - _coefficients(estimates[f"{before}/lm"])
        p_values.append(stats.f.sf(estimates[f"{after}/lm"]["f_vs_previous"], df1, n - k_final))
    assert ("Every block improves the fit significantly" in steps) == all(
        p < 0.05 for p in p_values
    )

    interaction = estimates["interaction/lm"]
    df1 = _coefficients(interaction) - k_final
    p = stats.f.sf(interaction["f_vs_final"], df1, n - _coefficients(interaction))
    text = sc.sentences(nb, "interaction-r")
    assert ("terms improve the fit significantly" in text) == (p < 0.05)
    assert f"for {df1} more coefficients" in text


def test_the_vif_verdict_matches_the_table():
    nb = sc.notebook(SESSION, "python")
    table = sc.sentences(nb, "vif-python")
    largest = float(table.split("is ")[1].split(",")[0])
    assert ("no predictor is above 5" in table) == (largest < 5)


ANSWER_CELLS = {"exercise-rows", "exercise-slopes", "exercise-reference", "exercise-faith"}


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_thread_links_sessions_06_07_08(lang):
    """The notebook's first cell links session 06 before it and 08 after it.

    The text names them without links (dead in a download); the sidebar, whose order
    Quarto's page navigation follows, lists the sessions in file-name order.
    """
    import yaml

    first = sc.notebook(SESSION, lang).cells[0]
    assert first.cell_type == "markdown"
    nav = first.source.splitlines()[-1]
    assert re.fullmatch(
        r"Previous: \[Session 6: [^]]+\]\(\S+/06-simple-regression\.(ipynb|html)\) · "
        r"Next: \[Session 8: [^]]+\]\(\S+/08-random-intercepts\.(ipynb|html)\)",
        nav,
    ), nav
    assert "Session 6 ended" in sc.prose(sc.source(SESSION)).strip().split("\n\n")[0]

    config = yaml.safe_load((sc.ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    sections = [
        item
        for item in config["website"]["sidebar"]["contents"]
        if isinstance(item, dict) and item.get("section") == "Sessions"
    ]
    assert len(sections) == 1
    contents = sections[0]["contents"]
    if isinstance(contents, str):  # a glob: Quarto orders the matches by file name
        assert contents == "sessions/*.qmd"
    else:
        order = [Path(str(entry)).name for entry in contents]
        positions = [
            order.index(f"{name}.qmd")
            for name in ("06-simple-regression", "07-multiple-regression", "08-random-intercepts")
        ]
        assert positions == sorted(positions)
        assert positions[2] - positions[0] == 2
