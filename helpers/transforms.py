"""Column transforms of the schools session: the Gorard segregation index, logs with a rule."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.columns import require_columns

__all__ = ["gorard_index", "log_columns"]

logger = logging.getLogger(__name__)


def gorard_index(frame: pd.DataFrame, group: str, minority: str, total: str) -> pd.Series:
    """Gorard segregation index of each group (e.g. local authority) from school counts.

    For the schools *i* of group *g*, with *m_i* minority pupils (e.g. ever eligible for
    free school meals, ``NUMFSMEVER``) out of *t_i* pupils (``NORFSMEVER``), and the
    group's totals *M* = sum *m_i*, *T* = sum *t_i*::

        GS_g = 0.5 * sum_i | m_i / M - t_i / T |

    It is the share of minority pupils who would have to change school for every school
    to have the group's overall minority share: 0 = even spread, towards 1 = complete
    separation. Rows with a missing count are dropped (and logged); a group with
    *M* = 0 or *T* = 0 gets NaN.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per school.
    group : str
        Column naming the group.
    minority, total : str
        Count columns: minority pupils and all pupils (``minority <= total``).

    Returns
    -------
    pandas.Series
        Index: the groups; name ``"gorard_segregation"``.

    Raises
    ------
    MissingColumnsError
        A column is absent.
    ValueError
        A negative count, or a minority count above the total.

    Examples
    --------
    Two schools: 10 of 100 and 30 of 100 pupils. M = 40, T = 200, so
    GS = 0.5 * (|10/40 - 100/200| + |30/40 - 100/200|) = 0.5 * (0.25 + 0.25) = 0.25.

    >>> df = pd.DataFrame({"la": ["A", "A"], "m": [10, 30], "t": [100, 100]})
    >>> float(gorard_index(df, "la", "m", "t").loc["A"])
    0.25
    """
    require_columns(frame, [group, minority, total], where="gorard_index")
    counts = frame[[group, minority, total]]
    incomplete = counts.isna().any(axis=1)
    if incomplete.any():
        logger.info("gorard_index: dropped %d rows with a missing count", int(incomplete.sum()))
        counts = counts[~incomplete]
    m = pd.to_numeric(counts[minority], errors="raise").astype(float)
    t = pd.to_numeric(counts[total], errors="raise").astype(float)
    if (m < 0).any() or (t < 0).any():
        raise ValueError(f"gorard_index: counts in {minority!r} and {total!r} must be >= 0")
    if (m > t).any():
        raise ValueError(
            f"gorard_index: {int((m > t).sum())} rows have {minority!r} > {total!r}; "
            "the minority count must be part of the total"
        )
    keys = counts[group]
    big_m = m.groupby(keys, observed=True).transform("sum")
    big_t = t.groupby(keys, observed=True).transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (m / big_m - t / big_t).abs()
    index = 0.5 * terms.groupby(keys, observed=True).sum(min_count=1)
    zero = (m.groupby(keys, observed=True).sum() == 0) | (t.groupby(keys, observed=True).sum() == 0)
    index[zero] = np.nan
    return index.rename("gorard_segregation")


def log_columns(df: pd.DataFrame, columns: Sequence[str], *, rule: str = "drop") -> pd.DataFrame:
    """Add ``log_<col>`` (natural log) for each column, with an explicit rule for zeros.

    Rule ``"drop"``: rows where any of the columns is <= 0 are dropped; the number of such
    rows per column is logged and stored in ``result.attrs["dropped"]`` (a row can count
    for several columns). Missing values stay missing.

    Parameters
    ----------
    df : pandas.DataFrame
        Input table (not modified).
    columns : sequence of str
        Numeric columns to log.
    rule : {"drop"}
        What to do with values <= 0.

    Returns
    -------
    pandas.DataFrame
        A copy with the ``log_`` columns added and the rows dropped.

    Raises
    ------
    ValueError
        Unknown rule, or a non-numeric column.
    MissingColumnsError
        A column is absent.

    Examples
    --------
    >>> out = log_columns(pd.DataFrame({"x": [1.0, 0.0, np.e]}), ["x"])
    >>> out["log_x"].tolist(), out.attrs["dropped"]
    ([0.0, 1.0], {'x': 1})
    """
    if rule != "drop":
        raise ValueError(f"log_columns: unknown rule {rule!r}; the only rule is 'drop'")
    require_columns(df, columns, where="log_columns")
    for col in columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise ValueError(f"log_columns: column {col!r} is not numeric ({df[col].dtype})")
    nonpositive = pd.DataFrame({col: df[col] <= 0 for col in columns}, index=df.index)
    dropped = {col: int(nonpositive[col].sum()) for col in columns}
    out = df.loc[~nonpositive.any(axis=1)].copy()
    for col in columns:
        out[f"log_{col}"] = np.log(out[col].astype(float))
        if dropped[col]:
            logger.info("log_columns: %d rows with %s <= 0 dropped", dropped[col], col)
    out.attrs = {**df.attrs, "dropped": dropped}
    return out
