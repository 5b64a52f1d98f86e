"""Self-checks for a notebook's exercises: feedback for the student, never the answer.

A checked exercise ends with a cell calling `check` once per value it asks for::

    check("icc_la", number=0.001, key="3f0c5e81aa")

`check` looks the name up in the notebook, checks its form (a number, a table
with these columns, a fitted model with this coefficient, a plot, ...) and,
with a `key`, its value against the worked answer's to the tolerance given;
it prints what passed, what did not and a hint (the expected form, never the
expected value) and never raises. The key holds the worked answer as hashes of
its values rounded to the tolerance (``sha256`` of ``name|label|round(v / tol)``),
so the value cannot be read off the cell; a value within about one tolerance
of the worked answer's passes.

Without a key (the answers notebook) `check` runs on the worked answer: a form
that does not hold raises (a wrong worked answer is a bug: the build fails),
and what it measured is kept for the build (`recorded`), which writes the keys
into the students' notebooks. The R twin, ``qmhelpers::check``, computes the
same keys (tests/test_helpers_checks.py holds them to each other). Not an
exam: a determined student can guess a rounded number from its hash.

Kinds (one per check): ``number=TOL``, ``numbers=TOL``, ``table=[columns]``
(with ``rows=N`` and ``values={column: TOL}``), ``model={term: TOL}``,
``plot=True``, ``choice=[words]``, ``logical=True``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

KINDS = ("number", "numbers", "table", "model", "plot", "choice", "logical")
KEY_LENGTH = 10  # hex digits of each hashed value
_MISSING = object()
_recorded: dict[str, object] = {}


class CheckFailed(AssertionError):
    """A worked answer (no key) does not have the form its check asks for."""


def check(
    name: str,
    *,
    number: float | None = None,
    numbers: float | None = None,
    table: Sequence[str] | None = None,
    rows: int | None = None,
    values: Mapping[str, float] | None = None,
    model: Mapping[str, float] | None = None,
    plot: bool | None = None,
    choice: Sequence[str] | None = None,
    logical: bool | None = None,
    hint: str = "",
    key: str | None = None,
) -> None:
    """Check the student's `name` and print what they need to know (``✓`` or ``not yet``).

    Returns nothing, so the cell shows the words alone. With no `key` (a worked
    answer) a failing form raises `CheckFailed` and the measured value is recorded
    for the build instead.
    """
    spec = _spec(number, numbers, table, rows, values, model, plot, choice, logical)
    value = sys._getframe(1).f_globals.get(name, _MISSING)
    problem, data = measure(value, spec)
    if key is None:
        if problem:
            raise CheckFailed(f"{name} (worked answer): {problem}")
        _recorded[name] = data
        print(f"✓ {name}: {describe(spec)} (the worked answer; your notebook checks yours)")
        return
    if problem is None:
        wrong = mismatches(name, spec, data, key)
        if wrong is None:
            problem = "its shape is not the worked answer's (" + describe(spec) + ")"
        elif wrong:
            problem = f"{describe(spec)}, but {wrong} not the worked answer's{_within(spec)}"
    if problem:
        print(
            f"{name}: not yet. {problem[0].upper()}{problem[1:]}."
            + (f" Hint: {hint}" if hint else "")
        )
        return
    print(f"✓ {name}: {describe(spec)}, as the worked answer{_within(spec)}")


def recorded() -> str:
    """Return what the worked answers' checks measured, as JSON (the build reads it)."""
    return json.dumps(_recorded, sort_keys=True)


def _spec(number, numbers, table, rows, values, model, plot, choice, logical) -> dict:
    given = {
        "number": number,
        "numbers": numbers,
        "table": table,
        "model": model,
        "plot": plot,
        "choice": choice,
        "logical": logical,
    }
    kinds = [k for k, v in given.items() if v is not None]
    if len(kinds) != 1:
        raise TypeError(f"check() takes exactly one kind of {KINDS}, got {kinds or 'none'}")
    spec: dict = {kinds[0]: given[kinds[0]]}
    if rows is not None:
        spec["rows"] = rows
    if values is not None:
        spec["values"] = dict(values)
    return spec


def kind_of(spec: Mapping) -> str:
    """Return the kind of a check's spec (``number``, ``table``, ...)."""
    return next(k for k in KINDS if k in spec)


# How Python names each form a check can ask for (the build passes R's names for R).
WORDS = {
    "numbers": "a list of numbers",
    "table": "a table (DataFrame)",
    "plot": "a plot (a matplotlib Figure or Axes)",
    "logical": "True or False",
}


def describe(spec: Mapping, words: Mapping[str, str] | None = None) -> str:
    """Say in words what form the check asks for (never a value), in `words` (Python's)."""
    said = {**WORDS, **(words or {})}
    kind = kind_of(spec)
    if kind == "number":
        return "a number"
    if kind == "table":
        columns = ", ".join(map(str, spec["table"]))
        rows = f" and {spec['rows']} rows" if "rows" in spec else ""
        return f"{said['table']} with columns {columns}{rows}"
    if kind == "model":
        return "a fitted model with a coefficient for " + ", ".join(map(str, spec["model"]))
    if kind == "choice":
        return "one of: " + ", ".join(map(str, spec["choice"]))
    return said[kind]  # numbers, plot, logical


def measure(value: object, spec: Mapping) -> tuple[str | None, object]:
    """Return (what is wrong with the form, or None; the measured value as JSON data)."""
    kind = kind_of(spec)
    if value is _MISSING:
        return (
            f"it is not defined: run your answer's cell, which defines it as {describe(spec)}",
            None,
        )
    if value is Ellipsis or value is None:
        return f"replace the `...` with your answer: {describe(spec)}", None
    try:
        return None, _MEASURE[kind](value, spec)
    except _WrongForm as exc:
        return f"expected {describe(spec)}; {exc}", None


class _WrongForm(ValueError):
    pass


def _number(value: Any, spec: Mapping) -> float:
    if isinstance(value, bool) or str(getattr(value, "dtype", "")) == "bool":
        raise _WrongForm("it is True or False")
    if isinstance(value, (str, bytes)):
        raise _WrongForm(f"it is {_what(value)}")
    try:
        import numpy as np

        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _WrongForm(f"it is {_what(value)}") from None
    if array.size != 1:
        raise _WrongForm(f"it holds {array.size} values")
    number = float(array.reshape(-1)[0])
    if not math.isfinite(number):
        raise _WrongForm("it is not a finite number")
    return number


def _numbers(value: Any, spec: Mapping) -> list[float]:
    import numpy as np

    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise _WrongForm(f"it is {_what(value)}")
    if any(isinstance(x, (str, bytes)) for x in value):
        raise _WrongForm(f"it is {_what(value)} that is not all numbers")
    try:
        array = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise _WrongForm(f"it is {_what(value)} that is not all numbers") from None
    return [float(x) for x in array]


def _table(value: Any, spec: Mapping) -> dict:
    if not (hasattr(value, "columns") and hasattr(value, "shape")):
        raise _WrongForm(f"it is {_what(value)}")
    columns = [str(c) for c in value.columns]
    lacking = [str(c) for c in spec["table"] if str(c) not in columns]
    if lacking:
        raise _WrongForm(f"it lacks the column(s) {', '.join(lacking)}")
    if "rows" in spec and value.shape[0] != spec["rows"]:
        raise _WrongForm(f"it has {value.shape[0]} rows")
    data: dict = {"rows": int(value.shape[0]), "values": {}}
    for column in spec.get("values") or {}:
        data["values"][column] = _numbers(list(value[column]), spec)
    return data


def _model(value: Any, spec: Mapping) -> dict:
    params = getattr(value, "fe_params", None)  # statsmodels MixedLM: the fixed effects
    if params is None:
        params = getattr(value, "params", None)
    if params is None or not hasattr(params, "index"):
        raise _WrongForm(f"it is {_what(value)}, not a fitted model")
    lacking = [str(t) for t in spec["model"] if str(t) not in params.index]
    if lacking:
        raise _WrongForm(f"its model has no coefficient {', '.join(lacking)}")
    return {str(t): float(params[t]) for t in spec["model"]}


def _plot(value: Any, spec: Mapping) -> bool:
    figure = getattr(value, "figure", None)
    names = {type(x).__name__ for x in (value, figure) if x is not None}
    if not (names & {"Figure", "Axes", "FacetGrid", "JointGrid", "PairGrid"}) and not (
        hasattr(value, "flat") and all(type(a).__name__ == "Axes" for a in value.flat)
    ):
        raise _WrongForm(f"it is {_what(value)}")
    return True


def _choice(value: Any, spec: Mapping) -> str:
    if not isinstance(value, str):
        raise _WrongForm(f"it is {_what(value)}, not a word")
    word = value.strip().lower()
    if word not in [str(c).strip().lower() for c in spec["choice"]]:
        raise _WrongForm(f"'{value}' is not one of them")
    return word


def _logical(value: Any, spec: Mapping) -> bool:
    if not (isinstance(value, bool) or type(value).__name__ == "bool_"):
        raise _WrongForm(f"it is {_what(value)}")
    return bool(value)


_MEASURE = {
    "number": _number,
    "numbers": _numbers,
    "table": _table,
    "model": _model,
    "plot": _plot,
    "choice": _choice,
    "logical": _logical,
}


def _what(value: object) -> str:
    kind = type(value).__name__
    return f"an {kind}" if kind[:1].lower() in "aeiou" else f"a {kind}"


def _within(spec: Mapping) -> str:
    tolerances = [spec[k] for k in ("number", "numbers") if k in spec]
    tolerances += list((spec.get("values") or spec.get("model") or {}).values())
    return f" (within {max(tolerances):g})" if tolerances else ""


# Keys ----------------------------------------------------------------------------------


def items(spec: Mapping, data: Any) -> list[tuple[str, Any, float | None]]:
    """List the compared values of a measured answer: (label, value, tolerance or None)."""
    kind = kind_of(spec)
    if kind == "number":
        return [("", float(data), float(spec["number"]))]
    if kind == "numbers":
        return [(str(i), v, float(spec["numbers"])) for i, v in enumerate(data)]
    if kind == "table":
        values = data["values"]
        return [
            (f"{column}:{i}", v, float(tol))
            for column, tol in sorted((spec.get("values") or {}).items())
            for i, v in enumerate(values[column])
        ]
    if kind == "model":
        return [(term, data[term], float(tol)) for term, tol in sorted(spec["model"].items())]
    if kind == "plot":
        return []
    if kind == "choice":
        return [("", str(data), None)]
    return [("", "true" if data else "false", None)]


def token(value: str | float, tolerance: float | None) -> str:
    """Return the text a value is hashed as: a number rounded to its tolerance, or the word."""
    if tolerance is None:
        return str(value)
    return str(math.floor(float(value) / tolerance + 0.5))


def digest(name: str, label: str, text: str) -> str:
    """Return one hashed value of a key."""
    return hashlib.sha256(f"{name}|{label}|{text}".encode()).hexdigest()[:KEY_LENGTH]


def key(name: str, spec: Mapping, data: Any) -> str:
    """Return a worked answer's key: its compared values hashed, in order, joined by dots."""
    return ".".join(digest(name, label, token(v, tol)) for label, v, tol in items(spec, data))


def mismatches(name: str, spec: Mapping, data: Any, key: str) -> str | None:
    """Say which compared values differ from the key's ("" when none; None: another shape).

    A number passes when its rounded value, or the one next to it, hashes as the
    key says: within about one tolerance of the worked answer's.
    """
    wanted = key.split(".") if key else []
    found = items(spec, data)
    if len(found) != len(wanted):
        return None
    wrong = []
    for (label, value, tol), expected in zip(found, wanted, strict=True):
        if tol is None:
            ok = digest(name, label, token(value, tol)) == expected
        else:
            k = int(token(value, tol))
            ok = any(digest(name, label, str(k + d)) == expected for d in (0, -1, 1))
        if not ok:
            wrong.append(label)
    if not wrong:
        return ""
    if kind_of(spec) in ("number", "choice", "logical"):
        return "it is"
    return f"{len(wrong)} of {len(found)} values are"
