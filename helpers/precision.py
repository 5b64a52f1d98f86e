"""Numbers shown at the precision a fit determines: significant digits, the boundary as 0.

An iterative fit (statsmodels' MixedLM, lme4) ends a little differently on another CPU,
or after another start: a digit that moves then is not a result, and a notebook that
printed it would differ from run to run. The sessions print such numbers with these
functions, to as many digits as stay put; the R twins are in ``helpers/R/precision.R``.

A variance estimated at (numerically) 0 is on the boundary of its range: its printed
value (``1.4e-12``, say) is the optimizer's noise, so it is shown as
``"0 (on the boundary)"``.
"""

from __future__ import annotations

import math
from typing import Any

BOUNDARY = 1e-6  # a variance below this share of the residual variance is 0, on the boundary
ON_BOUNDARY = "0 (on the boundary)"


def significant(value: float, digits: int) -> str:
    """Return `value` rounded to `digits` significant digits, as fixed-point text.

    Trailing zeros that are significant stay (``0.060``); no exponent, so a number with
    more integer digits than `digits` keeps them all (``1234``). NaN gives ``""``.

    Examples
    --------
    >>> significant(0.0035643, 2), significant(0.05970, 2), significant(76.537, 3)
    ('0.0036', '0.060', '76.5')
    >>> significant(-0.00094452, 2), significant(1234.5, 2), significant(0.0, 3)
    ('-0.00094', '1234', '0')
    """
    if digits < 1:
        raise ValueError(f"significant: digits must be at least 1, got {digits}")
    value = float(value)
    if math.isnan(value):
        return ""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def variance_text(variance: float, residual: float, digits: int) -> str:
    """Return a variance to `digits` significant digits, or ``"0 (on the boundary)"``.

    On the boundary: below :data:`BOUNDARY` times the residual variance (the rule the
    sessions' ``on_boundary()`` uses).

    Examples
    --------
    >>> variance_text(1.438e-12, 0.01408, 3), variance_text(0.001723, 0.01408, 3)
    ('0 (on the boundary)', '0.00172')
    """
    if variance < BOUNDARY * residual:
        return ON_BOUNDARY
    return significant(variance, digits)


def significant_table(frame: Any, digits: int | dict[str, int]) -> Any:
    """Return a copy of `frame` as text, each column to its number of significant digits.

    Parameters
    ----------
    frame : pandas.DataFrame
        Numbers.
    digits : int or dict of str to int
        One number for every numeric column, or one per column (columns not named, and
        text columns, are kept as they are).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"variance": [0.00067950, 0.0035643], "share": [0.0726, 0.3806]})
    >>> print(significant_table(table, {"variance": 2, "share": 3}).to_string(index=False))
    variance  share
     0.00068 0.0726
      0.0036  0.381
    """
    from pandas.api.types import is_numeric_dtype

    out = frame.copy().astype(object)
    for column in frame.columns:
        wanted = digits if isinstance(digits, int) else digits.get(column)
        if wanted is not None and is_numeric_dtype(frame[column]):
            out[column] = [significant(v, wanted) for v in frame[column]]
    return out


def format_p2(p: float) -> str:
    """Format a p-value to two significant digits, scientific below 0.001 (R: format_p2).

    Examples
    --------
    >>> format_p2(0.0020123), format_p2(0.0483), format_p2(0.11), format_p2(9.3e-20)
    ('0.0020', '0.048', '0.11', '9.3e-20')
    """
    if p < 0.001:
        return f"{p:.1e}"
    decimals = 1 - math.floor(math.log10(p))
    return f"{p:.{decimals}f}"


def format_df(df: float) -> str:
    """Format degrees of freedom as fits determine them: 1 decimal below 10, whole above.

    Examples
    --------
    >>> format_df(3.2184), format_df(2897.63)
    ('3.2', '2898')
    """
    return f"{df:.1f}" if df < 10 else f"{df:.0f}"
