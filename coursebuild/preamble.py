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

The texts of both, per language, are in `coursebuild.languages`. Links point to the
site when ``course.site-url`` is set, else to the repository on GitHub.
"""

from __future__ import annotations

from . import release
from .cells import cell
from .config import ROOT
from .course import Course, Outline
from .languages import LANGUAGES
from .source import Source

INSTALL_ID = "install-helpers"


def add(course: Course, source: Source, lang: str, cells: list[dict]) -> list[dict]:
    """Insert the generated cells into a notebook's `cells`.

    The note goes first; the install cell right after the ``parameters`` cell (which
    stays the first code cell, where papermill expects it), else before the first
    code cell.
    """
    note, install = first_cells(course, source, lang)
    at = next(
        (
            i + 1
            for i, c in enumerate(cells)
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells)),
    )
    return [note, *cells[:at], install, *cells[at:]]


def first_cells(course: Course, source: Source, lang: str) -> list[dict]:
    """Return the generated cells that open `source`'s notebook for `lang`."""
    links = _Links(course.config.metadata.get("course") or {})
    text = _title(source.meta)
    text += LANGUAGES[lang].needs.format(
        requirements=links.repo_file("notebooks/requirements.txt"), setup=links.setup()
    )
    before, after = neighbours(source.path.stem, course.outline)
    nav = []
    if before:
        nav.append(f"Previous: [{before[1]}]({links.session(before[0], lang)})")
    if after:
        nav.append(f"Next: [{after[1]}]({links.session(after[0], lang)})")
    if nav:
        text += "\n\n" + " · ".join(nav)
    # a scratch course without its own helpers/ (the build's tests) installs this one's
    helpers = course.root if (course.root / "helpers" / "pyproject.toml").is_file() else ROOT
    code = LANGUAGES[lang].install.format(
        version=release.version(helpers),
        wheel=release.asset_url(links.repo, release.wheel_name(helpers), helpers),
        tarball=release.asset_url(links.repo, release.r_tarball_name(helpers), helpers),
    )
    install = cell("code", code, INSTALL_ID, ["setup"])  # notebook only: not a page's chunk
    return [cell("markdown", text), install]


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
