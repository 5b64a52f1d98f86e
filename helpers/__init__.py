"""Course helpers: data, mixed-model summaries and plots used by the sessions.

One module per concern, as pooch does: ``registry`` (data files, cache, fetch),
``columns`` (column checks), ``transforms`` (Gorard index, logs), ``tables`` (the
schools tables), ``dictionary`` (column meanings), ``mixed`` and ``plots``; ``data``
re-exports the first five for older code. This package only re-exports: importing it
reads no file.
"""

from helpers import columns, data, dictionary, mixed, plots, registry, tables, transforms
from helpers.columns import require_columns
from helpers.dictionary import describe
from helpers.registry import data_dir, fetch
from helpers.tables import analysis_table, load_schools
from helpers.transforms import gorard_index, log_columns

__all__ = [
    "analysis_table",
    "columns",
    "data",
    "data_dir",
    "describe",
    "dictionary",
    "fetch",
    "gorard_index",
    "load_schools",
    "log_columns",
    "mixed",
    "plots",
    "registry",
    "require_columns",
    "tables",
    "transforms",
]
