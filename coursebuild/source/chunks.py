"""Executable chunks: fences, ``#|`` options, labels, and each chunk's cell id.

A chunk ```` ```{python} ```` with ``#|`` option lines becomes
```` ``` {#id .python .cell data-source-line="N" label="..." eval="false"} ````
(option lines removed from its code); pandoc carries ``#id`` to the notebook
cell's id. The id is given here, once: the label, else
``<lang>-<sha1 of its code>[:10]``, repeats suffixed ``-2``, ``-3``.
"""

from __future__ import annotations

import hashlib
import json
import re

import yaml

from .. import quarto_schema
from ..problems import Problem, load_yaml
from .model import Chunk

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
CHUNK_INFO = re.compile(r"^\{(?P<lang>[A-Za-z][\w-]*)(?P<rest>[^}]*)\}$")
OPTION = re.compile(r"^#\|\s?(?P<yaml>.*)$")
LABEL_OK = re.compile(r"^[A-Za-z][\w-]{0,63}$")  # also a valid notebook cell id


def cell_id(lang: str, code: str, label: str | None = None) -> str:
    """Name a chunk's cell before numbering repeats: its label, else ``<lang>-<sha1(code)[:10]>``.

    `code` is the chunk's text without its ``#|`` lines, trailing white space
    stripped (as `Chunk.code` holds it).

    Examples
    --------
    >>> cell_id("python", "x = 1", label="setup")
    'setup'
    >>> cell_id("r", "x <- 1")
    'r-4390f67858'
    """
    if label is not None and LABEL_OK.match(label):
        return label
    return f"{lang}-{hashlib.sha1(code.rstrip().encode('utf-8')).hexdigest()[:10]}"


def give_id(chunk: Chunk, seen: dict[str, int]) -> None:
    """Give `chunk` its cell id, once: `cell_id`, repeats in the session suffixed -2, -3."""
    base = cell_id(chunk.lang, chunk.code, chunk.label)
    seen[base] = seen.get(base, 0) + 1
    chunk.id = base if seen[base] == 1 else f"{base}-{seen[base]}"


def fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the code fence opened at `start` (or the last line)."""
    closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    for j in range(start + 1, len(lines)):
        if closing.match(lines[j]):
            return j
    return len(lines) - 1


def chunk(lines, start, end, info, languages, problems, schemas=None) -> Chunk | None:
    """Return the chunk fenced at `start`..`end`, or None (with a problem) if it cannot be one.

    `schemas` are Quarto's cell options (`coursebuild.quarto_schema.cell_options`):
    each option's value is checked against its schema, as Quarto would.
    """
    lang = info.group("lang").lower()
    here = lines[start]
    if lang not in languages:
        problems.append(
            Problem(
                here.file,
                here.line,
                f"chunk in language '{lang}', which the course does not declare "
                f"(multicode.languages in _quarto.yml: {', '.join(languages)})",
            )
        )
        return None
    if info.group("rest").strip(" ,"):
        problems.append(
            Problem(
                here.file,
                here.line,
                f"chunk options in the fence header ('{info.group('rest').strip()}') are not "
                "supported: write them as '#| key: value' lines",
            )
        )
        return None
    body = [x.text for x in lines[start + 1 : end]]
    option_lines: list[str] = []
    k = 0
    while k < len(body) and (opt := OPTION.match(body[k])) is not None:
        option_lines.append(opt.group("yaml"))
        k += 1
    options: dict = {}
    if option_lines:
        loaded: object = {}
        try:
            loaded = load_yaml("\n".join(option_lines)) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = here.line + 1 + (mark.line if mark is not None else 0)
            problem = getattr(exc, "problem", None) or str(exc)
            problems.append(Problem(here.file, at, f"chunk options are not valid YAML: {problem}"))
        if isinstance(loaded, dict):
            options = loaded
        else:
            problems.append(
                Problem(here.file, here.line + 1, "chunk options must be '#| key: value' lines")
            )
    if schemas is not None:
        check_options(options, option_lines, here, schemas, problems)
    label = options.get("label")
    if label is not None and not LABEL_OK.match(str(label)):
        problems.append(
            Problem(
                here.file,
                here.line + 1,
                f"chunk label '{label}' must start with a letter and use only letters, "
                "digits, '-' and '_' (at most 64)",
            )
        )
    code = "\n".join(body[k:]).rstrip()
    return Chunk(lang=lang, line=here.line, code=code, options=options, file=here.file)


def attributes(chunk: Chunk, shown: str) -> str:
    """Write the pandoc attribute block for a chunk.

    It holds the chunk's id, language and `cell` classes, its place, its options as strings.
    """
    parts = [f"#{chunk.id}", f".{chunk.lang}", ".cell", f'data-source-line="{chunk.line}"']
    if chunk.file != shown:
        parts.append(f'data-source-file="{chunk.file}"')
    for key, value in chunk.options.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, dict)):
            text = json.dumps(value)
        else:
            text = str(value)
        quote = "'" if '"' in text else '"'
        parts.append(f"{key}={quote}{text}{quote}")
    return "{" + " ".join(parts) + "}"


def check_options(options: dict, option_lines: list[str], here, schemas: dict, problems) -> None:
    """Report options whose value Quarto's schema refuses, and options Quarto does not know.

    A refused value is an error at the option's own line (``#| eval: flase``);
    an unknown option is a warning, unless it is dotted like knitr's own (``fig.width``).
    """
    for key, value in options.items():
        at = next(
            (here.line + 1 + k for k, text in enumerate(option_lines)
             if re.match(rf"\s*{re.escape(str(key))}\s*:", text)),
            here.line + 1,
        )  # fmt: skip
        if key not in schemas:
            if "." not in str(key):  # knitr's own options (fig.width) are dotted
                problems.append(
                    Problem(here.file, at, f"chunk option '{key}' is not one of Quarto's cell "
                            "options (a misspelling? the build ignores it)", warning=True)
                )  # fmt: skip
            continue
        if quarto_schema.conforms(value, schemas[key]) is False:
            shown = json.dumps(value) if not isinstance(value, str) else value
            problems.append(
                Problem(here.file, at, f"chunk option '{key}: {shown}' is not valid: Quarto "
                        f"expects {quarto_schema.describe(schemas[key])}")
            )  # fmt: skip
