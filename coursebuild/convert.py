"""Turn a checked session into one unexecuted notebook per language, with pandoc.

Pandoc 3 (from PyPI's pypandoc-binary: Debian's 2.17 is too old) reads the
preprocessed markdown and runs the project's Lua filters: the multicode and
qna extensions (the same code the website uses) and `filters/cells.lua`.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import yaml

from .config import ROOT, CourseConfig
from .errors import BuildError
from .filters import notebook_filters
from .source import Source

# `_quarto.yml`'s filters: list, in its order, then filters/cells.lua (see
# coursebuild.filters): the order is declared there once.
FILTERS = notebook_filters(ROOT)
# Lua errors carry "<file>:<line>: [filter] message"; keep that line only.
LUA_ERROR = re.compile(
    r"(?P<file>[^\s:]+):(?P<line>\d+): (?P<msg>\[[\w-]+\].*)$|(?P<bare>\[[\w-]+\].*)$",
    re.MULTILINE,
)


@cache
def pandoc_path() -> str:
    """The pandoc 3 binary shipped inside pypandoc-binary."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def to_ipynb(
    source: Source, lang: str, config: CourseConfig, root: Path = ROOT, answers: bool = False
) -> dict:
    """Run pandoc with the filters on `source` for `lang`; return the notebook JSON.

    With `answers`, every qna block keeps question and answer (unless a block
    says otherwise itself): the variant the website takes answer outputs from.
    """
    meta = copy.deepcopy(config.metadata)
    if answers:
        qna = meta.setdefault("qna", {})
        qna.setdefault("targets", {})["ipynb"] = "both"
    meta["multicode-keep"] = lang
    meta["source-file"] = _shown(source, root)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as tmp:
        yaml.safe_dump(meta, tmp)
        meta_file = Path(tmp.name)
    try:
        cmd = [pandoc_path(), "--from=markdown", "--to=ipynb", f"--metadata-file={meta_file}"]
        cmd += [f"--lua-filter={root / f}" for f in FILTERS]
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
    if result.returncode != 0:
        raise _pandoc_error(result.stderr, _shown(source, root))
    return json.loads(result.stdout)


def _pandoc_error(stderr: str, shown: str) -> BuildError:
    """The filter's own message (with its file and line) if there is one, else pandoc's."""
    found = LUA_ERROR.search(stderr)
    if found is None:
        return BuildError(shown, None, "pandoc failed: " + stderr.strip())
    if found.group("bare"):
        return BuildError(shown, None, found.group("bare").strip())
    return BuildError(found.group("file"), int(found.group("line")), found.group("msg").strip())


def _shown(source: Source, root: Path) -> str:
    try:
        return str(source.path.resolve().relative_to(root))
    except ValueError:
        return source.path.name
