"""The course's data files: registry, download cache, the schools table and its dictionary.

Every file the sessions read is listed in ``helpers/registry.txt`` (name, SHA-256, URL
pinned to one commit). :func:`fetch` returns a verified local copy from the cache folder
(:func:`data_dir`), downloading it with pooch when it is absent. The rows every model
uses are stated once, in ``helpers/schools.json``, which ``helpers/R/schools.R`` reads too.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pooch

__all__ = [
    "MissingColumnsError",
    "analysis_table",
    "data_dir",
    "describe",
    "fetch",
    "gorard_index",
    "load_schools",
    "log_columns",
    "require_columns",
]

logger = logging.getLogger(__name__)

ENV_VAR = "QM_DATA_DIR"
_HERE = Path(__file__).resolve().parent
_PERCENT = re.compile(r"^\s*-?\d+(\.\d+)?\s*%\s*$")


class MissingColumnsError(KeyError):
    """A table lacks columns a helper needs; the message lists missing and existing ones."""

    def __str__(self) -> str:  # KeyError would show the message quoted on one line
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- registry


@cache
def _registry() -> dict[str, tuple[str, str]]:
    """Parse ``registry.txt`` into ``{name: (sha256, url)}``."""
    entries: dict[str, tuple[str, str]] = {}
    for line in (_HERE / "registry.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sha, url = line.split()
            entries[name] = (sha.lower(), url)
    return entries


@cache
def _rules() -> dict:
    """The analysis rules shared with R (``helpers/schools.json``)."""
    return json.loads((_HERE / "schools.json").read_text(encoding="utf-8"))


def data_dir() -> Path:
    """Return the cache folder that holds the course's data files.

    The order is: the environment variable ``QM_DATA_DIR`` when it is set and not empty,
    otherwise the user's cache folder ``pooch.os_cache("qm-course")`` (for example
    ``~/.cache/qm-course`` on Linux). The folder is not created here.

    Returns
    -------
    pathlib.Path
        The cache folder.

    Examples
    --------
    >>> import os
    >>> data_dir() == Path(os.environ["QM_DATA_DIR"]).expanduser()
    True
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("qm-course"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(name: str) -> Path:
    """Return the local path of a registered data file, verified by its SHA-256.

    A file already in :func:`data_dir` is hash-checked and returned without writing
    anything (the CI cache is read-only). A missing file is downloaded with pooch from its
    pinned URL into :func:`data_dir`.

    Parameters
    ----------
    name : str
        A file name from ``helpers/registry.txt``, e.g. ``"england_filtered.csv"``.

    Returns
    -------
    pathlib.Path
        Path to the verified file.

    Raises
    ------
    ValueError
        Unknown name (the message lists the known ones), or the file's hash differs from
        the registry (the message names the file, the expected and the actual hash).
    FileNotFoundError
        The file is absent and could not be downloaded; the message gives the URL to
        download and the folder to save it in.

    Examples
    --------
    >>> fetch("abs_meta.csv").name
    'abs_meta.csv'
    """
    registry = _registry()
    if name not in registry:
        raise ValueError(f"Unknown data file {name!r}. Known files: {', '.join(sorted(registry))}.")
    expected, url = registry[name]
    folder = data_dir()
    path = folder / name
    if path.is_file():
        actual = _sha256(path)
        if actual != expected:
            raise ValueError(
                f"Hash mismatch for {name} at {path}: expected sha256 {expected}, "
                f"got {actual}. The file is damaged or a different version; delete it "
                f"and download it again from {url}"
            )
        logger.debug("Using cached %s", path)
        return path
    logger.info("%s is not in %s; downloading it from %s", name, folder, url)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fetched = pooch.retrieve(
            url, known_hash=f"sha256:{expected}", fname=name, path=folder, progressbar=False
        )
    except ValueError as exc:  # pooch: downloaded file's hash differs
        raise ValueError(
            f"Hash mismatch for {name} downloaded from {url}: expected sha256 {expected}. {exc}"
        ) from exc
    except Exception as exc:  # no network, HTTP error, read-only folder ...
        raise FileNotFoundError(
            f"Data file {name} is not in {folder} and could not be downloaded "
            f"({type(exc).__name__}). Download it from {url} and save it as "
            f"{path}, or set the environment variable {ENV_VAR} to a folder that holds it."
        ) from exc
    return Path(fetched)


# --------------------------------------------------------------------------- checks


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, where: str) -> None:
    """Raise an error a student can act on when ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    columns : sequence of str
        Columns that must exist.
    where : str
        What needs them, shown in the message (e.g. ``"gorard_index"``).

    Raises
    ------
    MissingColumnsError
        A ``KeyError`` listing the missing columns and the existing ones.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], where="example")
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnsError(
            f"{where}: missing column(s) {missing}. Existing columns: {list(df.columns)}"
        )


# --------------------------------------------------------------------------- transforms


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


# --------------------------------------------------------------------------- loading


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


def _census_segregation() -> pd.Series:
    """Gorard index per census LA code, from the census's secondary schools."""
    rules = _rules()
    census = _read_csv(rules["census_file"])
    la, phase = rules["census_la_column"], rules["census_phase_column"]
    require_columns(
        census,
        [la, phase, rules["census_minority"], rules["census_total"]],
        where=rules["census_file"],
    )
    secondary = census[(census[phase] == rules["census_phase_value"]) & census[la].notna()]
    secondary = secondary.assign(**{la: secondary[la].astype(int)})
    return gorard_index(secondary, la, rules["census_minority"], rules["census_total"])


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


# --------------------------------------------------------------------------- dictionary

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


@cache
def _dictionary() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}

    def add(key: object, text: object, source: str) -> None:
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
    entries = _dictionary()
    prefix = ""
    key = re.sub(r"\.[xy]$", "", column)
    if key.startswith("log_") and key not in entries:
        prefix, key = "natural log of ", key[4:]
    if key not in entries:
        close = difflib.get_close_matches(key, list(entries), n=5, cutoff=0.6)
        raise KeyError(f"No dictionary entry for {column!r}. Close matches: {close}")
    return "\n".join(f"{column}: {prefix}{text}" for text in entries[key])
