"""What a notebook is built from, as one hash: rebuild only when it changes.

A notebook records the hash of its inputs in its own metadata
(``coursebuild.inputs_sha1``), so a fresh clone knows what is current
without any build state kept beside it. The part every notebook shares is
hashed once per build (`Course.shared_sha1`); `inputs_sha1` adds a session.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .source import Source

# Everything besides the session source that can change a notebook: the
# filters the build runs, the build steps, the helpers and the data registry,
# the environment pins, and (in `Course.shared_sha1`) the course keys the build
# reads and the outline; the site-only parts of _quarto.yml and of coursebuild
# and the site-only notebook-outputs extension are left out, so site edits
# re-execute nothing.
SHARED_INPUTS = (
    "_extensions/multicode/*.lua",
    "_extensions/qna/*.lua",
    "filters/*.lua",
    "_variables.yml",
    "coursebuild/config.py",
    "coursebuild/course.py",
    "coursebuild/languages.py",
    "coursebuild/source/*.py",
    "coursebuild/convert.py",
    "coursebuild/notebook.py",
    "coursebuild/execute.py",
    "coursebuild/preamble.py",
    "coursebuild/estimates.py",
    "coursebuild/exercises.py",
    "coursebuild/cells.py",
    "coursebuild/release.py",
    "helpers/pyproject.toml",
    "helpers/R/NAMESPACE",
    "helpers/**/*.py",
    "helpers/**/*.R",
    "helpers/*.json",
    "helpers/registry.txt",
    "requirements.txt",
    "renv.lock",
    "tools/apt-packages.txt",
)


# The build's modules that do not shape what a notebook holds: the order and the
# workers (build), errors and reports, Quarto's schema check, the site, preview and
# the instructor's tools. Every module of coursebuild is here or in SHARED_INPUTS (a
# test checks), so a new module is classified when it is added.
NOT_INPUTS = (
    "coursebuild/__init__.py",
    "coursebuild/__main__.py",
    "coursebuild/build.py",
    "coursebuild/doctor.py",
    "coursebuild/filters.py",
    "coursebuild/inputs.py",
    "coursebuild/newsession.py",
    "coursebuild/pins.py",
    "coursebuild/problems.py",
    "coursebuild/quarto_schema.py",
    "coursebuild/report.py",
    "coursebuild/scratch.py",
    "coursebuild/preview/*.py",
    "coursebuild/site/*.py",
)


def shared_files(root: Path) -> list[Path]:
    """Return the shared input files that exist, in a stable order."""
    found: set[Path] = set()
    for pattern in SHARED_INPUTS:
        found.update(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def inputs_sha1(source: Source, variant: str, shared: str) -> str:
    """Hash one notebook's inputs.

    They are its session and every file it includes, its variant, the shared hash.
    """
    digest = hashlib.sha1(f"{variant}\0{shared}\0".encode())
    digest.update(source.files_sha1.encode())
    return digest.hexdigest()
