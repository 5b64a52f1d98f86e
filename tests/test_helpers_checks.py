"""The exercises' self-checks (helpers/checks.py and its R twin helpers/R/checks.R).

The two must agree on every key (the build writes a key computed from one
language's worked answer into that language's notebook, and a student's
answer is hashed by that language's check), say "not yet" without ever
printing the expected value, and refuse a worked answer of the wrong form.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess

import pandas as pd
import pytest

from helpers import checks
from helpers.checks import check

ROOT_R = checks.__file__.replace("checks.py", "R/checks.R")

# (spec, a worked answer's measured data) for every kind
CASES = {
    "number": ({"number": 0.001}, 0.12345678),
    "negative": ({"number": 0.01}, -3.14159),
    "numbers": ({"numbers": 0.1}, [1.04, 2.5, -7.25]),
    "one number in a list": ({"numbers": 0.1}, [4.2]),
    "table": (
        {"table": ["name", "b", "A"], "rows": 2, "values": {"b": 0.01, "A": 0.5}},
        {"rows": 2, "values": {"b": [0.123, 4.5], "A": [10.0, 11.0]}},
    ),
    "model": ({"model": {"x": 0.001, "(Intercept)": 0.01}}, {"x": -0.2, "(Intercept)": 3.3}),
    "choice": ({"choice": ["higher", "lower"]}, "lower"),
    "logical": ({"logical": True}, False),
    "plot": ({"plot": True}, True),
}


def run(name, value, spec, key, namespace):
    """Call check() as a notebook cell would (the value defined at the top level).

    Returns whether it passed, as the student reads it: a line starting with ✓.
    """
    namespace[name] = value
    code = f"check({name!r}, key={key!r}, **{spec!r})"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"check": check, **namespace}, namespace)
    print(out.getvalue(), end="")  # for capsys
    return out.getvalue().startswith("✓")


def test_a_right_answer_passes_and_a_wrong_one_says_not_yet_without_the_value(capsys):
    spec = {"number": 0.001}
    key = checks.key("icc", spec, 0.56123)
    assert run("icc", 0.5614, spec, key, {}) is True  # within the tolerance
    assert "✓ icc" in capsys.readouterr().out
    assert run("icc", 0.6, spec, key, {}) is False
    out = capsys.readouterr().out
    assert out.startswith("icc: not yet.")
    assert "0.56" not in out  # never the expected value
    assert run("icc", 0.558, spec, key, {}) is False  # three tolerances away


def test_the_scaffold_and_a_missing_name_say_what_to_do(capsys):
    spec = {"table": ["estimate", "se"], "rows": 3}
    assert run("slopes", ..., spec, "", {}) is False
    assert "Replace the `...` with your answer: a table (DataFrame) with columns estimate, se" in (
        capsys.readouterr().out
    )
    assert check("nowhere_defined", number=0.1, key="x") is None  # a cell shows words only
    assert "It is not defined: run your answer" in capsys.readouterr().out


def test_the_form_is_checked_before_the_value(capsys):
    frame = pd.DataFrame({"estimate": [1.0, 2.0], "lower": [0.0, 1.0]})
    spec = {"table": ["estimate", "se"]}
    assert run("slopes", frame, spec, "", {}) is False
    assert "it lacks the column(s) se" in capsys.readouterr().out
    assert run("icc", "0.5", {"number": 0.1}, "abc", {}) is False
    assert "Expected a number; it is a str" in capsys.readouterr().out


def test_a_worked_answer_of_the_wrong_form_raises_and_a_right_one_is_recorded(capsys):
    with pytest.raises(checks.CheckFailed, match=r"icc \(worked answer\): expected a number"):
        run("icc", "high", {"number": 0.1}, None, {})
    run("icc", 0.25, {"number": 0.1}, None, {})
    assert json.loads(checks.recorded())["icc"] == 0.25


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_key_matches_its_own_answer_and_not_a_changed_one(case):
    spec, data = CASES[case]
    key = checks.key("v", spec, data)
    assert checks.mismatches("v", spec, data, key) == ""
    kind = checks.kind_of(spec)
    changed = {
        "number": lambda d: d + 5 * spec.get("number", 0),
        "numbers": lambda d: [d[0] + 1, *d[1:]],
        "table": lambda d: {"rows": 2, "values": {**d["values"], "b": [0.123, 9.9]}},
        "model": lambda d: {**d, "x": 1.0},
        "choice": lambda d: "higher",
        "logical": lambda d: not d,
    }.get(kind)
    if changed is not None:
        assert checks.mismatches("v", spec, changed(data), key) not in ("", None)


def test_python_and_r_compute_the_same_keys(tmp_path, rscript):
    cases = {name: {"spec": spec, "data": data} for name, (spec, data) in CASES.items()}
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    script = f"""
source("{ROOT_R}")
cases <- jsonlite::fromJSON("{tmp_path / "cases.json"}", simplifyVector = FALSE)
for (name in names(cases)) {{
  spec <- cases[[name]]$spec
  if (!is.null(spec$table)) spec$table <- unlist(spec$table)
  if (!is.null(spec$choice)) spec$choice <- unlist(spec$choice)
  data <- cases[[name]]$data
  if (!is.null(spec$numbers)) data <- unlist(data)
  cat(name, "\\t", check_key("v", spec, data), "\\n", sep = "")
}}
"""
    out = subprocess.run([rscript, "-e", script], capture_output=True, text=True, check=True)
    r_keys = dict(line.split("\t", 1) for line in out.stdout.rstrip("\n").split("\n"))
    for name, (spec, data) in CASES.items():
        assert r_keys[name] == checks.key("v", spec, data), name
