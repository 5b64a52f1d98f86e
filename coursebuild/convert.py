"""Turn a checked session into one unexecuted notebook per language, with pandoc.

Pandoc 3 (from PyPI's pypandoc-binary: Debian's 2.17 is too old) reads the
markdown `coursebuild.source` wrote and runs the project's Lua filters: the
multicode and qna extensions (the same code the website uses) and
`filters/cells.lua`. The filters write every problem they find to the file
named by the ``problems-file`` metadata (`coursebuild.problems.read_problems`
reads it) and go on (``collect-problems``); `to_ipynb` returns them with the
notebook.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import yaml

from .course import Course
from .problems import Problem, read_problems
from .source import Source


@cache
def pandoc_path() -> str:
    """Return the pandoc 3 binary shipped inside pypandoc-binary."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def to_ipynb(
    course: Course, source: Source, lang: str, answers: bool = False
) -> tuple[dict, list[Problem]]:
    """Run pandoc with the filters on `source` for `lang`.

    Returns the notebook JSON and the problems the filters reported.

    With `answers`, every qna block keeps question and answer (unless a block
    says otherwise itself): the variant the website takes answer outputs from.
    """
    shown = course.shown(source.path)
    meta = copy.deepcopy(course.config.metadata)
    if answers:
        qna = meta.setdefault("qna", {})
        qna.setdefault("targets", {})["ipynb"] = "both"
    with tempfile.TemporaryDirectory(prefix="coursebuild-") as tmp:
        problems_file = Path(tmp) / "problems.jsonl"
        meta["collect-problems"] = True
        meta_file = Path(tmp) / "metadata.yml"
        meta_file.write_text(yaml.safe_dump(meta), encoding="utf-8")
        cmd = [pandoc_path(), "--from=markdown", "--to=ipynb", f"--metadata-file={meta_file}"]
        # Names and paths on the command line: a metadata file's strings are read as
        # markdown, where "_x_" in a temporary folder's name would become emphasis.
        cmd += [f"--metadata=multicode-keep:{lang}", f"--metadata=source-file:{shown}"]
        cmd += [f"--metadata=problems-file:{problems_file}"]
        # Images are found beside the session, as Quarto finds them.
        cmd += [f"--resource-path={source.path.parent.resolve()}{os.pathsep}."]
        cmd += [f"--lua-filter={course.root / f}" for f in course.config.filters]
        result = subprocess.run(
            cmd,
            input=source.markdown,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=course.root,
        )
        problems = [p if p.path else Problem(shown, p.line, p.message, p.warning)
                    for p in read_problems(problems_file)]  # fmt: skip
    if result.returncode != 0:
        if not [p for p in problems if not p.warning]:
            problems.append(Problem(shown, 0, "pandoc failed: " + result.stderr.strip()))
        return {}, problems
    return json.loads(result.stdout), problems
