"""Reading and comparing the estimates a session's two notebooks print, for parity tests.

Each notebook keeps its estimates in its metadata (written by a hidden chunk, read by
tests/estimates.py), one line per estimate, ``model/engine<TAB>quantity<TAB>value``.
:class:`Spec` says which models a session fits, with which engines on each side and how
close they must agree; :func:`compare` lists every disagreement as a readable line
(empty: parity holds).
Differences are relative, ``|a - b| <= rtol * max(|a|, |b|) + atol``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

Estimates = dict[str, dict[str, float]]  # "model/engine" -> {quantity: value}


@dataclass(frozen=True)
class Spec:
    """What a session's parity test expects.

    Parameters
    ----------
    session : str
        Notebook name, e.g. ``"06-simple-regression"``.
    models : tuple of str
        Every model the session fits (both sides must report each).
    python_engines : mapping
        Model -> the Python engines that fit it (``"sm"``: statsmodels).
    r_engine : mapping
        Model -> the R engine (``"lm"``, ``"lme4"``); models not listed use
        ``default_r_engine``.
    tolerance : callable
        ``(model, python_engine) -> rtol``.
    coef_atol : mapping
        Python engine -> absolute floor for ``coef:`` quantities (0 when absent).
    quantity_atol : mapping
        Pattern -> absolute floor, for every engine, for each quantity whose whole name
        the regular expression matches (e.g. ``{"t:.*": 1e-4}`` for the t of a
        coefficient that is zero up to optimizer noise, ``{"p|p_.*": 1e-6}`` for
        p-values); the largest matching floor counts.
    """

    session: str
    models: tuple[str, ...]
    python_engines: Mapping[str, tuple[str, ...]]
    tolerance: Callable[[str, str], float]
    r_engine: Mapping[str, str] = field(default_factory=dict)
    default_r_engine: str = "lm"
    coef_atol: Mapping[str, float] = field(default_factory=dict)
    quantity_atol: Mapping[str, float] = field(default_factory=dict)

    def r_key(self, model: str) -> str:
        return f"{model}/{self.r_engine.get(model, self.default_r_engine)}"

    def notebook(self, lang: str, variant: str = "") -> Path:
        return ROOT / "notebooks" / lang / f"{self.session}{variant}.ipynb"

    def floor(self, engine: str, quantity: str) -> float:
        floors = [v for pattern, v in self.quantity_atol.items() if re.fullmatch(pattern, quantity)]
        if quantity.startswith("coef:"):
            floors.append(self.coef_atol.get(engine, 0.0))
        return max(floors, default=0.0)


def parse_estimates(text: str, where: str = "estimates") -> Estimates:
    """Parse ``model<TAB>quantity<TAB>value`` lines; blank lines are skipped."""
    out: Estimates = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(
                f"{where}: line {number} is not model<TAB>quantity<TAB>value: {line!r}"
            )
        model, quantity, value = parts
        if quantity in out.setdefault(model, {}):
            raise ValueError(f"{where}: line {number} repeats {model} {quantity}")
        out[model][quantity] = float(value)
    return out


def notebook_estimates(path: Path, lang: str, session: str | None = None) -> Estimates:
    """Return the estimates the notebook keeps for the tests (read by tests/estimates.py)."""
    from estimates import text  # the one reader: notebook metadata (or a legacy cell)

    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run ./course build {session or path.stem}")
    return parse_estimates(text(path, lang), where=path.name)


def relative_difference(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def compare(spec: Spec, python: Estimates, r: Estimates) -> list[str]:
    """Every disagreement between the two notebooks' estimates, as readable lines."""
    problems = []
    for model in spec.models:
        if spec.r_key(model) not in r:
            problems.append(f"R has no {spec.r_key(model)} estimates")
        for engine in spec.python_engines[model]:
            if f"{model}/{engine}" not in python:
                problems.append(f"Python has no {model}/{engine} estimates")
    for key in sorted(set(r) - {spec.r_key(m) for m in spec.models}):
        problems.append(f"R reports an unexpected model/engine {key}")
    for key in sorted(python):
        model, _, engine = key.partition("/")
        if model not in spec.models or engine not in spec.python_engines[model]:
            problems.append(f"Python reports an unexpected model/engine {key}")
            continue
        theirs = r.get(spec.r_key(model))
        if theirs is None:
            continue
        ours = python[key]
        for quantity in sorted(set(ours) ^ set(theirs)):
            side = "Python" if quantity in ours else "R"
            problems.append(f"{key} vs {spec.r_key(model)}: {quantity} only in {side}")
        rtol = spec.tolerance(model, engine)
        for quantity in sorted(set(ours) & set(theirs)):
            a, b = ours[quantity], theirs[quantity]
            if not abs(a - b) <= rtol * max(abs(a), abs(b)) + spec.floor(engine, quantity):
                problems.append(
                    f"{key} vs {spec.r_key(model)}: {quantity} {a!r} vs {b!r} "
                    f"(relative difference {relative_difference(a, b):.3g} > {rtol:g})"
                )
    return problems


def max_differences(spec: Spec, python: Estimates, r: Estimates) -> dict[str, float]:
    """Largest relative difference per engine pair, e.g. ``{'sm vs lm': 3e-12}``.

    Values below 1e-5 in size (zero up to noise) are left out.
    """
    out: dict[str, float] = {}
    for key, ours in python.items():
        model, _, engine = key.partition("/")
        theirs = r.get(spec.r_key(model), {})
        pair = f"{engine} vs {spec.r_key(model).partition('/')[2]}"
        for quantity in set(ours) & set(theirs):
            if max(abs(ours[quantity]), abs(theirs[quantity])) < 1e-5:
                continue
            out[pair] = max(
                out.get(pair, 0.0), relative_difference(ours[quantity], theirs[quantity])
            )
    return out
