"""Course helpers: data, mixed-model summaries and plots used by the sessions.

Import the modules you need (``from helpers import data, mixed, plots``); importing the
package reads no file.
"""

from helpers import data, mixed, plots
from helpers.data import (
    analysis_table,
    data_dir,
    describe,
    fetch,
    gorard_index,
    load_schools,
    log_columns,
    require_columns,
)

__all__ = [
    "analysis_table",
    "data",
    "data_dir",
    "describe",
    "fetch",
    "gorard_index",
    "load_schools",
    "log_columns",
    "mixed",
    "plots",
    "require_columns",
]
