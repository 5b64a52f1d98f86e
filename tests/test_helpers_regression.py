"""helpers/regression.py, and its R twin helpers/R/regression.R giving the same numbers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from helpers import regression

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[1]
R_HELPERS = REPO / "helpers" / "R" / "regression.R"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 120
    x = rng.normal(size=n)
    z = 0.6 * x + rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    y = 1 + 0.5 * x - 0.3 * z + (g == "b") * 0.4 + rng.normal(scale=0.5, size=n)
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": g})


def test_r_name_spells_terms_as_r_does():
    assert regression.r_name("Intercept") == "(Intercept)"
    assert regression.r_name("x") == "x"
    assert regression.r_name("g[T.b]") == "gb"
    assert regression.r_name("x:g[T.North East]") == "x:gNorth East"


def test_gvif_of_a_numeric_term_is_the_usual_vif(frame):
    fit = smf.ols("y ~ x + z + g", frame).fit()
    table = regression.gvif(fit)
    others = smf.ols("x ~ z + g", frame).fit()
    assert table.loc["x", "GVIF"] == pytest.approx(1 / (1 - others.rsquared), rel=1e-10)
    assert list(table.index) == ["g", "x", "z"]  # formula (patsy) order: factors first
    assert table.loc["g", "df"] == 2


def test_gvif_of_a_factor_does_not_depend_on_its_reference(frame):
    before = regression.gvif(smf.ols("y ~ x + z + g", frame).fit())
    recoded = frame.assign(g=pd.Categorical(frame["g"], categories=["c", "a", "b"]))
    after = regression.gvif(smf.ols("y ~ x + z + g", recoded).fit())
    assert np.allclose(before["GVIF"], after["GVIF"], rtol=1e-10)


def test_gvif_refuses_what_it_cannot_measure(frame):
    import statsmodels.api as sm

    with pytest.raises(ValueError, match="formula"):
        regression.gvif(sm.OLS(frame["y"], sm.add_constant(frame[["x", "z"]])).fit())
    with pytest.raises(ValueError, match="two terms"):
        regression.gvif(smf.ols("y ~ x", frame).fit())
    with pytest.raises(ValueError, match="intercept"):
        regression.gvif(smf.ols("y ~ 0 + x + z", frame).fit())


def test_diagnostic_plots_draws_four_labelled_panels(frame):
    fit = smf.ols("y ~ x + z + g", frame).fit()
    labels = [f"school {i}" for i in range(len(frame))]
    fig = regression.diagnostic_plots(fit, labels, n_labels=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "Residuals vs Fitted",
        "Normal Q-Q",
        "Scale-Location",
        "Residuals vs Leverage",
    ]
    assert all(len(ax.texts) == 2 for ax in fig.axes)
    worst = int(np.argmax(np.abs(fit.resid.to_numpy())))
    assert labels[worst] in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="labels"):
        regression.diagnostic_plots(fit, labels[:-1])


def test_histograms_draws_one_panel_per_column(frame):
    fig = regression.histograms(frame, {"x": "X", "z": "Z", "y": "Y"}, ncols=2)
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == ["X", "Z", "Y"]
    with pytest.raises(ValueError, match="nope"):
        regression.histograms(frame, ["nope"])


def test_estimate_lines_and_format_p():
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 4]})
    lines = regression.estimate_lines("m/sm", smf.ols("y ~ x", frame).fit(), {"extra": 2.5})
    assert lines[0] == "m/sm\tn\t4"
    assert lines[-1] == "m/sm\textra\t2.5"
    assert {line.split("\t")[1] for line in lines} >= {"r2", "adj_r2", "sigma", "coef:x"}
    assert regression.format_p(0.0) == "p < 0.001"
    assert regression.format_p(0.04999) == "p = 0.050"


def test_row_rule_is_the_file_the_r_helpers_read():
    rule = regression.row_rule()
    assert "ATT8SCR" in rule["required_columns"]
    assert "PNUMEAL" in rule["log_columns"]


R_SCRIPT = """
source("{helpers}")
d <- read.csv("{csv}")
fit <- lm(y ~ x + z + g, data = d)
writeLines(estimate_lines("m/lm", fit, list(extra = 2.5)), "{lines}")
v <- gvif(fit)
write.csv(data.frame(term = rownames(v), GVIF = v$GVIF, df = v$df), "{vif}", row.names = FALSE)
writeLines(c(format_p(0), format_p(0.01088), format_p(0.5)), "{p}")
"""


def test_the_r_twin_gives_the_same_numbers(frame, tmp_path, rscript):
    csv, lines, vif, p = (tmp_path / n for n in ("d.csv", "lines.txt", "vif.csv", "p.txt"))
    frame.to_csv(csv, index=False)
    script = tmp_path / "run.R"
    script.write_text(R_SCRIPT.format(helpers=R_HELPERS, csv=csv, lines=lines, vif=vif, p=p))
    done = subprocess.run([rscript, "--vanilla", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    fit = smf.ols("y ~ x + z + g", frame).fit()
    ours = dict(
        line.split("\t")[1:] for line in regression.estimate_lines("m", fit, {"extra": 2.5})
    )
    theirs = dict(line.split("\t")[1:] for line in lines.read_text().splitlines())
    assert ours.keys() == theirs.keys()
    for quantity, value in ours.items():
        assert float(value) == pytest.approx(float(theirs[quantity]), rel=1e-8), quantity

    r_vif = pd.read_csv(vif).set_index("term")
    py_vif = regression.gvif(fit)
    assert set(r_vif.index) == set(py_vif.index)
    for term in py_vif.index:
        assert py_vif.loc[term, "GVIF"] == pytest.approx(r_vif.loc[term, "GVIF"], rel=1e-10)
        assert py_vif.loc[term, "df"] == r_vif.loc[term, "df"]
    assert p.read_text().splitlines() == [regression.format_p(v) for v in (0, 0.01088, 0.5)]
