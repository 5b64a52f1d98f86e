"""Everything the course knows about each language it can teach in, in one place.

A course declares its languages in `_quarto.yml` (``multicode.languages``);
each must be one of `LANGUAGES`. What differs between languages lives here
and nowhere else: the Jupyter kernel and ``language_info`` a notebook
records, the tab label when `_quarto.yml` gives none (passed to the Lua
filters as metadata), the first cell's "what you need" note and the
install cell, and what `./course doctor` checks for the language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """One language's facts (see the module docstring)."""

    id: str  # as in `multicode.languages` and a chunk's ```{id}
    label: str  # tab label, unless `multicode.labels` says otherwise
    kernel: dict[str, str]  # the notebook's kernelspec
    language_info: dict[str, str]
    needs: str  # markdown: what running the notebook needs ({requirements}, {setup} links)
    install: str  # code of the install cell ({version}, {wheel}, {tarball})
    # Checked exercises (coursebuild.exercises): the student's empty answer, an
    # assignment, the check call (after its import, if any) and the cell that
    # prints what the worked answers' checks measured.
    empty: str = ""
    assign: str = "{name} = {value}"
    check_import: str = ""
    check_call: str = "check({args})"
    record: str = ""
    words: dict[str, str] | None = None  # how a kind is said, if not as Python (checks.WORDS)


PYTHON = Language(
    id="python",
    label="Python",
    kernel={"name": "python3", "display_name": "Python 3", "language": "python"},
    language_info={"name": "python", "file_extension": ".py", "mimetype": "text/x-python"},
    needs=(
        "**To run this notebook** you need Python 3.11 to 3.13 with the packages in "
        "[requirements.txt]({requirements}) (Colab has most of them).\\\n"
        "The cell after the parameters installs the course's helpers (`qm-helpers`) at "
        "this notebook's version when missing; R and `lme4` are optional (they only add "
        "cross-checks).\\\n"
        "Step by step, on your computer or in Colab: [setup]({setup})."
    ),
    install=(
        "# The course's helpers, qm-helpers {version}: installed unless that version is there\n"
        "import importlib.metadata\n"
        "\n"
        "try:\n"
        '    installed = importlib.metadata.version("qm-helpers")\n'
        "except importlib.metadata.PackageNotFoundError:\n"
        "    installed = None\n"
        'if installed != "{version}":\n'
        '    %pip install -q "{wheel}"\n'
        "    importlib.invalidate_caches()"
    ),
    empty="...",
    check_import="from helpers.checks import check",
    record="from helpers.checks import recorded\n\nprint(recorded())",
)

R = Language(
    id="r",
    label="R",
    kernel={"name": "ir", "display_name": "R", "language": "R"},
    language_info={"name": "R", "file_extension": ".r", "mimetype": "text/x-r-source"},
    needs=(
        "**To run this notebook** you need R 4.2 or later with the packages the setup page "
        "lists (lme4, ggplot2, jsonlite, digest, ...) and Jupyter's R kernel (IRkernel).\\\n"
        "The cell after the parameters installs the course's R helpers (package `qmhelpers`) "
        "at this notebook's version when missing.\\\n"
        "Step by step, on your computer or in Colab: [setup]({setup})."
    ),
    install=(
        "# The course's R helpers, qmhelpers {version}: installed unless that version is there\n"
        'if (!requireNamespace("qmhelpers", quietly = TRUE) ||\n'
        '    packageVersion("qmhelpers") != "{version}") {{\n'
        '  needed <- c("jsonlite", "digest")\n'
        "  needed <- needed[!vapply(needed, requireNamespace, logical(1), quietly = TRUE)]\n"
        '  if (length(needed)) install.packages(needed, repos = "https://cloud.r-project.org")\n'
        '  install.packages("{tarball}", repos = NULL, type = "source")\n'
        "}}"
    ),
    empty="NULL",
    assign="{name} <- {value}",
    check_call="qmhelpers::check({args})",
    record="qmhelpers::check_recorded()",
    words={
        "table": "a table (data frame)",
        "plot": "a plot (a ggplot)",
        "logical": "TRUE or FALSE",
        "numbers": "a numeric vector",
    },
)

LANGUAGES: dict[str, Language] = {lang.id: lang for lang in (PYTHON, R)}


def kernel_names() -> dict[str, str]:
    """Return each language's Jupyter kernel name, by language id."""
    return {lang.id: lang.kernel["name"] for lang in LANGUAGES.values()}
