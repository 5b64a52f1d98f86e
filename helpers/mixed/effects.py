"""Group effects, fixed-effect standard errors and predictions of a fitted model."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.mixed_linear_model import MixedLMResults

from helpers.columns import require_columns
from helpers.mixed.adapter import (
    _check_model,
    _group_design,
    _r_call,
    _residual_variance,
    _sm_has_intercept,
    _statsmodels,
    _to_r,
)
from helpers.mixed.deviance import _dense

_FACTOR = re.compile(r"^C\((?P<col>[^,()]+)(?:,.*)?\)\[(?:T\.)?(?P<level>.*)\]$")
_PLAIN = re.compile(r"^(?P<col>[^\[\]]+)\[(?:T\.)?(?P<level>.*)\]$")
_SLOPE = re.compile(r"^C\((?P<col>[^,()]+)\)\[(?:T\.)?(?P<level>[^\]]*)\]:(?P<var>\w+)$")


def _parse_vc(label: str, vc_names: Sequence[str]) -> tuple[str, str, str, str | None]:
    """Split statsmodels' ``"<vc>[C(col)[level]]"`` into (vc name, column, level, slope).

    A random slope written ``"0 + C(col):x"`` gives ``"<vc>[C(col)[level]:x]"``: the
    fourth item is then ``"x"``, else None.
    """
    for name in sorted(vc_names, key=len, reverse=True):
        if label.startswith(f"{name}[") and label.endswith("]"):
            term = label[len(name) + 1 : -1]
            slope = _SLOPE.match(term)
            if slope:
                return name, slope["col"].strip(), slope["level"], slope["var"]
            match = _FACTOR.match(term) or _PLAIN.match(term)
            if match:
                return name, match["col"].strip(), match["level"], None
            break
    raise ValueError(
        f"Cannot read the random-effect label {label!r}: write each variance component "
        "as one factor, e.g. vc_formula={'LANAME': '0 + C(LANAME)'}, or a slope within "
        "one, e.g. {'LANAME x': '0 + C(LANAME):x'}"
    )


def _conditional_covariance(sm: MixedLMResults, group_ix: int) -> np.ndarray:
    """Covariance of one group's random effects given the data (statsmodels fits).

    With A the group's random-effects design, G their covariance, s the residual variance
    and M = A'A: Cov(u | y) = G - G A' V^-1 A G with V = s I + A G A', and
    A' V^-1 A = (s I + M G)^-1 M, so Cov(u | y) = G - G (s I + M G)^-1 M G: matrices of
    the size of G only, no inverse of G (a variance may be 0). statsmodels'
    ``random_effects_cov`` computes the same but cannot take ``use_sparse=True`` designs.
    """
    design, cov = _group_design(sm, group_ix)
    cross = _dense(design.T @ design)
    inner = sm.scale * np.eye(len(cov)) + cross @ cov
    return cov - cov @ np.linalg.solve(inner, cross @ cov)


def _sm_effects(sm: MixedLMResults) -> pd.DataFrame:
    """Tidy random effects of a statsmodels fit, with the data columns needed to map them."""
    re_names = list(sm.model.data.exog_re_names)
    intercept = _sm_has_intercept(sm)
    vc_names = list(sm.model.exog_vc.names) if sm.model.k_vc else []
    constant_group = sm.model.n_groups == 1
    rows = []
    for group_ix, (glabel, effects) in enumerate(sm.random_effects.items()):
        cond = _conditional_covariance(sm, group_ix)
        cond_var = pd.Series(np.diag(cond), index=effects.index)
        for label, value in effects.items():
            se = math.sqrt(max(float(cond_var[label]), 0.0))
            if label in re_names:
                is_int = intercept and label == re_names[0]
                rows.append(
                    {
                        "group": label if is_int else f"{re_names[0]} {label}",
                        "level": str(glabel),
                        "effect": float(value),
                        "se": se,
                        "_cols": (re_names[0],),
                        "_slope": None if is_int else label,
                        "_vc": False,
                    }
                )
                continue
            name, col, level, slope = _parse_vc(str(label), vc_names)
            key = level if constant_group else f"{glabel}:{level}"
            if not constant_group and not intercept:
                raise ValueError(
                    "Variance components nested in groups=<column> need the group's own "
                    "random intercept: fit with re_formula='1' (or use a constant group "
                    "and one vc_formula entry per factor)"
                )
            cols = (col,) if constant_group else (re_names[0], col)
            rows.append(
                {
                    "group": name,
                    "level": key,
                    "effect": float(value),
                    "se": se,
                    "_cols": cols,
                    "_slope": slope,
                    "_vc": True,
                }
            )
    return pd.DataFrame(rows)


def random_effects(model: Any) -> pd.DataFrame:
    """Tidy table of the predicted random effects (BLUPs/conditional modes) by level.

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (as in :func:`variance_components`), ``level``, ``effect``
        (on the model's scale), ``se`` (conditional SD), ``lower``, ``upper`` (effect
        +/- 1.96 se, for :func:`helpers.plots.caterpillar`). Nested levels are keyed by
        both factors: ``"London:Camden"`` (statsmodels ``groups`` + ``vc_formula``, or a
        ``region_la`` factor) or lme4's ``"Camden:London"`` for ``(1 | gor_name/LANAME)``.

    Raises
    ------
    TypeError
        Not a fitted mixed model.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 3.1, 2.9], "g": list("aabbcc")})
    >>> fit = smf.mixedlm("y ~ 1", df, groups="g").fit(method="powell")
    >>> random_effects(fit)[["group", "level"]].values.tolist()
    [['g', 'a'], ['g', 'b'], ['g', 'c']]
    """
    kind = _check_model(model)
    if kind == "statsmodels":
        table = _sm_effects(_statsmodels(model)).drop(columns=["_cols", "_slope", "_vc"])
    else:
        raw = _r_call("function(m) as.data.frame(lme4::ranef(m, condVar = TRUE))", model.model_obj)
        raw = raw.reset_index(drop=True)
        group = [
            str(g) if str(t) == "(Intercept)" else f"{g} {t}"
            for g, t in zip(raw["grpvar"], raw["term"], strict=True)
        ]
        table = pd.DataFrame(
            {
                "group": group,
                "level": raw["grp"].astype(str),
                "effect": raw["condval"].astype(float),
                "se": raw["condsd"].astype(float),
            }
        )
    table["lower"] = table["effect"] - 1.96 * table["se"]
    table["upper"] = table["effect"] + 1.96 * table["se"]
    return table.reset_index(drop=True)


def _linear_predictors(model: Any, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the (fixed, conditional) linear predictors on the model's (log) scale."""
    kind = _check_model(model)
    if kind == "statsmodels":
        sm = _statsmodels(model)
        fixed = np.asarray(model.predict(exog=data), dtype=float)
        effects = _sm_effects(sm)
        if (effects["_slope"].notna() & ~effects["_vc"]).any():
            raise ValueError(
                "predictions: random slopes from re_formula are not supported for "
                "statsmodels fits; write them as variance components "
                "(vc_formula={'g x': '0 + C(g):x'}) or use pymer4"
            )
        random = np.zeros(len(data))
        for _, part in effects.groupby("group", sort=False):
            cols = list(part["_cols"].iloc[0])
            require_columns(data, cols, where="predictions (random-effect factors)")
            keys = data[cols[0]].astype(str)
            for col in cols[1:]:
                keys = keys + ":" + data[col].astype(str)
            lookup = dict(zip(part["level"], part["effect"], strict=True))
            effect = keys.map(lookup).fillna(0.0).to_numpy(dtype=float)
            slope = part["_slope"].iloc[0]
            if slope is not None:  # a random slope: its effect times the predictor
                require_columns(data, [slope], where="predictions (random slopes)")
                effect = effect * data[slope].to_numpy(dtype=float)
            random += effect
        return fixed, fixed + random
    rdata = _to_r(data.reset_index(drop=True))
    code = (
        "function(m, d, rf) as.data.frame(stats::predict(m, newdata = d, "
        "re.form = if (rf) NULL else NA, allow.new.levels = TRUE))"
    )
    fixed = _r_call(code, model.model_obj, rdata, False).iloc[:, 0].to_numpy(dtype=float)
    cond = _r_call(code, model.model_obj, rdata, True).iloc[:, 0].to_numpy(dtype=float)
    return fixed, cond


def predictions(model: Any, data: pd.DataFrame, *, log_outcome: bool = True) -> pd.DataFrame:
    """Predictions without and with the random effects, back on the outcome's scale.

    For a log outcome: ``fixed`` = exp(fixed part), ``conditional`` = exp(fixed part +
    the rows' group effects; a level the model has not seen gets 0), and
    ``conditional_bc`` = ``conditional`` * exp(sigma^2 / 2), the lognormal bias
    correction with sigma^2 the residual variance (the exp of a mean log is a median,
    not a mean).

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted random-intercept model whose outcome is log-transformed.
    data : pandas.DataFrame
        Rows to predict, with the model's predictor and grouping columns.
    log_outcome : bool, default True
        False: return the linear predictors unchanged (``conditional_bc`` = ``conditional``).

    Returns
    -------
    pandas.DataFrame
        Columns ``fixed``, ``conditional``, ``conditional_bc``; the index of ``data``.

    Raises
    ------
    MissingColumnsError
        ``data`` lacks a grouping column.
    ValueError
        The statsmodels fit has random slopes.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": np.log([10.0, 12, 20, 23, 31, 29]), "g": list("aabbcc")})
    >>> fit = smf.mixedlm("y ~ 1", df, groups="g").fit(method="powell")
    >>> list(predictions(fit, df).columns)
    ['fixed', 'conditional', 'conditional_bc']
    """
    fixed, cond = _linear_predictors(model, data)
    if log_outcome:
        factor = math.exp(_residual_variance(model) / 2)
        out = {"fixed": np.exp(fixed), "conditional": np.exp(cond)}
        out["conditional_bc"] = out["conditional"] * factor
    else:
        out = {"fixed": fixed, "conditional": cond, "conditional_bc": cond}
    return pd.DataFrame(out, index=data.index)


def fitted_values(model: Any) -> pd.Series:
    """Fitted values with every group effect, on the model's scale, for the rows it was fitted to.

    X b plus each row's random effects (and slopes times their predictor): statsmodels'
    ``fittedvalues``, which fails for a model made with ``use_sparse=True``; lme4's
    ``fitted()`` for pymer4.

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model.

    Returns
    -------
    pandas.Series
        One value per row of the model's data, in its order (statsmodels: its index).

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 3.1, 2.9], "g": list("aabbcc")})
    >>> fit = smf.mixedlm("y ~ 1", df, groups="g").fit(method="powell")
    >>> bool(np.allclose(fitted_values(fit), fit.fittedvalues))
    True
    """
    if _check_model(model) == "pymer4":
        fitted = _r_call("function(m) data.frame(f = stats::fitted(m))", model.model_obj)
        return pd.Series(fitted["f"].to_numpy(dtype=float))
    sm = _statsmodels(model)
    assert sm is not None  # not pymer4, so _check_model found statsmodels
    out = np.asarray(sm.model.exog) @ np.asarray(sm.fe_params)
    effects = sm.random_effects
    for group_ix, label in enumerate(sm.model.group_labels):
        design, _ = _group_design(sm, group_ix)
        rows = sm.model.row_indices[label]
        out[rows] += np.asarray(design @ effects[label].to_numpy()).ravel()
    return pd.Series(out, index=sm.model.data.row_labels)


def fixed_effects_se(model: Any) -> pd.Series:
    """Fixed-effect standard errors with the variances held at their estimates, as lme4.

    lme4's ``vcov()`` is sigma^2 (X' V^-1 X)^-1, the fixed-effect block of the information
    on its own. statsmodels' ``bse_fe`` (and its summary) take the fixed-effect part of the
    inverse of the *whole* observed information, variance parameters included, which
    differs when the fixed effects and the variances are correlated in it (by about 3%
    for a slope whose random slope rests on five groups). This returns lme4's version, so
    the two programs can be compared: lme4's own formula, from the model's deviance
    (:meth:`helpers.mixed.deviance.LMM.vcov`).

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model (pymer4: its ``SE`` column, already lme4's).

    Returns
    -------
    pandas.Series
        Standard errors indexed by the fixed-effect names.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 3.1, 2.9], "x": [0, 1, 0, 1, 0, 1.0],
    ...                    "g": list("aabbcc")})
    >>> fit = smf.mixedlm("y ~ x", df, groups="g").fit(method="powell")
    >>> list(fixed_effects_se(fit).index)
    ['Intercept', 'x']
    """
    if _check_model(model) == "pymer4":
        return model.coefs["SE"].astype(float)
    from helpers.mixed.inference import _model_parts

    sm = _statsmodels(model)
    assert sm is not None  # not pymer4, so _check_model found statsmodels
    lmm, theta, _, names = _model_parts(sm)
    cov_fe = lmm.vcov(np.append(theta, math.sqrt(sm.scale)))
    return pd.Series(np.sqrt(np.diag(cov_fe)), index=names)
