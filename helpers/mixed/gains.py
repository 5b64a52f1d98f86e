"""What change in one predictor adds k points to a school's prediction: the "+k" tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from helpers.columns import require_columns
from helpers.mixed.adapter import _coefficients
from helpers.mixed.effects import predictions


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
