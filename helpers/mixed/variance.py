"""How a fitted model's variance splits: components, the ICC, and Nakagawa's R squared."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from helpers.mixed.adapter import (
    RESIDUAL,
    _check_intercepts_only,
    _check_model,
    _r_call,
    _residual_variance,
    _sm_has_intercept,
    _statsmodels,
    _terms,
)
from helpers.mixed.deviance import _dense


def variance_components(model: Any) -> pd.DataFrame:
    """Variance decomposition: each random effect's variance, SD and share of the total.

    ``share`` = variance / (sum of random-intercept variances + residual variance);
    ``pct_per_sd`` = 100 * (exp(sd) - 1): on a log outcome, the approximate % difference
    in the outcome between a group 1 SD above average and an average one. Random slopes
    are listed with ``share`` and ``pct_per_sd`` NaN (their variance is per unit of the
    predictor, not a share of the outcome's variance).

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model. Group names: the group column or ``vc_formula`` keys
        (statsmodels); lme4's names such as ``LANAME:gor_name`` (pymer4).

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``variance``, ``sd``, ``share``, ``pct_per_sd``; the last row
        is ``"Residual"``.

    Raises
    ------
    TypeError
        Not a fitted mixed model.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 3.1, 2.9], "g": list("aabbcc")})
    >>> fit = smf.mixedlm("y ~ 1", df, groups="g").fit(method="powell")
    >>> variance_components(fit)["group"].tolist()
    ['g', 'Residual']
    """
    _check_model(model)
    terms = _terms(model)
    total = sum(t.variance for t in terms if t.intercept)
    rows = []
    for t in terms:
        sd = math.sqrt(max(t.variance, 0.0))
        rows.append(
            {
                "group": t.group,
                "variance": t.variance,
                "sd": sd,
                "share": t.variance / total if t.intercept else np.nan,
                "pct_per_sd": 100 * math.expm1(sd) if t.intercept else np.nan,
            }
        )
    return pd.DataFrame(rows)


def icc(model: Any) -> float:
    """Intraclass correlation: the share of the total variance that lies between groups.

    One random intercept: between / (between + residual). Several (crossed or nested):
    the sum of the random-intercept variances over the total, i.e. 1 - residual share.

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted random-intercept model.

    Returns
    -------
    float
        Between 0 and 1.

    Raises
    ------
    ValueError
        The model has random slopes (the ICC would depend on the predictor).
    TypeError
        Not a fitted mixed model.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 3.1, 2.9], "g": list("aabbcc")})
    >>> fit = smf.mixedlm("y ~ 1", df, groups="g").fit(method="powell")
    >>> 0.9 < icc(fit) < 1.0
    True
    """
    _check_model(model)
    _check_intercepts_only(model, "The ICC")
    table = variance_components(model)
    return float(1.0 - table.loc[table["group"] == RESIDUAL, "share"].iloc[0])


def _random_variance(model: Any) -> float:
    """Mean variance the random effects add to one row: sum_k var_k * ||Z_k||^2 / n.

    For a random intercept ||Z_k||^2 / n = 1 (its variance); for an independent random
    slope on x it is mean(x^2), so the slope's share depends on where x is centred
    (Johnson 2014's extension of Nakagawa and Schielzeth's R squared).
    """
    sm = _statsmodels(model)
    if sm is not None:
        if sm.model.k_re > 1 or (sm.model.k_re == 1 and not _sm_has_intercept(sm)):
            raise ValueError(
                "r2_nakagawa: correlated random slopes (re_formula) are not supported; "
                "write independent slopes as variance components"
            )
        n = len(sm.model.endog)
        total = float(np.asarray(sm.cov_re).sum()) if sm.model.k_re else 0.0
        if sm.model.k_vc:
            for k, var in enumerate(np.atleast_1d(sm.vcomp)):
                norm = sum(float(np.square(_dense(m)).sum()) for m in sm.model.exog_vc.mats[k])
                total += float(var) * norm / n
        return total
    out = _r_call(
        """function(m) {
          cnms <- lme4::getME(m, "cnms")
          if (any(lengths(cnms) > 1)) stop("r2_nakagawa: correlated random slopes")
          vars <- vapply(lme4::VarCorr(m), function(v) v[1, 1], 0)
          norms <- vapply(lme4::getME(m, "Ztlist"), function(z) sum(z^2), 0)
          data.frame(v = sum(vars * norms) / lme4::getME(m, "n"))
        }""",
        model.model_obj,
    )
    return float(out["v"].iloc[0])


def r2_nakagawa(model: Any) -> dict[str, float]:
    """Marginal and conditional R squared (Nakagawa and Schielzeth 2013), model scale.

    With sf2 the variance of the fixed-effect predictions X b (n - 1 denominator, as R's
    ``var()``), su2 the variance the random effects add (the sum of the random-intercept
    variances, plus var(slope) * mean(x^2) for an independent random slope on x: Johnson
    2014) and se2 the residual variance: marginal = sf2 / (sf2 + su2 + se2), the share of
    the variance the fixed effects explain; conditional = (sf2 + su2) / (sf2 + su2 + se2),
    fixed and random together. Both are on the scale the model is fitted on (e.g. log
    Attainment 8), so they compare with an OLS R squared on that scale.

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model with random intercepts and independent random slopes.

    Returns
    -------
    dict
        ``{"marginal": ..., "conditional": ...}``.

    Raises
    ------
    ValueError
        The model has correlated random slopes.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=90), "g": np.repeat(list("abc"), 30)})
    >>> df["y"] = df["x"] + df["g"].map({"a": -1, "b": 0, "c": 1}) + rng.normal(size=90)
    >>> r2 = r2_nakagawa(smf.mixedlm("y ~ x", df, groups="g").fit(method="powell"))
    >>> bool(0 < r2["marginal"] < r2["conditional"] < 1)
    True
    """
    kind = _check_model(model)
    if kind == "statsmodels":
        sm = _statsmodels(model)
        assert sm is not None  # what _check_model found
        fixed = np.asarray(sm.model.exog) @ np.asarray(sm.fe_params)
    else:
        fixed = _r_call(
            "function(m) data.frame(f = stats::predict(m, re.form = NA))", model.model_obj
        )["f"].to_numpy(dtype=float)
    sf2 = float(np.var(fixed, ddof=1))
    su2 = _random_variance(model)
    se2 = _residual_variance(model)
    total = sf2 + su2 + se2
    return {"marginal": sf2 / total, "conditional": (sf2 + su2) / total}
