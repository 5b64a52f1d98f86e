"""The first cells of every notebook.

They say what it needs and where the other sessions are, and install the helpers
when missing.

Generated for every session, so no session types them:

1. a markdown cell: the session's title, three lines on what the notebook needs (with
   a link to the setup page) and links to the previous and next sessions (course order
   is file-name order, as on the site);
2. after the ``parameters`` cell, a code cell (id ``install-helpers``) that installs
   the course's helpers unless that version is installed (the distribution's version,
   ``qm-helpers`` / ``qmhelpers``: a student's own ``helpers.py`` does not count): the
   Python wheel or the R source package of the GitHub release ``helpers-v<version>``
   (built and attached by .github/workflows/release.yml with `coursebuild.release`),
   whose URL comes from ``course.repo-url`` in `_quarto.yml`.

Links point to the site when ``course.site-url`` is set, else to the repository on GitHub.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from . import release
from . import source as sources
from .config import ROOT, CourseConfig
from .source import Source

INSTALL_ID = "install-helpers"

# (name, title) of every session, in course order: what the navigation links show.
Outline = tuple[tuple[str, str], ...]

NEEDS = {
    "python": (
        "**To run this notebook** you need Python 3.11 to 3.13 with the packages in "
        "[requirements.txt]({requirements}) (Colab has most of them).\\\n"
        "The cell after the parameters installs the course's helpers (`qm-helpers`) at "
        "this notebook's version when missing; R and `lme4` are optional (they only add "
        "cross-checks).\\\n"
        "Step by step, on your computer or in Colab: [setup]({setup})."
    ),
    "r": (
        "**To run this notebook** you need R 4.2 or later with the packages the setup page "
        "lists (lme4, ggplot2, jsonlite, digest, ...) and Jupyter's R kernel (IRkernel).\\\n"
        "The cell after the parameters installs the course's R helpers (package `qmhelpers`) "
        "at this notebook's version when missing.\\\n"
        "Step by step, on your computer or in Colab: [setup]({setup})."
    ),
}

INSTALL = {
    "python": (
        "# The course's helpers, qm-helpers {version}: installed unless that version is there\n"
        "import importlib.metadata\n"
        "\n"
        "try:\n"
        '    installed = importlib.metadata.version("qm-helpers")\n'
        "except importlib.metadata.PackageNotFoundError:\n"
        "    installed = None\n"
        'if installed != "{version}":\n'
        '    %pip install -q "{wheel}"\n'
        "    importlib.invalidate_caches()"
    ),
    "r": (
        "# The course's R helpers, qmhelpers {version}: installed unless that version is there\n"
        'if (!requireNamespace("qmhelpers", quietly = TRUE) ||\n'
        '    packageVersion("qmhelpers") != "{version}") {{\n'
        '  needed <- c("jsonlite", "digest")\n'
        "  needed <- needed[!vapply(needed, requireNamespace, logical(1), quietly = TRUE)]\n"
        '  if (length(needed)) install.packages(needed, repos = "https://cloud.r-project.org")\n'
        '  install.packages("{tarball}", repos = NULL, type = "source")\n'
        "}}"
    ),
}


def add(
    source: Source,
    lang: str,
    cells: list[dict],
    config: CourseConfig | None = None,
    outline: Outline | None = None,
) -> list[dict]:
    """Insert the generated cells into a notebook's `cells`.

    The note goes first; the install cell right after the ``parameters`` cell (which
    stays the first code cell, where papermill expects it), else before the first
    code cell.
    """
    note, install = first_cells(source, lang, config, outline)
    at = next(
        (
            i + 1
            for i, c in enumerate(cells)
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells)),
    )
    return [note, *cells[:at], install, *cells[at:]]


def first_cells(
    source: Source, lang: str, config: CourseConfig | None = None, outline: Outline | None = None
) -> list[dict]:
    """Return the generated cells that open `source`'s notebook for `lang`.

    `config` and `outline` as the build loaded them; read here when not given.
    """
    root = source.path.resolve().parent.parent
    config = config or CourseConfig.load(root)
    course = config.metadata.get("course") or {}
    links = _Links(course)
    text = _title(source.meta)
    text += NEEDS[lang].format(
        requirements=links.repo_file("notebooks/requirements.txt"), setup=links.setup()
    )
    if outline is None:
        outline = read_outline(root, config)
    before, after = neighbours(source.path.stem, outline)
    nav = []
    if before:
        nav.append(f"Previous: [{before[1]}]({links.session(before[0], lang)})")
    if after:
        nav.append(f"Next: [{after[1]}]({links.session(after[0], lang)})")
    if nav:
        text += "\n\n" + " · ".join(nav)
    # a scratch course without its own helpers/ (the build's tests) installs this one's
    helpers = root if (root / "helpers" / "pyproject.toml").is_file() else ROOT
    code = INSTALL[lang].format(
        version=release.version(helpers),
        wheel=release.asset_url(links.repo, release.wheel_name(helpers), helpers),
        tarball=release.asset_url(links.repo, release.r_tarball_name(helpers), helpers),
    )
    install = _cell("code", code, INSTALL_ID)
    install["metadata"]["tags"] = ["setup"]  # notebook only: not a chunk of the page
    return [_cell("markdown", text), install]


def outline(root: Path) -> str:
    """Every session's name and title, in course order, as JSON (for the inputs hash).

    Part of every notebook's inputs hash (a new or renamed session changes its
    neighbours' first cell).
    """
    return json.dumps(read_outline(root))


def read_outline(root: Path, config: CourseConfig | None = None) -> Outline:
    """Read every session's title into the outline (the build passes what it read)."""
    config = config or CourseConfig.load(root)
    paths = sorted(p for p in (root / "sessions").glob("*.qmd") if not p.name.startswith("_"))
    return outline_of(
        sources.load(
            p, config.languages, p.relative_to(root).as_posix(), config.variables, config.quarto
        )
        for p in paths
    )


def outline_of(sources: Iterable[Source]) -> Outline:
    """Return the outline of sessions already read (the build reads each session once)."""
    ordered = sorted(sources, key=lambda s: s.path.name)
    return tuple((s.path.stem, str(s.meta.get("title") or s.path.stem)) for s in ordered)


def neighbours(stem: str, outline: Outline) -> tuple[tuple | None, tuple | None]:
    """``(stem, title)`` of the sessions before and after `stem`, or None at the ends."""
    names = [name for name, _ in outline]
    if stem not in names:
        return None, None
    i = names.index(stem)
    return (outline[i - 1] if i > 0 else None), (outline[i + 1] if i + 1 < len(outline) else None)


def _title(meta: dict) -> str:
    text = f"# {meta['title']}\n\n" if meta.get("title") else ""
    if meta.get("subtitle"):
        text += f"*{meta['subtitle']}*\n\n"
    return text


class _Links:
    """Addresses of the setup page, the sessions and repository files."""

    def __init__(self, course: dict) -> None:
        self.repo = str(course.get("repo-url") or "").rstrip("/").removesuffix(".git")
        self.branch = str(course.get("branch") or "main")
        self.site = str(course.get("site-url") or "").rstrip("/")

    def repo_file(self, path: str) -> str:
        return f"{self.repo}/blob/{self.branch}/{path}"

    def setup(self) -> str:
        return f"{self.site}/setup.html" if self.site else self.repo_file("setup.qmd")

    def session(self, stem: str, lang: str) -> str:
        if self.site:
            return f"{self.site}/sessions/{stem}.html"
        return self.repo_file(f"notebooks/{lang}/{stem}.ipynb")


def _cell(kind: str, text: str, cell_id: str | None = None) -> dict:
    lines = text.split("\n")
    cell: dict = {
        "cell_type": kind,
        "id": cell_id or "md-" + hashlib.sha1(text.encode()).hexdigest()[:10],
        "metadata": {},
        "source": [line + "\n" for line in lines[:-1]] + [lines[-1]],
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell
