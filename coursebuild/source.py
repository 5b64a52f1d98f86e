"""Read a session `.qmd` and rewrite it into markdown that plain pandoc reads.

Pandoc's markdown reader does not see ```` ```{python} ```` as a code block
(Quarto rewrites executable-chunk fences before pandoc reads a file). This
module does the same rewrite, line by line, and checks what only the source
text can show, each error naming the file and line:

* the YAML front matter parses and is closed;
* every fenced div is closed, and no ``:::`` closes a div that is not open;
* chunk labels are unique;
* every chunk's language is one the course declares.

Each chunk ```` ```{python} ```` with ``#|`` option lines becomes
```` ``` {.python .cell data-source-line="N" label="..." eval="false"} ````
with the option lines removed from its code; every div opener gets
``data-source-line="N"`` so the Lua filters can name the line too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import BuildError

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
CHUNK_INFO = re.compile(r"^\{(?P<lang>[A-Za-z][\w-]*)(?P<rest>[^}]*)\}$")
DIV_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<colons>:{3,})\s*(?P<attr>[^:\s].*?)\s*:*\s*$")
DIV_CLOSE = re.compile(r"^ {0,3}:{3,}\s*$")
OPTION = re.compile(r"^#\|\s?(?P<yaml>.*)$")
LABEL_OK = re.compile(r"^[A-Za-z][\w-]{0,63}$")  # also a valid notebook cell id


@dataclass
class Chunk:
    """One executable chunk of a session."""

    lang: str
    line: int  # line of the opening fence, 1-based
    code: str  # without the `#|` option lines
    options: dict = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return None if label is None else str(label)


@dataclass
class Source:
    """A session source: its front matter, its chunks and the pandoc-ready text."""

    path: Path
    text: str  # the original text
    meta: dict
    chunks: list[Chunk]
    markdown: str  # rewritten for plain pandoc
    sha1: str = ""  # of the file's bytes: the site's filter hashes the same bytes

    @property
    def name(self) -> str:
        return self.path.stem


def has_div(path: Path, cls: str) -> bool:
    """Whether a session opens a fenced div of class `cls` (``::: cls`` or ``{.cls ...}``)."""
    opener = re.compile(
        r"^ {0,3}:{3,}\s*(\{[^}]*\." + re.escape(cls) + r"\b|" + re.escape(cls) + r"\s*$)"
    )
    return any(opener.match(line) for line in path.read_text(encoding="utf-8").splitlines())


def read(path: Path, languages: tuple[str, ...], display: str | None = None) -> Source:
    """Read and check a session, returning it with its pandoc-ready markdown.

    `display` is the file name used in error messages (a path relative to the
    project, so messages carry no machine paths).
    """
    shown = display or str(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(shown, None, f"not UTF-8 text ({exc})") from exc
    src = parse(text, shown, languages, path=path)
    src.sha1 = hashlib.sha1(data).hexdigest()
    return src


def parse(text: str, shown: str, languages: tuple[str, ...], path: Path | None = None) -> Source:
    """Check `text` and rewrite it; see the module docstring."""
    lines = text.splitlines()
    meta, body_start = _front_matter(lines, shown)
    out = lines[:body_start]
    chunks: list[Chunk] = []
    open_divs: list[int] = []
    labels: dict[str, int] = {}
    i = body_start
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            end = _fence_end(lines, i, fence.group("fence"))
            info = CHUNK_INFO.match(fence.group("info"))
            if info is None:  # plain or raw code block: copied as it is
                out.extend(lines[i : end + 1])
            else:
                chunk = _chunk(lines, i, end, info, shown, languages)
                if chunk.label is not None:
                    if chunk.label in labels:
                        raise BuildError(
                            shown,
                            chunk.line,
                            f"duplicate chunk label '{chunk.label}' "
                            f"(first used at line {labels[chunk.label]}); labels are unique "
                            f"in a page, e.g. '{chunk.label}-{chunk.lang}'",
                        )
                    labels[chunk.label] = chunk.line
                chunks.append(chunk)
                out.append(fence.group("indent") + fence.group("fence") + " " + _attributes(chunk))
                out.extend(chunk.code.split("\n") if chunk.code else [])
                out.append(fence.group("indent") + fence.group("fence"))
            i = end + 1
            continue
        if DIV_CLOSE.match(line):
            if not open_divs:
                raise BuildError(shown, i + 1, "':::' closes a div that was never opened")
            open_divs.pop()
            out.append(line)
        elif (opener := DIV_OPEN.match(line)) is not None:
            open_divs.append(i + 1)
            out.append(
                opener.group("indent") + opener.group("colons") + " " + _div_attr(opener, i + 1)
            )
        else:
            out.append(line)
        i += 1
    if open_divs:
        raise BuildError(shown, open_divs[-1], "div opened here is never closed (missing ':::')")
    markdown = "\n".join(out) + "\n"
    return Source(
        path=path or Path(shown),
        text=text,
        meta=meta,
        chunks=chunks,
        markdown=markdown,
        sha1=hashlib.sha1(text.encode("utf-8")).hexdigest(),
    )


def _front_matter(lines: list[str], shown: str) -> tuple[dict, int]:
    """Parse the YAML front matter; return it and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise BuildError(shown, 1, "front matter opened here is never closed (missing '---')")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        # Where the broken construct starts (an unclosed quote) beats where it was noticed.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise BuildError(shown, line, f"front matter is not valid YAML: {problem}") from exc
    if not isinstance(meta, dict):
        raise BuildError(shown, 2, "front matter must be a YAML mapping (key: value lines)")
    return meta, end + 1


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the code fence opened at `start` (or the last line)."""
    closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    for j in range(start + 1, len(lines)):
        if closing.match(lines[j]):
            return j
    return len(lines) - 1


def _chunk(lines, start, end, info, shown, languages) -> Chunk:
    lang = info.group("lang").lower()
    line = start + 1
    if lang not in languages:
        raise BuildError(
            shown,
            line,
            f"chunk in language '{lang}', which the course does not declare "
            f"(multicode.languages in _quarto.yml: {', '.join(languages)})",
        )
    if info.group("rest").strip(" ,"):
        raise BuildError(
            shown,
            line,
            f"chunk options in the fence header ('{info.group('rest').strip()}') are not "
            "supported: write them as '#| key: value' lines",
        )
    body = lines[start + 1 : end]
    option_lines: list[str] = []
    k = 0
    while k < len(body) and (opt := OPTION.match(body[k])) is not None:
        option_lines.append(opt.group("yaml"))
        k += 1
    options: dict = {}
    if option_lines:
        try:
            options = yaml.safe_load("\n".join(option_lines)) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = line + 1 + (mark.line if mark is not None else 0)
            raise BuildError(shown, at, f"chunk options are not valid YAML: {exc}") from exc
        if not isinstance(options, dict):
            raise BuildError(shown, line + 1, "chunk options must be '#| key: value' lines")
    label = options.get("label")
    if label is not None and not LABEL_OK.match(str(label)):
        raise BuildError(
            shown,
            line + 1,
            f"chunk label '{label}' must start with a letter and use only letters, "
            "digits, '-' and '_' (at most 64)",
        )
    code = "\n".join(body[k:]).rstrip()
    return Chunk(lang=lang, line=line, code=code, options=options)


def _attributes(chunk: Chunk) -> str:
    """Pandoc attribute block for a chunk: language and `cell` classes, options as strings."""
    parts = [f".{chunk.lang}", ".cell", f'data-source-line="{chunk.line}"']
    for key, value in chunk.options.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, dict)):
            text = json.dumps(value)
        else:
            text = str(value)
        quote = "'" if '"' in text else '"'
        parts.append(f"{key}={quote}{text}{quote}")
    return "{" + " ".join(parts) + "}"


def _div_attr(opener: re.Match, line: int) -> str:
    """The div's attributes with `data-source-line` added."""
    attr = opener.group("attr").strip()
    if attr.startswith("{") and attr.endswith("}"):
        return attr[:-1].rstrip() + f' data-source-line="{line}"}}'
    return f'{{.{attr} data-source-line="{line}"}}'
