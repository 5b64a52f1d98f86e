"""Tests of helpers.plots: labels, colours, legend placement, no label overlaps, same bytes."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.text import Text

from helpers import plots


@pytest.fixture(autouse=True)
def _theme() -> None:
    plots.set_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be stored in a notebook: none allowed
        yield
    plt.close("all")


def schools(n: int = 300) -> pd.DataFrame:
    """Deterministic fake schools: a cluster of 12 'Camden' schools near each other."""
    i = np.arange(n)
    fitted = 30 + 40 * ((i * 37) % n) / n
    observed = fitted + 6 * np.sin(i * 1.7)
    la = np.where(i % 25 == 0, "Camden", "Elsewhere")
    rating = np.array(["Good", "Outstanding", "Requires improvement"])[i % 3]
    return pd.DataFrame(
        {
            "ATT8SCR": observed,
            "fitted": fitted,
            "LANAME": la,
            "SCHNAME": [f"School number {k}" for k in i],
            "OFSTEDRATING": pd.Categorical(
                rating, categories=["Requires improvement", "Good", "Outstanding"], ordered=True
            ),
        }
    )


def effects(n: int = 40) -> pd.DataFrame:
    k = np.arange(n)
    eff = np.sin(k * 0.9) / 10
    return pd.DataFrame(
        {"level": [f"LA {j}" for j in k], "effect": eff, "lower": eff - 0.05, "upper": eff + 0.05}
    )


def png(ax: Axes) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    return buffer.getvalue()


def legend_outside(ax: Axes) -> bool:
    renderer = ax.figure.canvas.get_renderer()
    return not ax.get_legend().get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


def draw_box(df: pd.DataFrame) -> Axes:
    intercepts = df.groupby("OFSTEDRATING", observed=True)["ATT8SCR"].mean()
    return plots.boxplot_with_intercepts(df, "OFSTEDRATING", "ATT8SCR", intercepts, 50.0)


def draw_ovf(df: pd.DataFrame) -> Axes:
    return plots.observed_vs_fitted(
        df, "ATT8SCR", "fitted", (df["LANAME"] == "Camden").to_numpy(), "SCHNAME", 0.8
    )


def test_theme_is_colour_blind_safe() -> None:
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [to_hex(c).upper() for c in colors] == plots.OKABE_ITO


def test_boxplot_with_intercepts() -> None:
    df = schools()
    ax = draw_box(df)
    assert ax.get_title()
    assert ax.get_ylabel() == "Attainment 8 score (points)"
    assert ax.get_xlabel() == "Ofsted rating"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Requires improvement", "Good", "Outstanding"]  # category order kept
    diamonds = ax.collections[-1].get_offsets()
    assert np.allclose(diamonds[:, 1], df.groupby("OFSTEDRATING", observed=True)["ATT8SCR"].mean())
    assert legend_outside(ax)


def test_boxplot_overall_mean_and_colours() -> None:
    df = schools()
    intercepts = df.groupby("OFSTEDRATING", observed=True)["ATT8SCR"].mean()
    colours = {"Good": "#56B4E9", "Outstanding": "#0072B2"}
    ax = plots.boxplot_with_intercepts(
        df, "OFSTEDRATING", "ATT8SCR", intercepts, 50.0, overall_mean=47.5, colours=colours
    )
    dotted = [line for line in ax.get_lines() if line.get_label() == "Overall mean"]
    assert len(dotted) == 1
    assert np.allclose(dotted[0].get_ydata(), 47.5)
    fills = [to_hex(p.get_facecolor()).upper() for p in ax.patches]
    assert fills == ["#DCE9F5", "#56B4E9", "#0072B2"]  # Requires improvement keeps the default
    assert legend_outside(ax)


def test_boxplot_bad_inputs() -> None:
    df = schools()
    with pytest.raises(ValueError, match=r"no intercept for group\(s\) \['Outstanding'\]"):
        plots.boxplot_with_intercepts(
            df, "OFSTEDRATING", "ATT8SCR", {"Good": 1, "Requires improvement": 2}, 0
        )
    with pytest.raises(KeyError, match=r"missing column\(s\) \['P8'\]"):
        plots.boxplot_with_intercepts(df, "OFSTEDRATING", "P8", {}, 0)


def test_caterpillar() -> None:
    ax = plots.caterpillar(effects())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    table = effects().sort_values("effect")
    assert labels == table["level"].tolist()  # sorted by effect
    assert ax.get_xlabel().startswith("Random intercept")
    assert ax.get_title()
    assert legend_outside(ax)


def test_caterpillar_bad_inputs() -> None:
    with pytest.raises(KeyError, match=r"missing column\(s\) \['lower', 'upper'\]"):
        plots.caterpillar(effects()[["level", "effect"]])
    with pytest.raises(ValueError, match="no random effects"):
        plots.caterpillar(effects().iloc[:0])
    bad = effects().assign(lower=lambda d: d["effect"] + 1)
    with pytest.raises(ValueError, match="lower <= effect <= upper"):
        plots.caterpillar(bad)


def test_observed_vs_fitted_labels_do_not_overlap() -> None:
    df = schools()
    ax = draw_ovf(df)
    assert "R² = 0.80" in ax.get_title()
    assert ax.get_xlabel() == "Fitted: Attainment 8 score (points)"
    assert ax.get_ylabel() == "Observed: Attainment 8 score (points)"
    assert len(ax.texts) == 12
    renderer = ax.figure.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    assert legend_outside(ax)


def test_observed_vs_fitted_bad_inputs() -> None:
    df = schools()
    with pytest.raises(ValueError, match="highlight must be 300 booleans"):
        plots.observed_vs_fitted(df, "ATT8SCR", "fitted", [True], "SCHNAME", 0.5)
    with pytest.raises(ValueError, match="highlight must be 300 booleans"):
        plots.observed_vs_fitted(df, "ATT8SCR", "fitted", np.zeros(300), "SCHNAME", 0.5)
    with pytest.raises(ValueError, match="r2 must be between 0 and 1"):
        plots.observed_vs_fitted(df, "ATT8SCR", "fitted", np.zeros(300, bool), "SCHNAME", 1.5)
    with pytest.raises(KeyError, match=r"missing column\(s\) \['name'\]"):
        plots.observed_vs_fitted(df, "ATT8SCR", "fitted", np.zeros(300, bool), "name", 0.5)


@pytest.mark.parametrize(
    "draw",
    [draw_box, draw_ovf, lambda df: plots.caterpillar(effects())],
    ids=["boxplot", "observed_vs_fitted", "caterpillar"],
)
def test_same_png_bytes_on_rerun(draw: object) -> None:
    first = png(draw(schools()))  # type: ignore[operator]
    plt.close("all")
    plots.set_theme()
    second = png(draw(schools()))  # type: ignore[operator]
    assert first == second


def test_observed_vs_fitted_without_r2() -> None:
    df = pd.DataFrame(
        {"ATT8SCR": [40.0, 50.0, 60.0], "fitted": [42.0, 49.0, 58.0], "SCHNAME": ["a", "b", "c"]}
    )
    ax = plots.observed_vs_fitted(df, "ATT8SCR", "fitted", [False, True, False], "SCHNAME", None)
    assert ax.get_title() == "Observed against fitted"
