"""Read a session `.qmd` once and rewrite it into markdown that plain pandoc reads.

Pandoc's markdown reader does not see ```` ```{python} ```` as a code block
(Quarto rewrites executable-chunk fences before pandoc reads a file). This
module does the same rewrite, line by line, after what Quarto does first:

* ``{{< include _file.qmd >}}`` lines are replaced by that file (path
  relative to the including file), recursively; every line keeps the file
  and line it came from, so problems point at the right ``file:line``;
* ``{{< var key >}}`` (from ``_variables.yml``) and ``{{< meta key >}}``
  (front matter, then ``_quarto.yml``) are expanded in the prose.

It checks what only the source text can show, collecting every problem
(`Source.problems`) rather than stopping at the first: the front matter
parses; divs are closed and a multicode block is not nested in another;
chunk labels are valid and unique; chunk languages are declared; images
exist (a missing one is a warning: the notebook shows its description).

Each chunk gets its identity here, once: its label, else
``<lang>-<sha1 of its code>[:10]``, repeats suffixed ``-2``, ``-3``. A chunk
```` ```{python} ```` with ``#|`` option lines becomes
```` ``` {#id .python .cell data-source-line="N" label="..." eval="false"} ````
(option lines removed from its code); pandoc carries ``#id`` to the notebook
cell's id. Every div opener gets ``data-source-line="N"`` (and
``data-source-file`` when it comes from an included file) so the Lua filters
can name the place too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from .errors import BuildError, Problem, load_yaml

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
CHUNK_INFO = re.compile(r"^\{(?P<lang>[A-Za-z][\w-]*)(?P<rest>[^}]*)\}$")
DIV_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<colons>:{3,})\s*(?P<attr>[^:\s].*?)\s*:*\s*$")
DIV_CLOSE = re.compile(r"^ {0,3}:{3,}\s*$")
OPTION = re.compile(r"^#\|\s?(?P<yaml>.*)$")
LABEL_OK = re.compile(r"^[A-Za-z][\w-]{0,63}$")  # also a valid notebook cell id
INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\S+?)\s*>\}\}\s*$")
SHORTCODE = re.compile(
    r"(?P<open>\{?)\{\{<\s*(?P<name>[\w-]+)\s*(?P<args>.*?)\s*>\}\}(?P<close>\}?)"
)
IMAGE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>(?:\{\{<.*?>\}\}|[^)\s>])+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"(?P<attr>\{[^}]*\})?"
)


@dataclass
class Chunk:
    """One executable chunk of a session."""

    lang: str
    line: int  # line of the opening fence, 1-based, in `file`
    code: str  # without the `#|` option lines
    options: dict = field(default_factory=dict)
    file: str = ""  # the file it is written in (the session, or a file it includes)
    id: str = ""  # its notebook cell id, given once by `load` (see the module docstring)

    @property
    def label(self) -> str | None:
        """Return the chunk's ``label`` option as text, or None when it has none."""
        label = self.options.get("label")
        return None if label is None else str(label)


@dataclass
class Source:
    """A session source: its front matter, its chunks and the pandoc-ready text."""

    path: Path
    text: str  # the session's own text
    meta: dict
    chunks: list[Chunk]
    markdown: str  # rewritten for plain pandoc
    sha1: str = ""  # of the session file's bytes: the site's filter hashes the same bytes
    problems: list[Problem] = field(default_factory=list)
    divs: set[str] = field(default_factory=set)  # classes of the fenced divs it opens
    files: dict[str, bytes] = field(default_factory=dict)  # every file read, by shown name
    fatal: bool = False  # a problem that leaves pandoc nothing sensible to read

    @property
    def name(self) -> str:
        """Name the session by its file name without ``.qmd``."""
        return self.path.stem

    @property
    def errors(self) -> list[Problem]:
        """List the problems that stop the build (warnings left out)."""
        return [p for p in self.problems if not p.warning]

    @property
    def files_sha1(self) -> str:
        """Hash of the session and every file it includes (the staleness input)."""
        digest = hashlib.sha1()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return digest.hexdigest()

    def languages(self, declared: tuple[str, ...]) -> tuple[str, ...]:
        """Return the declared languages this session has chunks in, in course order."""
        used = {c.lang for c in self.chunks}
        return tuple(lang for lang in declared if lang in used)


@dataclass
class _Line:
    text: str
    file: str
    line: int


def load(
    path: Path,
    languages: tuple[str, ...],
    display: str | None = None,
    variables: dict | None = None,
    config: dict | None = None,
) -> Source:
    """Read and check a session; problems are collected in `Source.problems`, never raised.

    `display` is the file name used in messages (a path relative to the
    project, so messages carry no machine paths); `variables` and `config`
    (`_variables.yml`, `_quarto.yml`) feed the ``var`` and ``meta`` shortcodes.
    """
    shown = display or str(path)
    problems: list[Problem] = []
    files: dict[str, bytes] = {}
    text = _decode(path, shown, problems, files)
    if text is None:
        return Source(path, "", {}, [], "", problems=problems, files=files, fatal=True)
    lines = _expand_includes(text, path, shown, problems, files, ())
    shortcodes = None if variables is None and config is None else (variables or {}, config or {})
    src = _parse(lines, shown, languages, problems, shortcodes, path)
    src.problems = _group_missing_images(src.problems)
    src.text = text
    src.files = files
    src.sha1 = hashlib.sha1(files[shown]).hexdigest()
    return src


def read(
    path: Path,
    languages: tuple[str, ...],
    display: str | None = None,
    variables: dict | None = None,
    config: dict | None = None,
) -> Source:
    """Like `load`, but raise `BuildError` listing every error found."""
    src = load(path, languages, display, variables, config)
    if src.errors:
        raise BuildError.of(src.errors)
    return src


def parse(text: str, shown: str, languages: tuple[str, ...], path: Path | None = None) -> Source:
    """Check and rewrite `text` (no includes); raise `BuildError` listing its errors."""
    problems: list[Problem] = []
    lines = [_Line(t, shown, n) for n, t in enumerate(text.splitlines(), start=1)]
    src = _parse(lines, shown, languages, problems, None, path or Path(shown))
    src.text = text
    src.sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest()
    if src.errors:
        raise BuildError.of(src.errors)
    return src


def _decode(path: Path, shown: str, problems: list[Problem], files: dict) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(shown, 0, f"cannot read: {exc.strerror}"))
        return None
    files[shown] = data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                shown,
                line,
                f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file with UTF-8 encoding",
            )
        )
        return None


def _expand_includes(text, path, shown, problems, files, stack) -> list[_Line]:
    """Return the file's lines with every ``{{< include >}}`` outside code replaced, recursively."""
    out: list[_Line] = []
    raw = text.splitlines()
    fence_end = -1
    for n, line in enumerate(raw, start=1):
        if n - 1 <= fence_end:
            out.append(_Line(line, shown, n))
            continue
        fence = FENCE.match(line)
        if fence:
            fence_end = _fence_end(raw, n - 1, fence.group("fence"))
            out.append(_Line(line, shown, n))
            continue
        include = INCLUDE.match(line)
        if include is None:
            out.append(_Line(line, shown, n))
            continue
        target = path.parent / include.group("path")
        target_shown = _join(shown, include.group("path"))
        if target_shown in stack or target_shown == shown:
            problems.append(Problem(shown, n, f"'{include.group('path')}' includes itself"))
            continue
        if not target.is_file():
            problems.append(
                Problem(
                    shown,
                    n,
                    f"included file '{include.group('path')}' not found "
                    "(the path is relative to this file)",
                )
            )
            continue
        included = _decode(target, target_shown, problems, files)
        if included is not None:
            out.extend(
                _expand_includes(included, target, target_shown, problems, files, (*stack, shown))
            )
    return out


def _join(shown: str, relative: str) -> str:
    """Return the shown name of `relative` (a path written in file `shown`), normalised."""
    parts: list[str] = []
    for part in (PurePosixPath(shown).parent / relative).parts:
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _parse(lines, shown, languages, problems, shortcodes, path) -> Source:
    """Check `lines` and rewrite them; see the module docstring.

    `shortcodes` is (variables, configuration) for ``var`` and ``meta``, or None to
    leave shortcodes as written (a caller without a course configuration).
    """
    meta, body_start = _front_matter(lines, problems)
    fatal = body_start < 0
    body_start = max(body_start, 0)
    out = [x.text for x in lines[:body_start]]
    chunks: list[Chunk] = []
    open_divs: list[tuple[_Line, set[str]]] = []
    divs: set[str] = set()
    labels: dict[str, _Line] = {}
    ids: dict[str, int] = {}
    i = body_start if not fatal else len(lines)
    while i < len(lines):
        here = lines[i]
        fence = FENCE.match(here.text)
        if fence:
            end = _fence_end([x.text for x in lines], i, fence.group("fence"))
            info = CHUNK_INFO.match(fence.group("info"))
            chunk = None if info is None else _chunk(lines, i, end, info, languages, problems)
            if chunk is None:  # plain or raw code block, or a chunk in error: copied as it is
                out.extend(x.text for x in lines[i : end + 1])
                i = end + 1
                continue
            if chunk.label is not None and LABEL_OK.match(chunk.label):
                first = labels.get(chunk.label)
                if first is not None:
                    again = "" if first.file == here.file else f" of {first.file}"
                    problems.append(
                        Problem(
                            here.file,
                            here.line,
                            f"duplicate chunk label '{chunk.label}' "
                            f"(first used at line {first.line}{again}); labels are unique "
                            f"in a page, e.g. '{chunk.label}-{chunk.lang}'",
                        )
                    )
                else:
                    labels[chunk.label] = here
            _give_id(chunk, ids)
            chunks.append(chunk)
            out.append(
                fence.group("indent") + fence.group("fence") + " " + _attributes(chunk, shown)
            )
            out.extend(chunk.code.split("\n") if chunk.code else [])
            out.append(fence.group("indent") + fence.group("fence"))
            i = end + 1
            continue
        if DIV_CLOSE.match(here.text):
            if not open_divs:
                problems.append(
                    Problem(here.file, here.line, "':::' closes a div that was never opened")
                )
                fatal = True
            else:
                open_divs.pop()
            out.append(here.text)
        elif (opener := DIV_OPEN.match(here.text)) is not None:
            classes = _div_classes(opener.group("attr"))
            outer = next((d for d in open_divs if "multicode" in d[1]), None)
            if "multicode" in classes and outer is not None:
                problems.append(
                    Problem(
                        here.file,
                        here.line,
                        "multicode block inside another multicode block (opened at line "
                        f"{outer[0].line}): its chunks would be lost; close the outer block "
                        "(':::') first, or put this code in the outer block's tabs",
                    )
                )
                fatal = True
            open_divs.append((here, classes))
            divs |= classes
            out.append(
                opener.group("indent")
                + opener.group("colons")
                + " "
                + _div_attr(opener, here, shown)
            )
        else:
            out.append(_prose(here, meta, shortcodes, path, problems))
        i += 1
    for here, _ in open_divs:
        problems.append(
            Problem(here.file, here.line, "div opened here is never closed (missing ':::')")
        )
        fatal = True
    if not fatal and not chunks and not "".join(out[body_start:]).strip():
        problems.append(
            Problem(shown, 1, "the session is empty: write its content (or delete the file)")
        )
        fatal = True
    markdown = "\n".join(out) + "\n"
    return Source(
        path=path,
        text="",
        meta=meta,
        chunks=chunks,
        markdown=markdown,
        problems=problems,
        divs=divs,
        fatal=fatal,
    )


def cell_id(lang: str, code: str, label: str | None = None) -> str:
    """Name a chunk's cell before numbering repeats: its label, else ``<lang>-<sha1(code)[:10]>``.

    `code` is the chunk's text without its ``#|`` lines, trailing white space
    stripped (as `Chunk.code` holds it).

    Examples
    --------
    >>> cell_id("python", "x = 1", label="setup")
    'setup'
    >>> cell_id("r", "x <- 1")
    'r-4390f67858'
    """
    if label is not None and LABEL_OK.match(label):
        return label
    return f"{lang}-{hashlib.sha1(code.rstrip().encode('utf-8')).hexdigest()[:10]}"


def _give_id(chunk: Chunk, seen: dict[str, int]) -> None:
    """Give `chunk` its cell id, once: `cell_id`, repeats in the session suffixed -2, -3."""
    base = cell_id(chunk.lang, chunk.code, chunk.label)
    seen[base] = seen.get(base, 0) + 1
    chunk.id = base if seen[base] == 1 else f"{base}-{seen[base]}"


def _front_matter(lines: list[_Line], problems: list[Problem]) -> tuple[dict, int]:
    """Parse the YAML front matter; return it and the index of the first body line.

    -1 when it is broken: pandoc, which reads it too, would only fail on it again.
    """
    if not lines or lines[0].text.strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].text.strip() in ("---", "..."):
            break
    else:
        problems.append(
            Problem(lines[0].file, 1, "front matter opened here is never closed (missing '---')")
        )
        return {}, -1
    shown = lines[0].file
    try:
        meta = load_yaml("\n".join(x.text for x in lines[1:end])) or {}
    except yaml.YAMLError as exc:
        # Where the broken construct starts (an unclosed quote) beats where it was noticed.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(shown, line, f"front matter is not valid YAML: {problem}"))
        return {}, -1
    if not isinstance(meta, dict):
        problems.append(Problem(shown, 2, "front matter must be a YAML mapping (key: value lines)"))
        return {}, -1
    return meta, end + 1


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the code fence opened at `start` (or the last line)."""
    closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    for j in range(start + 1, len(lines)):
        if closing.match(lines[j]):
            return j
    return len(lines) - 1


def _chunk(lines, start, end, info, languages, problems) -> Chunk | None:
    """Return the chunk fenced at `start`..`end`, or None (with a problem) if it cannot be one."""
    lang = info.group("lang").lower()
    here = lines[start]
    if lang not in languages:
        problems.append(
            Problem(
                here.file,
                here.line,
                f"chunk in language '{lang}', which the course does not declare "
                f"(multicode.languages in _quarto.yml: {', '.join(languages)})",
            )
        )
        return None
    if info.group("rest").strip(" ,"):
        problems.append(
            Problem(
                here.file,
                here.line,
                f"chunk options in the fence header ('{info.group('rest').strip()}') are not "
                "supported: write them as '#| key: value' lines",
            )
        )
        return None
    body = [x.text for x in lines[start + 1 : end]]
    option_lines: list[str] = []
    k = 0
    while k < len(body) and (opt := OPTION.match(body[k])) is not None:
        option_lines.append(opt.group("yaml"))
        k += 1
    options: dict = {}
    if option_lines:
        loaded: object = {}
        try:
            loaded = load_yaml("\n".join(option_lines)) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = here.line + 1 + (mark.line if mark is not None else 0)
            problem = getattr(exc, "problem", None) or str(exc)
            problems.append(Problem(here.file, at, f"chunk options are not valid YAML: {problem}"))
        if isinstance(loaded, dict):
            options = loaded
        else:
            problems.append(
                Problem(here.file, here.line + 1, "chunk options must be '#| key: value' lines")
            )
    label = options.get("label")
    if label is not None and not LABEL_OK.match(str(label)):
        problems.append(
            Problem(
                here.file,
                here.line + 1,
                f"chunk label '{label}' must start with a letter and use only letters, "
                "digits, '-' and '_' (at most 64)",
            )
        )
    code = "\n".join(body[k:]).rstrip()
    return Chunk(lang=lang, line=here.line, code=code, options=options, file=here.file)


def _attributes(chunk: Chunk, shown: str) -> str:
    """Write the pandoc attribute block for a chunk.

    It holds the chunk's id, language and `cell` classes, its place, its options as strings.
    """
    parts = [f"#{chunk.id}", f".{chunk.lang}", ".cell", f'data-source-line="{chunk.line}"']
    if chunk.file != shown:
        parts.append(f'data-source-file="{chunk.file}"')
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


def _div_classes(attr: str) -> set[str]:
    attr = attr.strip()
    if attr.startswith("{"):
        return set(re.findall(r"(?:^|\s|\{)\.([\w-]+)", attr))
    return {attr.split()[0]} if attr else set()


def _div_attr(opener: re.Match, here: _Line, shown: str) -> str:
    """Return the div's attributes with `data-source-line` (and the file, if included) added."""
    place = f'data-source-line="{here.line}"'
    if here.file != shown:
        place += f' data-source-file="{here.file}"'
    attr = opener.group("attr").strip()
    if attr.startswith("{") and attr.endswith("}"):
        return attr[:-1].rstrip() + f" {place}}}"
    return f"{{.{attr} {place}}}"


def _prose(here: _Line, meta, shortcodes, path, problems) -> str:
    """Return a prose line with shortcodes expanded and missing images replaced by their text."""
    text = here.text
    if "{{<" in text and shortcodes is not None:
        variables, config = shortcodes
        text = SHORTCODE.sub(lambda m: _shortcode(m, here, meta, variables, config, problems), text)
    if "![" in text:
        text = IMAGE.sub(lambda m: _image(m, here, path, problems), text)
    return text


def _group_missing_images(problems: list[Problem]) -> list[Problem]:
    """One warning per missing image and file, at its first line, naming the other lines."""
    first: dict[tuple[str, str], int] = {}
    more: dict[int, list[int]] = {}
    kept: list[Problem] = []
    for problem in problems:
        if problem.warning and problem.message.startswith("image '"):
            key = (problem.path, problem.message)
            if key in first:
                more[first[key]].append(problem.line)
                continue
            first[key] = len(kept)
            more[len(kept)] = []
        kept.append(problem)
    for index, lines in more.items():
        if lines:
            p = kept[index]
            also = ", ".join(str(n) for n in lines)
            kept[index] = Problem(p.path, p.line, f"{p.message} (also at lines {also})", True)
    return kept


def _shortcode(match: re.Match, here: _Line, meta, variables, config, problems) -> str:
    if match.group("open") and match.group("close"):  # {{{< x >}}}: written out, not expanded
        return match.group(0)[1:-1]
    name, key = match.group("name"), match.group("args").strip()
    where = {
        "var": ("_variables.yml", variables),
        "meta": ("the front matter or _quarto.yml", None),
    }
    if name not in where:
        problems.append(
            Problem(
                here.file,
                here.line,
                f"shortcode '{name}' is not expanded in notebooks (the build expands "
                "'include', 'var' and 'meta'); its text is left as written",
                warning=True,
            )
        )
        return match.group(0)
    found = _lookup(variables, key) if name == "var" else _lookup(meta, key)
    if found is None and name == "meta":
        found = _lookup(config, key)
    if found is None:
        problems.append(
            Problem(
                here.file,
                here.line,
                f"'{{{{< {name} {key} >}}}}': no '{key}' in {where[name][0]}",
            )
        )
        return match.group(0)
    return match.group("open") + _scalar(found) + match.group("close")


def _lookup(data: object, key: str) -> object:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _image(match: re.Match, here: _Line, path: Path, problems) -> str:
    src = match.group("src")
    if "://" in src or src.startswith(("data:", "/", "#")):
        return match.group(0)
    if "{{<" not in src:  # (a shortcode left in the path is reported already, or kept)
        if (path.parent / src).is_file():
            return match.group(0)
        problems.append(
            Problem(
                here.file,
                here.line,
                f"image '{src}' not found (paths are relative to the session's folder); "
                "the notebook shows its description instead",
                warning=True,
            )
        )
    alt = match.group("alt")
    return f"[{alt}]{{.image-missing}}" if alt else ""
