"""The R helper (helpers/R/schools.R) gives the same analysis rows as the Python helpers."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import data, registry

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "helpers" / "R" / "schools.R"
MIXED = REPO / "helpers" / "R" / "mixed.R"  # reml_lrt(), verdict(), icc_profile(), ...
PRECISION = REPO / "helpers" / "R" / "precision.R"  # significant(), variance_text()

R_EXPORT = """
source("{script}")
table <- analysis_table(load_schools())
keep <- c("URN", "OFSTEDRATING", "gor_name", "LANAME", "region_la", "gorard_segregation",
          "log_ATT8SCR", "log_PTFSM6CLA1A", "log_PERCTOT", "log_PNUMEAL")
out <- table[, keep]
out$OFSTEDRATING <- as.character(out$OFSTEDRATING)
write.csv(out, "{csv}", row.names = FALSE)
counts <- list(rows_in = attr(table, "rows_in"), dropped_missing = attr(table, "dropped_missing"),
               dropped_nonpositive = as.list(attr(table, "dropped_nonpositive")),
               rows_out = attr(table, "rows_out"), ordered = is.ordered(table$OFSTEDRATING),
               levels = levels(table$OFSTEDRATING))
writeLines(jsonlite::toJSON(counts, auto_unbox = TRUE, digits = NA), "{json}")
"""


def run_r(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "run.R"
    script.write_text(code)
    return subprocess.run(
        ["Rscript", "--vanilla", str(script)], capture_output=True, text=True, timeout=120
    )


def test_r_and_python_give_the_same_rows(course_data: Path, rscript: str, tmp_path: Path) -> None:
    csv, meta = tmp_path / "r_table.csv", tmp_path / "r_counts.json"
    done = run_r(R_EXPORT.format(script=SCRIPT, csv=csv, json=meta), tmp_path)
    assert done.returncode == 0, done.stderr
    r_table = pd.read_csv(csv, dtype={"URN": str}, keep_default_na=False, na_values=["NA"])
    r_counts = json.loads(meta.read_text())
    py = data.analysis_table()

    assert len(r_table) == len(py) == r_counts["rows_out"]
    assert set(r_table["URN"]) == set(py["URN"])
    assert r_counts["ordered"]
    assert r_counts["levels"] == list(py["OFSTEDRATING"].cat.categories)
    assert {k: r_counts[k] for k in ["rows_in", "dropped_missing", "dropped_nonpositive"]} == {
        k: py.attrs[k] for k in ["rows_in", "dropped_missing", "dropped_nonpositive"]
    }
    merged = py.merge(r_table, on="URN", suffixes=("", "_r"), validate="one_to_one")
    for col in ["OFSTEDRATING", "gor_name", "LANAME", "region_la"]:
        assert (merged[col].astype(str) == merged[f"{col}_r"].astype(str)).all(), col
    for col in ["gorard_segregation", "log_ATT8SCR", "log_PTFSM6CLA1A", "log_PERCTOT"]:
        assert np.allclose(merged[col], merged[f"{col}_r"], rtol=1e-12, atol=0), col
    assert np.allclose(merged["log_PNUMEAL"], merged["log_PNUMEAL_r"], rtol=1e-12)


def test_r_gorard_hand_worked_example(rscript: str, tmp_path: Path) -> None:
    code = f"""
source("{SCRIPT}")
df <- data.frame(la = c("A", "A", "A", "B", "B"), m = c(10, 30, 0, 5, 10),
                 t = c(100, 100, 50, 50, 100))
cat(format(gorard_index(df, "la", "m", "t"), digits = 15))
"""
    done = run_r(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert [float(v) for v in done.stdout.split()] == pytest.approx([0.35, 0.0])


def test_r_errors_are_actionable(rscript: str, tmp_path: Path) -> None:
    (tmp_path / "england_filtered.csv").write_text("not the data\n")
    code = f"""
source("{SCRIPT}")
Sys.setenv(QM_DATA_DIR = "{tmp_path}")
r <- tryCatch(qm_fetch("england_filtered.csv"), error = function(e) conditionMessage(e))
cat(r, "\\n")
r <- tryCatch(qm_fetch("nope.csv"), error = function(e) conditionMessage(e))
cat(r, "\\n")
r <- tryCatch(analysis_table(data.frame(ATT8SCR = 1)), error = function(e) conditionMessage(e))
cat(r, "\\n")
"""
    done = run_r(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Hash mismatch for england_filtered.csv" in done.stdout
    assert registry._registry()["england_filtered.csv"][0] in done.stdout
    assert "Unknown data file 'nope.csv'" in done.stdout
    assert "missing column(s) PTFSM6CLA1A" in done.stdout


def test_r_tests_words_and_intervals_match_python(rscript: str, tmp_path: Path) -> None:
    """reml_lrt, verdict, icc_profile and r2_nakagawa in R give the Python helpers' values."""
    from helpers import mixed

    rng = np.random.default_rng(8)
    g = np.repeat(np.arange(25), 12)
    frame = pd.DataFrame({"g": [f"G{i:02d}" for i in g], "x": rng.normal(size=g.size)})
    frame["y"] = 2 + 0.5 * frame["x"] + rng.normal(0, 0.8, 25)[g] + rng.normal(0, 1, g.size)
    csv = tmp_path / "sim.csv"
    frame.to_csv(csv, index=False)
    code = f"""
source("{MIXED}")
suppressPackageStartupMessages(library(lme4))
d <- read.csv("{csv}")
a <- reml_lrt(100, 96, 1, TRUE); b <- reml_lrt(100, 94, 2, TRUE); c <- reml_lrt(100, 96, 1, FALSE)
fit <- lmer(y ~ 1 + (1 | g), data = d)
out <- c(a$p, b$p, c$p, icc_profile(fit), r2_nakagawa(lmer(y ~ x + (1 | g), data = d)))
cat(format(out, digits = 15), sep = "\n")
cat(verdict(0.01, 0.05), verdict(0.5, 0.05), a$reference, sep = "\n")
cat("", kept_structure(1e-9, 0.006, TRUE, 0.05), kept_structure(1e-9, 0.006, FALSE, 0.05),
    kept_structure(0.2, 0.001, FALSE, 0.05), sep = "\n")
"""
    done = run_r(code, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    values = [float(v) for v in lines[:8]]
    expected = [
        mixed.reml_lrt(100, 96, 1, boundary=True).p,
        mixed.reml_lrt(100, 94, 2, boundary=True).p,
        mixed.reml_lrt(100, 96, 1, boundary=False).p,
    ]
    assert values[:3] == pytest.approx(expected, rel=1e-10)
    prof = mixed.profile_intervals(frame["y"], np.ones(len(frame)), frame["g"])
    assert values[3:6] == pytest.approx(prof.loc["icc"].tolist(), rel=1e-4)
    import statsmodels.formula.api as smf

    fit = smf.mixedlm("y ~ x", frame, groups="g").fit(reml=True, method="powell", ftol=1e-12)
    r2 = mixed.r2_nakagawa(fit)
    assert values[6:8] == pytest.approx([r2["marginal"], r2["conditional"]], rel=1e-4)
    assert lines[8:11] == [
        "supported",
        "not supported",
        mixed.reml_lrt(100, 96, 1, boundary=True).reference,
    ]
    assert lines[-3:] == [
        mixed.kept_structure(1e-9, 0.006, True, alpha=0.05),
        mixed.kept_structure(1e-9, 0.006, False, alpha=0.05),
        mixed.kept_structure(0.2, 0.001, False, alpha=0.05),
    ]


PRECISION_CASES = [0.0035643, 0.0597, 76.537, -0.00094452, 1234.5, 0.0, 0.99498, 4.3326, 1e-12]


def test_r_precision_prints_what_python_prints(rscript: str, tmp_path: Path) -> None:
    """significant() and variance_text() give the same text in both languages."""
    from helpers import precision

    values = ", ".join(repr(v) for v in PRECISION_CASES)
    code = f"""
source("{PRECISION}")
x <- c({values})
for (d in 1:4) cat(significant(x, d), sep = "\\n")
cat(variance_text(c(1.438e-12, 0.001723), 0.01408, 3), sep = "\\n")
"""
    done = run_r(code, tmp_path)
    assert done.returncode == 0, done.stderr
    expected = [precision.significant(v, d) for d in range(1, 5) for v in PRECISION_CASES]
    expected += [precision.variance_text(v, 0.01408, 3) for v in (1.438e-12, 0.001723)]
    assert done.stdout.splitlines() == expected
