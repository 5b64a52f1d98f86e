"""Course helpers: data, mixed-model summaries, plots, notebook start-up and fitting.

One module per concern, as pooch does: ``registry`` (data files, cache, fetch),
``columns`` (column checks), ``transforms`` (Gorard index, logs), ``tables`` (the
schools tables), ``dictionary`` (column meanings), ``mixed``, ``regression``,
``plots``, ``precision`` (numbers at the precision a fit determines), ``session`` (a
notebook's start-up), ``fitting``, ``draws`` (random draws R reproduces) and ``checks``
(the exercises' self-checks); ``data``
re-exports the first five for older code.

Import the modules you need (``from helpers import tables, mixed``). Importing the
package itself reads no file and loads no library: the modules load on first use, so a
notebook's first cell can check that ``helpers`` is installed, and ``session.start()``
can set the linear-algebra threads, before numpy is imported.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qm-helpers")
except PackageNotFoundError:  # run from a folder without being installed
    __version__ = "0+unknown"

MODULES = (
    "checks",
    "columns",
    "data",
    "dictionary",
    "draws",
    "fitting",
    "mixed",
    "plots",
    "precision",
    "registry",
    "regression",
    "session",
    "tables",
    "transforms",
)
# The most used names, re-exported from the module that defines them.
NAMES = {
    "analysis_table": "tables",
    "data_dir": "registry",
    "describe": "dictionary",
    "fetch": "registry",
    "gorard_index": "transforms",
    "load_schools": "tables",
    "log_columns": "transforms",
    "require_columns": "columns",
}

__all__ = sorted((*MODULES, *NAMES))


def __getattr__(name: str):
    """Load a module (or one of the re-exported names) the first time it is asked for."""
    if name in MODULES:
        return importlib.import_module(f"helpers.{name}")
    if name in NAMES:
        return getattr(importlib.import_module(f"helpers.{NAMES[name]}"), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
