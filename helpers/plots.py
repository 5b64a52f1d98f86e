"""The course's plots: one theme, colour-blind-safe colours, legends outside the data.

Every function draws on ``ax`` (a new figure when omitted) and returns the Axes, so end
a notebook line with ``;`` or assign the result. Nothing is random: the same data give
the same PNG bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.text import Annotation, Text

from helpers.data import require_columns

__all__ = [
    "OKABE_ITO",
    "boxplot_with_intercepts",
    "caterpillar",
    "observed_vs_fitted",
    "pooling_plot",
    "set_theme",
]

#: Okabe & Ito (2008) colour-blind-safe palette (black omitted).
OKABE_ITO = [
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#999999",  # grey
]
_MAIN, _ACCENT, _MUTED = "#0072B2", "#D55E00", "#999999"

# axis labels with units for the session's columns; others fall back to the column name
_LABELS = {
    "ATT8SCR": "Attainment 8 score (points)",
    "P8MEA": "Progress 8 score",
    "PTFSM6CLA1A": "Disadvantaged pupils (%)",
    "PERCTOT": "Overall absence (% of sessions)",
    "PNUMEAL": "English as an additional language (% of pupils)",
    "PTPRIORLO": "Low prior attainers (% of pupils)",
    "gorard_segregation": "Gorard segregation index (0-1)",
    "OFSTEDRATING": "Ofsted rating",
    "gor_name": "Region",
    "LANAME": "Local authority",
}


def _label(column: str) -> str:
    if column.startswith("log_") and column[4:] in _LABELS:
        return f"log of {_LABELS[column[4:]]}"
    return _LABELS.get(column, column)


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _legend_outside(ax: Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)


def set_theme() -> None:
    """Apply the course look: seaborn whitegrid, Okabe-Ito colours, fixed sizes.

    Also fixes what could make PNG bytes differ between runs (figure DPI, no date or
    hash salt in saved files).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> set_theme()
    >>> mpl.colors.to_hex(mpl.rcParams["axes.prop_cycle"].by_key()["color"][0])
    '#e69f00'
    """
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=OKABE_ITO,
        rc={
            "figure.figsize": (7.0, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "savefig.bbox": "tight",
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "svg.hashsalt": "qm-course",
            "image.cmap": "cividis",
        },
    )


def boxplot_with_intercepts(
    data: pd.DataFrame,
    group: str,
    outcome: str,
    intercepts: Mapping[str, float] | pd.Series,
    grand_mean: float,
    ax: Axes | None = None,
    *,
    overall_mean: float | None = None,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Boxplots of an outcome by group, with each group's fitted intercept and the grand mean.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (school).
    group, outcome : str
        Grouping and outcome columns. Categorical order is kept, otherwise sorted.
    intercepts : mapping or pandas.Series
        Fitted intercept of each group on the outcome's scale (grand mean + random effect).
    grand_mean : float
        The fixed intercept (overall mean), drawn as a dashed line.
    ax : matplotlib Axes, optional
        Where to draw.
    overall_mean : float, optional
        The plain mean of all rows, drawn as a dotted line: with unequal group
        sizes it differs from the model's grand mean, which weighs groups.
    colours : mapping, optional
        Box fill per group (e.g. a colour-blind-safe colour per rating);
        default one light blue.
    title, ylabel : str, optional
        Override the default title and axis label.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    MissingColumnsError
        A column is absent.
    ValueError
        A group in the data has no intercept.

    Examples
    --------
    >>> df = pd.DataFrame({"g": list("aabb"), "y": [1.0, 2.0, 3.0, 4.0]})
    >>> ax = boxplot_with_intercepts(df, "g", "y", {"a": 1.6, "b": 3.4}, 2.5)
    >>> ax.get_xlabel()
    'g'
    """
    require_columns(data, [group, outcome], where="boxplot_with_intercepts")
    column = data[group]
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = [str(c) for c in column.cat.categories if (column == c).any()]
    else:
        order = sorted(column.dropna().astype(str).unique())
    fitted = {str(k): float(v) for k, v in dict(intercepts).items()}
    missing = [level for level in order if level not in fitted]
    if missing:
        raise ValueError(f"boxplot_with_intercepts: no intercept for group(s) {missing}")
    ax = _axes(ax, (max(6.0, 0.9 * len(order) + 2.5), 4.5))
    keys = column.astype(str)
    values = [data.loc[keys == level, outcome].dropna().to_numpy(dtype=float) for level in order]
    line = {"color": _MAIN, "linewidth": 1}
    boxes = ax.boxplot(
        values,
        positions=range(len(order)),
        widths=0.6,
        patch_artist=True,
        boxprops={"facecolor": "#DCE9F5", "edgecolor": _MAIN},
        medianprops=line,
        whiskerprops=line,
        capprops=line,
        flierprops={
            "marker": "o",
            "markersize": 2,
            "markerfacecolor": "none",
            "markeredgecolor": _MAIN,
        },
    )
    for level, box in zip(order, boxes["boxes"], strict=True):
        if colours and level in colours:
            box.set(facecolor=colours[level], alpha=0.75)
    ax.set_xticks(range(len(order)), order)
    ax.scatter(
        range(len(order)),
        [fitted[level] for level in order],
        marker="D",
        s=45,
        color="black" if colours else _ACCENT,  # stands out on any box colour
        edgecolors="white",
        zorder=5,
        label="Fitted group intercept",
    )
    ax.axhline(grand_mean, color="black", linestyle="--", linewidth=1, label="Grand mean")
    if overall_mean is not None:
        ax.axhline(overall_mean, color=_ACCENT, linestyle=":", linewidth=2, label="Overall mean")
    ax.set_xlabel(_label(group))
    ax.set_ylabel(ylabel or _label(outcome))
    ax.set_title(title or f"{_label(outcome).split(' (')[0]} by {_label(group)}")
    if max(len(level) for level in order) > 12:
        ax.tick_params(axis="x", labelrotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    _legend_outside(ax)
    return ax


def caterpillar(
    effects: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    xlabel: str = "Random intercept (log points; 0 = average)",
) -> Axes:
    """Caterpillar plot: random effects sorted, with their intervals.

    Levels whose interval excludes 0 are drawn in the accent colour.

    Parameters
    ----------
    effects : pandas.DataFrame
        Columns ``level``, ``effect``, ``lower``, ``upper`` (e.g. one ``group`` of
        :func:`helpers.mixed.random_effects`).
    ax : matplotlib Axes, optional
        Where to draw (a new figure, taller for many levels, when omitted).
    title, xlabel : str, optional
        Override the default title and axis label.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    MissingColumnsError
        A column is absent.
    ValueError
        No rows, or an interval that does not contain its effect.

    Examples
    --------
    >>> eff = pd.DataFrame({"level": ["a", "b"], "effect": [-0.1, 0.2],
    ...                     "lower": [-0.3, 0.05], "upper": [0.1, 0.35]})
    >>> len(caterpillar(eff).get_yticklabels())
    2
    """
    require_columns(effects, ["level", "effect", "lower", "upper"], where="caterpillar")
    if effects.empty:
        raise ValueError("caterpillar: no random effects to plot")
    bad = ~((effects["lower"] <= effects["effect"]) & (effects["effect"] <= effects["upper"]))
    if bad.any():
        raise ValueError(
            f"caterpillar: lower <= effect <= upper fails for {effects.loc[bad, 'level'].tolist()}"
        )
    table = effects.sort_values(["effect", "level"], kind="mergesort").reset_index(drop=True)
    n = len(table)
    ax = _axes(ax, (6.5, min(max(3.0, 0.16 * n + 1.5), 26.0)))
    excludes = (table["lower"] > 0) | (table["upper"] < 0)
    y = np.arange(n)
    for mask, color, name in [
        (~excludes, _MUTED, "Interval includes 0"),
        (excludes, _MAIN, "Interval excludes 0"),
    ]:
        if mask.any():
            ax.errorbar(
                table.loc[mask, "effect"],
                y[mask.to_numpy()],
                xerr=[
                    table.loc[mask, "effect"] - table.loc[mask, "lower"],
                    table.loc[mask, "upper"] - table.loc[mask, "effect"],
                ],
                fmt="o",
                markersize=3.5,
                color=color,
                elinewidth=1,
                label=name,
            )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, table["level"].astype(str), fontsize=7 if n > 30 else 9)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title or "Random intercepts with 95% intervals")
    _legend_outside(ax)
    return ax


def _repel(texts: Sequence[Annotation], ax: Axes, *, pad: float = 1.5, steps: int = 300) -> None:
    """Move annotation offsets apart until no two label boxes overlap (deterministic).

    Overlapping pairs are pushed apart vertically (the lower one down, ties by order),
    in pixel steps converted to the annotations' offset points; a thin line joins each
    label to its point.
    """
    if len(texts) < 2:
        return
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg-based canvases have it
    to_points = 72.0 / fig.dpi
    ax.apply_aspect()
    for _ in range(steps):
        for t in texts:
            t.update_positions(renderer)  # apply the moved offsets before measuring
        boxes = [Text.get_window_extent(t, renderer).padded(pad) for t in texts]
        moved = False
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                if not a.overlaps(b):
                    continue
                shift = ((min(a.y1, b.y1) - max(a.y0, b.y0)) / 2 + 0.5) * to_points
                lower, upper = (i, j) if (a.y0 + a.y1, i) <= (b.y0 + b.y1, j) else (j, i)
                for k, sign in ((lower, -1.0), (upper, 1.0)):
                    x_off, y_off = texts[k].xyann
                    texts[k].xyann = (x_off, y_off + sign * shift)
                moved = True
        if not moved:
            return


def observed_vs_fitted(
    data: pd.DataFrame,
    observed: str,
    fitted: str,
    highlight: Sequence[bool] | pd.Series | np.ndarray,
    label: str,
    r2: float | None,
    ax: Axes | None = None,
    *,
    highlight_name: str = "Highlighted schools",
    title: str | None = None,
) -> Axes:
    """Observed against fitted values, some points highlighted and labelled without overlaps.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per school.
    observed, fitted : str
        Columns of observed and fitted values (same units).
    highlight : boolean array-like
        Rows to highlight and label (e.g. ``data["LANAME"] == "Camden"``).
    label : str
        Column with the text of each highlighted point's label (e.g. ``"SCHNAME.x"``).
    r2 : float or None
        R-squared to show in the default title; None shows none (a squared correlation
        of observed and fitted values is not always an R-squared worth printing).
    ax : matplotlib Axes, optional
        Where to draw.
    highlight_name : str
        Legend entry of the highlighted points (e.g. ``"Camden schools"``).
    title : str, optional
        Override the default title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    MissingColumnsError
        A column is absent.
    ValueError
        ``highlight`` has the wrong length or is not boolean, or ``r2`` is not in [0, 1].

    Examples
    --------
    >>> df = pd.DataFrame({"obs": [40.0, 50, 60], "fit": [42.0, 49, 58], "name": list("abc")})
    >>> ax = observed_vs_fitted(df, "obs", "fit", [False, True, True], "name", 0.9)
    >>> sorted(t.get_text() for t in ax.texts)
    ['b', 'c']
    """
    require_columns(data, [observed, fitted, label], where="observed_vs_fitted")
    mask = np.asarray(highlight)
    if mask.shape != (len(data),) or mask.dtype != bool:
        raise ValueError(
            f"observed_vs_fitted: highlight must be {len(data)} booleans, got "
            f"shape {mask.shape} of {mask.dtype}"
        )
    if r2 is not None and not 0.0 <= r2 <= 1.0:
        raise ValueError(f"observed_vs_fitted: r2 must be between 0 and 1, got {r2}")
    ax = _axes(ax, (7.0, 6.0))
    x = data[fitted].to_numpy(dtype=float)
    y = data[observed].to_numpy(dtype=float)
    ax.scatter(x[~mask], y[~mask], s=10, color=_MUTED, alpha=0.5, linewidths=0, label="Schools")
    ax.scatter(
        x[mask],
        y[mask],
        s=28,
        color=_ACCENT,
        edgecolor="black",
        linewidths=0.5,
        label=highlight_name,
        zorder=4,
    )
    finite = np.isfinite(x) & np.isfinite(y)
    low = float(min(x[finite].min(), y[finite].min()))
    high = float(max(x[finite].max(), y[finite].max()))
    margin = 0.04 * (high - low or 1.0)
    ends = [low - margin, high + margin]
    ax.plot(ends, ends, color="black", linewidth=0.8, linestyle="--", label="Observed = fitted")
    ax.set_xlim(low - margin, high + margin)
    ax.set_ylim(low - margin, high + margin)
    ax.set_aspect("equal", adjustable="box")
    unit = _label(observed)
    ax.set_xlabel(f"Fitted: {unit}")
    ax.set_ylabel(f"Observed: {unit}")
    default = "Observed against fitted" + ("" if r2 is None else f" (R² = {r2:.2f})")
    ax.set_title(title or default)
    texts = [
        ax.annotate(
            str(text),
            xy=(px, py),
            xytext=(7.0, 0.0),
            textcoords="offset points",
            fontsize=7,
            va="center",
            bbox={
                "boxstyle": "round,pad=0.15",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.6,
            },
            arrowprops={"arrowstyle": "-", "color": _ACCENT, "linewidth": 0.5},
        )
        for px, py, text in sorted(
            zip(x[mask], y[mask], data.loc[mask, label], strict=True), key=lambda t: (t[1], t[0])
        )
    ]
    _legend_outside(ax)
    _repel(texts, ax)
    return ax


def pooling_plot(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    xlabel: str = "Rows in the group (log scale)",
    ylabel: str = "Estimate",
) -> Axes:
    """Draw complete, no and partial pooling: each group's own mean and the model's estimate.

    One arrow per group, at its number of rows (log scale): from its own mean (open
    circle: no pooling) to the model's estimate (filled: partial pooling). The solid
    line is the mean of all rows (complete pooling), the dashed line the model's
    intercept, which the estimates are pulled towards: small groups far, large ones
    little.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`helpers.mixed.pooling_table`'s result (its ``attrs`` give the lines).
    ax : matplotlib Axes, optional
        Where to draw.
    title, xlabel, ylabel : str, optional
        Override the default title and axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"schools": [2, 30], "no_pooling": [1.0, 2.0],
    ...                   "partial_pooling": [1.4, 1.95], "weight": [0.5, 0.9]})
    >>> t.attrs.update(complete_pooling=1.9, intercept=1.8)
    >>> len(pooling_plot(t).texts)  # one arrow per group
    2
    """
    require_columns(table, ["schools", "no_pooling", "partial_pooling"], where="pooling_plot")
    ax = _axes(ax, (9.0, 5.5))
    x = table["schools"].to_numpy(dtype=float)
    own, pooled = table["no_pooling"].to_numpy(), table["partial_pooling"].to_numpy()
    for xi, a, b in zip(x, own, pooled, strict=True):
        ax.annotate(
            "", xy=(xi, b), xytext=(xi, a),
            arrowprops={"arrowstyle": "->", "color": _MUTED, "linewidth": 0.8},
        )  # fmt: skip
    ax.scatter(x, own, s=22, facecolors="none", edgecolors=_ACCENT, linewidths=1,
               label="Own mean (no pooling)", zorder=3)  # fmt: skip
    ax.scatter(x, pooled, s=14, color=_MAIN, label="Model's estimate (partial pooling)", zorder=4)
    if "complete_pooling" in table.attrs:
        ax.axhline(table.attrs["complete_pooling"], color="black", linewidth=1,
                   label="Mean of all rows (complete pooling)")  # fmt: skip
    if "intercept" in table.attrs:
        ax.axhline(table.attrs["intercept"], color="black", linewidth=1, linestyle="--",
                   label="Model's intercept")  # fmt: skip
    ax.set_xscale("log")
    ticks = [t for t in (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000)
             if x.min() / 1.5 <= t <= x.max() * 1.5]  # fmt: skip
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "Complete, no and partial pooling")
    _legend_outside(ax)
    return ax
