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
parses; divs are closed;
chunk labels are valid and unique; chunk languages are declared; images
exist (a missing one is a warning: the notebook shows its description).
What the tabs of a div must hold (one per language, each in its own
language, no multicode block inside another) is the Lua filters' rule,
the same on the site and in the build.

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
import re
from pathlib import Path

from ..problems import BuildError, Problem
from . import chunks as chunking
from . import prose
from .chunks import CHUNK_INFO, FENCE, LABEL_OK
from .exercises import Tracker
from .frontmatter import front_matter
from .includes import decode, expand_includes
from .model import Chunk, Line, Source

DIV_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<colons>:{3,})\s*(?P<attr>[^:\s].*?)\s*:*\s*$")
DIV_CLOSE = re.compile(r"^ {0,3}:{3,}\s*$")


def load(
    path: Path,
    languages: tuple[str, ...],
    display: str | None = None,
    variables: dict | None = None,
    config: dict | None = None,
    schemas: dict | None = None,
) -> Source:
    """Read and check a session; problems are collected in `Source.problems`, never raised.

    `display` is the file name used in messages (a path relative to the
    project, so messages carry no machine paths); `variables` and `config`
    (`_variables.yml`, `_quarto.yml`) feed the ``var`` and ``meta`` shortcodes;
    `schemas` (Quarto's cell options) check the chunks' options.
    """
    shown = display or str(path)
    problems: list[Problem] = []
    files: dict[str, bytes] = {}
    text = decode(path, shown, problems, files)
    if text is None:
        return Source(path, "", {}, [], "", problems=problems, files=files, fatal=True)
    lines = expand_includes(text, path, shown, problems, files, ())
    shortcodes = None if variables is None and config is None else (variables or {}, config or {})
    src = _parse(lines, shown, languages, problems, shortcodes, path, schemas)
    src.files = files
    return _finish(src, text, files[shown])


def read(
    path: Path,
    languages: tuple[str, ...],
    display: str | None = None,
    variables: dict | None = None,
    config: dict | None = None,
) -> Source:
    """Like `load`, but raise `BuildError` listing every error found."""
    return _raise(load(path, languages, display, variables, config))


def parse(text: str, shown: str, languages: tuple[str, ...], path: Path | None = None) -> Source:
    """Check and rewrite `text` (no includes); raise `BuildError` listing its errors."""
    lines = [Line(t, shown, n) for n, t in enumerate(text.splitlines(), start=1)]
    src = _parse(lines, shown, languages, [], None, path or Path(shown), None)
    return _raise(_finish(src, text, text.encode("utf-8")))


def _finish(src: Source, text: str, data: bytes) -> Source:
    """Give a parsed source its own text, its hash, and its image warnings grouped."""
    src.problems = prose.group_missing_images(src.problems)
    src.text = text
    src.sha1 = hashlib.sha1(data).hexdigest()
    return src


def _raise(src: Source) -> Source:
    if src.errors:
        raise BuildError.of(src.errors)
    return src


def _parse(lines, shown, languages, problems, shortcodes, path, schemas) -> Source:
    """Check `lines` and rewrite them; see the module docstring.

    `shortcodes` is (variables, configuration) for ``var`` and ``meta``, or None to
    leave shortcodes as written (a caller without a course configuration);
    `schemas` check chunk options (None: not checked).
    """
    meta, body_start = front_matter(lines, problems)
    fatal = body_start < 0
    body_start = max(body_start, 0)
    out = [x.text for x in lines[:body_start]]
    chunks: list[Chunk] = []
    open_divs: list[tuple[Line, set[str]]] = []
    divs: set[str] = set()
    labels: dict[str, Line] = {}
    ids: dict[str, int] = {}
    tracker = Tracker(languages, problems)
    i = body_start if not fatal else len(lines)
    while i < len(lines):
        here = lines[i]
        fence = FENCE.match(here.text)
        if fence:
            end = chunking.fence_end([x.text for x in lines], i, fence.group("fence"))
            info = CHUNK_INFO.match(fence.group("info"))
            chunk = (
                None
                if info is None
                else chunking.chunk(lines, i, end, info, languages, problems, schemas)
            )
            if chunk is None:  # plain or raw code block, or a chunk in error: copied as it is
                body = [x.text for x in lines[i + 1 : end]]
                check = None if info else tracker.code_block(fence.group("info"), here, body)
                if check is None:
                    out.extend(x.text for x in lines[i : end + 1])
                else:  # an exercise's checks: the filters' placeholder, same text
                    fences = fence.group("indent") + fence.group("fence")
                    out.extend([f"{fences} {check}", *body, lines[end].text])
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
            chunking.give_id(chunk, ids)
            chunks.append(chunk)
            tracker.chunk(chunk)
            out.append(
                fence.group("indent")
                + fence.group("fence")
                + " "
                + chunking.attributes(chunk, shown)
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
                tracker.close()
            out.append(here.text)
        elif (opener := DIV_OPEN.match(here.text)) is not None:
            classes = _div_classes(opener.group("attr"))
            open_divs.append((here, classes))
            tracker.open(classes)
            divs |= classes
            out.append(
                opener.group("indent")
                + opener.group("colons")
                + " "
                + _div_attr(opener, here, shown)
            )
        else:
            tracker.header(here.text)
            out.append(prose.expand(here, meta, shortcodes, path, problems))
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
    used = tuple(lang for lang in languages if any(c.lang == lang for c in chunks))
    return Source(
        path=path,
        text="",
        meta=meta,
        chunks=chunks,
        markdown=markdown,
        problems=problems,
        divs=divs,
        fatal=fatal,
        exercises=tracker.exercises(used),
    )


def _div_classes(attr: str) -> set[str]:
    attr = attr.strip()
    if attr.startswith("{"):
        return set(re.findall(r"(?:^|\s|\{)\.([\w-]+)", attr))
    return {attr.split()[0]} if attr else set()


def _div_attr(opener: re.Match, here: Line, shown: str) -> str:
    """Return the div's attributes with `data-source-line` (and the file, if included) added."""
    place = f'data-source-line="{here.line}"'
    if here.file != shown:
        place += f' data-source-file="{here.file}"'
    attr = opener.group("attr").strip()
    if attr.startswith("{") and attr.endswith("}"):
        return attr[:-1].rstrip() + f" {place}}}"
    return f"{{.{attr} {place}}}"
