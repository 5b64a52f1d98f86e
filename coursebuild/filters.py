"""The project's Lua filters, in the one order `_quarto.yml` declares.

`_quarto.yml`'s ``filters:`` list is the only place the order is written:
the site runs those filters (each name resolved through
``_extensions/<name>/_extension.yml``, as Quarto resolves a project
extension), and the notebook build runs the same list followed by the one
build-only filter, ``filters/cells.lua``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import BuildError

# The notebook build's only filter of its own: chunks become notebook cells.
NOTEBOOK_ONLY = "filters/cells.lua"


def declared(root: Path, config: dict | None = None) -> list[str]:
    """`_quarto.yml`'s ``filters:`` entries as written (``quarto`` included).

    `config` is `_quarto.yml` already loaded (read here when not given).
    """
    path = root / "_quarto.yml"
    if config is None:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = []
    for entry in config.get("filters") or []:
        name = entry if isinstance(entry, str) else (entry or {}).get("path")
        if not name:
            raise BuildError(path, None, f"filters: entry {entry!r} names no filter")
        names.append(str(name))
    return names


def lua_files(root: Path, name: str) -> list[str]:
    """Return the Lua files (relative to `root`) behind one ``filters:`` name."""
    if name.endswith(".lua"):
        if not (root / name).exists():
            raise BuildError(root / "_quarto.yml", None, f"filter {name} does not exist")
        return [name]
    manifest = root / "_extensions" / name / "_extension.yml"
    if not manifest.exists():
        raise BuildError(
            root / "_quarto.yml", None, f"filter {name!r}: no _extensions/{name}/_extension.yml"
        )
    ext = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    files = (ext.get("contributes") or {}).get("filters") or []
    found = [f"_extensions/{name}/{f}" for f in files if (manifest.parent / f).exists()]
    if not found:
        raise BuildError(manifest, None, f"extension {name!r} contributes no existing Lua filter")
    return found


def notebook_filters(root: Path, config: dict | None = None) -> tuple[str, ...]:
    """List the notebook build's filters: `_quarto.yml`'s (without ``quarto``), then cells."""
    names = declared(root, config)
    files = [f for name in names if name != "quarto" for f in lua_files(root, name)]
    return (*files, NOTEBOOK_ONLY)
