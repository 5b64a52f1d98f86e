"""Prose lines: ``var`` and ``meta`` shortcodes expanded, missing images reported.

``{{< var key >}}`` comes from ``_variables.yml``, ``{{< meta key >}}`` from the
front matter, then `_quarto.yml`; other shortcodes are left as written, with a
warning. An image that does not exist is a warning, and the notebook shows
its description instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..problems import Problem
from .model import Line

SHORTCODE = re.compile(
    r"(?P<open>\{?)\{\{<\s*(?P<name>[\w-]+)\s*(?P<args>.*?)\s*>\}\}(?P<close>\}?)"
)
IMAGE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>(?:\{\{<.*?>\}\}|[^)\s>])+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"(?P<attr>\{[^}]*\})?"
)


def expand(here: Line, meta, shortcodes, path, problems) -> str:
    """Return a prose line with shortcodes expanded and missing images replaced by their text."""
    text = here.text
    if "{{<" in text and shortcodes is not None:
        variables, config = shortcodes
        text = SHORTCODE.sub(lambda m: _shortcode(m, here, meta, variables, config, problems), text)
    if "![" in text:
        text = IMAGE.sub(lambda m: _image(m, here, path, problems), text)
    return text


def group_missing_images(problems: list[Problem]) -> list[Problem]:
    """One warning per missing image and file, at its first line, naming the other lines."""
    first: dict[tuple[str, str], int] = {}
    more: dict[int, list[int]] = {}
    kept: list[Problem] = []
    for problem in problems:
        if problem.warning and problem.message.startswith("image '"):
            key = (problem.path, problem.message)
            if key in first:
                more[first[key]].append(problem.line)
                continue
            first[key] = len(kept)
            more[len(kept)] = []
        kept.append(problem)
    for index, lines in more.items():
        if lines:
            p = kept[index]
            also = ", ".join(str(n) for n in lines)
            kept[index] = Problem(p.path, p.line, f"{p.message} (also at lines {also})", True)
    return kept


def _shortcode(match: re.Match, here: Line, meta, variables, config, problems) -> str:
    if match.group("open") and match.group("close"):  # {{{< x >}}}: written out, not expanded
        return match.group(0)[1:-1]
    name, key = match.group("name"), match.group("args").strip()
    where = {
        "var": ("_variables.yml", variables),
        "meta": ("the front matter or _quarto.yml", None),
    }
    if name not in where:
        problems.append(
            Problem(
                here.file,
                here.line,
                f"shortcode '{name}' is not expanded in notebooks (the build expands "
                "'include', 'var' and 'meta'); its text is left as written",
                warning=True,
            )
        )
        return match.group(0)
    found = _lookup(variables, key) if name == "var" else _lookup(meta, key)
    if found is None and name == "meta":
        found = _lookup(config, key)
    if found is None:
        problems.append(
            Problem(
                here.file,
                here.line,
                f"'{{{{< {name} {key} >}}}}': no '{key}' in {where[name][0]}",
            )
        )
        return match.group(0)
    return match.group("open") + _scalar(found) + match.group("close")


def _lookup(data: object, key: str) -> object:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _image(match: re.Match, here: Line, path: Path, problems) -> str:
    src = match.group("src")
    if "://" in src or src.startswith(("data:", "/", "#")):
        return match.group(0)
    if "{{<" not in src:  # (a shortcode left in the path is reported already, or kept)
        if (path.parent / src).is_file():
            return match.group(0)
        problems.append(
            Problem(
                here.file,
                here.line,
                f"image '{src}' not found (paths are relative to the session's folder); "
                "the notebook shows its description instead",
                warning=True,
            )
        )
    alt = match.group("alt")
    return f"[{alt}]{{.image-missing}}" if alt else ""
