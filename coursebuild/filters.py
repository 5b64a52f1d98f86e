"""The project's Lua filters, in the one order `_quarto.yml` declares.

`_quarto.yml`'s ``filters:`` list is the only place the order is written:
the site runs those filters (each name resolved through
``_extensions/<name>/_extension.yml``, as Quarto resolves a project
extension), and the notebook build runs the same list followed by the one
build-only filter, ``filters/cells.lua``.
"""

from __future__ import annotations

from pathlib import Path

from .problems import BuildError, read_yaml

# The notebook build's only filter of its own: chunks become notebook cells.
NOTEBOOK_ONLY = "filters/cells.lua"


def declared(config: dict) -> list[str]:
    """`_quarto.yml`'s ``filters:`` entries as written (``quarto`` included)."""
    names = []
    for entry in config.get("filters") or []:
        name = entry if isinstance(entry, str) else (entry or {}).get("path")
        if not name:
            raise BuildError("_quarto.yml", None, f"filters: entry {entry!r} names no filter")
        names.append(str(name))
    return names


def lua_files(root: Path, name: str) -> list[str]:
    """Return the Lua files (relative to `root`) behind one ``filters:`` name."""
    if name.endswith(".lua"):
        if not (root / name).exists():
            raise BuildError("_quarto.yml", None, f"filter {name} does not exist")
        return [name]
    manifest = root / "_extensions" / name / "_extension.yml"
    if not manifest.exists():
        raise BuildError(
            "_quarto.yml", None, f"filter {name!r}: no _extensions/{name}/_extension.yml"
        )
    ext = read_yaml(manifest, root)
    files = ((ext if isinstance(ext, dict) else {}).get("contributes") or {}).get("filters") or []
    found = [f"_extensions/{name}/{f}" for f in files if (manifest.parent / f).exists()]
    if not found:
        shown = f"_extensions/{name}/_extension.yml"
        raise BuildError(shown, None, f"extension {name!r} contributes no existing Lua filter")
    return found


def notebook_filters(root: Path, config: dict) -> tuple[str, ...]:
    """List the notebook build's filters: `_quarto.yml`'s (without ``quarto``), then cells."""
    files = [f for name in declared(config) if name != "quarto" for f in lua_files(root, name)]
    return (*files, NOTEBOOK_ONLY)
