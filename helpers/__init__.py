"""Course helpers: data, mixed-model summaries, plots, notebook start-up and fitting.

Import the modules you need (``from helpers import data, mixed, plots``). Importing the
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

MODULES = ("data", "fitting", "mixed", "plots", "session")
# Names re-exported from helpers.data, as before the package loaded lazily.
DATA_NAMES = (
    "analysis_table",
    "data_dir",
    "describe",
    "fetch",
    "gorard_index",
    "load_schools",
    "log_columns",
    "require_columns",
)

__all__ = sorted((*MODULES, *DATA_NAMES))


def __getattr__(name: str):
    """Load a module (or a name of helpers.data) the first time it is asked for."""
    if name in MODULES:
        return importlib.import_module(f"helpers.{name}")
    if name in DATA_NAMES:
        return getattr(importlib.import_module("helpers.data"), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
