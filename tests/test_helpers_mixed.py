"""Tests of helpers.mixed on simulated data with known parameters, and against lme4."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from helpers import data, mixed
from helpers.mixed import effects as mixed_effects
from helpers.mixed import intervals as mixed_intervals

warnings.filterwarnings("ignore", category=ConvergenceWarning)

VC = {"a": "0 + C(a)", "b": "0 + C(b)"}


def simulate_one(seed: int = 5, groups: int = 200, size: int = 20) -> pd.DataFrame:
    """Y = 1 + u_g + e, var(u) = 0.5, var(e) = 1: ICC = 1/3."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    u = rng.normal(0, math.sqrt(0.5), groups)
    return pd.DataFrame({"y": 1 + u[g] + rng.normal(0, 1, g.size), "g": [f"G{i:02d}" for i in g]})


def simulate_crossed(seed: int = 2, n: int = 400) -> pd.DataFrame:
    """Log outcome with a raw and a logged predictor and two crossed random intercepts."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 12, n)
    b = rng.integers(0, 6, n)
    df = pd.DataFrame(
        {
            "a": [f"A{i:02d}" for i in a],
            "b": [f"B{i}" for i in b],
            "x": rng.uniform(20, 60, n),  # a percentage, used raw
            "z": rng.uniform(2, 40, n),  # a percentage, used logged
        }
    )
    df["log_z"] = np.log(df["z"])
    eta = (
        math.log(45)
        - 0.012 * df["x"]
        - 0.08 * df["log_z"]
        + rng.normal(0, 0.08, 12)[a]
        + rng.normal(0, 0.05, 6)[b]
    )
    df["log_y"] = eta + rng.normal(0, 0.07, n)
    df["one"] = 1
    return df


@pytest.fixture(scope="module")
def one() -> tuple[pd.DataFrame, object]:
    df = simulate_one()
    return df, smf.mixedlm("y ~ 1", df, groups="g").fit(reml=True, method=["powell", "lbfgs"])


@pytest.fixture(scope="module")
def crossed() -> tuple[pd.DataFrame, object]:
    df = simulate_crossed()
    fit = smf.mixedlm("log_y ~ x + log_z", df, groups="one", re_formula="0", vc_formula=VC).fit(
        reml=True, method=["powell", "lbfgs"]
    )
    return df, fit


# --------------------------------------------------------------------------- variance / icc


def test_icc_within_sampling_error(one: tuple) -> None:
    _, fit = one
    assert abs(mixed.icc(fit) - 1 / 3) < 0.08  # SE of the estimate is about 0.03 here


def test_variance_components_table(one: tuple) -> None:
    _, fit = one
    table = mixed.variance_components(fit)
    assert table.columns.tolist() == ["group", "variance", "sd", "share", "pct_per_sd"]
    assert table["group"].tolist() == ["g", "Residual"]
    assert table["share"].sum() == pytest.approx(1.0)
    assert np.allclose(table["sd"] ** 2, table["variance"])
    assert np.allclose(table["pct_per_sd"], 100 * (np.exp(table["sd"]) - 1))
    assert table["variance"].iloc[1] == pytest.approx(fit.scale)
    assert table["variance"].iloc[0] == pytest.approx(0.5, rel=0.35)


def test_variance_components_crossed_names(crossed: tuple) -> None:
    _, fit = crossed
    table = mixed.variance_components(fit)
    assert table["group"].tolist() == ["a", "b", "Residual"]
    assert mixed.icc(fit) == pytest.approx(1 - table["share"].iloc[-1])


def test_icc_refuses_random_slopes() -> None:
    df = simulate_crossed()
    fit = smf.mixedlm("log_y ~ x", df, groups="a", re_formula="1 + x").fit(method="lbfgs")
    table = mixed.variance_components(fit)
    assert table["group"].tolist() == ["a", "a x", "Residual"]
    assert np.isnan(table["share"].iloc[1])
    with pytest.raises(ValueError, match="random intercepts only"):
        mixed.icc(fit)
    with pytest.raises(ValueError, match="random slopes from re_formula are not supported"):
        mixed.predictions(fit, df)


@pytest.mark.parametrize("func", [mixed.icc, mixed.variance_components, mixed.random_effects])
def test_not_a_model(func: object) -> None:
    with pytest.raises(TypeError, match="Expected a fitted statsmodels MixedLM"):
        func(pd.DataFrame({"a": [1]}))  # type: ignore[operator]


# --------------------------------------------------------------------------- random effects


def test_random_effects_one_group(one: tuple) -> None:
    df, fit = one
    table = mixed.random_effects(fit)
    assert table.columns.tolist() == ["group", "level", "effect", "se", "lower", "upper"]
    assert set(table["level"]) == set(df["g"])
    assert (table["se"] > 0).all()
    assert ((table["lower"] < table["effect"]) & (table["effect"] < table["upper"])).all()
    assert table.set_index("level")["effect"]["G00"] == pytest.approx(
        fit.random_effects["G00"].iloc[0]
    )


def test_random_effects_crossed_and_nested(crossed: tuple) -> None:
    df, fit = crossed
    table = mixed.random_effects(fit)
    assert table.groupby("group").size().to_dict() == {"a": 12, "b": 6}
    assert "A03" in set(table["level"])
    nested = smf.mixedlm(
        "log_y ~ x", df, groups="b", re_formula="1", vc_formula={"a": "0 + C(a)"}
    ).fit(method=["powell", "lbfgs"])
    levels = mixed.random_effects(nested).groupby("group")["level"].apply(set)
    assert levels["b"] == set(df["b"])
    assert levels["a"] == set(df["b"] + ":" + df["a"])  # nested: keyed by both levels


def test_parse_vc_labels() -> None:
    assert mixed_effects._parse_vc("la[C(LANAME)[Bristol, City of]]", ["la"]) == (
        "la",
        "LANAME",
        "Bristol, City of",
        None,
    )
    assert mixed_effects._parse_vc("r[region[T.London]]", ["r"]) == ("r", "region", "London", None)
    # the session names a component like lme4's group: keys with a colon
    label = "LANAME:gor_name[C(region_la)[London:Camden]]"
    assert mixed_effects._parse_vc(label, ["gor_name", "LANAME:gor_name"]) == (
        "LANAME:gor_name",
        "region_la",
        "London:Camden",
        None,
    )
    # a random slope written as a variance component, "0 + C(g):x"
    label = "OFSTEDRATING fsm_c[C(OFSTEDRATING)[Good]:fsm_c]"
    assert mixed_effects._parse_vc(label, ["OFSTEDRATING", "OFSTEDRATING fsm_c"]) == (
        "OFSTEDRATING fsm_c",
        "OFSTEDRATING",
        "Good",
        "fsm_c",
    )
    with pytest.raises(ValueError, match="Cannot read the random-effect label"):
        mixed_effects._parse_vc("r[C(a):C(b)]", ["r"])


# --------------------------------------------------------------------------- predictions


def test_predictions_scales(crossed: tuple) -> None:
    df, fit = crossed
    pred = mixed.predictions(fit, df)
    fe = fit.fe_params
    fixed = fe["Intercept"] + fe["x"] * df["x"] + fe["log_z"] * df["log_z"]
    assert np.allclose(pred["fixed"], np.exp(fixed))
    effects = mixed.random_effects(fit).set_index(["group", "level"])["effect"]
    eta = (
        fixed + effects["a"].reindex(df["a"]).to_numpy() + effects["b"].reindex(df["b"]).to_numpy()
    )
    assert np.allclose(pred["conditional"], np.exp(eta))
    assert np.allclose(pred["conditional_bc"], pred["conditional"] * math.exp(fit.scale / 2))
    raw = mixed.predictions(fit, df, log_outcome=False)
    assert np.allclose(raw["conditional"], eta)
    assert raw.index.equals(df.index)


def test_predictions_new_level_gets_zero_and_missing_column(crossed: tuple) -> None:
    df, fit = crossed
    new = df.iloc[[0]].assign(a="never seen")
    pred = mixed.predictions(fit, new)
    b_effect = mixed.random_effects(fit).set_index(["group", "level"])["effect"]["b"][
        new["b"].iloc[0]
    ]
    assert pred["conditional"].iloc[0] == pytest.approx(pred["fixed"].iloc[0] * math.exp(b_effect))
    with pytest.raises(KeyError, match=r"missing column\(s\) \['b'\]"):
        mixed.predictions(fit, df.drop(columns="b"))


# --------------------------------------------------------------------------- required_change


@pytest.mark.parametrize(("predictor", "logged"), [("x", False), ("z", True)])
@pytest.mark.parametrize("gain", [5.0, -3.0])
def test_required_change_gives_target_exactly(
    crossed: tuple, predictor: str, logged: bool, gain: float
) -> None:
    df, fit = crossed
    row = df.iloc[[7]]
    before = mixed.predictions(fit, row)["conditional_bc"].iloc[0]
    change = mixed.required_change(fit, row, predictor, gain, logged=logged)
    moved = row.assign(**{predictor: row[predictor] + change})
    moved["log_z"] = np.log(moved["z"])
    after = mixed.predictions(fit, moved)["conditional_bc"].iloc[0]
    assert after == pytest.approx(before + gain, rel=1e-10)
    # a series row works too
    assert mixed.required_change(fit, df.iloc[7], predictor, gain, logged=logged) == pytest.approx(
        change
    )


def test_required_change_refusals(crossed: tuple) -> None:
    df, fit = crossed
    row = df.iloc[[7]]
    with pytest.raises(ValueError, match="outside its valid range"):
        mixed.required_change(fit, row, "x", 30, logged=False)  # x would fall below 0
    with pytest.raises(ValueError, match=r"outside its valid range \[0, 50\]"):
        mixed.required_change(fit, row, "z", -10, logged=True, valid_range=(0, 50))
    with pytest.raises(ValueError, match=r"none of \['log_x', 'np.log\(x\)'\].*coefficients"):
        mixed.required_change(fit, row, "x", 5, logged=True)
    with pytest.raises(ValueError, match="one row"):
        mixed.required_change(fit, df.iloc[:2], "x", 5, logged=False)
    with pytest.raises(ValueError, match="makes the outcome"):
        mixed.required_change(fit, row, "x", -1000, logged=False)
    inter = smf.mixedlm("log_y ~ x * log_z", df, groups="a").fit(method="lbfgs")
    with pytest.raises(ValueError, match="interaction"):
        mixed.required_change(inter, row, "x", 5, logged=False)


# --------------------------------------------------------------------------- against lme4


def test_crossed_matches_lme4(crossed: tuple, lmer: type) -> None:
    df, fit = crossed
    model = lmer("log_y ~ x + log_z + (1|a) + (1|b)", data=df)
    model.fit(REML=True, summarize=False)
    ours = mixed.variance_components(fit).set_index("group")
    theirs = mixed.variance_components(model).set_index("group")
    assert np.allclose(ours["variance"], theirs.loc[ours.index, "variance"], rtol=1e-3)
    assert mixed.icc(fit) == pytest.approx(mixed.icc(model), rel=1e-3)
    re_ours = mixed.random_effects(fit).set_index(["group", "level"])
    re_theirs = mixed.random_effects(model).set_index(["group", "level"])
    assert np.allclose(re_ours["effect"], re_theirs.loc[re_ours.index, "effect"], atol=1e-4)
    assert np.allclose(re_ours["se"], re_theirs.loc[re_ours.index, "se"], rtol=1e-2)
    p_ours, p_theirs = mixed.predictions(fit, df), mixed.predictions(model, df)
    assert np.allclose(p_ours, p_theirs, rtol=1e-5)
    row = df.iloc[[3]]
    for predictor, logged in [("x", False), ("z", True)]:
        assert mixed.required_change(fit, row, predictor, 5, logged=logged) == pytest.approx(
            mixed.required_change(model, row, predictor, 5, logged=logged), rel=1e-3
        )


def test_nested_matches_lme4(crossed: tuple, lmer: type) -> None:
    df, _ = crossed
    fit = smf.mixedlm(
        "log_y ~ x", df, groups="b", re_formula="1", vc_formula={"a": "0 + C(a)"}
    ).fit(reml=True, method=["powell", "lbfgs"])
    model = lmer("log_y ~ x + (1|b/a)", data=df)
    model.fit(REML=True, summarize=False)
    theirs = mixed.variance_components(model).set_index("group")["variance"]
    ours = mixed.variance_components(fit).set_index("group")["variance"]
    assert ours["a"] == pytest.approx(theirs["a:b"], rel=1e-3)
    assert ours["b"] == pytest.approx(theirs["b"], rel=1e-3)
    assert np.allclose(mixed.predictions(fit, df), mixed.predictions(model, df), rtol=1e-5)


def test_unfitted_pymer4(crossed: tuple, lmer: type) -> None:
    with pytest.raises(ValueError, match="not fitted"):
        mixed.icc(lmer("log_y ~ x + (1|a)", data=crossed[0]))


def test_null_model_real_data_matches_lme4(course_data, lmer: type) -> None:
    table = data.analysis_table()
    fit = smf.mixedlm("ATT8SCR ~ 1", table, groups="OFSTEDRATING").fit(
        reml=True, method=["powell", "lbfgs"]
    )
    model = lmer("ATT8SCR ~ 1 + (1|OFSTEDRATING)", data=table)
    model.fit(REML=True, summarize=False)
    ours = mixed.variance_components(fit)["variance"].to_numpy()
    theirs = mixed.variance_components(model)["variance"].to_numpy()
    assert np.allclose(ours, theirs, rtol=1e-3)


def test_crossed_nested_real_data_matches_lme4(course_data, lmer: type) -> None:
    table = data.analysis_table().assign(one=1)
    fixed = "log_ATT8SCR ~ log_PTFSM6CLA1A + log_PERCTOT + log_PNUMEAL + PTPRIORLO"
    vc = {k: f"0 + C({k})" for k in ["OFSTEDRATING", "gor_name", "region_la"]}
    fit = smf.mixedlm(fixed, table, groups="one", re_formula="0", vc_formula=vc).fit(
        reml=True, method="lbfgs"
    )
    model = lmer(fixed + " + (1|OFSTEDRATING) + (1|gor_name/LANAME)", data=table)
    model.fit(REML=True, summarize=False)
    ours = mixed.variance_components(fit).set_index("group")["variance"]
    theirs = mixed.variance_components(model).set_index("group")["variance"]
    theirs = theirs.rename({"LANAME:gor_name": "region_la"})
    assert np.allclose(ours, theirs[ours.index], rtol=2e-3)
    assert np.allclose(mixed.predictions(fit, table), mixed.predictions(model, table), rtol=1e-4)


def test_nested_without_group_intercept_is_refused(crossed: tuple) -> None:
    df, _ = crossed
    fit = smf.mixedlm("log_y ~ x", df, groups="b", vc_formula={"a": "0 + C(a)"}).fit(method="lbfgs")
    with pytest.raises(ValueError, match="re_formula='1'"):
        mixed.random_effects(fit)


def test_gain_table(crossed: tuple) -> None:
    df, fit = crossed
    row = df.iloc[[7]]
    table = mixed.gain_table(fit, row, 5.0, {"x": False, "z": True})
    assert table.columns.tolist() == ["predictor", "logged", "current", "change", "new", "note"]
    assert table["change"].iloc[0] == pytest.approx(
        mixed.required_change(fit, row, "x", 5.0, logged=False)
    )
    refused = mixed.gain_table(fit, row, 30.0, {"x": False})  # x would have to fall below 0
    assert np.isnan(refused["change"].iloc[0])
    assert "outside its valid range" in refused["note"].iloc[0]
    with pytest.raises(ValueError, match="none of"):
        mixed.gain_table(fit, row, 5.0, {"x": True})
    with pytest.raises(KeyError, match="missing column"):
        mixed.gain_table(fit, row, 5.0, {"w": False})


def test_variance_component_slope_is_not_a_share(crossed: tuple) -> None:
    df, _ = crossed
    fit = smf.mixedlm(
        "log_y ~ x", df, groups="a", re_formula="0", vc_formula={"i": "1", "s": "0 + x"}
    ).fit(method="lbfgs")
    table = mixed.variance_components(fit).set_index("group")
    assert table.loc["i", "share"] > 0
    assert np.isnan(table.loc["s", "share"])
    with pytest.raises(ValueError, match="random intercepts only"):
        mixed.icc(fit)


# ------------------------------------------------------------------ tests, words, intervals


def test_reml_lrt_uses_the_boundary_mixture():
    plain = mixed.reml_lrt(100.0, 96.0, 1, boundary=False)
    mixture = mixed.reml_lrt(100.0, 96.0, 1, boundary=True)
    assert plain.statistic == pytest.approx(4.0)
    assert plain.p == pytest.approx(0.0455003, rel=1e-5)  # chi-square(1) upper tail at 4
    assert mixture.p == pytest.approx(plain.p / 2)  # chi-square(0) adds nothing above 0
    assert "mixture of chi-square(0) and chi-square(1)" in mixture.reference
    two = mixed.reml_lrt(100.0, 94.0, 2, boundary=True)  # 0.5 chi2(1) + 0.5 chi2(2) at 6
    assert two.p == pytest.approx(0.5 * 0.0143059 + 0.5 * 0.0497871, rel=1e-5)
    assert mixed.reml_lrt(10.0, 10.0, 1, boundary=True).p == 1.0
    with pytest.raises(ValueError, match="df must be at least 1"):
        mixed.reml_lrt(1.0, 0.0, 0, boundary=False)


def test_verdict_follows_the_p_value():
    assert mixed.verdict(0.049, alpha=0.05) == "supported"
    assert mixed.verdict(0.05, alpha=0.05) == "not supported"
    assert mixed.verdict(0.2, alpha=0.25) == "supported"
    with pytest.raises(ValueError, match="must lie in"):
        mixed.verdict(1.5, alpha=0.05)


def test_the_decision_rule_is_the_callers():
    """No default alpha: the rule is the notebook's, shown in its parameters cell."""
    with pytest.raises(TypeError):
        mixed.verdict(0.01)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        mixed.kept_structure(1e-9, 0.006, False)  # type: ignore[call-arg]
    assert mixed.decision(0.00201, 0.05) == "p = 0.0020 < alpha = 0.05"
    assert mixed.decision(0.114, 0.05) == "p = 0.11 >= alpha = 0.05"
    assert mixed.decision(0.0004, 0.05) == "p < 0.001 < alpha = 0.05"
    assert mixed.decision(0.03, 0.01) == "p = 0.030 >= alpha = 0.01"


@pytest.mark.parametrize("reml", [True, False])
def test_closed_form_deviance_matches_statsmodels(reml):
    df = simulate_one(groups=40, size=7)
    df["x"] = np.random.default_rng(3).normal(size=len(df))
    fit = smf.mixedlm("y ~ x", df, groups="g").fit(reml=reml, method="powell", ftol=1e-12)
    parts = mixed_intervals._one_factor_parts(
        df["y"].to_numpy(), np.column_stack([np.ones(len(df)), df["x"]]), df["g"].to_numpy()
    )
    got = mixed_intervals._deviance(parts, float(fit.cov_re.iloc[0, 0]), fit.scale, reml=reml)
    assert got == pytest.approx(-2 * fit.llf, rel=1e-10)


def test_profile_intervals_centre_on_the_fit_and_cover_the_truth():
    df = simulate_one(seed=11, groups=60, size=15)  # var(u) = 0.5, var(e) = 1, ICC = 1/3
    out = mixed.profile_intervals(df["y"], np.ones(len(df)), df["g"], reml=True)
    fit = smf.mixedlm("y ~ 1", df, groups="g").fit(reml=True, method="powell", ftol=1e-12)
    assert out.loc["sd_group", "estimate"] == pytest.approx(
        math.sqrt(fit.cov_re.iloc[0, 0]), rel=1e-4
    )
    assert out.loc["icc", "estimate"] == pytest.approx(mixed.icc(fit), rel=1e-4)
    assert (out["lower"] < out["estimate"]).all()
    assert (out["estimate"] < out["upper"]).all()
    assert out.loc["icc", "lower"] < 1 / 3 < out.loc["icc", "upper"]
    # skewed, as a variance's likelihood from few groups is: the upper side is longer
    sd = out.loc["sd_group"]
    assert sd["upper"] - sd["estimate"] > sd["estimate"] - sd["lower"]
    # a wider level gives a wider interval
    wide = mixed.profile_intervals(df["y"], np.ones(len(df)), df["g"], level=0.99, reml=True)
    assert (wide["lower"] < out["lower"]).all()
    assert (wide["upper"] > out["upper"]).all()


def test_profile_intervals_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        mixed.profile_intervals([1.0, 2.0], np.ones(3), ["a", "b"])


def test_r2_nakagawa_by_hand(crossed):
    _, fit = crossed
    r2 = mixed.r2_nakagawa(fit)
    sf2 = np.var(np.asarray(fit.model.exog) @ np.asarray(fit.fe_params), ddof=1)
    su2 = float(np.sum(fit.vcomp))
    total = sf2 + su2 + fit.scale
    assert r2["marginal"] == pytest.approx(sf2 / total)
    assert r2["conditional"] == pytest.approx((sf2 + su2) / total)


def test_r2_nakagawa_refuses_correlated_slopes():
    df = simulate_one(groups=30, size=10)
    df["x"] = np.random.default_rng(4).normal(size=len(df))
    fit = smf.mixedlm("y ~ x", df, groups="g", re_formula="~x").fit(method="powell")
    with pytest.raises(ValueError, match="correlated random slopes"):
        mixed.r2_nakagawa(fit)


def simulate_slopes(seed: int = 6) -> pd.DataFrame:
    """Y = 1 + x + u0_g + u1_g x + e with independent intercepts and slopes by g."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(12), 25)
    x = rng.normal(size=g.size)
    y = 1 + x + rng.normal(0, 0.7, 12)[g] + rng.normal(0, 0.4, 12)[g] * x + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"G{i:02d}" for i in g], "one": 1})


@pytest.fixture(scope="module")
def slopes() -> tuple[pd.DataFrame, object]:
    df = simulate_slopes()
    vc = {"g": "0 + C(g)", "g x": "0 + C(g):x"}
    fit = smf.mixedlm("y ~ x", df, groups="one", re_formula="0", vc_formula=vc).fit(
        reml=True, method="powell", ftol=1e-12
    )
    return df, fit


def test_random_slopes_as_variance_components_predict(slopes):
    df, fit = slopes
    effects = mixed.random_effects(fit)
    assert set(effects["group"]) == {"g", "g x"}
    pred = mixed.predictions(fit, df, log_outcome=False)
    assert np.allclose(pred["conditional"], fit.fittedvalues)  # statsmodels' own fitted values
    table = mixed.variance_components(fit).set_index("group")
    assert np.isnan(table.loc["g x", "share"])  # a slope's variance is not a share


def test_r2_nakagawa_with_an_independent_slope(slopes):
    df, fit = slopes
    names = list(fit.model.exog_vc.names)
    var = dict(zip(names, fit.vcomp, strict=True))
    sf2 = np.var(np.asarray(fit.model.exog) @ np.asarray(fit.fe_params), ddof=1)
    su2 = var["g"] + var["g x"] * np.mean(df["x"] ** 2)
    total = sf2 + su2 + fit.scale
    assert mixed.r2_nakagawa(fit)["conditional"] == pytest.approx((sf2 + su2) / total)


def test_r2_nakagawa_with_a_slope_matches_lme4(slopes, lmer: type) -> None:
    df, fit = slopes
    model = lmer("y ~ x + (x || g)", data=df)
    model.fit(REML=True, summarize=False)
    ours, theirs = mixed.r2_nakagawa(fit), mixed.r2_nakagawa(model)
    for key in ("marginal", "conditional"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-3)


def test_r2_nakagawa_matches_for_lme4(crossed: tuple, lmer: type) -> None:
    df, fit = crossed
    model = lmer("log_y ~ x + log_z + (1|a) + (1|b)", data=df)
    model.fit(REML=True, summarize=False)
    ours, theirs = mixed.r2_nakagawa(fit), mixed.r2_nakagawa(model)
    for key in ("marginal", "conditional"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-3)


@pytest.mark.parametrize(
    ("slope_p", "corr_p", "singular", "expected"),
    [
        (1e-9, 0.006, True, "uncorrelated random slopes"),
        (1e-9, 0.006, False, "correlated random slopes"),
        (1e-9, 0.4, False, "uncorrelated random slopes"),
        (0.2, 0.001, False, "random intercepts only"),
    ],
)
def test_kept_structure_follows_the_tests(slope_p, corr_p, singular, expected):
    assert mixed.kept_structure(slope_p, corr_p, singular, alpha=0.05) == expected


def test_fixed_effects_se_matches_lme4(slopes, lmer: type) -> None:
    df, fit = slopes
    model = lmer("y ~ x + (x || g)", data=df)
    model.fit(REML=True, summarize=False)
    ours = mixed.fixed_effects_se(fit).to_numpy()
    assert ours == pytest.approx(model.coefs["SE"].to_numpy(), rel=1e-4)
    assert mixed.fixed_effects_se(model).to_numpy() == pytest.approx(ours, rel=1e-4)


def test_fixed_effects_se_is_the_fixed_block(slopes) -> None:
    """sigma^2 (X' V^-1 X)^-1 written out with dense matrices, against the helper's closed form."""
    df, fit = slopes
    var = dict(zip(fit.model.exog_vc.names, fit.vcomp, strict=True))
    codes = pd.factorize(df["g"])[0]
    z_int = np.eye(codes.max() + 1)[codes]
    z = np.hstack([z_int, z_int * df[["x"]].to_numpy()])
    g = np.diag([var["g"]] * z_int.shape[1] + [var["g x"]] * z_int.shape[1])
    v = z @ g @ z.T + fit.scale * np.eye(len(df))
    x = np.asarray(fit.model.exog)
    expected = np.sqrt(np.diag(np.linalg.inv(x.T @ np.linalg.solve(v, x))))
    assert mixed.fixed_effects_se(fit).to_numpy() == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------- sparse designs


@pytest.fixture(scope="module")
def slopes_sparse(slopes) -> tuple[pd.DataFrame, object, object]:
    """Fit the slopes model once more, with ``use_sparse=True`` (as session 08 does)."""
    df, dense = slopes
    vc = {"g": "0 + C(g)", "g x": "0 + C(g):x"}
    model = smf.mixedlm("y ~ x", df, groups="one", re_formula="0", vc_formula=vc, use_sparse=True)
    return df, dense, model.fit(reml=True, method="powell", ftol=1e-12)


def test_sparse_designs_give_the_same_summaries(slopes_sparse) -> None:
    df, dense, sparse = slopes_sparse
    assert sparse.llf == pytest.approx(dense.llf, rel=1e-10)
    for func in (mixed.variance_components, mixed.random_effects):
        ours, theirs = func(sparse), func(dense)
        assert ours["group"].tolist() == theirs["group"].tolist()
        for column in ours.select_dtypes("number"):
            assert ours[column].to_numpy() == pytest.approx(
                theirs[column].to_numpy(), rel=1e-4, abs=1e-9, nan_ok=True
            )
    assert mixed.fixed_effects_se(sparse).to_numpy() == pytest.approx(
        mixed.fixed_effects_se(dense).to_numpy(), rel=1e-5
    )
    assert mixed.r2_nakagawa(sparse)["conditional"] == pytest.approx(
        mixed.r2_nakagawa(dense)["conditional"], rel=1e-5
    )
    assert mixed.predictions(sparse, df)["conditional"].to_numpy() == pytest.approx(
        mixed.predictions(dense, df)["conditional"].to_numpy(), rel=1e-6
    )
    assert mixed.fitted_values(sparse).to_numpy() == pytest.approx(
        dense.fittedvalues.to_numpy(), rel=1e-6
    )


def test_fitted_values_are_statsmodels_own(slopes, one) -> None:
    for _, fit in (slopes, one):
        assert np.allclose(mixed.fitted_values(fit), fit.fittedvalues, rtol=0, atol=1e-12)
        assert mixed.fitted_values(fit).index.equals(fit.fittedvalues.index)


def test_conditional_covariance_is_statsmodels_own(one, crossed) -> None:
    """The closed form used for sparse designs gives statsmodels' random_effects_cov."""
    for _, fit in (one, crossed):
        for group_ix, label in enumerate(fit.model.group_labels[:5]):
            ours = mixed_effects._conditional_covariance(fit, group_ix)
            assert ours == pytest.approx(np.asarray(fit.random_effects_cov[label]), abs=1e-12)
