"""Summaries of fitted random-intercept models: variance shares, effects, predictions.

Works on statsmodels ``MixedLM`` results (one grouping factor, or crossed/nested random
intercepts written as variance components: ``groups`` a constant column,
``re_formula="0"``, one ``vc_formula`` entry ``"0 + C(col)"`` per random intercept) and
on fitted pymer4 ``Lmer`` models (lme4). The outcome is assumed to be on the log scale
where a function back-transforms (:func:`predictions`, :func:`required_change`).

Optimizer: statsmodels' default ``lbfgs`` can stop early on a flat REML surface (few
groups, e.g. 5 Ofsted ratings: 0.3% off lme4's variance). Fit with
``method=["powell", "lbfgs"]`` (or ``"nm"``) to reach lme4's optimum.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.mixed_linear_model import MixedLMResults

from helpers.data import require_columns

__all__ = [
    "LikelihoodRatio",
    "fixed_effects_se",
    "gain_table",
    "icc",
    "kept_structure",
    "predictions",
    "profile_intervals",
    "r2_nakagawa",
    "random_effects",
    "reml_lrt",
    "required_change",
    "variance_components",
    "verdict",
]

RESIDUAL = "Residual"


# --------------------------------------------------------------------------- model access


def _statsmodels(model: Any) -> MixedLMResults | None:
    inner = getattr(model, "_results", model)
    return inner if isinstance(inner, MixedLMResults) else None


def _is_pymer4(model: Any) -> bool:
    cls = type(model)
    return cls.__name__ == "Lmer" and cls.__module__.startswith("pymer4")


def _check_model(model: Any) -> str:
    if _statsmodels(model) is not None:
        return "statsmodels"
    if _is_pymer4(model):
        if not getattr(model, "fitted", False):
            raise ValueError("The pymer4 Lmer model is not fitted yet: call model.fit() first")
        return "pymer4"
    raise TypeError(
        "Expected a fitted statsmodels MixedLM result (MixedLM.fit()) or a fitted pymer4 "
        f"Lmer model, got {type(model).__name__}"
    )


@dataclass(frozen=True)
class _Term:
    """One random effect: its name, variance, and whether it is an intercept."""

    group: str
    variance: float
    intercept: bool


def _terms(model: Any) -> list[_Term]:
    """Random-effect variances (intercepts and slopes) and the residual, in model order."""
    sm = _statsmodels(model)
    if sm is not None:
        terms: list[_Term] = []
        names = list(sm.model.data.exog_re_names)
        cov = np.asarray(sm.cov_re)
        for i, name in enumerate(names):
            intercept = i == 0 and _sm_has_intercept(sm)
            label = name if intercept else f"{names[0]} {name}"
            terms.append(_Term(label, float(cov[i, i]), intercept))
        vc_names = list(sm.model.exog_vc.names) if sm.model.k_vc else []
        for k, (name, var) in enumerate(zip(vc_names, np.atleast_1d(sm.vcomp), strict=True)):
            # an indicator design (0/1 columns) is a random intercept; anything else a slope
            mats = sm.model.exog_vc.mats[k]
            indicator = all(np.isin(np.asarray(m), (0.0, 1.0)).all() for m in mats)
            terms.append(_Term(name, float(var), indicator))
        terms.append(_Term(RESIDUAL, float(sm.scale), True))
        return terms
    table = model.ranef_var
    return [
        _Term(
            str(group),
            float(row["Var"]),
            str(group) == RESIDUAL or row["Name"] == "(Intercept)",
        )
        for group, row in table.iterrows()
    ]


def _sm_has_intercept(sm: MixedLMResults) -> bool:
    """Tell whether the first ``exog_re`` column is the group's random intercept."""
    if not sm.model.k_re:
        return False
    exog_re = np.asarray(sm.model.exog_re)
    return bool(np.allclose(exog_re[:, 0], 1.0))


def _residual_variance(model: Any) -> float:
    return next(t.variance for t in _terms(model) if t.group == RESIDUAL)


def _check_intercepts_only(model: Any, what: str) -> None:
    slopes = [t.group for t in _terms(model) if not t.intercept]
    if slopes:
        raise ValueError(
            f"{what} is defined here for random intercepts only; the model has random "
            f"slopes {slopes}"
        )


# --------------------------------------------------------------------------- variance


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


# --------------------------------------------------------------------------- random effects

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


def _sm_effects(sm: MixedLMResults) -> pd.DataFrame:
    """Tidy random effects of a statsmodels fit, with the data columns needed to map them."""
    re_names = list(sm.model.data.exog_re_names)
    intercept = _sm_has_intercept(sm)
    vc_names = list(sm.model.exog_vc.names) if sm.model.k_vc else []
    constant_group = sm.model.n_groups == 1
    rows = []
    for glabel, effects in sm.random_effects.items():
        cond = sm.random_effects_cov[glabel]
        cond_var = pd.Series(np.diag(np.asarray(cond)), index=effects.index)
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


def _r_call(code: str, *args: Any) -> pd.DataFrame:
    """Run an R function (rpy2) on R objects and return a pandas frame."""
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter + pandas2ri.converter) as converter:
        return converter.rpy2py(ro.r(code)(*args))


def _to_r(frame: pd.DataFrame) -> Any:
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter + pandas2ri.converter) as converter:
        return converter.py2rpy(frame)


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


# --------------------------------------------------------------------------- predictions


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


def _coefficients(model: Any) -> pd.Series:
    if _check_model(model) == "statsmodels":
        sm = _statsmodels(model)
        assert sm is not None  # what _check_model found
        return pd.Series(np.asarray(sm.fe_params), index=sm.model.exog_names)
    return model.coefs["Estimate"]


def required_change(
    model: Any,
    row: pd.Series | pd.DataFrame,
    predictor: str,
    gain: float,
    *,
    logged: bool,
    valid_range: tuple[float, float] = (0, 100),
) -> float:
    """Change in one predictor that raises a school's predicted outcome by ``gain`` points.

    The outcome is modelled on the log scale; the school's prediction is
    ``yhat`` = :func:`predictions` ``conditional_bc`` (with its group effects and the
    bias correction). Holding everything else fixed, with ``b`` the predictor's coefficient:

    - raw predictor: new x = x + log((yhat + gain) / yhat) / b;
    - logged predictor (the model uses ``log_<predictor>`` or ``np.log(<predictor>)``):
      new x = x * ((yhat + gain) / yhat) ** (1 / b).

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model with a log outcome.
    row : pandas.Series or one-row pandas.DataFrame
        The school (all the model's columns, raw ``predictor`` included).
    predictor : str
        Raw column name, e.g. ``"PTFSM6CLA1A"`` (also when the model uses its log).
    gain : float
        Target change of the predicted outcome, in outcome units (e.g. 5 Attainment 8 points).
    logged : bool
        Whether the model uses the log of the predictor.
    valid_range : (float, float), default (0, 100)
        Values the predictor can take (percentages by default), bounds included.

    Returns
    -------
    float
        new x - x, in the predictor's raw units (e.g. percentage points).

    Raises
    ------
    ValueError
        Predictor not in the model (lists the coefficients), in an interaction, with a
        zero coefficient, a gain that makes the outcome <= 0, or a new value outside
        ``valid_range``.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.uniform(10, 50, 60), "g": np.repeat(list("abc"), 20)})
    >>> df["y"] = np.log(40 + 0.3 * df["x"]) + rng.normal(0, 0.05, 60)
    >>> fit = smf.mixedlm("y ~ x", df, groups="g").fit(method="powell")
    >>> round(required_change(fit, df.iloc[0], "x", 1.0, logged=False), 1)
    3.2
    """
    frame = row.to_frame().T.infer_objects() if isinstance(row, pd.Series) else row
    if len(frame) != 1:
        raise ValueError(f"required_change: give one row (one school), got {len(frame)}")
    require_columns(frame, [predictor], where="required_change")
    coefs = _coefficients(model)
    candidates = [f"log_{predictor}", f"np.log({predictor})"] if logged else [predictor]
    name = next((c for c in candidates if c in coefs.index), None)
    if name is None:
        raise ValueError(
            f"required_change: none of {candidates} is a fixed effect of the model "
            f"(logged={logged}); coefficients: {list(coefs.index)}"
        )
    interactions = [c for c in coefs.index if ":" in c and name in c.split(":")]
    if interactions:
        raise ValueError(
            f"required_change: {name} is in interaction(s) {interactions}; its effect is "
            "not one coefficient"
        )
    b = float(coefs[name])
    if b == 0:
        raise ValueError(f"required_change: the coefficient of {name} is 0")
    yhat = float(predictions(model, frame)["conditional_bc"].iloc[0])
    ratio = (yhat + gain) / yhat
    if ratio <= 0:
        raise ValueError(f"required_change: a gain of {gain} makes the outcome {yhat + gain:.3g}")
    x = float(frame[predictor].iloc[0])
    if logged:
        if x <= 0:
            raise ValueError(f"required_change: {predictor} = {x} cannot be logged")
        new = x * ratio ** (1 / b)
    else:
        new = x + math.log(ratio) / b
    low, high = valid_range
    if not low <= new <= high:
        raise ValueError(
            f"required_change: {predictor} would have to go from {x:.4g} to {new:.4g}, "
            f"outside its valid range [{low}, {high}]"
        )
    return new - x


def gain_table(
    model: Any,
    row: pd.Series | pd.DataFrame,
    gain: float,
    predictors: dict[str, bool],
    *,
    valid_ranges: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Return the "+k points" table: for each predictor alone, the change that gives ``gain``.

    Calls :func:`required_change` once per predictor; a refused change (it would leave
    the predictor's valid range) is kept as a row with NaN and the reason in ``note``.

    Parameters
    ----------
    model : MixedLMResults or pymer4.models.Lmer
        A fitted model with a log outcome.
    row : pandas.Series or one-row pandas.DataFrame
        The school.
    gain : float
        Target change of the predicted outcome (e.g. 5 Attainment 8 points).
    predictors : dict of str to bool
        Raw predictor column -> whether the model uses its log.
    valid_ranges : dict of str to (float, float), optional
        Per-predictor valid range; (0, 100) when not given.

    Returns
    -------
    pandas.DataFrame
        Columns ``predictor``, ``logged``, ``current``, ``change``, ``new``, ``note``.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.uniform(10, 50, 60), "g": np.repeat(list("abc"), 20)})
    >>> df["y"] = np.log(40 + 0.3 * df["x"]) + rng.normal(0, 0.05, 60)
    >>> fit = smf.mixedlm("y ~ x", df, groups="g").fit(method="powell")
    >>> gain_table(fit, df.iloc[0], 1.0, {"x": False})["new"].round(1).tolist()
    [38.7]
    """
    frame = row.to_frame().T.infer_objects() if isinstance(row, pd.Series) else row
    ranges = valid_ranges or {}
    rows = []
    for predictor, logged in predictors.items():
        require_columns(frame, [predictor], where="gain_table")
        current = float(frame[predictor].iloc[0])
        try:
            change = required_change(
                model, frame, predictor, gain, logged=logged,
                valid_range=ranges.get(predictor, (0, 100)),
            )  # fmt: skip
            note = ""
        except ValueError as exc:
            if "outside its valid range" not in str(exc):
                raise
            change, note = np.nan, str(exc).removeprefix("required_change: ")
        rows.append(
            {
                "predictor": predictor,
                "logged": logged,
                "current": current,
                "change": change,
                "new": current + change,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def fixed_effects_se(model: Any) -> pd.Series:
    """Fixed-effect standard errors with the variances held at their estimates, as lme4.

    lme4's ``vcov()`` is sigma^2 (X' V^-1 X)^-1, the fixed-effect block of the information
    on its own. statsmodels' ``bse_fe`` (and its summary) take the fixed-effect part of the
    inverse of the *whole* observed information, variance parameters included, which
    differs when the fixed effects and the variances are correlated in it (by about 3%
    for a slope whose random slope rests on five groups). This returns lme4's version
    from statsmodels' own Hessian, so the two programs can be compared.

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
    sm = _statsmodels(model)
    assert sm is not None  # not pymer4, so _check_model found statsmodels
    hessian = sm.model.hessian(sm.params_object)
    hessian = hessian[0] if isinstance(hessian, tuple) else hessian
    k = sm.model.k_fe
    cov = np.linalg.inv(-np.asarray(hessian)[:k, :k])
    return pd.Series(np.sqrt(np.diag(cov)), index=sm.model.exog_names[:k])


# --------------------------------------------------------------------------- tests and words


@dataclass(frozen=True)
class LikelihoodRatio:
    """A REML likelihood-ratio test of nested random-effect structures."""

    statistic: float
    df: int
    p: float
    reference: str


def reml_lrt(
    criterion_small: float, criterion_big: float, df: int, *, boundary: bool
) -> LikelihoodRatio:
    """Likelihood-ratio test from two REML criteria (-2 REML log-likelihood).

    Both models must have the same fixed effects (REML likelihoods of models with
    different fixed effects are not comparable). When the hypothesis puts a variance on
    the boundary of its range (variance = 0 cannot be approached from below), the
    statistic's null distribution is not chi-square(df) but, for one variance tested,
    the 50:50 mixture of chi-square(df - 1) and chi-square(df) (Self and Liang 1987;
    chi-square(0) is a point mass at 0). The plain chi-square(df) p-value would be
    twice too large: conservative.

    Parameters
    ----------
    criterion_small, criterion_big : float
        REML criteria of the smaller (null) and the larger model.
    df : int
        Number of extra covariance parameters in the larger model.
    boundary : bool
        True when the null hypothesis sets one variance to 0 (the mixture is used).

    Returns
    -------
    LikelihoodRatio
        ``statistic`` (criterion_small - criterion_big), ``df``, ``p`` and the
        ``reference`` distribution in words.

    Raises
    ------
    ValueError
        ``df`` < 1.

    Examples
    --------
    >>> round(reml_lrt(10.0, 6.16, 1, boundary=True).p, 3)
    0.025
    >>> round(reml_lrt(10.0, 6.16, 1, boundary=False).p, 3)
    0.05
    """
    from scipy import stats

    if df < 1:
        raise ValueError(f"reml_lrt: df must be at least 1, got {df}")
    statistic = float(criterion_small - criterion_big)
    if boundary:
        low = 0.0 if df == 1 else float(stats.chi2.sf(statistic, df - 1))
        if df == 1 and statistic <= 0:
            low = 1.0
        p = 0.5 * low + 0.5 * float(stats.chi2.sf(statistic, df))
        reference = f"50:50 mixture of chi-square({df - 1}) and chi-square({df})"
    else:
        p = float(stats.chi2.sf(statistic, df))
        reference = f"chi-square({df})"
    return LikelihoodRatio(statistic, df, min(p, 1.0), reference)


def verdict(p: float, alpha: float = 0.05) -> str:
    """Return the word the session's prose uses for a test: "supported" or "not supported".

    Examples
    --------
    >>> verdict(0.001), verdict(0.2)
    ('supported', 'not supported')
    """
    if not 0 <= p <= 1:
        raise ValueError(f"verdict: p must lie in [0, 1], got {p}")
    return "supported" if p < alpha else "not supported"


def kept_structure(slope_p: float, correlation_p: float, correlated_singular: bool) -> str:
    """Which random-effect structure the tests support, in the words the session prints.

    The random slope is kept when its test is significant (:func:`verdict`); the
    correlation too, unless the correlated fit is singular (a correlation at +/-1 or a
    variance at 0 is not an estimate we can use, however large its test statistic).

    Examples
    --------
    >>> kept_structure(1e-9, 0.006, True)
    'uncorrelated random slopes'
    >>> kept_structure(0.3, 0.006, False)
    'random intercepts only'
    """
    if verdict(slope_p) != "supported":
        return "random intercepts only"
    if verdict(correlation_p) == "supported" and not correlated_singular:
        return "correlated random slopes"
    return "uncorrelated random slopes"


# --------------------------------------------------------------------------- profile intervals


def _one_factor_parts(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    codes, _ = pd.factorize(groups)
    k = codes.max() + 1
    n_j = np.bincount(codes, minlength=k).astype(float)
    s = np.zeros((k, X.shape[1]))
    np.add.at(s, codes, X)
    return {
        "y": y, "X": X, "codes": codes, "n_j": n_j, "s": s,
        "t": np.bincount(codes, weights=y, minlength=k),
        "XtX": X.T @ X, "Xty": X.T @ y,
    }  # fmt: skip


def _deviance(parts: dict[str, Any], tau2: float, sigma2: float, *, reml: bool = True) -> float:
    """-2 (REML or ML) log-likelihood of y = X b + u_group + e (one random intercept).

    Closed form: V_j = sigma2 I + tau2 11' for a group of n_j rows, so V_j^-1 =
    (I - c_j 11') / sigma2 with c_j = tau2 / (sigma2 + n_j tau2), and log|V_j| =
    (n_j - 1) log sigma2 + log(sigma2 + n_j tau2); b is the GLS estimate. REML: lme4's
    REMLcrit() (and -2 llf in statsmodels); ML: lme4's deviance().
    """
    y, X, n_j, s, t = parts["y"], parts["X"], parts["n_j"], parts["s"], parts["t"]
    n, p = X.shape
    c = tau2 / (sigma2 + n_j * tau2)
    xvx = (parts["XtX"] - (s * c[:, None]).T @ s) / sigma2
    xvy = (parts["Xty"] - (s * (c * t)[:, None]).sum(axis=0)) / sigma2
    beta = np.linalg.solve(xvx, xvy)
    r = y - X @ beta
    r_j = np.bincount(parts["codes"], weights=r, minlength=len(n_j))
    quad = (r @ r - (c * r_j**2).sum()) / sigma2
    logdet_v = ((n_j - 1) * math.log(sigma2) + np.log(sigma2 + n_j * tau2)).sum()
    if not reml:
        return float(logdet_v + quad + n * math.log(2 * math.pi))
    logdet_x = np.linalg.slogdet(xvx)[1]
    return float(logdet_v + logdet_x + quad + (n - p) * math.log(2 * math.pi))


def profile_intervals(
    y: Any, X: Any, groups: Any, *, level: float = 0.95, reml: bool = False
) -> pd.DataFrame:
    """Profile-likelihood intervals for a one-factor random-intercept model.

    The model is y = X b + u_group + e, u ~ N(0, tau^2), e ~ N(0, sigma^2), fitted from
    the closed-form criterion (:func:`_deviance`). Each interval holds the values of one
    parameter whose profiled criterion (the others re-optimised) lies within the
    chi-square(1) quantile of the minimum. With ``reml=False`` (the default) this is
    exactly lme4's ``confint(fit, method = "profile")``, which profiles the maximum
    likelihood even for a REML fit: both languages then give the same bounds, without
    simulation. Profile intervals follow the skewed likelihood of a variance estimated
    from few groups, where estimate +/- 1.96 SE does not. A lower bound at 0 means the
    profile never rises far enough.

    Parameters
    ----------
    y : array-like
        Outcome, n values.
    X : array-like
        Fixed-effects design, n x p (a column of ones for the null model).
    groups : array-like
        Grouping factor, n labels.
    level : float, default 0.95
        Confidence level.
    reml : bool, default False
        Profile the REML criterion instead of the likelihood (lme4 cannot).

    Returns
    -------
    pandas.DataFrame
        Index ``sd_group``, ``sigma``, ``icc``; columns ``estimate`` (the ML or REML
        estimate the profile is centred on), ``lower``, ``upper``.
        ICC = tau^2 / (tau^2 + sigma^2).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 10)
    >>> y = rng.normal(0, 1, 30)[g] + rng.normal(0, 1, 300)
    >>> out = profile_intervals(y, np.ones((300, 1)), g)
    >>> bool((out["lower"] < out["estimate"]).all() and (out["estimate"] < out["upper"]).all())
    True
    """
    from scipy import optimize, stats

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    groups = np.asarray(groups)
    if not len(y) == len(X) == len(groups):
        raise ValueError(
            f"profile_intervals: y, X and groups differ in length ({len(y)}, {len(X)}, "
            f"{len(groups)})"
        )
    parts = _one_factor_parts(y, X, groups)
    scale = float(np.var(y))

    def dev(log_tau2: float, log_sigma2: float) -> float:
        return _deviance(parts, math.exp(log_tau2), math.exp(log_sigma2), reml=reml)

    start = np.log([scale / 2, scale / 2])
    best = optimize.minimize(
        lambda v: dev(*v),
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    best = optimize.minimize(lambda v: dev(*v), best.x, method="BFGS", options={"gtol": 1e-8})
    log_tau2, log_sigma2 = best.x
    dmin = float(best.fun)
    cut = float(stats.chi2.ppf(level, 1))

    def inner(fun: Any, centre: float) -> float:
        res = optimize.minimize_scalar(
            fun, bounds=(centre - 12, centre + 12), method="bounded", options={"xatol": 1e-10}
        )
        return float(res.fun)

    # each profile: the criterion with one quantity fixed, minimised over the other
    def prof_tau(lt: float) -> float:
        return inner(lambda ls: dev(lt, ls), log_sigma2) - dmin - cut

    def prof_sigma(ls: float) -> float:
        return inner(lambda lt: dev(lt, ls), log_tau2) - dmin - cut

    def prof_icc(rho: float) -> float:  # total variance v free: tau2 = rho v
        return (
            inner(
                lambda lv: dev(math.log(rho) + lv, math.log1p(-rho) + lv),
                math.log(math.exp(log_tau2) + math.exp(log_sigma2)),
            )
            - dmin
            - cut
        )

    def bounds(fun: Any, at: float, lo: float, hi: float, floor: float | None) -> tuple:
        out = []
        for edge in (lo, hi):
            if fun(edge) < 0:
                if floor is None:
                    raise ValueError("profile_intervals: the profile does not close")
                out.append(floor)
            else:
                out.append(optimize.brentq(fun, *sorted((at, edge)), xtol=1e-12))
        return tuple(out)

    lt_lo, lt_hi = bounds(prof_tau, log_tau2, log_tau2 - 40, log_tau2 + 8, -np.inf)
    ls_lo, ls_hi = bounds(prof_sigma, log_sigma2, log_sigma2 - 3, log_sigma2 + 3, None)
    rho = math.exp(log_tau2) / (math.exp(log_tau2) + math.exp(log_sigma2))
    r_lo, r_hi = bounds(prof_icc, rho, 1e-12, 1 - 1e-12, 0.0)
    return pd.DataFrame(
        {
            "estimate": [math.exp(log_tau2 / 2), math.exp(log_sigma2 / 2), rho],
            "lower": [math.exp(lt_lo / 2), math.exp(ls_lo / 2), r_lo],
            "upper": [math.exp(lt_hi / 2), math.exp(ls_hi / 2), r_hi],
        },
        index=pd.Index(["sd_group", "sigma", "icc"]),
    )


# --------------------------------------------------------------------------- R squared


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
                norm = sum(float(np.square(np.asarray(m)).sum()) for m in sm.model.exog_vc.mats[k])
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
