"""The session's YAML front matter."""

from __future__ import annotations

import yaml

from ..problems import Problem, load_yaml
from .model import Line


def front_matter(lines: list[Line], problems: list[Problem]) -> tuple[dict, int]:
    """Parse the YAML front matter; return it and the index of the first body line.

    -1 when it is broken: pandoc, which reads it too, would only fail on it again.
    """
    if not lines or lines[0].text.strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].text.strip() in ("---", "..."):
            break
    else:
        problems.append(
            Problem(lines[0].file, 1, "front matter opened here is never closed (missing '---')")
        )
        return {}, -1
    shown = lines[0].file
    try:
        meta = load_yaml("\n".join(x.text for x in lines[1:end])) or {}
    except yaml.YAMLError as exc:
        # Where the broken construct starts (an unclosed quote) beats where it was noticed.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(shown, line, f"front matter is not valid YAML: {problem}"))
        return {}, -1
    if not isinstance(meta, dict):
        problems.append(Problem(shown, 2, "front matter must be a YAML mapping (key: value lines)"))
        return {}, -1
    return meta, end + 1
