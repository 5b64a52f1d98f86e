"""The course's data helpers under one name, for code written before the split.

Each concern has its own module; import from those in new code:

- :mod:`helpers.registry`: the registry of data files, the cache folder, :func:`fetch`;
- :mod:`helpers.columns`: :func:`require_columns` and its error;
- :mod:`helpers.transforms`: :func:`gorard_index`, :func:`log_columns`;
- :mod:`helpers.tables`: :func:`load_schools`, :func:`analysis_table`;
- :mod:`helpers.dictionary`: :func:`describe`.

This module only re-exports them (it reads no file).
"""

from helpers.columns import MissingColumnsError, require_columns
from helpers.dictionary import describe
from helpers.registry import ENV_VAR, data_dir, fetch
from helpers.tables import analysis_table, load_schools
from helpers.transforms import gorard_index, log_columns

__all__ = [
    "ENV_VAR",
    "MissingColumnsError",
    "analysis_table",
    "data_dir",
    "describe",
    "fetch",
    "gorard_index",
    "load_schools",
    "log_columns",
    "require_columns",
]
