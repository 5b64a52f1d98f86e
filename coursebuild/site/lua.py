"""The Lua step: pandoc with Quarto's reader and filter chain, the project's filters inside it."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from .. import filters as project_filters
from ..convert import pandoc_path
from ..course import Course
from ..problems import BuildError, read_problems
from .share import SiteError

# Files render_page writes into the temporary folder for pandoc to include.
INCLUDES = {
    "include-in-header": "header.html",
    "include-before-body": "before.html",
    "include-after-body": "after.html",
}


def filter_params(course: Course, qmd: Path, share: Path, engine: str, tmp: Path) -> dict:
    """Return what Quarto passes its Lua filters in QUARTO_FILTER_PARAMS."""
    names = project_filters.declared(course.config.quarto)
    if "quarto" not in names:
        names.append("quarto")  # Quarto's own filters run after any listed filter
    at = names.index("quarto")
    entry_points, after = [], []
    for k, name in enumerate(names):
        if name == "quarto":
            continue
        try:
            files = project_filters.lua_files(course.root, name)
        except BuildError as exc:
            raise SiteError(str(exc)) from exc
        for lua in files:
            spec = {"type": "lua", "path": str(course.root / lua)}
            if k < at:
                entry_points.append({**spec, "at": "pre-quarto"})
            else:
                after.append(spec)
    language = yaml.safe_load((share / "language" / "_language.yml").read_text(encoding="utf-8"))
    return {
        "quarto-filters": {
            "quartoFilters": [str(share / "filters" / "main.lua")],
            "beforeQuartoFilters": [],
            "afterQuartoFilters": after,
            "entryPoints": entry_points,
        },
        "active-filters": {"normalization": True, "crossref": True, "jats-subarticle": False},
        "format-identifier": {
            "base-format": "html",
            "target-format": "html",
            "display-name": "HTML",
        },
        "has-bootstrap": True,
        "execution-engine": engine,
        "quarto-source": str(qmd.resolve()),
        "results-file": str(tmp / "results.json"),
        "project-output-dir": str(tmp / "_site"),
        "quarto-environment": "local",
        "language": language,
        "crossref-index-file": str(tmp / "crossref.json"),
        "output-divs": True,
        "code-copy": "hover",
    }


def lua_step(
    course: Course, markdown: str, qmd: Path, meta: dict, share: Path, engine: str, tmp: Path
) -> str:
    """Pandoc with Quarto's reader and filter chain; return the HTML page.

    The project's filters write their problems to a ``problems-file`` (as in the
    notebook build); a render they stop raises `SiteError` with the first error.
    """
    source = tmp / (qmd.stem + ".md")
    source.write_text(markdown, encoding="utf-8")
    problems_file = tmp / "problems.jsonl"
    meta_file = tmp / "meta.json"
    meta_file.write_text(json.dumps(meta, default=str), encoding="utf-8")
    dependency_file = tmp / "dependencies.json"
    dependency_file.write_text("", encoding="utf-8")
    params = filter_params(course, qmd, share, engine, tmp)
    env = dict(
        os.environ,
        QUARTO_FILTER_PARAMS=base64.b64encode(json.dumps(params).encode()).decode(),
        QUARTO_FILTER_DEPENDENCY_FILE=str(dependency_file),
        QUARTO_PROJECT_DIR=str(course.root.resolve()),
        QUARTO_SHARE_PATH=str(share),
    )
    toc = ["--toc", f"--toc-depth={meta.get('toc-depth', 3)}"] if meta.get("toc") else []
    cmd = [
        pandoc_path(),
        str(source),
        f"--from={share / 'filters' / 'qmd-reader.lua'}",
        "--to=html",
        f"--data-dir={share / 'pandoc' / 'datadir'}",
        f"--lua-filter={share / 'filters' / 'main.lua'}",
        f"--metadata-file={meta_file}",
        # a path on the command line: a metadata file's strings are read as markdown
        f"--metadata=problems-file:{problems_file}",
        "--section-divs",
        "--standalone",
        *toc,
        f"--output={tmp / 'page.html'}",
    ]
    for option, name in INCLUDES.items():
        if (tmp / name).exists():
            cmd.append(f"--{option}={tmp / name}")
    result = subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", env=env, cwd=qmd.resolve().parent
    )
    problems = read_problems(problems_file)
    stderr = re.sub(r"\x1b\[[\d;]*m", "", result.stderr).strip()  # Quarto's log colours
    if result.returncode != 0:
        errors = [p for p in problems if not p.warning]
        raise SiteError(str(errors[0]) if errors else f"{qmd}: {stderr}")
    for line in [*map(str, problems), *stderr.splitlines()]:  # warnings: ours, then Quarto's
        if line.strip():
            print(f"{qmd.name}: {line}", file=sys.stderr)
    return (tmp / "page.html").read_text(encoding="utf-8")
