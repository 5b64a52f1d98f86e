"""What a notebook is built from, as one hash: rebuild only when it changes.

A notebook records the hash of its inputs in its own metadata
(``coursebuild.inputs_sha1``), so a fresh clone knows what is current
without any build state kept beside it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import preamble
from .config import ROOT, CourseConfig
from .source import Source

# Everything besides the session source that can change a notebook: the
# filters the build runs, the build steps, the helpers and the data registry,
# the environment pins, and (in `inputs_sha1`) the course configuration keys
# the build reads; the site-only parts of _quarto.yml and the site-only
# notebook-outputs extension are left out, so site edits re-execute nothing.
SHARED_INPUTS = (
    "_extensions/multicode/*.lua",
    "_extensions/qna/*.lua",
    "filters/*.lua",
    "_variables.yml",
    "coursebuild/config.py",
    "coursebuild/source.py",
    "coursebuild/convert.py",
    "coursebuild/notebook.py",
    "coursebuild/execute.py",
    "coursebuild/preamble.py",
    "coursebuild/estimates.py",
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


def shared_files(root: Path = ROOT) -> list[Path]:
    """Return the shared input files that exist, in a stable order."""
    found: set[Path] = set()
    for pattern in SHARED_INPUTS:
        found.update(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def shared_sha1(
    config: CourseConfig, root: Path = ROOT, outline: preamble.Outline | None = None
) -> str:
    """Hash of everything every notebook depends on: the course keys and the shared files.

    Computed once per build and combined with each session in `inputs_sha1`.
    """
    digest = hashlib.sha1(json.dumps(config.metadata, sort_keys=True).encode() + b"\0")
    links = preamble.outline(root) if outline is None else json.dumps(outline)
    digest.update(links.encode() + b"\0")  # the navigation links
    for path in shared_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def inputs_sha1(source: Source, variant: str, shared: str) -> str:
    """Hash one notebook's inputs.

    They are its session and every file it includes, its variant, the shared hash.
    """
    digest = hashlib.sha1(f"{variant}\0{shared}\0".encode())
    digest.update(source.files_sha1.encode())
    return digest.hexdigest()
