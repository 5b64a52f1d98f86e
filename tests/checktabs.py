"""Read a session's exercise checks (the ``#### Check`` tabs, docs: exercise format).

Until the build turns Check tabs into check cells (issue 19), the session tests use
:func:`exercises` to hold each check to the format's rules: every spec has exactly one
kind, tolerances are numbers > 0, and every named value is assigned in the Answer
tab's chunks of each language (``name = ...`` in Python, ``name <- ...`` in R).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import yaml

KINDS = {"number", "numbers", "table", "model", "plot", "choice", "logical"}
QNA = re.compile(r"^::: qna$", re.M)
CHECK = re.compile(r"^#### Check\n```yaml\n(?P<yaml>.*?)^```$", re.S | re.M)
CHUNK = re.compile(r"^```\{(?P<lang>python|r)\}\n(?P<code>.*?)^```$", re.S | re.M)


@dataclass
class Exercise:
    """One checked exercise: its specs and its worked answer's code per language."""

    line: int
    checks: dict
    answer_code: dict[str, str]


def exercises(text: str) -> list[Exercise]:
    """Every qna block of `text` that has a Check tab, in page order."""
    starts = [m.start() for m in QNA.finditer(text)] + [len(text)]
    found = []
    for start, end in itertools.pairwise(starts):
        block = text[start:end]  # this qna block and the prose up to the next one
        check = CHECK.search(block)
        if not check:
            continue  # a discussion question
        answer = block[block.index("#### Answer") : check.start()]
        code: dict[str, str] = {"python": "", "r": ""}
        for chunk in CHUNK.finditer(answer):
            code[chunk["lang"]] += chunk["code"]
        line = text.count("\n", 0, start) + 1
        found.append(Exercise(line, yaml.safe_load(check["yaml"]), code))
    return found


def assigns(code: str, name: str, lang: str) -> bool:
    """Whether `code` assigns `name` (Python: also in a tuple, ``name, ax = ...``)."""
    if lang == "python":
        pattern = rf"^\s*(?:\w+\s*,\s*)*{name}\s*(?:,\s*\w+\s*)*=(?!=)"
    else:
        pattern = rf"^\s*{name}\s*<-"
    return re.search(pattern, code, re.M) is not None


def problems(exercise: Exercise) -> list[str]:
    """List what breaks the format's rules in one exercise, as ``line N: ...`` strings."""
    out = []
    for name, spec in exercise.checks.items():
        kinds = KINDS & set(spec)
        if len(kinds) != 1:
            out.append(f"line {exercise.line}: {name} has kinds {sorted(kinds)}, expected one")
            continue
        kind = kinds.pop()
        if kind in {"number", "numbers"} and not (
            isinstance(spec[kind], (int, float)) and spec[kind] > 0
        ):
            out.append(f"line {exercise.line}: {name}'s tolerance {spec[kind]!r} is not > 0")
        for lang in ("python", "r"):
            if not assigns(exercise.answer_code[lang], name, lang):
                out.append(f"line {exercise.line}: {name} is not assigned in the {lang} answer")
    return out
