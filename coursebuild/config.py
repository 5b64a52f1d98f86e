"""The course configuration: what the build and the site need from `_quarto.yml`.

`CourseConfig.load` is the one place that reads `_quarto.yml` (and
`_variables.yml`) and checks the declared languages; a `Course`
(`coursebuild.course`) loads it once and hands it to every step.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from .filters import notebook_filters
from .languages import LANGUAGES
from .problems import BuildError, read_yaml

ROOT = Path(__file__).resolve().parent.parent

# The keys of `_quarto.yml` the filters read as metadata (and the build hashes).
COURSE_KEYS = ("course", "multicode", "qna")


@dataclass(frozen=True)
class CourseConfig:
    """What the build needs from `_quarto.yml`."""

    languages: tuple[str, ...]
    metadata: dict  # the COURSE_KEYS, passed to pandoc as metadata (labels filled in)
    quarto: dict  # all of `_quarto.yml`, for `{{< meta key >}}` and the site
    variables: dict  # `_variables.yml`, for `{{< var key >}}`
    filters: tuple[str, ...] = ()  # the build's Lua filters, in order (coursebuild.filters)

    @classmethod
    def load(cls, root: Path = ROOT) -> CourseConfig:
        """Read the course's ``_quarto.yml``; a missing or broken one is a `BuildError`."""
        data = read_yaml(root / "_quarto.yml", root)
        if not isinstance(data, dict):
            raise BuildError("_quarto.yml", None, "must be a YAML mapping (key: value lines)")
        variables_file = root / "_variables.yml"
        variables = read_yaml(variables_file, root) if variables_file.exists() else {}
        multicode = data.get("multicode") or {}
        languages = tuple(str(lang).lower() for lang in multicode.get("languages") or [])
        if not languages:
            raise BuildError(
                "_quarto.yml",
                None,
                "multicode.languages must list the course's languages, e.g. "
                "'multicode: {languages: [python, r]}'",
            )
        unknown = [lang for lang in languages if lang not in LANGUAGES]
        if unknown:
            raise BuildError(
                "_quarto.yml",
                None,
                f"no Jupyter kernel known for language(s) {unknown}; known: {sorted(LANGUAGES)}",
            )
        return cls(
            languages=languages,
            metadata=_metadata(data, languages),
            quarto=data,
            variables=variables if isinstance(variables, dict) else {},
            filters=notebook_filters(root, data),
        )


def _metadata(data: dict, languages: tuple[str, ...]) -> dict:
    """Return the course keys as the filters read them, every declared language labelled.

    `_quarto.yml` may leave a label out; the filters then get the one from
    `coursebuild.languages`, so no filter keeps a table of languages of its own.
    """
    metadata = {key: copy.deepcopy(data[key]) for key in COURSE_KEYS if key in data}
    multicode = metadata.setdefault("multicode", {})
    given = {str(k).lower(): v for k, v in (multicode.get("labels") or {}).items()}
    multicode["labels"] = {lang: given.get(lang, LANGUAGES[lang].label) for lang in languages}
    return metadata
