"""Checks of session 07 (multiple regression) beyond parity (see test_regression_parity.py).

- no computed numbers typed in the prose; parameters first, estimates last;
- clean outputs (no warnings, errors, paths or addresses), in downloads and answers;
- the two languages print the same sentences, and the words in them follow from the
  estimates and the page's `alpha`: "shrinks", "Every block improves ... significantly"
  (F-tests recomputed from the printed F statistics), the multicollinearity verdict, the
  interactions' verdicts (Camden and Leeds: session 6's slopes, "flatter", "not
  significant"), the Ofsted sensitivity ("moves most", signs and verdicts kept), which
  standard errors are "too small" and which "about right" (against a random-intercept
  fit by local authority, computed here), and the model-building task's decisions;
- each words check can fail: a flipped word is caught;
- the worked answers ran in the answers notebooks and are absent from the downloads;
- the model the task arrives at is the one session 9's last task extends.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import sessioncheck as sc
from parity import notebook_estimates
from scipy import stats

SESSION = "07-multiple-regression"
STEPS = ("baseline", "absence", "eal", "ofsted", "region", "final")
AREAS = ("Camden", "Leeds")  # the notebook's default `areas` parameter
SCHOOL_LEVEL = {  # R's names of the school-level terms, and the words the page uses
    "log_PTFSM6CLA1A": "disadvantage",
    "log_PERCTOT": "absence",
    "log_PNUMEAL": "English as an additional language",
    "PTPRIORLO": "low prior attainment",
    "ADMPOL_PTSEL": "selective admissions",
    "ADMPOL_PTOTHER NON SEL": "OTHER NON SEL",
}
# Standard-error ratios (random intercepts by authority over OLS) that the words may call
# "about right" and "too small"
ABOUT_RIGHT = (0.85, 1.15)
TOO_SMALL = 1.3


@pytest.fixture(scope="module")
def estimates():
    path = sc.ROOT / "notebooks" / "r" / f"{SESSION}.ipynb"
    return notebook_estimates(path, "r", SESSION)


@pytest.fixture(scope="module")
def answers():
    path = sc.ROOT / "notebooks" / "r" / f"{SESSION}.answers.ipynb"
    return notebook_estimates(path, "r", SESSION)


@pytest.fixture(scope="module")
def six():
    path = sc.ROOT / "notebooks" / "r" / "06-simple-regression.ipynb"
    return notebook_estimates(path, "r", "06-simple-regression")


def alpha_of(nb) -> float:
    """Return the significance level set in the notebook's parameters cell."""
    cell = next(c for c in nb.cells if c.get("id", "").startswith("parameters"))
    match = re.search(r"^alpha\s*(?:=|<-)\s*([0-9.]+)", cell.source, re.M)
    assert match, "no alpha in the parameters cell"
    return float(match[1])


def recorded(lang: str) -> dict:
    """Return what the answers notebook's checks measured on the worked answers."""
    nb = sc.notebook(SESSION, lang, ".answers")
    return json.loads(nb.metadata["coursebuild"]["checks"])


def _coefficients(values: dict[str, float]) -> int:
    return sum(q.startswith("coef:") for q in values)


def _p(t: float, df: float) -> float:
    return float(2 * stats.t.sf(abs(t), df))


def test_both_languages_print_the_same_sentences():
    extra = ("influence", "independence", "interaction", "vif", "residual-map", "correlations",
             "skewness")  # fmt: skip
    cells = sc.assert_same_sentences(SESSION, extra=extra)
    assert {"two-areas-says", "sensitivity-says"} <= set(cells)


def _last_lines(nb, cell_id: str, k: int) -> list[str]:
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    return [line.strip() for line in text.strip().splitlines()[-k:]]


@pytest.mark.parametrize(("cell", "lines"), [("exercise-two-se", 4), ("exercise-my-model", 2)])
def test_the_worked_answers_print_the_same_in_both_languages(cell, lines):
    python = sc.notebook(SESSION, "python", ".answers")
    r = sc.notebook(SESSION, "r", ".answers")
    assert _last_lines(python, f"{cell}-python", lines) == _last_lines(r, f"{cell}-r", lines)


def test_words_follow_from_the_estimates(estimates):
    nb = sc.notebook(SESSION, "r")
    alpha = alpha_of(nb)
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
        p < alpha for p in p_values
    )
    assert f"alpha = {alpha}" in steps

    interaction = estimates["interaction/lm"]
    df1 = _coefficients(interaction) - k_final
    p = stats.f.sf(interaction["f_vs_final"], df1, n - _coefficients(interaction))
    text = sc.sentences(nb, "interaction-r")
    assert ("terms improve the fit significantly" in text) == (p < alpha)
    assert (f"not below alpha = {alpha}" in text) == (p >= alpha)
    assert f"for {df1} more coefficients" in text


def test_the_vif_verdict_matches_the_table():
    nb = sc.notebook(SESSION, "python")
    table = sc.sentences(nb, "vif-python")
    largest = float(table.split("is ")[1].split(",")[0])
    assert ("no predictor is above 5" in table) == (largest < 5)


# --- Camden and Leeds: session 6's promise, kept with an interaction ------------------------


def camden_leeds_problems(text: str, six: dict, two: dict, alpha: float) -> list[str]:
    """List what the two-areas sentence gets wrong, given the estimates (empty: nothing)."""
    first, second = (six[f"{a.lower()}/lm"]["coef:log_PTFSM6CLA1A"] for a in AREAS)
    gap = two[f"coef:log_PTFSM6CLA1A:LANAME{AREAS[1]}"]
    problems = []
    if abs(two["coef:log_PTFSM6CLA1A"] - first) > 1e-9 or abs(first + gap - second) > 1e-9:
        problems.append("the interaction model's slopes are not session 6's separate ones")
    if f"{AREAS[0]} {first:.3f}, {AREAS[1]} {second:.3f}" not in text:
        problems.append("the slopes shown are not session 6's")
    p = _p(two[f"t:log_PTFSM6CLA1A:LANAME{AREAS[1]}"], two["n"] - 4)
    flatter = abs(second) < abs(first)
    if (f"{AREAS[1]}'s line is flatter" in text) != flatter:
        problems.append("flatter/steeper does not follow from the slopes")
    if (f"{AREAS[1]}'s line is steeper" in text) == flatter:
        problems.append("flatter/steeper does not follow from the slopes")
    if ("difference is significant" in text) != (p < alpha):
        problems.append(f"'significant' does not follow from p = {p:.3g} and alpha = {alpha}")
    if ("is not significant" in text) != (p >= alpha):
        problems.append(f"'not significant' does not follow from p = {p:.3g}")
    if (f"not below alpha = {alpha}" in text) != (p >= alpha):
        problems.append("the decision rule shown does not match p")
    return problems


def test_session_6s_promise_is_kept_by_an_interaction(estimates, six):
    six_text = sc.prose(sc.source("06-simple-regression"))
    assert "session 7 tests a difference in slopes properly" in " ".join(six_text.split())
    nb = sc.notebook(SESSION, "r")
    text = sc.sentences(nb, "two-areas-says-r")
    assert camden_leeds_problems(text, six, estimates["two_areas/lm"], alpha_of(nb)) == []


def test_the_camden_leeds_check_can_fail(estimates, six):
    nb = sc.notebook(SESSION, "r")
    text = sc.sentences(nb, "two-areas-says-r")
    two, alpha = estimates["two_areas/lm"], alpha_of(nb)
    for old, new in (("flatter", "steeper"), ("is not significant", "is significant")):
        assert old in text
        assert camden_leeds_problems(text.replace(old, new), six, two, alpha), new


# --- the Ofsted sensitivity fit ------------------------------------------------------------


def sensitivity_problems(text: str, final: dict, without: dict, alpha: float) -> list[str]:
    """List what the sensitivity sentence gets wrong, given both fits' estimates."""
    df_with = final["n"] - _coefficients(final)
    df_without = without["n"] - _coefficients(without)

    def p(fit, df, term):
        return _p(fit[f"t:{term}"], df)

    problems = []
    change = {t: without[f"coef:{t}"] / final[f"coef:{t}"] - 1 for t in SCHOOL_LEVEL}
    most = max(change, key=lambda t: abs(change[t]))
    if f"{SCHOOL_LEVEL[most]}'s moves most" not in text:
        problems.append(f"{SCHOOL_LEVEL[most]}'s coefficient moves most")
    grew = abs(without[f"coef:{most}"]) > abs(final[f"coef:{most}"])
    if f"{'larger' if grew else 'smaller'} in size" not in text:
        problems.append("larger/smaller does not follow from the estimates")
    if f"from {final['r2']:.3f} to {without['r2']:.3f}" not in text or ("falls" in text) != (
        without["r2"] < final["r2"]
    ):
        problems.append("the R² change is misreported")
    kept = all(
        np.sign(final[f"coef:{t}"]) == np.sign(without[f"coef:{t}"])
        and (p(final, df_with, t) < alpha) == (p(without, df_without, t) < alpha)
        for t in SCHOOL_LEVEL
    )
    if ("Every school-level coefficient keeps its sign and its verdict" in text) != kept:
        problems.append("signs and verdicts kept: not what the estimates say")
    regions = [q[len("coef:") :] for q in without if q.startswith("coef:gor_name")]
    flipped = [
        t.removeprefix("gor_name")
        for t in regions
        if (p(final, df_with, t) < alpha) != (p(without, df_without, t) < alpha)
    ]
    if f"of the {len(regions)} region coefficients, {len(flipped)} " not in text:
        problems.append(f"{len(flipped)} of {len(regions)} regions change their verdict")
    problems += [f"{name} changes its verdict, unnamed" for name in flipped if name not in text]
    return problems


def test_the_sensitivity_words_follow_from_the_fits(estimates):
    nb = sc.notebook(SESSION, "r")
    text = sc.sentences(nb, "sensitivity-says-r")
    problems = sensitivity_problems(
        text, estimates["final/lm"], estimates["no_rating/lm"], alpha_of(nb)
    )
    assert problems == []


def test_the_sensitivity_check_can_fail(estimates):
    nb = sc.notebook(SESSION, "r")
    text = sc.sentences(nb, "sensitivity-says-r")
    final, without, alpha = estimates["final/lm"], estimates["no_rating/lm"], alpha_of(nb)
    for old, new in (
        ("larger in size", "smaller in size"),
        ("absence's moves most", "disadvantage's moves most"),
        ("Every school-level coefficient keeps its sign and its verdict", "Some change"),
    ):
        assert old in text
        assert sensitivity_problems(text.replace(old, new), final, without, alpha), new


# --- which OLS standard errors are too small -----------------------------------------------


def final_formula() -> str:
    """Return the model the page carries forward, as its prose states it."""
    section = sc.source(SESSION).split("## The model we carry forward")[1]
    return re.search(r"`(log_ATT8SCR ~ [^`]+)`", section)[1]


@pytest.fixture(scope="module")
def se_ratios(course_data) -> dict[str, float]:
    """Return the standard errors with random intercepts by authority over OLS's, per term.

    REML fit by statsmodels; the standard errors are lme4's, sigma² (X'V⁻¹X)⁻¹ with the
    variances held at their estimates (V⁻¹ per authority in closed form), as session 9
    computes them.
    """
    import statsmodels.formula.api as smf

    from helpers.data import analysis_table, load_schools

    dat = analysis_table(load_schools())
    ols = smf.ols(final_formula(), data=dat).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of the optimizer
        mixed = smf.mixedlm(final_formula(), data=dat, groups="LANAME").fit(reml=True)
    tau2, sigma2 = float(mixed.cov_re.iloc[0, 0]), float(mixed.scale)
    X = np.asarray(ols.model.exog)
    information = np.zeros((X.shape[1], X.shape[1]))
    for rows in dat.groupby("LANAME", observed=True).indices.values():
        x, n = X[rows], len(rows)
        total = x.sum(axis=0)
        information += (x.T @ x - tau2 / (sigma2 + n * tau2) * np.outer(total, total)) / sigma2
    se = np.sqrt(np.diag(np.linalg.inv(information)))
    return dict(zip(ols.model.exog_names, se / ols.bse.to_numpy(), strict=True))


def _groups(ratios: dict[str, float]) -> dict[str, list[str]]:
    """Return the terms each phrase of the page names."""
    return {
        "the regions": [t for t in ratios if t.startswith("gor_name")],
        "OTHER NON SEL": ["ADMPOL_PT[T.OTHER NON SEL]"],
        "school-level predictors": [
            "log_PTFSM6CLA1A",
            "log_PERCTOT",
            "log_PNUMEAL",
            "PTPRIORLO",
            "ADMPOL_PT[T.SEL]",
            *[t for t in ratios if t.startswith("OFSTEDRATING")],
        ],
    }


def se_words_problems(text: str, ratios: dict[str, float]) -> list[str]:
    """Which "too small" / "about right" claims the ratios contradict (or are missing)."""
    groups = _groups(ratios)
    problems, claimed = [], set()
    for sentence in re.split(r"(?<=\.) ", text):
        verdicts = [v for v in ("too small", "about right") if v in sentence]
        named = [g for g in groups if g in sentence]
        if not verdicts or not named:
            continue
        if len(verdicts) > 1:
            problems.append(f"two verdicts in one sentence: {sentence}")
            continue
        for group in named:
            claimed.add(group)
            for term in groups[group]:
                r = ratios[term]
                ok = (
                    r > TOO_SMALL
                    if verdicts[0] == "too small"
                    else ABOUT_RIGHT[0] <= r <= ABOUT_RIGHT[1]
                )
                if not ok:
                    problems.append(f"{term}: ratio {r:.3f}, called {verdicts[0]}")
    problems += [f"no verdict for {g}" for g in groups if g not in claimed]
    return problems


def test_the_standard_errors_called_too_small_are(se_ratios):
    nb = sc.notebook(SESSION, "r")
    text = sc.sentences(nb, "independence-r")
    assert "below alpha" in text  # the words below are said only when independence is rejected
    assert se_words_problems(text, se_ratios) == []


def test_the_standard_error_check_can_fail(se_ratios):
    text = sc.sentences(sc.notebook(SESSION, "r"), "independence-r")
    swapped = (
        text.replace("too small", "@")
        .replace("about right", "too small")
        .replace("@", "about right")
    )
    assert len(se_words_problems(swapped, se_ratios)) > 2
    assert se_words_problems(text.replace("the regions, and ", ""), se_ratios)


# --- the prose around the models carried forward -------------------------------------------


def test_the_model_carried_forward_is_explained_by_computed_tests(estimates):
    """The prose keeps the final model "whatever the F-test says": independence is rejected.

    So the independence check must reject it at alpha.
    """
    nb = sc.notebook(SESSION, "r")
    alpha = alpha_of(nb)
    prose = " ".join(sc.prose(sc.source(SESSION)).split())
    assert "which the check of independence above rejects" in prose
    said = sc.sentences(nb, "independence-r")
    df1, df2 = map(int, re.search(r"on (\d+) and (\d+) degrees of freedom", said).groups())
    assert stats.f.sf(estimates["final/lm"]["resid_la_f"], df1, df2) < alpha
    # the region-by-disadvantage question goes to session 9, by the name the plan gives it
    assert 'Session 9 ("Slopes by local authority")' in prose
    assert "\n## Slopes by local authority\n" in sc.source("09-random-slopes")  # kept there
    assert "session 8's mixed models, which can also let the slopes vary" not in prose


def test_the_two_standard_errors_exercise_holds_for_the_data(six, estimates):
    """The worked answer's words hold: the authority with few schools has the smaller scatter.

    So the pooled standard deviation is too large for it and the interaction's SE is larger.
    """
    few, many = sorted((six[f"{a.lower()}/lm"] for a in AREAS), key=lambda v: v["n"])
    assert few["n"] < many["n"]
    assert few["sigma"] < many["sigma"]
    assert estimates["two_areas/lm"]["sigma"] > few["sigma"]
    for lang in ("python", "r"):
        values = recorded(lang)
        assert values["larger"] == "interaction"
        assert values["se_interaction"] > values["se_separate"]


# --- the model-building task: session 9 extends the model it arrives at --------------------

CANDIDATES = ("MINORGROUP", "gender_name", "log_TOTPUPS")


def my_model_problems(final: dict, mine: dict, alpha: float) -> list[str]:
    """Terms kept or dropped against their F-test at alpha."""
    n, k = final["n"], _coefficients(final)
    problems = []
    for term in CANDIDATES:
        df1 = mine[f"df_add:{term}"]
        p = stats.f.sf(mine[f"f_add:{term}"], df1, n - k - df1)
        kept = any(q.startswith(f"coef:{term}") for q in mine)
        if kept != (p < alpha):
            problems.append(f"{term}: p = {p:.3g}, {'kept' if kept else 'dropped'}")
    return problems


def test_the_task_keeps_what_passes_its_test(answers):
    nb = sc.notebook(SESSION, "r", ".answers")
    alpha = alpha_of(nb)
    final, mine = answers["final/lm"], answers["my_model/lm"]
    assert my_model_problems(final, mine, alpha) == []
    p_again = stats.f.sf(mine["f_type_again"], 1, mine["n"] - _coefficients(mine) - 1)
    said = _last_lines(nb, "exercise-my-model-r", 1)[0]
    assert ("not below alpha" in said) == (p_again >= alpha), said
    for lang in ("python", "r"):
        values = recorded(lang)
        assert values["keep_type"] == (values["p_type"] < alpha)


def test_the_task_check_can_fail(answers):
    broken = dict(answers["my_model/lm"])
    broken["f_add:MINORGROUP"] = 100.0
    assert my_model_problems(answers["final/lm"], broken, 0.05)


def test_the_task_arrives_at_session_9s_starting_model(answers):
    """Session 9's final task starts from 07's final model + gender + log size (the plan)."""
    final, mine = answers["final/lm"], answers["my_model/lm"]
    terms = {q for q in mine if q.startswith("coef:")}
    added = {"coef:gender_nameGirls", "coef:gender_nameMixed", "coef:log_TOTPUPS"}
    assert terms == {q for q in final if q.startswith("coef:")} | added
    assert mine["n"] == final["n"]  # the new columns drop no row
    prose = " ".join(sc.prose(sc.source(SESSION)).split())
    assert "## Your model" in sc.source(SESSION)
    assert "session 9's last task extends" in prose


ANSWER_CELLS = {
    "exercise-rows",
    "exercise-two-se",
    "exercise-slopes",
    "exercise-my-model",
    "exercise-reference",
    "exercise-faith",
}


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_are_not_in_the_downloads(lang):
    sc.assert_answers_ran(SESSION, lang, ANSWER_CELLS)


def session_08() -> str:
    """Return the name of session 8's page (``sessions/08-*.qmd``: it may be renamed)."""
    found = sorted(p.stem for p in (sc.ROOT / "sessions").glob("08-*.qmd"))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("lang", ["python", "r"])
def test_the_thread_links_sessions_06_07_08(lang):
    """The notebook's first cell links session 06 before it and 08 after it.

    The text names them without links (dead in a download); the sidebar, whose order
    Quarto's page navigation follows, lists the sessions in file-name order.
    """
    import yaml

    eight = session_08()
    first = sc.notebook(SESSION, lang).cells[0]
    assert first.cell_type == "markdown"
    nav = first.source.splitlines()[-1]
    assert re.fullmatch(
        r"Previous: \[Session 6: [^]]+\]\(\S+/06-simple-regression\.(ipynb|html)\) · "
        rf"Next: \[Session 8: [^]]+\]\(\S+/{eight}\.(ipynb|html)\)",
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
            for name in ("06-simple-regression", "07-multiple-regression", eight)
        ]
        assert positions == sorted(positions)
        assert positions[2] - positions[0] == 2
