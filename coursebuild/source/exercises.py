"""Checked exercises: a qna block's ``#### Check`` tab, read and checked as the author wrote it.

::

    ::: qna
    #### Question
    ... Store it as `icc_la`.
    #### Answer
    ... (chunks that define icc_la in every language)
    #### Check
    ```yaml
    icc_la: {number: 0.001, hint: "the local-authority variance over the total"}
    ```
    :::

The Check tab holds one YAML code block: ``name: spec`` per value the
student defines, in the kinds of `helpers.checks` (number, numbers, table,
model, plot, choice, logical), with ``hint:`` and per-language overrides
(``python: {...}``, ``r: {...}``). `Tracker` follows the reader through a
session: it finds each Check block, checks it (a tolerance that is not a
positive number, an unknown kind, a name no answer defines in a language:
``file:line``), keeps it as an `Exercise`, and rewrites the block as
```` ``` {#exercise-N .exercise-check} ```` for the filters to place
(`filters/cells.lua`); `coursebuild.exercises` makes the notebook cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from helpers.checks import KINDS  # the forms check() knows, in both languages

from ..problems import Problem, load_yaml
from .model import Chunk, Line

HEADER = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
NAME_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # a variable in Python and in R
EXTRA = ("rows", "values", "hint")
TOLERANT = ("number", "numbers")


@dataclass
class Exercise:
    """One checked exercise: its place, and its checks by name (per-language specs merged)."""

    id: str  # exercise-<n>, n its qna block's number in the session
    number: int
    file: str
    line: int  # of the YAML block
    checks: dict[str, dict[str, dict]] = field(default_factory=dict)  # name -> lang -> spec


@dataclass
class _Block:
    """A qna block being read."""

    number: int
    depth: int  # how many divs are open inside it, itself included
    section: str = ""
    level: int | None = None
    answers: dict[str, list[str]] = field(default_factory=dict)  # lang -> answer code
    check: tuple[Line, str] | None = None  # the YAML block's first line and text


class Tracker:
    """Follow the reader through a session's divs, headers and code blocks."""

    def __init__(self, languages: tuple[str, ...], problems: list[Problem]) -> None:
        self.languages = languages
        self.problems = problems
        self.blocks: list[_Block] = []
        self.count = 0
        self.depth = 0
        self.found: list[tuple[_Block, Line, str]] = []

    def open(self, classes: set[str]) -> None:
        """Note a div opening (``qna`` starts a block)."""
        self.depth += 1
        if "qna" in classes:
            self.count += 1
            self.blocks.append(_Block(self.count, self.depth))

    def close(self) -> None:
        """Note a div closing (a qna block's checks are kept when it ends)."""
        if self.blocks and self.blocks[-1].depth == self.depth:
            block = self.blocks.pop()
            if block.check is not None:
                self.found.append((block, *block.check))
        self.depth = max(0, self.depth - 1)

    def header(self, text: str) -> None:
        """Read a prose line: a tab header of the innermost qna block starts its section."""
        block = self._direct()
        match = HEADER.match(text)
        if block is None or match is None:
            return
        level = len(match.group("hashes"))
        if block.level is None:
            block.level = level
        if level == block.level:
            block.section = match.group("title").strip().lower()

    def chunk(self, chunk: Chunk) -> None:
        """Keep a chunk of an Answer tab: the checks' names must be defined there."""
        for block in self.blocks:
            if block.section == "answer":
                block.answers.setdefault(chunk.lang, []).append(chunk.code)

    def code_block(self, info: str, start: Line, body: list[str]) -> str | None:
        """Read a plain code block; a Check tab's YAML block becomes the placeholder.

        Returns the fence's new info string, or None to leave the block as written.
        """
        block = self._direct()
        if block is None or block.section != "check":
            return None
        if info.strip("{} .").lower() != "yaml":
            self.problems.append(
                Problem(start.file, start.line, "a Check tab holds one ```yaml block of checks "
                        "(name: spec lines), found another code block")
            )  # fmt: skip
            return None
        if block.check is not None:
            self.problems.append(
                Problem(start.file, start.line, "a second block of checks in one exercise: "
                        "write every check in one ```yaml block")
            )  # fmt: skip
            return None
        block.check = (start, "\n".join(body))
        return f'{{#exercise-{block.number} .exercise-check data-source-line="{start.line}"}}'

    def exercises(self, used: tuple[str, ...]) -> list[Exercise]:
        """Check every exercise found against the languages the session uses."""
        return [self._exercise(block, start, text, used) for block, start, text in self.found]

    def _direct(self) -> _Block | None:
        """Return the innermost qna block, when nothing else is open inside it."""
        if self.blocks and self.blocks[-1].depth == self.depth:
            return self.blocks[-1]
        return None

    def _exercise(self, block: _Block, start: Line, text: str, used: tuple[str, ...]) -> Exercise:
        exercise = Exercise(f"exercise-{block.number}", block.number, start.file, start.line)

        def problem(name: str | None, message: str) -> None:
            at = start.line + 1 + _line_of(text, name)
            self.problems.append(Problem(start.file, at, message))

        try:
            checks = load_yaml(text)
        except yaml.YAMLError as exc:
            problem(None, f"the checks are not valid YAML: {getattr(exc, 'problem', exc)}")
            return exercise
        if not isinstance(checks, dict) or not checks:
            problem(None, "the checks must be 'name: spec' lines, e.g. 'icc: {number: 0.001}'")
            return exercise
        for name, spec in checks.items():
            name = str(name)
            if not NAME_OK.match(name):
                problem(name, f"'{name}' cannot be a variable in Python and R: use letters, "
                        "digits and '_', starting with a letter")  # fmt: skip
                continue
            specs = {lang: _merged(spec, lang) for lang in used}
            errors = {e for s in specs.values() for e in _spec_problems(s)}
            for error in sorted(errors):
                problem(name, f"check '{name}': {error}")
            if errors:
                continue
            for lang in used:
                if not any(_assigns(code, name, lang) for code in block.answers.get(lang, [])):
                    problem(name, f"check '{name}': no {lang} chunk of the Answer tab defines "
                            f"'{name}' (the check runs on the worked answer)")  # fmt: skip
            exercise.checks[name] = specs
        return exercise


def _line_of(text: str, name: str | None) -> int:
    """Return the line (0-based, in the block) where `name`'s check starts."""
    if name is not None:
        for n, line in enumerate(text.split("\n")):
            if re.match(rf"\s*['\"]?{re.escape(name)}['\"]?\s*:", line):
                return n
    return 0


def _merged(spec: object, lang: str) -> dict:
    """Return a spec for one language: the shared keys, then that language's overrides."""
    if not isinstance(spec, dict):
        return {"?": spec}
    merged = {k: v for k, v in spec.items() if k not in ("python", "r")}
    override = spec.get(lang)
    if isinstance(override, dict):
        kinds = [k for k in override if k in KINDS]
        if kinds:  # another kind for this language replaces the shared one
            merged = {k: v for k, v in merged.items() if k not in KINDS}
        merged.update(override)
    return merged


def _spec_problems(spec: dict) -> list[str]:
    """List what is wrong with one language's spec, in words (empty: nothing)."""
    if "?" in spec:
        return [f"a spec is a mapping such as {{number: 0.001}}, not {spec['?']!r}"]
    unknown = [k for k in spec if k not in KINDS + EXTRA]
    kinds = [k for k in spec if k in KINDS]
    found = [f"unknown key '{k}' (kinds: {', '.join(KINDS)}; also rows, values, hint)"
             for k in unknown]  # fmt: skip
    if len(kinds) != 1:
        return [*found, f"exactly one kind of {', '.join(KINDS)} (found {len(kinds)})"]
    kind = kinds[0]
    value = spec[kind]
    if kind in TOLERANT and not _tolerance(value):
        found.append(f"the tolerance of {kind} must be a number above 0, not {value!r}")
    if kind == "table":
        if not (isinstance(value, list) and value and all(isinstance(c, str) for c in value)):
            found.append("table lists the columns, e.g. table: [estimate, se]")
        rows = spec.get("rows")
        if rows is not None and not (isinstance(rows, int) and not isinstance(rows, bool)
                                     and rows > 0):  # fmt: skip
            found.append(f"rows must be a whole number above 0, not {rows!r}")
        columns = value if isinstance(value, list) else []
        for column, tol in (spec.get("values") or {}).items():
            if column not in columns:
                found.append(f"values names column '{column}', which table does not list")
            elif not _tolerance(tol):
                found.append(f"the tolerance of column '{column}' must be a number above 0")
    elif "rows" in spec or "values" in spec:
        found.append("rows and values go with table only")
    if kind == "model":
        if not isinstance(value, dict) or not value:
            found.append("model maps each coefficient to its tolerance, e.g. model: {x: 0.01}")
        else:
            found += [f"the tolerance of coefficient '{t}' must be a number above 0"
                      for t, tol in value.items() if not _tolerance(tol)]  # fmt: skip
    if kind == "choice" and not (isinstance(value, list) and value
                                 and all(isinstance(c, str) for c in value)):  # fmt: skip
        found.append("choice lists the words to choose from, e.g. choice: [higher, lower]")
    if kind in ("plot", "logical") and value is not True:
        found.append(f"write '{kind}: true'")
    if not isinstance(spec.get("hint", ""), str):
        found.append("hint is a sentence (text)")
    return found


def _tolerance(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _assigns(code: str, name: str, lang: str) -> bool:
    """Whether `code` assigns `name` (``name = ...``, ``a, name = ...``; R ``name <- ...``)."""
    n = re.escape(name)
    if lang == "r":
        pattern = rf"(?m)(^|[;{{(]\s*)\s*{n}\s*(<<?-|=(?!=))|->\s*{n}\b|assign\(\s*['\"]{n}['\"]"
    else:
        pattern = rf"(?m)^\s*\(?\s*(\w+\s*,\s*)*{n}\s*(,\s*\w+\s*)*\)?\s*(:[^=\n]+)?=(?!=)"
    return re.search(pattern, code) is not None
