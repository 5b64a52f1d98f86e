"""Start a session notebook: threads, data folder, quiet imports, the course's look.

Every session's first code cell after its parameters is ``say = session.start(data_dir)``:
what used to be ~85 lines of set-up at the top of each notebook, stated once here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

# One thread for the linear algebra: the session's matrices are small, and on a busy
# machine several threads mostly wait for each other (fits can take several times longer).
# Multi-threaded OpenBLAS also sums in a different order from run to run, which moves
# lme4's estimates in their last digits. Read by the libraries when they load.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def start(data_dir: str | os.PathLike | None = None, *, theme: bool = True) -> Callable:
    """Prepare the notebook; return `say`, which shows a sentence as Markdown.

    Parameters
    ----------
    data_dir : str or path, optional
        Folder of the course data (the notebook's ``data_dir`` parameter). None keeps
        ``QM_DATA_DIR`` if set, else the user's cache folder (see `helpers.data.data_dir`).
    theme : bool
        Apply the course's plot look (`helpers.plots.set_theme`).

    Returns
    -------
    callable
        `say`.

    Notes
    -----
    Thread counts you have set yourself are kept; the ones not set become 1. They only
    take effect when this runs before numpy is first imported, as it does at the top of
    a notebook (``import helpers`` imports no library).
    """
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    if data_dir is not None and str(data_dir) != "":
        os.environ["QM_DATA_DIR"] = str(Path(data_dir).expanduser())
    quiet_imports()
    if theme:
        from helpers.plots import set_theme

        set_theme()
    return say


def quiet_imports() -> None:
    """Silence warnings about the environment, not about the analysis.

    tqdm (imported by pooch and pymer4) warns once that Jupyter widgets are missing;
    that says nothing about the data or the models, so it is not shown.
    """
    warnings.filterwarnings("ignore", message=r"IProgress not found", category=Warning)
    warnings.filterwarnings("ignore", category=Warning, module=r"tqdm(\..*)?$")


def say(text: str) -> None:
    """Show a sentence built from computed values as Markdown (plain text outside Jupyter).

    Examples
    --------
    >>> say("The mean is **3.0**.")  # doctest: +ELLIPSIS
    <IPython.core.display.Markdown object>
    """
    from IPython.display import Markdown, display

    display(Markdown(text))
