"""Fixed-effect inference without R (helpers.mixed.inference, .deviance), and its R twin.

What is checked, and to what tolerance:

- lme4's criterion, evaluated in numpy, equals statsmodels' -2 log-likelihood at
  statsmodels' own optimum (REML and ML; 1e-8 relative);
- Satterthwaite degrees of freedom: exactly a - 1 for the intercept of a balanced one-way
  model (closed form, 1e-6); and, on the course's models (sessions 8 and 9), the helper's
  whole table against lmerTest's ``summary()``: estimates and standard errors to 1e-4
  relative, df, t and p to 1e-3 relative (p where >= 1e-8). lmerTest's numbers are from
  numerical derivatives of lme4's deviance; the helper's from its own (Richardson
  extrapolated central differences), at an optimum that agrees with lme4's to about 1e-6;
- ML likelihood-ratio tests: against 2 (llf_big - llf_small) of statsmodels' own ML fits
  (1e-5) and against R's ``anova()`` on the course's models (1e-6);
- the portable draws: equal to R's own ``RNGkind("Wichmann-Hill")`` stream (1e-15) and to
  R's ``qm_normals()``; a simulated data set and a short bootstrap the same in both
  languages (1e-5: two fits of the same null model);
- the warm-started statsmodels fit ends where a cold one does, and falls back to it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from helpers import draws, fitting, mixed
from helpers.mixed.deviance import LMM, terms_of, theta_of
from helpers.mixed.inference import _model_parts, simulate_response

REPO = Path(__file__).resolve().parents[1]
R_FILES = ["schools", "precision", "regression", "mixed", "draws", "inference"]
FINAL_FIXED = (
    "log_ATT8SCR ~ log_PTFSM6CLA1A + log_PERCTOT + log_PNUMEAL + PTPRIORLO + ADMPOL_PT"
    " + gorard_segregation"
)
FIXED07 = (
    "log_ATT8SCR ~ log_PTFSM6CLA1A + log_PERCTOT + log_PNUMEAL + OFSTEDRATING + gor_name"
    " + PTPRIORLO + ADMPOL_PT"
)
RATING_VC = {
    "OFSTEDRATING": "0 + C(OFSTEDRATING)",
    "OFSTEDRATING fsm_c": "0 + C(OFSTEDRATING):fsm_c",
}
PLACE_VC = {"gor_name": "0 + C(gor_name)", "LANAME:gor_name": "0 + C(region_la)"}

# the course's models: (lme4 formula, statsmodels spelling)
MODELS = {
    "ri_rating": ("log_ATT8SCR ~ log_PTFSM6CLA1A + (1 | OFSTEDRATING)",
                  ("log_ATT8SCR ~ log_PTFSM6CLA1A", {"groups": "OFSTEDRATING"})),
    "ctx": ("log_ATT8SCR ~ log_PTFSM6CLA1A + fsm_la_mean + (1 | region_la)",
            ("log_ATT8SCR ~ log_PTFSM6CLA1A + fsm_la_mean", {"groups": "region_la"})),
    "rsu": ("log_ATT8SCR ~ log_PTFSM6CLA1A + (fsm_c || OFSTEDRATING)",
            ("log_ATT8SCR ~ log_PTFSM6CLA1A",
             {"groups": "one", "re_formula": "0", "vc_formula": RATING_VC})),
    "la_rs": (FIXED07 + " + (fsm_c | region_la)",
              (FIXED07, {"groups": "region_la", "re_formula": "~fsm_c"})),
    "final": (FINAL_FIXED + " + (fsm_c || OFSTEDRATING) + (1 | gor_name/LANAME)",
              (FINAL_FIXED, {"groups": "one", "re_formula": "0", "use_sparse": True,
                             "vc_formula": {**RATING_VC, **PLACE_VC}})),
}  # fmt: skip
LRTS = {"ctx": "fsm_la_mean", "final": "ADMPOL_PT", "rsu": "log_PTFSM6CLA1A"}


def _simulated(seed: int = 3, groups: int = 8, per: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per)
    frame = pd.DataFrame({"g": [f"g{i}" for i in g], "x": rng.normal(size=g.size)})
    frame["z"] = rng.normal(size=g.size)
    frame["y"] = 1 + 0.5 * frame["x"] + rng.normal(0, 0.7, groups)[g] + rng.normal(size=g.size)
    return frame


# --------------------------------------------------------------------------- without R


@pytest.mark.parametrize("reml", [True, False])
def test_lme4_criterion_is_statsmodels_minus_two_llf(reml):
    frame = _simulated()
    fit = smf.mixedlm("y ~ x", frame, groups="g").fit(reml=reml, method="powell", ftol=1e-12)
    lmm = LMM(fit.model.endog, fit.model.exog, terms_of(fit.model))
    assert lmm.criterion(theta_of(fit), reml) == pytest.approx(-2 * fit.llf, rel=1e-8)
    best = lmm.fit(reml, theta_of(fit))
    assert best.criterion <= -2 * fit.llf + 1e-8


def test_satterthwaite_df_of_a_balanced_one_way_model_is_groups_minus_one():
    """Var(grand mean) = MS_between / (a n), an a - 1 df quantity: Satterthwaite is exact."""
    frame = _simulated(groups=7, per=9)
    fit = smf.mixedlm("y ~ 1", frame, groups="g").fit(method="powell", ftol=1e-12)
    table = mixed.fixed_effects_table(fit)
    assert table.loc["(Intercept)", "df"] == pytest.approx(7 - 1, rel=1e-6)
    means = frame.groupby("g")["y"].mean()
    assert table.loc["(Intercept)", "std_error"] == pytest.approx(
        np.sqrt(means.var(ddof=1) / 7), rel=1e-6
    )
    t = table.loc["(Intercept)", "t"]
    assert table.loc["(Intercept)", "p"] == pytest.approx(2 * stats.t.sf(abs(t), 6), rel=1e-6)


def test_ml_lrt_is_twice_the_ml_log_likelihood_difference():
    frame = _simulated()
    big = smf.mixedlm("y ~ x + z", frame, groups="g").fit(reml=False, method="powell", ftol=1e-12)
    small = smf.mixedlm("y ~ x", frame, groups="g").fit(reml=False, method="powell", ftol=1e-12)
    reml_fit = smf.mixedlm("y ~ x + z", frame, groups="g").fit(method="powell", ftol=1e-12)
    test = mixed.ml_lrt(reml_fit, "z")
    assert test.statistic == pytest.approx(2 * (big.llf - small.llf), rel=1e-5)
    assert (test.df, test.reference) == (1, "chi-square(1)")
    assert test.p == pytest.approx(stats.chi2.sf(test.statistic, 1), rel=1e-12)


def test_ml_lrt_drops_every_column_of_a_factor_and_names_unknown_terms():
    frame = _simulated().assign(f=lambda d: np.tile(["a", "b", "c"], len(d) // 3))
    fit = smf.mixedlm("y ~ x + f", frame, groups="g").fit(method="powell", ftol=1e-12)
    assert mixed.ml_lrt(fit, "f").df == 2
    assert mixed.ml_lrt(fit, ["f", "x"]).df == 3
    with pytest.raises(ValueError, match=r"no fixed-effect term 'w'; it has Intercept, f, x"):
        mixed.ml_lrt(fit, "w")


def test_bootstrap_counts_and_is_prefix_consistent():
    frame = _simulated()
    fit = smf.mixedlm("y ~ x", frame, groups="g").fit(method="powell", ftol=1e-12)
    five = mixed.parametric_bootstrap(fit, "x", nsim=5, seed=11)
    three = mixed.parametric_bootstrap(fit, "x", nsim=3, seed=11)
    assert np.allclose(three.statistics, five.statistics[:3], rtol=1e-9, atol=1e-12)
    assert five.exceed == int((five.statistics >= five.observed).sum())
    assert five.p == (five.exceed + 1) / 6
    assert five.observed == pytest.approx(mixed.ml_lrt(fit, "x").statistic, rel=1e-9)
    other = mixed.parametric_bootstrap(fit, "x", nsim=3, seed=12)
    assert not np.allclose(other.statistics, three.statistics)
    with pytest.raises(ValueError, match="nsim must be at least 1"):
        mixed.parametric_bootstrap(fit, "x", nsim=0, seed=1)


def test_simulated_data_follow_the_null_model():
    """Many simulated data sets: the group and residual variances of the fitted model."""
    frame = _simulated(groups=30, per=10)
    fit = smf.mixedlm("y ~ 1", frame, groups="g").fit(method="powell", ftol=1e-12)
    lmm, theta, _, _ = _model_parts(fit)
    null = lmm.fit(True, theta)
    sims = np.stack([simulate_response(lmm, null, b, seed=5) for b in range(1, 401)])
    group_means = sims.reshape(400, 30, 10).mean(axis=2)
    within = sims.reshape(400, 30, 10).var(axis=2, ddof=1).mean()
    tau2, sigma2 = (null.theta[0] * null.sigma) ** 2, null.sigma**2
    assert within == pytest.approx(sigma2, rel=0.03)
    assert group_means.var(axis=1, ddof=1).mean() == pytest.approx(tau2 + sigma2 / 10, rel=0.06)


def test_mc_interval_is_the_exact_binomial_interval():
    for k, n in [(15, 199), (0, 199), (199, 199), (3, 10)]:
        ci = stats.binomtest(k, n).proportion_ci(method="exact")
        assert mixed.mc_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)
    with pytest.raises(ValueError, match="need 0 <= k <= n"):
        mixed.mc_interval(5, 3)


def test_draws_are_uniform_and_need_a_whole_seed():
    u = draws.uniforms(20000, seed=7)
    assert u.min() > 0
    assert u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 0.001
    assert np.array_equal(draws.uniforms(5, 7, offset=3), u[3:8])
    for seed in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            draws.uniforms(3, seed)


# R's own Wichmann-Hill stream (RNGkind("Wichmann-Hill"), .Random.seed[2:4] = the
# starting values helpers.draws gives seed 2021: 2022, 1, 1), runif(4), printed with
# %.17g by R 4.2.2: an independent implementation of the same generator.
R_WICHMANN_HILL_2021 = [0.43425556178788238, 0.25777001682457268, 0.10174507652055853,
                        0.27297025341340686]  # fmt: skip


def test_draws_equal_rs_own_wichmann_hill_generator():
    assert draws.uniforms(4, 2021) == pytest.approx(R_WICHMANN_HILL_2021, rel=0, abs=1e-15)


def test_fixed_effects_text_prints_the_shown_precision():
    table = pd.DataFrame(
        {"estimate": [4.355294, -0.1841851], "std_error": [0.08939592, 0.019784],
         "df": [7.264383, 2897.64], "t": [48.719156, -9.309802], "p": [2.09e-10, 0.0019575]},
        index=pd.Index(["(Intercept)", "x"], name="term"),
    )  # fmt: skip
    text = mixed.fixed_effects_text(table)
    assert text.loc["x"].tolist() == ["-0.1842", "0.0198", "2898", "-9.310", "0.002"]
    assert text.loc["(Intercept)", "p"] == "< 0.001"
    assert mixed.fixed_effects_text(table, digits=3).loc["x", "t"] == "-9.31"


def test_pooling_table_is_the_weighted_average():
    frame = _simulated()
    fit = smf.mixedlm("y ~ 1", frame, groups="g").fit(method="powell", ftol=1e-12)
    table = mixed.pooling_table(frame, "y", "g", fit)
    intercept = table.attrs["intercept"]
    expected = table["weight"] * table["no_pooling"] + (1 - table["weight"]) * intercept
    assert np.allclose(table["partial_pooling"], expected, rtol=0, atol=1e-6)
    assert table.attrs["complete_pooling"] == pytest.approx(frame["y"].mean())
    with pytest.raises(ValueError, match="null model"):
        mixed.pooling_table(frame, "y", "g", smf.mixedlm("y ~ x", frame, groups="g").fit())


def test_explained_variance_needs_the_same_components():
    frame = _simulated()
    null = smf.mixedlm("y ~ 1", frame, groups="g").fit(method="powell")
    with_x = smf.mixedlm("y ~ x", frame, groups="g").fit(method="powell")
    share = mixed.explained_variance(null, with_x)
    assert list(share.index) == ["g", "Residual"]
    other = smf.mixedlm("y ~ 1", frame.assign(h=frame["g"].str[-1:]), groups="h").fit()
    with pytest.raises(ValueError, match="different components"):
        mixed.explained_variance(null, other)


def test_warm_fit_ends_where_the_cold_fit_ends(course_data):
    from helpers import analysis_table

    dat = analysis_table().assign(one=1)
    dat["fsm_c"] = dat["log_PTFSM6CLA1A"] - np.log(dat["PTFSM6CLA1A"].median())
    model = smf.mixedlm("log_ATT8SCR ~ log_PTFSM6CLA1A", dat, groups="one", re_formula="0",
                        vc_formula=RATING_VC)  # fmt: skip
    warm, _ = fitting.fit_statsmodels(model)
    cold, _ = fitting.fit_statsmodels(model, **fitting.TIGHT)
    assert -2 * warm.llf == pytest.approx(-2 * cold.llf, abs=1e-6)
    assert np.allclose(warm.fe_params, cold.fe_params, rtol=1e-5)


def test_a_warm_fit_that_misses_falls_back_to_the_cold_one(monkeypatch):
    frame = _simulated()
    model = smf.mixedlm("y ~ x", frame, groups="g")
    start, _ = fitting._lme4_start(model)
    monkeypatch.setattr(fitting, "_lme4_start", lambda m: (start, -1e9))  # an impossible target
    fit, _ = fitting.fit_statsmodels(model)
    cold = model.fit(reml=True, **fitting.TIGHT)
    assert -2 * fit.llf == pytest.approx(-2 * cold.llf, abs=1e-8)


# --------------------------------------------------------------------------- R's twin


@pytest.fixture(scope="module")
def course_rows(course_data):
    from helpers import analysis_table

    dat = analysis_table().assign(one=1)
    dat["fsm_c"] = dat["log_PTFSM6CLA1A"] - np.log(dat["PTFSM6CLA1A"].median())
    dat["fsm_la_mean"] = dat.groupby("region_la", observed=True)["log_PTFSM6CLA1A"].transform(
        "mean"
    )
    return dat


@pytest.fixture(scope="module")
def python_fits(course_rows):
    fits = {}
    for name, (_, (formula, options)) in MODELS.items():
        fits[name], _ = fitting.fit_statsmodels(smf.mixedlm(formula, course_rows, **options))
    return fits


R_SCRIPT = """
for (f in c({files})) source(file.path("{helpers}", paste0(f, ".R")))
suppressPackageStartupMessages({{library(lme4); library(lmerTest)}})
dat <- suppressMessages(analysis_table(load_schools()))
dat$OFSTEDRATING <- factor(dat$OFSTEDRATING, ordered = FALSE)
dat$fsm_c <- dat$log_PTFSM6CLA1A - log(median(dat$PTFSM6CLA1A))
dat$fsm_la_mean <- ave(dat$log_PTFSM6CLA1A, dat$region_la)
models <- jsonlite::fromJSON('{models}')
lrts <- jsonlite::fromJSON('{lrts}')
out <- list(tables = list(), lrts = list())
for (name in names(models)) {{
  fit <- lmer(as.formula(models[[name]]), data = dat)
  table <- fixed_effects_table(fit)
  out$tables[[name]] <- c(list(term = rownames(table)), as.list(table))
  if (name %in% names(lrts)) out$lrts[[name]] <- ml_lrt(fit, lrts[[name]])
  if (name == "rsu") {{
    null <- update(fit, . ~ . - log_PTFSM6CLA1A)
    out$simulated <- simulate_response(null, 3, 2023)
    boot <- parametric_bootstrap(fit, "log_PTFSM6CLA1A", nsim = 4, seed = 2023)
    out$boot <- boot[c("observed", "statistics", "exceed", "p")]
  }}
}}
la <- lmer(log_ATT8SCR ~ 1 + (1 | region_la), data = dat)
pt <- pooling_table(dat, "log_ATT8SCR", "region_la", la)
out$pooling <- c(list(group = rownames(pt)), as.list(pt))
out$coverage <- segregation_coverage(dat)
out$normals <- qm_normals(6, 2023, offset = 2910)
RNGkind("Wichmann-Hill")
.Random.seed[2:4] <- as.integer(c(1 + 2021 %% 30268, 1, 1))
out$native <- runif(4)
out$text <- c(decision(0.00201, 0.05), decision(0.114, 0.05), decision(4e-5, 0.05),
              format_p2(9.3e-20), format_p2(0.0483), format_df(3.2184), format_df(2897.63))
out$text_table <- fixed_effects_text(fixed_effects_table(lmer(as.formula(models$rsu), data = dat)))
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE), "{out}")
"""


@pytest.fixture(scope="module")
def r_results(course_data, rscript, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inference")
    out = folder / "out.json"
    script = folder / "run.R"
    script.write_text(
        R_SCRIPT.format(
            files=", ".join(f'"{f}"' for f in R_FILES),
            helpers=REPO / "helpers" / "R",
            models=json.dumps({k: v[0] for k, v in MODELS.items()}),
            lrts=json.dumps(LRTS),
            out=out,
        )
    )
    env = {**os.environ, "QM_DATA_DIR": str(course_data)}
    done = subprocess.run(
        ["Rscript", "--vanilla", str(script)], capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(out.read_text())


RTOL = {"estimate": 1e-4, "std_error": 1e-4, "df": 1e-3, "t": 1e-3, "p": 1e-3}


@pytest.mark.parametrize("name", list(MODELS))
def test_satterthwaite_tables_match_lmertest(name, python_fits, r_results):
    ours = mixed.fixed_effects_table(python_fits[name])
    theirs = pd.DataFrame(r_results["tables"][name]).set_index("term")
    assert sorted(ours.index) == sorted(theirs.index)
    for column, rtol in RTOL.items():
        a, b = ours[column], theirs.loc[ours.index, column]
        keep = (a >= 1e-8) if column == "p" else a == a
        assert np.allclose(a[keep], b[keep], rtol=rtol, atol=0), (column, a - b)


@pytest.mark.parametrize("name", list(LRTS))
def test_ml_lrts_match_anova(name, python_fits, r_results):
    ours = mixed.ml_lrt(python_fits[name], LRTS[name])
    theirs = r_results["lrts"][name]
    assert ours.statistic == pytest.approx(theirs["statistic"], rel=1e-6)
    assert ours.df == theirs["df"]


def test_simulation_and_bootstrap_match_r(python_fits, r_results):
    lmm, theta, _, names = _model_parts(python_fits["rsu"])
    small = lmm.drop([names.index("log_PTFSM6CLA1A")])
    y = simulate_response(small, small.fit(True, theta), 3, 2023)
    assert np.allclose(y, r_results["simulated"], rtol=0, atol=1e-5)
    boot = mixed.parametric_bootstrap(python_fits["rsu"], "log_PTFSM6CLA1A", nsim=4, seed=2023)
    assert np.allclose(boot.statistics, r_results["boot"]["statistics"], rtol=1e-4, atol=1e-5)
    assert (boot.exceed, boot.p) == (r_results["boot"]["exceed"], r_results["boot"]["p"])
    assert boot.observed == pytest.approx(r_results["boot"]["observed"], rel=1e-6)


def test_draws_match_r(r_results):
    assert np.allclose(draws.normals(6, 2023, offset=2910), r_results["normals"], rtol=1e-14)
    assert draws.uniforms(4, 2021) == pytest.approx(r_results["native"], abs=1e-15)


def test_pooling_and_coverage_match_r(course_rows, r_results):
    from helpers.tables import segregation_coverage

    fit, _ = fitting.fit_statsmodels(
        smf.mixedlm("log_ATT8SCR ~ 1", course_rows, groups="region_la")
    )
    ours = mixed.pooling_table(course_rows, "log_ATT8SCR", "region_la", fit)
    theirs = pd.DataFrame(r_results["pooling"]).set_index("group")
    assert list(ours.index) == list(theirs.index)
    for column, atol in (("schools", 0), ("no_pooling", 1e-12), ("partial_pooling", 1e-6),
                         ("weight", 1e-5)):  # fmt: skip
        assert np.allclose(ours[column], theirs[column], rtol=0, atol=atol), column
    coverage = segregation_coverage(course_rows)
    assert coverage == pytest.approx(r_results["coverage"], rel=1e-12)


def test_words_and_tables_are_the_same_text_in_r(python_fits, r_results):
    from helpers.precision import format_df, format_p2

    assert r_results["text"] == [
        mixed.decision(0.00201, 0.05), mixed.decision(0.114, 0.05), mixed.decision(4e-5, 0.05),
        format_p2(9.3e-20), format_p2(0.0483), format_df(3.2184), format_df(2897.63),
    ]  # fmt: skip
    ours = mixed.fixed_effects_text(mixed.fixed_effects_table(python_fits["rsu"]))
    theirs = pd.DataFrame(r_results["text_table"]).drop(columns="_row", errors="ignore")
    assert ours.reset_index(drop=True).to_dict("list") == theirs.reset_index(drop=True).to_dict(
        "list"
    )


def test_a_pymer4_model_gives_lmertests_table(lmer):
    """With R there, fixed_effects_table() reads pymer4's lmerTest table, same columns."""
    pymer4 = pytest.importorskip("pymer4.models", reason="pymer4 (lme4 from Python) missing")
    frame = _simulated()
    model = pymer4.Lmer("y ~ x + (1 | g)", data=frame)
    model.fit(REML=True, summarize=False, no_warnings=True)
    theirs = mixed.fixed_effects_table(model)
    ours = mixed.fixed_effects_table(smf.mixedlm("y ~ x", frame, groups="g").fit(method="powell"))
    assert list(theirs.columns) == list(ours.columns)
    assert np.allclose(theirs.loc[ours.index], ours, rtol=1e-4)
