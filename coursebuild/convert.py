"""Turn a checked session into one unexecuted notebook per language, with pandoc.

Pandoc 3 (from PyPI's pypandoc-binary: Debian's 2.17 is too old) reads the
markdown `coursebuild.source` wrote and runs the project's Lua filters: the
multicode and qna extensions (the same code the website uses) and
`filters/cells.lua`. The filters report every problem as a
``<file>:<line>: [<filter>] ...`` line on stderr (``collect-problems``) and
go on; `to_ipynb` returns them with the notebook.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import yaml

from .config import ROOT, CourseConfig
from .errors import Problem
from .source import Source

# The filters' problem lines: "[WARNING] " for a warning, then
# "<file>[:<line>]: [filter] message" (or "[filter] message" alone); a problem
# raised with Lua's assert starts with the raising "<file>.lua:<n>: ", skipped.
PROBLEM = re.compile(
    r"^(?:\S+\.lua:\d+: )?(?P<warning>\[WARNING\] )?(?:(?P<file>[^\s:]+)(?::(?P<line>\d+))?: )?"
    r"(?P<msg>\[(?!WARNING\]|INFO\])[\w-]+\] .*)$",
    re.MULTILINE,
)


@cache
def pandoc_path() -> str:
    """Return the pandoc 3 binary shipped inside pypandoc-binary."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def to_ipynb(
    source: Source, lang: str, config: CourseConfig, root: Path = ROOT, answers: bool = False
) -> tuple[dict, list[Problem]]:
    """Run pandoc with the filters on `source` for `lang`.

    Returns the notebook JSON and the problems the filters reported.

    With `answers`, every qna block keeps question and answer (unless a block
    says otherwise itself): the variant the website takes answer outputs from.
    """
    shown = _shown(source, root)
    meta = copy.deepcopy(config.metadata)
    if answers:
        qna = meta.setdefault("qna", {})
        qna.setdefault("targets", {})["ipynb"] = "both"
    meta["multicode-keep"] = lang
    meta["source-file"] = shown
    meta["collect-problems"] = True
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as tmp:
        yaml.safe_dump(meta, tmp)
        meta_file = Path(tmp.name)
    try:
        cmd = [pandoc_path(), "--from=markdown", "--to=ipynb", f"--metadata-file={meta_file}"]
        # Images are found beside the session, as Quarto finds them.
        cmd += [f"--resource-path={source.path.parent.resolve()}{os.pathsep}."]
        cmd += [f"--lua-filter={root / f}" for f in config.filters]
        result = subprocess.run(
            cmd,
            input=source.markdown,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=root,
        )
    finally:
        meta_file.unlink(missing_ok=True)
    problems = problems_in(result.stderr, shown)
    if result.returncode != 0:
        if not [p for p in problems if not p.warning]:
            problems.append(Problem(shown, 0, "pandoc failed: " + result.stderr.strip()))
        return {}, problems
    return json.loads(result.stdout), problems


def problems_in(stderr: str, shown: str) -> list[Problem]:
    """Return the problems the filters reported on stderr, as `Problem`s."""
    found = []
    for match in PROBLEM.finditer(stderr):
        found.append(
            Problem(
                match.group("file") or shown,
                int(match.group("line") or 0),
                match.group("msg").strip(),
                warning=bool(match.group("warning")),
            )
        )
    return found


def _shown(source: Source, root: Path) -> str:
    try:
        return source.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return source.path.name
