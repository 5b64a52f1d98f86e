"""Inference for the fixed effects of a mixed model fitted with statsmodels, as R gives it.

- :func:`fixed_effects_table`: estimate, standard error, Satterthwaite degrees of
  freedom, t and p, the table ``summary()`` prints in R with lmerTest loaded;
- :func:`ml_lrt`: the likelihood-ratio test of dropping fixed-effect terms, both models
  refitted by maximum likelihood (R: ``anova(smaller, bigger)``);
- :func:`parametric_bootstrap`: the same test's p-value from data simulated under the
  smaller model, with draws R reproduces exactly (:mod:`helpers.draws`);
- :func:`mc_interval`: the Monte Carlo uncertainty of a share of simulated statistics.

None needs R: each evaluates lme4's own criterion for the statsmodels design
(:mod:`helpers.mixed.deviance`), starting from statsmodels' estimate and finishing at
lme4's optimum of the same criterion, so the numbers are lme4's and lmerTest's (checked
against them in tests/test_helpers_inference.py). statsmodels' own summary reads each
estimate over its standard error against the normal distribution (its ``z`` and
``P>|z|``); with a handful of groups that overstates the evidence, which is what the
Satterthwaite degrees of freedom correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.draws import normals
from helpers.mixed.adapter import _check_model, _statsmodels
from helpers.mixed.deviance import LMM, Fit, terms_of, theta_of
from helpers.mixed.lrt import LikelihoodRatio
from helpers.precision import format_df
from helpers.regression import r_name


def _model_parts(fit: Any) -> tuple[LMM, np.ndarray, bool, list[str]]:
    """lme4's formulation of a statsmodels fit: the LMM, theta at the fit, REML?, terms."""
    sm = _statsmodels(fit)
    if sm is None:
        raise TypeError(f"Expected a fitted statsmodels MixedLM result, got {type(fit).__name__}")
    model = sm.model
    names = list(model.exog_names[: model.k_fe])
    lmm = LMM(model.endog, np.asarray(model.exog)[:, : model.k_fe], terms_of(model))
    return lmm, theta_of(sm), bool(sm.method == "REML"), names


def _central_hessian(f: Any, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Hessian of f at x by central differences (Richardson-extrapolated over h and h/2)."""

    def once(step: np.ndarray) -> np.ndarray:
        k = len(x)
        out = np.zeros((k, k))
        f0 = f(x)
        e = np.diag(step)
        for i in range(k):
            out[i, i] = (f(x + e[i]) - 2 * f0 + f(x - e[i])) / step[i] ** 2
            for j in range(i):
                out[i, j] = out[j, i] = (
                    f(x + e[i] + e[j])
                    - f(x + e[i] - e[j])
                    - f(x - e[i] + e[j])
                    + f(x - e[i] - e[j])
                ) / (4 * step[i] * step[j])
        return out

    return (4 * once(h / 2) - once(h)) / 3


def _central_jacobian(f: Any, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """D f / d x (f returns an array) by central differences, Richardson-extrapolated."""

    def once(step: np.ndarray) -> np.ndarray:
        e = np.diag(step)
        return np.stack([(f(x + e[i]) - f(x - e[i])) / (2 * step[i]) for i in range(len(x))])

    return (4 * once(h / 2) - once(h)) / 3


def fixed_effects_table(fit: Any) -> pd.DataFrame:
    """Tabulate the fixed effects with Satterthwaite df and p-values, as lmerTest does.

    For each fixed effect: the estimate; its standard error from lme4's covariance
    sigma^2 (X'V^-1 X)^-1 (the variances held at their estimates); Satterthwaite's
    degrees of freedom df = 2 V^2 / (g' A g), with V the squared standard error, g its
    gradient with respect to the variance parameters and A their asymptotic covariance
    (twice the inverse Hessian of the deviance), in lmerTest's parametrisation (lme4's
    theta and sigma; Kuznetsova, Brockhoff and Christensen 2017); t = estimate / SE;
    p = the two-sided p-value of t on df degrees of freedom.

    Parameters
    ----------
    fit : MixedLMResults or pymer4.models.Lmer
        A fitted model (REML or ML). statsmodels: its optimum is finished on lme4's
        criterion first (a change in the sixth digit or beyond). pymer4: lmerTest's own
        table (``coefs``), renamed.

    Returns
    -------
    pandas.DataFrame
        Index ``term`` (R's spelling: ``(Intercept)``, ``ADMPOL_PTSEL``), columns
        ``estimate``, ``std_error``, ``df``, ``t``, ``p``. ``attrs["criterion"]``: the
        REML criterion (or ML deviance) at the optimum.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": np.repeat(list("abcdef"), 8), "x": rng.normal(size=48)})
    >>> effect = dict(zip("abcdef", rng.normal(size=6)))
    >>> df["y"] = 1 + df["x"] + df["g"].map(effect) + rng.normal(size=48)
    >>> table = fixed_effects_table(smf.mixedlm("y ~ x", df, groups="g").fit())
    >>> list(table.columns), list(table.index)
    (['estimate', 'std_error', 'df', 't', 'p'], ['(Intercept)', 'x'])
    """
    from scipy import stats

    if _check_model(fit) == "pymer4":
        coefs = fit.coefs
        out = pd.DataFrame(
            {
                "estimate": coefs["Estimate"].astype(float),
                "std_error": coefs["SE"].astype(float),
                "df": coefs["DF"].astype(float),
                "t": coefs["T-stat"].astype(float),
                "p": coefs["P-val"].astype(float),
            }
        )
        out.index.name = "term"
        return out
    lmm, theta, reml, names = _model_parts(fit)
    best = lmm.fit(reml, theta)
    varpar = np.r_[best.theta, best.sigma]
    h = 1e-3 * np.maximum(np.abs(varpar), 0.05)
    hessian = _central_hessian(lambda v: lmm.deviance(v, reml), varpar, h)
    cov_varpar = 2 * np.linalg.inv(hessian)
    vcov = lmm.vcov(varpar)
    grads = _central_jacobian(lambda v: np.diag(lmm.vcov(v)), varpar, h)  # varpar x p
    variance = np.diag(vcov)
    df = 2 * variance**2 / np.einsum("ip,ij,jp->p", grads, cov_varpar, grads)
    se = np.sqrt(variance)
    t = best.beta / se
    out = pd.DataFrame(
        {
            "estimate": best.beta,
            "std_error": se,
            "df": df,
            "t": t,
            "p": 2 * stats.t.sf(np.abs(t), df),
        },
        index=pd.Index([r_name(n) for n in names], name="term"),
    )
    out.attrs["criterion"] = best.criterion
    return out


def fixed_effects_text(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Return :func:`fixed_effects_table`'s table as text, at the precision a page shows.

    Estimates and t to `digits` significant digits, standard errors to one fewer, df as
    :func:`format_df`, p as :func:`helpers.regression.format_p` without
    its ``p`` (``< 0.001``, ``0.114``): the same text as R's ``fixed_effects_text()``.
    """
    from helpers.precision import significant
    from helpers.regression import format_p

    return pd.DataFrame(
        {
            "estimate": [significant(v, digits) for v in table["estimate"]],
            "std_error": [significant(v, digits - 1) for v in table["std_error"]],
            "df": [format_df(v) for v in table["df"]],
            "t": [significant(v, digits) for v in table["t"]],
            "p": [format_p(v).removeprefix("p = ").removeprefix("p ") for v in table["p"]],
        },
        index=table.index,
    )


def _ml_pair(fit: Any, drop: str | Sequence[str]) -> tuple[LMM, Any, LMM, Fit, Fit, list[int]]:
    """Return the two models of an ML comparison and their ML fits.

    That is: the bigger LMM, theta at `fit` (the start of every fit), the smaller LMM
    (without the columns of `drop`), the two ML fits and the dropped columns.
    """
    lmm, theta, _, names = _model_parts(fit)
    columns = _columns(fit, drop, names)
    small = lmm.drop(columns)
    return lmm, theta, small, lmm.fit(False, theta), small.fit(False, theta), columns


def _columns(fit: Any, drop: Sequence[str], names: list[str]) -> list[int]:
    """Positions of the fixed-effect columns of the formula terms `drop` (all of a factor's)."""
    if isinstance(drop, str):
        drop = [drop]
    exog = getattr(getattr(fit.model, "data", None), "orig_exog", None)
    info = getattr(exog, "design_info", None)  # patsy's, for a model made from a formula
    slices = dict(info.term_name_slices) if info is not None else {}
    out: list[int] = []
    for term in drop:
        if term in slices:
            section: slice = slices[term]
            out.extend(range(len(names))[section])
            continue
        match = [i for i, n in enumerate(names) if n == term or n.startswith(f"{term}[")]
        if not match:
            known = ", ".join(slices) if slices else ", ".join(names)
            raise ValueError(f"ml_lrt: the model has no fixed-effect term {term!r}; it has {known}")
        out += match
    return sorted(set(out))


def ml_lrt(fit: Any, drop: str | Sequence[str]) -> LikelihoodRatio:
    """Likelihood-ratio test of dropping fixed-effect terms, both models refitted by ML.

    REML criteria compare only models with the same fixed effects, so a test of fixed
    effects refits both models by maximum likelihood, as R's ``anova(smaller, bigger)``
    does for lme4 fits: statistic = deviance(smaller) - deviance(bigger), referred to
    chi-square with as many degrees of freedom as columns dropped.

    Parameters
    ----------
    fit : MixedLMResults
        The bigger model (REML or ML fit).
    drop : str or list of str
        Formula terms to drop: a variable (``"fsm_la_mean"``), a factor
        (``"ADMPOL_PT"``: all its columns) or an interaction (``"x:gor_name"``).

    Returns
    -------
    LikelihoodRatio
        ``statistic``, ``df``, ``p`` and ``reference`` ("chi-square(df)").

    Raises
    ------
    ValueError
        A term the model does not have (the message lists those it has).
    """
    from scipy import stats

    _, _, _, big, small, columns = _ml_pair(fit, drop)
    statistic = small.criterion - big.criterion
    df = len(columns)
    return LikelihoodRatio(statistic, df, float(stats.chi2.sf(statistic, df)), f"chi-square({df})")


@dataclass(frozen=True)
class Bootstrap:
    """A parametric bootstrap of a likelihood-ratio test (see :func:`parametric_bootstrap`)."""

    observed: float
    statistics: np.ndarray
    exceed: int
    p: float
    nsim: int
    seed: int


def _lme4_order(lmm: LMM) -> list[int]:
    """Order the random-effect terms as lme4 does: most levels first, ties as listed."""
    return sorted(range(len(lmm.terms)), key=lambda i: -lmm.terms[i].levels)


def simulate_response(lmm: LMM, fit: Fit, index: int, seed: int) -> np.ndarray:
    """Simulate data set `index` (1, 2, ...) from `fit` of `lmm`, with portable draws.

    y = X b + sigma (Z Lambda(theta) z_u + z_e): first the random effects' draws, term by
    term in lme4's order (most levels first), level by level, then one draw per row.
    Data set `index` uses draws (index - 1) * (q + n) + 1 to index * (q + n) of `seed`'s
    stream, so the first 199 data sets of 1,000 are those of 199. R's
    ``simulate_response()`` draws the same numbers in the same order from lme4's
    ``getME(fit, c("Z", "Lambda"))``.
    """
    per = lmm.q + lmm.n
    z = normals(per, seed, offset=(index - 1) * per)
    sizes = [t.k * t.levels for t in lmm.terms]
    starts = np.cumsum([0, *sizes])
    u = np.empty(lmm.q)
    at = 0
    for i in _lme4_order(lmm):
        u[starts[i] : starts[i + 1]] = z[at : at + sizes[i]]
        at += sizes[i]
    b = lmm.lam(fit.theta) @ u
    return lmm.X @ fit.beta + fit.sigma * (lmm.Z @ b + z[lmm.q :])


def parametric_bootstrap(fit: Any, drop: str | Sequence[str], *, nsim: int, seed: int) -> Bootstrap:
    """Parametric bootstrap p-value of :func:`ml_lrt` (pbkrtest's ``PBmodcomp`` idea).

    The observed statistic is the ML likelihood-ratio statistic of dropping `drop`. Then
    `nsim` data sets are simulated from the REML fit of the smaller model (the null
    hypothesis), both models are refitted to each by ML, and p = (k + 1) / (nsim + 1),
    with k the number of simulated statistics at least as large as the observed one: no
    chi-square approximation. Draws come from :func:`simulate_response`, so R's
    ``parametric_bootstrap()`` simulates the same data sets and finds the same counts.

    Parameters
    ----------
    fit : MixedLMResults
        The bigger model.
    drop : str or list of str
        Fixed-effect terms the smaller model leaves out (as in :func:`ml_lrt`).
    nsim : int
        Number of simulated data sets (199 resolves p to 0.005).
    seed : int
        Seed of the portable stream (:func:`helpers.draws.normals`).

    Returns
    -------
    Bootstrap
        ``observed``, ``statistics`` (one per data set), ``exceed`` (k), ``p``, ``nsim``,
        ``seed``.
    """
    if nsim < 1:
        raise ValueError(f"parametric_bootstrap: nsim must be at least 1, got {nsim}")
    lmm, theta, small, big_ml, small_ml, _ = _ml_pair(fit, drop)
    observed = small_ml.criterion - big_ml.criterion
    null = small.fit(True, theta)
    statistics = np.empty(nsim)
    for b in range(1, nsim + 1):
        y = simulate_response(small, null, b, seed)
        statistics[b - 1] = (
            small.with_y(y).fit(False, small_ml.theta).criterion
            - lmm.with_y(y).fit(False, big_ml.theta).criterion
        )
    exceed = int((statistics >= observed).sum())
    return Bootstrap(observed, statistics, exceed, (exceed + 1) / (nsim + 1), nsim, seed)


def mc_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval for a share k / n of simulated statistics.

    A share from n simulations is itself an estimate; this interval says which true
    shares it is compatible with (exact binomial, as R's ``binom.test``).

    Examples
    --------
    >>> low, high = mc_interval(15, 199)
    >>> round(low, 3), round(high, 3)
    (0.043, 0.121)
    """
    from scipy import stats

    if not 0 <= k <= n:
        raise ValueError(f"mc_interval: need 0 <= k <= n, got k={k}, n={n}")
    tail = (1 - level) / 2
    low = 0.0 if k == 0 else float(stats.beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - tail, k + 1, n - k))
    return low, high
