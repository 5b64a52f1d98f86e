"""The schools tables: the loaded schools data and THE rows every model uses.

The rows every model uses are stated once, in ``helpers/schools.json``, which
``helpers/R/schools.R`` reads too, so both languages fit the same rows.
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from pathlib import Path

import pandas as pd

from helpers.columns import require_columns
from helpers.registry import fetch
from helpers.transforms import gorard_index, log_columns

__all__ = ["analysis_table", "load_schools", "segregation_coverage"]

logger = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
_PERCENT = re.compile(r"^\s*-?\d+(\.\d+)?\s*%\s*$")


@cache
def _rules() -> dict:
    """Return the analysis rules shared with R (``helpers/schools.json``)."""
    return json.loads((_HERE / "schools.json").read_text(encoding="utf-8"))


def _read_csv(name: str) -> pd.DataFrame:
    rules = _rules()
    frame = pd.read_csv(
        fetch(name),
        na_values=rules["na_values"],
        keep_default_na=False,
        dtype={c: str for c in rules["text_columns"]},
        encoding="utf-8-sig",
    )
    # census percentages are text like "21.9%": turn such columns into numbers
    for col in frame.select_dtypes(include="object").columns:
        values = frame[col].dropna()
        if len(values) and values.map(lambda v: bool(_PERCENT.match(str(v)))).all():
            frame[col] = pd.to_numeric(frame[col].str.rstrip().str.rstrip("%"))
    return frame


def _ordered_rating(values: pd.Series, order: list[str]) -> pd.Series:
    unknown = values.notna() & ~values.isin(order)
    if unknown.any():
        logger.warning(
            "%s: %d values outside %s set to missing: %s",
            values.name,
            int(unknown.sum()),
            order,
            sorted(values[unknown].unique()),
        )
    return pd.Series(
        pd.Categorical(values.where(~unknown), categories=order, ordered=True),
        index=values.index,
        name=values.name,
    )


def _census_secondary() -> pd.DataFrame:
    """Return the census's state-funded secondary schools with an LA and both FSM counts."""
    rules = _rules()
    census = _read_csv(rules["census_file"])
    la, phase = rules["census_la_column"], rules["census_phase_column"]
    require_columns(
        census,
        [la, phase, rules["census_minority"], rules["census_total"]],
        where=rules["census_file"],
    )
    secondary = census[(census[phase] == rules["census_phase_value"]) & census[la].notna()]
    secondary = secondary.dropna(subset=[rules["census_minority"], rules["census_total"]])
    return secondary.assign(**{la: secondary[la].astype(int)})


def _census_segregation(secondary: pd.DataFrame | None = None) -> pd.Series:
    """Gorard index per census LA code, from the census's secondary schools (read if not given)."""
    rules = _rules()
    if secondary is None:
        secondary = _census_secondary()
    return gorard_index(
        secondary, rules["census_la_column"], rules["census_minority"], rules["census_total"]
    )


def segregation_coverage(table: pd.DataFrame | None = None) -> dict[str, float]:
    """Describe the schools the Gorard segregation index is computed from (R: the same).

    Returns
    -------
    dict
        ``schools`` (census state-funded secondary schools with both FSM-ever counts),
        ``authorities`` (their LA codes), ``per_la_min``, ``per_la_median``,
        ``per_la_max`` (schools per authority), ``index_min``, ``index_max`` (over the
        authorities) and, when `table` (:func:`analysis_table`) is given, ``in_table``:
        how many of its schools are among them (by URN).
    """
    rules = _rules()
    secondary = _census_secondary()
    per_la = secondary.groupby(rules["census_la_column"]).size()
    index = _census_segregation(secondary)
    out: dict[str, float] = {
        "schools": len(secondary),
        "authorities": len(per_la),
        "per_la_min": int(per_la.min()),
        "per_la_median": float(per_la.median()),
        "per_la_max": int(per_la.max()),
        "index_min": float(index.min()),
        "index_max": float(index.max()),
    }
    if table is not None:
        urns = set(secondary["URN"].astype(str))
        out["in_table"] = int(table["URN"].astype(str).isin(urns).sum())
    return out


def load_schools() -> pd.DataFrame:
    """Load the schools table (``england_filtered.csv``) with types set and segregation added.

    - missing-value codes ("", NA, SUPP, NP, NE, SP, SN, LOWCOV, NEW, SUPPMAT) read as NaN;
    - ``URN`` as text;
    - ``OFSTEDRATING`` an ordered categorical, Special Measures < Serious Weaknesses <
      Requires improvement < Good < Outstanding (other values set to missing, with a
      logged warning);
    - ``gor_name`` (region) and ``LANAME`` (local authority) categoricals;
    - ``gorard_segregation``: the Gorard index (:func:`gorard_index`) of the local
      authority's state-funded secondary schools in the January 2023 census (FSM-ever
      counts ``NUMFSMEVER`` of ``NORFSMEVER``), joined by LA code. Cumberland (942) and
      Westmorland and Furness (943) get Cumbria's (909) index: the census predates
      Cumbria's split (``census_la_successors`` in ``schools.json``);
    - ``region_la``: ``"<gor_name>:<LANAME>"``, the LA-within-region factor (lme4's
      ``gor_name:LANAME``).

    Returns
    -------
    pandas.DataFrame
        One row per school (3,056).

    Examples
    --------
    >>> schools = load_schools()
    >>> schools["OFSTEDRATING"].cat.categories[0], schools["URN"].dtype == object
    ('Special Measures', True)
    """
    rules = _rules()
    schools = _read_csv(rules["schools_file"])
    rating = rules["rating_column"]
    region, la_name, la_code = (
        rules["region_column"],
        rules["la_name_column"],
        rules["la_code_column"],
    )
    require_columns(schools, [rating, region, la_name, la_code], where=rules["schools_file"])
    schools[rating] = _ordered_rating(schools[rating], rules["rating_order"])
    for col in rules["categorical_columns"]:
        schools[col] = schools[col].astype("category")
    successors = {int(k): int(v) for k, v in rules["census_la_successors"].items()}
    census_code = schools[la_code].map(lambda c: successors.get(int(c), int(c)))
    schools["gorard_segregation"] = census_code.map(_census_segregation()).astype(float)
    missing = schools["gorard_segregation"].isna()
    if missing.any():
        logger.warning(
            "gorard_segregation missing for %d schools (LA not in census)", missing.sum()
        )
    nested = schools[region].astype(str) + ":" + schools[la_name].astype(str)
    schools[rules["nested_column"]] = pd.Categorical(nested, categories=sorted(nested.unique()))
    return schools


def analysis_table(schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return THE rows every model of the schools session uses.

    The rule, stated once in ``helpers/schools.json`` (and applied identically by
    ``helpers/R/schools.R``): drop schools missing any required column, then add
    ``log_ATT8SCR``, ``log_PTFSM6CLA1A``, ``log_PERCTOT``, ``log_PNUMEAL`` dropping rows
    with a value <= 0 (:func:`log_columns`), then remove unused categories. Counts are
    logged and kept in ``.attrs``: ``rows_in``, ``dropped_missing``,
    ``dropped_nonpositive`` (per column) and ``rows_out``.

    Parameters
    ----------
    schools : pandas.DataFrame, optional
        The output of :func:`load_schools` (loaded when omitted).

    Returns
    -------
    pandas.DataFrame
        The analysis rows, index reset.

    Examples
    --------
    >>> table = analysis_table()
    >>> table.attrs["rows_in"], table.attrs["rows_out"]
    (3056, 2902)
    """
    rules = _rules()
    if schools is None:
        schools = load_schools()
    required = rules["required_columns"]
    require_columns(schools, required, where="analysis_table")
    rows_in = len(schools)
    complete = schools.dropna(subset=required)
    dropped_missing = rows_in - len(complete)
    logged = log_columns(complete, rules["log_columns"], rule=rules["log_rule"])
    for col in logged.columns:
        if isinstance(logged[col].dtype, pd.CategoricalDtype):
            logged[col] = logged[col].cat.remove_unused_categories()
    out = logged.reset_index(drop=True)
    out.attrs = {
        "rows_in": rows_in,
        "dropped_missing": dropped_missing,
        "dropped_nonpositive": logged.attrs["dropped"],
        "rows_out": len(out),
    }
    logger.info(
        "analysis_table: %d schools in, %d dropped for missing values, %d for values <= 0 "
        "before a log (%s), %d rows out",
        rows_in,
        dropped_missing,
        len(complete) - len(out),
        logged.attrs["dropped"],
        len(out),
    )
    return out
