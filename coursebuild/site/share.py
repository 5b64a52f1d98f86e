"""Where Quarto's own render resources are: its *share* folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..config import ROOT

SHARE_ENV = "QUARTO_SHARE_PATH"


class SiteError(Exception):
    """A page could not be rendered; the message says which page and why."""


def share_path(root: Path = ROOT) -> Path:
    """Quarto's share folder: installed Quarto, else $QUARTO_SHARE_PATH, else ../shared."""
    quarto = shutil.which("quarto")
    candidates: list[tuple[str, Path]] = []
    if quarto:
        out = subprocess.run([quarto, "--paths"], capture_output=True, text=True).stdout
        candidates += [("quarto --paths", Path(line.strip())) for line in out.splitlines()]
    if os.environ.get(SHARE_ENV):
        candidates.append((f"${SHARE_ENV}", Path(os.environ[SHARE_ENV])))
    for folder in dict.fromkeys((root, ROOT)):  # the project, then this checkout (a scratch
        # course made by a test or an instructor renders with this checkout's copy)
        candidates.append(("beside the checkout", folder.parent / "shared" / "quarto" / "share"))
    for _, path in candidates:
        if (path / "filters" / "main.lua").is_file() and (path / "rmd" / "rmd.R").is_file():
            return path
    tried = ", ".join(f"{where}: {path}" for where, path in candidates)
    raise SiteError(
        f"Quarto's resources not found (tried {tried}); install Quarto or set {SHARE_ENV}"
    )
