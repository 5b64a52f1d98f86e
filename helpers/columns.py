"""Column checks whose errors a student can act on (what is missing, what exists)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["MissingColumnsError", "require_columns"]


class MissingColumnsError(KeyError):
    """A table lacks columns a helper needs; the message lists missing and existing ones."""

    def __str__(self) -> str:
        """Return the message as written: KeyError would show it quoted on one line."""
        return str(self.args[0]) if self.args else ""


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, where: str) -> None:
    """Raise an error a student can act on when ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    columns : sequence of str
        Columns that must exist.
    where : str
        What needs them, shown in the message (e.g. ``"gorard_index"``).

    Raises
    ------
    MissingColumnsError
        A ``KeyError`` listing the missing columns and the existing ones.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], where="example")
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnsError(
            f"{where}: missing column(s) {missing}. Existing columns: {list(df.columns)}"
        )
