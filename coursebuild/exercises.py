"""The cells of a checked exercise, in each language's notebooks.

A qna block's Check tab (read by `coursebuild.source.exercises`) reaches the
notebook as one placeholder cell tagged ``exercise-check`` (filters/cells.lua).
`fill` replaces it:

- in the student's notebook, by a cell for the answer (each name set to the
  language's empty value, ``icc = ...`` / ``icc <- NULL``, with a comment
  saying what form it takes) and a check cell, ``check("icc", number=0.001,
  key="...")``, whose key holds the worked answer (`helpers.checks`): it prints
  feedback and never raises;
- in the answers notebook, by the same check without a key, run on the worked
  answer: a wrong form fails the build, and what it measured is printed by one
  hidden cell at the end (id ``checks-recorded``), which the build keeps in the
  notebook's metadata (``coursebuild.checks``, `coursebuild.estimates`) and
  removes. The student's keys are made from it, so a session's answers
  notebook is executed before its student notebook.
"""

from __future__ import annotations

import json

from helpers import checks as rules

from . import estimates
from .cells import cell as make
from .languages import LANGUAGES
from .source import Source
from .source.exercises import Exercise

TAG = "exercise-check"
RECORD_ID = "checks-recorded"  # the hidden cell of an answers notebook
RECORD_TAG = estimates.CHECKS  # its tag, and the key of what it printed in the metadata
CELL_TAG = "exercise"  # the answer and check cells: the notebook's own, not a page's chunks


def fill(nb: dict, source: Source, lang: str, answers: bool, recorded: dict | None) -> dict:
    """Replace `nb`'s exercise placeholders with the answer and check cells.

    `recorded` (the answers notebook's measurements) gives the student's keys;
    an answers notebook (`answers`) needs none and gets the hidden record cell.
    """
    by_id = {e.id: e for e in source.exercises}
    cells = []
    for cell in nb["cells"]:
        if TAG not in cell.get("metadata", {}).get("tags", []):
            cells.append(cell)
            continue
        exercise = by_id[cell["id"]]
        if not answers:
            cells.append(
                make("code", scaffold(exercise, lang), f"{exercise.id}-answer", [CELL_TAG])
            )
        code = check_code(exercise, lang, answers, recorded)
        cells.append(make("code", code, f"{exercise.id}-check", [CELL_TAG]))
    if answers and source.exercises:
        cells.append(make("code", LANGUAGES[lang].record, RECORD_ID, [RECORD_TAG]))
    return {**nb, "cells": cells}


def scaffold(exercise: Exercise, lang: str) -> str:
    """Code of the cell where the student writes the answer."""
    language = LANGUAGES[lang]
    lines = [f"# Exercise {exercise.number}, your answer: replace each {language.empty}"]
    for name, specs in exercise.checks.items():
        value = f"{language.empty}  # {describe(specs[lang], lang)}"
        lines.append(language.assign.format(name=name, value=value))
    return "\n".join(lines)


def check_code(exercise: Exercise, lang: str, answers: bool, recorded: dict | None) -> str:
    """Code of the exercise's check cell (with keys from `recorded`, unless `answers`)."""
    language = LANGUAGES[lang]
    if answers:
        head = ["# The checks, run on the worked answer (yours run them on your answer)"]
    else:
        head = ["# Check your answer: prints what is right and what is not yet (never stops)"]
    if language.check_import:
        head += [language.check_import, ""]
    calls = []
    for name, specs in exercise.checks.items():
        spec = specs[lang]
        args = {k: v for k, v in spec.items() if k != "hint"}
        if spec.get("hint"):
            args["hint"] = spec["hint"]
        if not answers:
            data = (recorded or {}).get(name)
            if data is None:
                raise KeyError(f"the worked answer recorded no '{name}' ({exercise.id}, {lang})")
            args["key"] = rules.key(name, spec, data)
        calls.append(language.check_call.format(args=_arguments(name, args, lang)))
    return "\n".join([*head, *calls])


def describe(spec: dict, lang: str) -> str:
    """Say in `lang`'s words what form a check asks for."""
    return rules.describe(spec, LANGUAGES[lang].words)


def _arguments(name: str, args: dict, lang: str) -> str:
    literal = _python if lang == "python" else _r
    sep = "=" if lang == "python" else " = "
    return ", ".join([literal(name), *(f"{k}{sep}{literal(v)}" for k, v in args.items())])


def _python(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_python(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_python(k)}: {_python(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _r(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value is None:
        return "NULL"
    if isinstance(value, (list, tuple)):
        return "c(" + ", ".join(_r(v) for v in value) + ")"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))} = {_r(v)}" for k, v in value.items())
        return "list(" + ", ".join(items) + ")"
    return repr(value)


def recorded_in(nb: dict) -> dict | None:
    """Return what an executed answers notebook's checks measured (None: nothing kept)."""
    text = nb.get("metadata", {}).get("coursebuild", {}).get(RECORD_TAG)
    return None if text is None else json.loads(text)
