"""Course configuration, read once per build from `_quarto.yml` (and `_variables.yml`).

The site and the build share `_quarto.yml`; `CourseConfig.load` is the one
place that parses it and checks the declared languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import BuildError, load_yaml
from .filters import notebook_filters

ROOT = Path(__file__).resolve().parent.parent

# The keys of `_quarto.yml` the filters read as metadata (and the build hashes).
COURSE_KEYS = ("course", "multicode", "qna")

# Jupyter kernel and language_info of each language the course can declare.
KERNELS: dict[str, dict[str, str]] = {
    "python": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "r": {"name": "ir", "display_name": "R", "language": "R"},
}
LANGUAGE_INFO: dict[str, dict[str, str]] = {
    "python": {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"},
    "r": {"name": "R", "file_extension": ".r", "mimetype": "text/x-r-source"},
}


@dataclass(frozen=True)
class CourseConfig:
    """What the build needs from `_quarto.yml`."""

    languages: tuple[str, ...]
    metadata: dict  # the COURSE_KEYS, passed to pandoc as metadata
    quarto: dict  # all of `_quarto.yml`, for `{{< meta key >}}`
    variables: dict  # `_variables.yml`, for `{{< var key >}}`
    filters: tuple[str, ...] = ()  # the build's Lua filters, in order (coursebuild.filters)

    @classmethod
    def load(cls, root: Path = ROOT) -> CourseConfig:
        """Read the course's ``_quarto.yml``; a missing or broken one is a `BuildError`."""
        path = root / "_quarto.yml"
        data = _yaml_file(path, root)
        if not isinstance(data, dict):
            raise BuildError("_quarto.yml", None, "must be a YAML mapping (key: value lines)")
        variables_file = root / "_variables.yml"
        variables = _yaml_file(variables_file, root) if variables_file.exists() else {}
        multicode = data.get("multicode") or {}
        languages = tuple(str(lang).lower() for lang in multicode.get("languages") or [])
        if not languages:
            raise BuildError(
                "_quarto.yml",
                None,
                "multicode.languages must list the course's languages, e.g. "
                "'multicode: {languages: [python, r]}'",
            )
        unknown = [lang for lang in languages if lang not in KERNELS]
        if unknown:
            raise BuildError(
                "_quarto.yml",
                None,
                f"no Jupyter kernel known for language(s) {unknown}; known: {sorted(KERNELS)}",
            )
        metadata = {key: data[key] for key in COURSE_KEYS if key in data}
        return cls(
            languages=languages,
            metadata=metadata,
            quarto=data,
            variables=variables if isinstance(variables, dict) else {},
            filters=notebook_filters(root, data),
        )


def _yaml_file(path: Path, root: Path) -> object:
    """Return a YAML file's content; a syntax error names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(path.name, None, f"cannot read: {exc}") from exc
    try:
        return load_yaml(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise BuildError(path.relative_to(root).as_posix(), line, f"invalid YAML: {exc}") from exc
