"""Ordinary least squares helpers for the regression sessions (06 to 08).

What R's ``lm`` gives for free and statsmodels does not: the four diagnostic panels of
``plot(lm)``, variance inflation per *term* (generalised VIF, as R's ``car::vif``), term
names in R's spelling, and the parity lines the CI compares between the two languages;
and the row counts every session prints after loading its table.
``helpers/R/regression.R`` (in the R package ``qmhelpers``) is the R twin of
:func:`gvif`, :func:`estimate_lines`, :func:`format_p`, :func:`histograms` and
:func:`print_row_counts`; its ``skewness()`` is ``scipy.stats.skew``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

__all__ = [
    "diagnostic_plots",
    "estimate_lines",
    "format_p",
    "gvif",
    "histograms",
    "print_row_counts",
    "r_name",
    "row_rule",
]

_MAIN, _ACCENT = "#0072B2", "#D55E00"
_TERM = re.compile(r"^(?P<var>\w+)\[T\.(?P<level>.+)\]$")


def format_p(p: float) -> str:
    """Format a p-value for a sentence: ``p < 0.001`` below that, else three decimals.

    Printing ``p = 0`` (a value below the smallest float) would claim certainty; R's
    ``format.pval`` shows such values as ``< 2e-16`` for the same reason.

    Examples
    --------
    >>> format_p(0.0), format_p(0.01088), format_p(0.5)
    ('p < 0.001', 'p = 0.011', 'p = 0.500')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def print_row_counts(table: pd.DataFrame) -> None:
    """Print what `helpers.data.analysis_table` kept and dropped, one count a line.

    The schools in the file, those missing a model variable, those with a value <= 0 in
    a logged column (one line each) and the rows every model uses: the lines every
    session prints after loading, written once (R: ``print_row_counts()``, same text).

    Examples
    --------
    >>> table = pd.DataFrame({"x": [1, 2]})
    >>> table.attrs = {"rows_in": 9, "dropped_missing": 4, "dropped_nonpositive": {"X": 3}}
    >>> print_row_counts(table)
    Schools in the file:                   9
    Dropped, a model variable missing:     4
    Dropped, X <= 0 (no log):              3
    Rows every model uses:                 2
    """
    counts = table.attrs
    if "rows_in" not in counts:
        raise ValueError("print_row_counts: not a table from analysis_table() (no counts)")
    lines = {
        "Schools in the file": counts["rows_in"],
        "Dropped, a model variable missing": counts["dropped_missing"],
        **{f"Dropped, {c} <= 0 (no log)": n for c, n in counts["dropped_nonpositive"].items()},
        "Rows every model uses": len(table),
    }
    width = max(len(label) for label in lines) + 2
    for label, n in lines.items():
        print(f"{label + ':':<{width}}{int(n):5d}")


@cache
def row_rule() -> dict:
    """Return the row rule of sessions 6 to 8, as written in ``helpers/schools.json``.

    ``required_columns`` (a school missing any is left out of every model) and
    ``log_columns`` (a school with a value <= 0 in any is left out) are the keys a session
    shows; R reads the same file with ``qm_rules()``.

    Examples
    --------
    >>> "ATT8SCR" in row_rule()["log_columns"]
    True
    """
    return json.loads((Path(__file__).with_name("schools.json")).read_text(encoding="utf-8"))


def r_name(term: str) -> str:
    """Spell a statsmodels (patsy) term as R does, so both languages' estimates line up.

    ``Intercept`` becomes ``(Intercept)``, a dummy ``x[T.a]`` becomes ``xa`` (R pastes the
    level to the variable), and each part of an interaction ``x[T.a]:z`` is renamed.

    Examples
    --------
    >>> r_name("Intercept"), r_name("gor_name[T.London]")
    ('(Intercept)', 'gor_nameLondon')
    >>> r_name("log_PTFSM6CLA1A:gor_name[T.North East]")
    'log_PTFSM6CLA1A:gor_nameNorth East'
    """
    if term == "Intercept":
        return "(Intercept)"
    return ":".join(_TERM.sub(r"\g<var>\g<level>", part) for part in term.split(":"))


def gvif(fit) -> pd.DataFrame:
    """Generalised variance inflation factor of each term of a formula-fitted OLS model.

    For a term with *df* design columns (a numeric predictor: 1; a factor: its number of
    dummies), GVIF = det(R_term) det(R_rest) / det(R), with R the correlation matrix of
    the design columns without the intercept (Fox and Monette 1992; what ``car::vif``
    reports). For a one-column term it is the usual VIF, 1 / (1 - R²_j). Per-dummy VIFs
    (statsmodels' ``variance_inflation_factor``) depend on the reference category; the
    GVIF of the whole factor does not. ``GVIF^(1/(2 df))`` is comparable across terms
    of different sizes (square it to compare with the usual VIF thresholds).

    Parameters
    ----------
    fit : statsmodels results
        An OLS fit made with a formula (``smf.ols``), with an intercept.

    Returns
    -------
    pandas.DataFrame
        Index: the terms in formula order; columns ``GVIF``, ``df``, ``GVIF^(1/(2*df))``.

    Raises
    ------
    ValueError
        The model was not fitted from a formula, has no intercept or fewer than two terms.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 5, 7], "a": [1.0, 2, 3, 4, 5, 6],
    ...                    "b": [2.0, 1, 4, 3, 6, 5]})
    >>> table = gvif(smf.ols("y ~ a + b", df).fit())
    >>> r = np.corrcoef(df["a"], df["b"])[0, 1]
    >>> bool(np.isclose(table.loc["a", "GVIF"], 1 / (1 - r**2)))
    True
    """
    # the formula's patsy DesignInfo: ``model_spec`` in statsmodels 0.15, ``design_info`` before
    data = fit.model.data
    design_info = getattr(data, "model_spec", None) or getattr(data, "design_info", None)
    if design_info is None:
        raise ValueError("gvif: fit the model with a formula (statsmodels.formula.api.ols)")
    slices = dict(design_info.term_name_slices)
    if "Intercept" not in slices:
        raise ValueError("gvif: the model has no intercept; GVIF is defined with one")
    del slices["Intercept"]
    if len(slices) < 2:
        raise ValueError("gvif: needs at least two terms (one has nothing to be collinear with)")
    exog = np.asarray(fit.model.exog, dtype=float)
    columns = np.concatenate([np.arange(s.start, s.stop) for s in slices.values()])
    corr = np.corrcoef(exog[:, columns], rowvar=False)
    position = {c: i for i, c in enumerate(columns)}
    _, logdet_all = np.linalg.slogdet(corr)
    rows = {}
    for term, s in slices.items():
        inside = [position[c] for c in range(s.start, s.stop)]
        outside = [i for i in range(len(columns)) if i not in inside]
        _, logdet_in = np.linalg.slogdet(corr[np.ix_(inside, inside)])
        _, logdet_out = np.linalg.slogdet(corr[np.ix_(outside, outside)])
        value = float(np.exp(logdet_in + logdet_out - logdet_all))
        df = len(inside)
        rows[term] = {"GVIF": value, "df": df, "GVIF^(1/(2*df))": value ** (1 / (2 * df))}
    return pd.DataFrame.from_dict(rows, orient="index")


def _lowess(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.nonparametric.smoothers_lowess import lowess

    # R's lowess() defaults, delta too: points closer than 1% of the range of x share one
    # local fit (without it statsmodels fits at every point: ten times the work)
    delta = 0.01 * float(np.ptp(x))
    smooth = lowess(y, x, frac=2 / 3, it=3, delta=delta, return_sorted=True)
    return smooth[:, 0], smooth[:, 1]


def diagnostic_plots(fit, labels: Iterable[str] | None = None, *, n_labels: int = 3) -> Figure:
    """Draw the four panels of R's ``plot(lm)``: linearity, normality, spread, influence.

    1. residuals against fitted values, with a LOWESS smooth (a curve: a missing term);
    2. normal QQ plot of the standardised residuals (tails off the line: heavy tails);
    3. scale-location, the root of the absolute standardised residuals against fitted
       values (a rising smooth: the spread grows with the fitted value);
    4. standardised residuals against leverage, with Cook's distance 0.5 and 1 contours
       (points beyond them move the fit on their own).

    The ``n_labels`` most extreme points of each panel are labelled, by ``labels`` (e.g.
    school names) or by row number, as R does.

    Parameters
    ----------
    fit : statsmodels OLS results
    labels : iterable of str, optional
        One label per row of the model.
    n_labels : int
        How many points to label in each panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0) ** 1.5})
    >>> fig = diagnostic_plots(smf.ols("y ~ x", df).fit())
    >>> [ax.get_title() for ax in fig.axes]
    ['Residuals vs Fitted', 'Normal Q-Q', 'Scale-Location', 'Residuals vs Leverage']
    """
    influence = fit.get_influence()
    fitted = np.asarray(fit.fittedvalues, dtype=float)
    resid = np.asarray(fit.resid, dtype=float)
    standard = np.asarray(influence.resid_studentized_internal, dtype=float)
    leverage = np.asarray(influence.hat_matrix_diag, dtype=float)
    cooks = np.asarray(influence.cooks_distance[0], dtype=float)
    names = [str(i + 1) for i in range(len(fitted))] if labels is None else list(labels)
    if len(names) != len(fitted):
        raise ValueError(f"diagnostic_plots: {len(names)} labels for {len(fitted)} rows")

    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    point = {"s": 8, "alpha": 0.4, "color": _MAIN, "linewidths": 0}
    smooth = {"color": _ACCENT, "linewidth": 1.5}

    def label(ax, x, y, order):
        for i in order[:n_labels]:
            ax.annotate(
                names[i], (x[i], y[i]), xytext=(3, 3), textcoords="offset points", fontsize=7
            )

    extreme = np.argsort(-np.abs(resid), kind="stable")
    ax = axes[0, 0]
    ax.scatter(fitted, resid, **point)
    ax.plot(*_lowess(fitted, resid), **smooth)
    ax.axhline(0, color="black", linestyle=":", linewidth=1)
    ax.set(title="Residuals vs Fitted", xlabel="Fitted values", ylabel="Residuals")
    label(ax, fitted, resid, extreme)

    ax = axes[0, 1]
    order = np.argsort(standard, kind="stable")
    theory = stats.norm.ppf((np.arange(1, len(standard) + 1) - 0.5) / len(standard))
    quantile = np.empty_like(theory)
    quantile[order] = theory
    ax.scatter(quantile, standard, **point)
    ax.axline((0, 0), slope=1, color="black", linestyle="--", linewidth=1)
    ax.set(title="Normal Q-Q", xlabel="Theoretical quantiles", ylabel="Standardised residuals")
    label(ax, quantile, standard, np.argsort(-np.abs(standard), kind="stable"))

    ax = axes[1, 0]
    root = np.sqrt(np.abs(standard))
    ax.scatter(fitted, root, **point)
    ax.plot(*_lowess(fitted, root), **smooth)
    ax.set(title="Scale-Location", xlabel="Fitted values", ylabel="√|standardised residuals|")
    label(ax, fitted, root, np.argsort(-root, kind="stable"))

    ax = axes[1, 1]
    ax.scatter(leverage, standard, **point)
    ax.plot(*_lowess(leverage, standard), **smooth)
    ax.axhline(0, color="black", linestyle=":", linewidth=1)
    p = len(fit.params)
    grid = np.linspace(max(leverage.min(), 1e-3), leverage.max() * 1.05, 100)
    for level in (0.5, 1.0):
        bound = np.sqrt(level * p * (1 - grid) / grid)
        inside = bound < max(np.abs(standard).max() * 1.1, 1)
        for sign in (1, -1):
            ax.plot(
                grid[inside],
                sign * bound[inside],
                color="grey",
                linestyle="--",
                linewidth=1,
                label=f"Cook's distance {level:g}" if sign == 1 else None,
            )
    ax.set(title="Residuals vs Leverage", xlabel="Leverage", ylabel="Standardised residuals")
    label(ax, leverage, standard, np.argsort(-cooks, kind="stable"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def histograms(
    data: pd.DataFrame,
    columns: Mapping[str, str] | Iterable[str],
    *,
    ncols: int = 2,
    bins: int = 40,
) -> Figure:
    """One histogram per column (as a density), each with its mean, median and normal curve.

    A mean pulled away from the median, and bars off the curve on one side, show skew:
    what a log transformation can fix. ``helpers/R/regression.R`` draws the same panels.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : mapping or iterable of str
        Columns to draw; a mapping gives each panel's title (column -> title).
    ncols : int
        Panels per row.
    bins : int

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 2.0, 3.0, 10.0], "y": [1.0, 2, 3, 4, 5]})
    >>> fig = histograms(df, {"x": "Skewed", "y": "Even"})
    >>> [ax.get_title() for ax in fig.axes], [l.get_label() for l in fig.axes[0].get_lines()]
    (['Skewed', 'Even'], ['Mean 3.6', 'Median 2.0', 'Normal curve'])
    """
    titles = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    missing = [c for c in titles if c not in data.columns]
    if missing:
        raise ValueError(f"histograms: no column(s) {missing} in the data")
    nrows = -(-len(titles) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (column, title) in zip(axes.flat, titles.items(), strict=False):
        x = data[column].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        ax.hist(x, bins=bins, density=True, color="#DCE9F5", edgecolor=_MAIN, linewidth=0.5)
        mean, median, sd = x.mean(), np.median(x), x.std(ddof=1)
        ax.axvline(mean, color=_ACCENT, linewidth=1.5, label=f"Mean {mean:.1f}")
        ax.axvline(
            median, color="black", linestyle=":", linewidth=1.5, label=f"Median {median:.1f}"
        )
        grid = np.linspace(x.min(), x.max(), 200)
        ax.plot(
            grid, stats.norm.pdf(grid, mean, sd), color="grey", linewidth=1, label="Normal curve"
        )
        ax.set(title=title, xlabel=column, ylabel="Density")
        ax.legend(frameon=False, fontsize=8)
    for ax in list(axes.flat)[len(titles) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def estimate_lines(name: str, fit, extra: Mapping[str, float] | None = None) -> list[str]:
    r"""One ``model<TAB>quantity<TAB>value`` line per estimate of an OLS fit, for the CI.

    Quantities: ``n``, ``coef:<term>`` in R's spelling (:func:`r_name`), ``r2``,
    ``adj_r2``, ``sigma`` (residual standard error) and any ``extra`` ones. Values carry
    9 significant digits: OLS is closed form, so both languages agree far beyond the 1e-6
    the test allows, and the digits are the same on every run.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 4]})
    >>> estimate_lines("m", smf.ols("y ~ x", df).fit())[:3]
    ['m\tn\t4', 'm\tcoef:(Intercept)\t0.5', 'm\tcoef:x\t0.8']
    """
    values = {"n": fit.nobs}
    values.update({f"coef:{r_name(term)}": v for term, v in fit.params.items()})
    values.update({"r2": fit.rsquared, "adj_r2": fit.rsquared_adj, "sigma": np.sqrt(fit.scale)})
    values.update(extra or {})
    return [f"{name}\t{quantity}\t{float(v):.9g}" for quantity, v in values.items()]
