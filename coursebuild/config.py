"""Course configuration, read from `_quarto.yml` (the site and the build share it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import BuildError

ROOT = Path(__file__).resolve().parent.parent

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
    metadata: dict  # the course/multicode/qna keys, passed to pandoc as metadata

    @classmethod
    def load(cls, root: Path = ROOT) -> CourseConfig:
        path = root / "_quarto.yml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise BuildError(path, mark.line + 1 if mark else None, f"invalid YAML: {exc}") from exc
        multicode = data.get("multicode") or {}
        languages = tuple(str(lang).lower() for lang in multicode.get("languages") or [])
        if not languages:
            raise BuildError(path, None, "multicode.languages must list the course's languages")
        unknown = [lang for lang in languages if lang not in KERNELS]
        if unknown:
            raise BuildError(
                path,
                None,
                f"no Jupyter kernel known for language(s) {unknown}; known: {sorted(KERNELS)}",
            )
        metadata = {key: data[key] for key in ("course", "multicode", "qna") if key in data}
        return cls(languages=languages, metadata=metadata)
