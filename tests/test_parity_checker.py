"""tests/parity.py, the checker every session's parity test uses, on canned estimates (unit tier).

The sessions' own tests read the committed notebooks; here the checker itself must
accept agreement and name every kind of disagreement.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from parity import (
    Spec,
    compare,
    max_differences,
    notebook_estimates,
    parse_estimates,
    relative_difference,
)

SPEC = Spec(
    session="99-canned",
    models=("ols", "mixed"),
    python_engines={"ols": ("sm",), "mixed": ("sm", "pm")},
    tolerance=lambda model, engine: 1e-6 if engine == "pm" else 1e-3,
    r_engine={"mixed": "lme4"},
    coef_atol={"sm": 1e-7},
)


def canned() -> tuple[dict, dict]:
    python = {
        "ols/sm": {"coef:x": 2.0, "r2": 0.5},
        "mixed/sm": {"var:g": 10.0005, "coef:x": 1e-8},
        "mixed/pm": {"var:g": 10.0, "coef:x": 0.0},
    }
    r = {"ols/lm": {"coef:x": 2.0, "r2": 0.5}, "mixed/lme4": {"var:g": 10.0, "coef:x": 0.0}}
    return python, r


def test_agreement_within_tolerance_and_floor_passes():
    python, r = canned()
    assert compare(SPEC, python, r) == []


def test_a_value_outside_tolerance_is_named_with_both_values():
    python, r = canned()
    python["mixed/pm"]["var:g"] = 10.001
    assert compare(SPEC, python, r) == [
        "mixed/pm vs mixed/lme4: var:g 10.001 vs 10.0 (relative difference 0.0001 > 1e-06)"
    ]
    python, r = canned()
    python["mixed/sm"]["coef:x"] = 1e-6  # above the statsmodels floor
    assert [p.split(":")[0] for p in compare(SPEC, python, r)] == ["mixed/sm vs mixed/lme4"]


def test_missing_and_unexpected_models_and_quantities_are_each_reported():
    python, r = canned()
    del python["mixed/pm"]
    del r["ols/lm"]["r2"]
    r["extra/lm"] = {"a": 1.0}
    python["ols/pm"] = {"coef:x": 2.0}
    assert compare(SPEC, python, r) == [
        "Python has no mixed/pm estimates",
        "R reports an unexpected model/engine extra/lm",
        "Python reports an unexpected model/engine ols/pm",
        "ols/sm vs ols/lm: r2 only in Python",
    ]
    python, r = canned()
    del r["mixed/lme4"]
    assert compare(SPEC, python, r) == ["R has no mixed/lme4 estimates"]


def test_estimates_lines_are_parsed_and_bad_ones_named():
    text = "ols/sm\tcoef:x\t2.5\n\nols/sm\tr2\t-1e-3\n"
    assert parse_estimates(text) == {"ols/sm": {"coef:x": 2.5, "r2": -0.001}}
    with pytest.raises(ValueError, match=r"nb: line 2 is not model<TAB>quantity<TAB>value"):
        parse_estimates("a\tb\t1\na b 2\n", where="nb")
    with pytest.raises(ValueError, match=r"line 2 repeats a b"):
        parse_estimates("a\tb\t1\na\tb\t2\n")
    with pytest.raises(ValueError, match="could not convert"):
        parse_estimates("a\tb\tmany\n")


def test_relative_and_largest_differences():
    assert relative_difference(0.0, 0.0) == 0.0
    assert relative_difference(-2.0, 2.0) == 2.0
    python, r = canned()
    found = max_differences(SPEC, python, r)
    assert found == pytest.approx(
        {"sm vs lm": 0.0, "sm vs lme4": 0.0005 / 10.0005, "pm vs lme4": 0.0}
    )


def test_the_spec_says_where_each_side_is(tmp_path):
    assert SPEC.r_key("ols") == "ols/lm"
    assert SPEC.r_key("mixed") == "mixed/lme4"
    assert SPEC.floor("sm", "coef:x") == 1e-7
    assert SPEC.floor("sm", "var:g") == SPEC.floor("pm", "coef:x") == 0.0
    p_values = replace(SPEC, quantity_atol={"p|p_.*": 1e-6, ".*": 1e-9})
    assert p_values.floor("pm", "p") == p_values.floor("pm", "p_east") == 1e-6
    assert p_values.floor("pm", "pooled_sd") == p_values.floor("sm", "var:g") == 1e-9
    assert p_values.floor("sm", "coef:x") == 1e-7  # the engine's floor is larger
    assert SPEC.notebook("r", ".answers").as_posix().endswith("notebooks/r/99-canned.answers.ipynb")


def test_notebook_estimates_read_the_metadata_and_name_a_missing_notebook(tmp_path):
    path = tmp_path / "99-canned.ipynb"
    with pytest.raises(FileNotFoundError, match=r"run \./course build 99-canned"):
        notebook_estimates(path, "python", "99-canned")
    data = {"cells": [], "metadata": {"coursebuild": {"estimates": "ols/sm\tr2\t0.5\n"}}}
    path.write_text(json.dumps(data))
    assert notebook_estimates(path, "python") == {"ols/sm": {"r2": 0.5}}
