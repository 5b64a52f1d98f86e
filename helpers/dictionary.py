"""The data dictionary: what a column of the course's tables means, from the ``*_meta`` files."""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Any

import pandas as pd

from helpers.registry import fetch

__all__ = ["describe"]

_DERIVED = {
    "gorard_segregation": "Gorard segregation index of the school's local authority: "
    "0.5 * sum over its state-funded secondary schools of |m_i/M - t_i/T|, with m the "
    "pupils ever eligible for FSM in the past 6 years (NUMFSMEVER) and t all pupils "
    "(NORFSMEVER), January 2023 census (helpers.data.gorard_index)",
    "region_la": "Local authority within region, '<gor_name>:<LANAME>' (nested factor)",
    "gor_name": "Government office region name",
    "ADMPOL_PT": "Admissions policy (performance tables grouping: OTHER NON SEL, "
    "NON SEL IN HIGHLY SEL AREA, SEL)",
}


# Columns the helpers compute themselves (described without reading the DfE's files)
_MADE_HERE = ("gorard_segregation", "region_la")


@cache
def _dictionary() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}

    def add(key: Any, text: Any, source: str) -> None:  # spreadsheet cells
        if pd.isna(key) or pd.isna(text):
            return
        entries.setdefault(str(key).strip(), []).append(f"{str(text).strip()} ({source})")

    census = pd.read_csv(fetch("census_meta.csv"), encoding="utf-8-sig")
    for _, row in census.iterrows():
        add(row["Field Reference"], row["Field Name"], "census_meta.csv")
    absence = pd.read_csv(fetch("abs_meta.csv"), encoding="utf-8-sig")
    for _, row in absence.iterrows():
        text = row["Description"] if pd.notna(row["Description"]) else row["Label"]
        add(row["Variable"], text, "abs_meta.csv")
    info = pd.read_csv(fetch("school_information_meta.csv"), encoding="utf-8-sig")
    for _, row in info.iterrows():
        add(row["Field Name"], row["Description"], "school_information_meta.csv")
    ks4 = pd.read_excel(fetch("ks4_meta.xlsx"), engine="openpyxl")
    for _, row in ks4.iterrows():
        add(row["Metafile heading"], row["Metafile description"], "ks4_meta.xlsx")
    for key, text in _DERIVED.items():
        entries.setdefault(key, []).append(f"{text} (derived in helpers)")
    return entries


def describe(column: str) -> str:
    """Return the meaning of a column, from the ``*_meta`` data dictionaries.

    Suffixes added by the course's merge (``.x``, ``.y``) and the ``log_`` prefix of
    :func:`log_columns` are understood.

    Parameters
    ----------
    column : str
        Column name, e.g. ``"PTFSM6CLA1A"``.

    Returns
    -------
    str
        ``"<column>: <meaning> (<source file>)"``, one line per source.

    Raises
    ------
    KeyError
        Unknown column; the message lists close matches.

    Examples
    --------
    >>> print(describe("PERCTOT"))  # doctest: +ELLIPSIS
    PERCTOT: Percentage of overall absence (authorised and unauthorised) ... (abs_meta.csv)
    """
    prefix = ""
    key = re.sub(r"\.[xy]$", "", column)
    if key in _MADE_HERE:  # columns the helpers make: the DfE's files cannot describe them
        return f"{column}: {_DERIVED[key]} (derived in helpers)"
    entries = _dictionary()
    if key.startswith("log_") and key not in entries:
        prefix, key = "natural log of ", key[4:]
    if key not in entries:
        close = difflib.get_close_matches(key, list(entries), n=5, cutoff=0.6)
        raise KeyError(f"No dictionary entry for {column!r}. Close matches: {close}")
    return "\n".join(f"{column}: {prefix}{text}" for text in entries[key])
