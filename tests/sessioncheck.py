"""Checks every session page shares: typed numbers, cell order, clean outputs, computed words.

Used by every session's test file (tests/test_session_*.py). A session's sentences are
printed by code: Python shows Markdown (``say(...)``), R prints text; :func:`sentences`
reads either, so a test can check the words against the numbers and the two languages
against each other.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHUNK = re.compile(r"^```\{(?P<lang>python|r)\}\n(?P<body>.*?)^```$", re.S | re.M)
FENCED = re.compile(r"^```[^\n]*\n.*?^```$", re.S | re.M)
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+")


def source(session: str) -> str:
    return (ROOT / "sessions" / f"{session}.qmd").read_text(encoding="utf-8")


def notebook(session: str, lang: str, variant: str = "") -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / lang / f"{session}{variant}.ipynb", as_version=4)


def prose(text: str) -> str:
    """Return the text outside chunks, other code blocks, front matter and inline code.

    Other code blocks: an exercise's ``#### Check`` tab holds its tolerances in a
    fenced ``yaml`` block, which is not prose.
    """
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = CHUNK.sub("", text)
    text = FENCED.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def typed_decimals(text: str, allowed: frozenset[str] = frozenset({"3.0"})) -> set[str]:
    """Decimal numbers typed in the prose ("3.0": the Open Government Licence v3.0)."""
    return set(DECIMAL.findall(prose(text))) - allowed


def chunk_labels(text: str, lang: str) -> list[str | None]:
    labels = [
        re.search(r"#\|\s*label:\s*(\S+)", m["body"])
        for m in CHUNK.finditer(text)
        if m["lang"] == lang
    ]
    return [m.group(1) if m else None for m in labels]


def output_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Errors, stderr, memory addresses and machine paths in a notebook's outputs."""
    problems = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{cell.id}: error {output.get('ename')}")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(f"{cell.id}: stderr {output.get('text', '')[:80]!r}")
            text = str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
            if re.search(r" at 0x[0-9a-f]{6,}", text):
                problems.append(f"{cell.id}: memory address in output")
            if re.search(r"/(home|root|tmp|work)/", text):
                problems.append(f"{cell.id}: machine path in output")
    return problems


def _outputs(nb: nbformat.NotebookNode, cell_id: str) -> list:
    cells = [c for c in nb.cells if c.get("id") == cell_id]
    if len(cells) != 1:
        raise KeyError(f"{cell_id}: {len(cells)} cells with this id")
    return cells[0].get("outputs", [])


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


def sentences(nb: nbformat.NotebookNode, cell_id: str) -> str:
    """Return the prose a cell printed (Markdown or stdout), Markdown emphasis removed, one line."""
    parts = []
    for output in _outputs(nb, cell_id):
        data = output.get("data", {})
        if "text/markdown" in data:
            parts.append(data["text/markdown"])
        elif output.get("name") == "stdout":
            parts.append(output.get("text", ""))
    return _plain("".join(parts))


def said(python: nbformat.NotebookNode, r: nbformat.NotebookNode, cell: str) -> tuple[list, list]:
    """Return the sentences cell ``<cell>-python`` shows with ``say`` and the same cell's in R.

    Python's are its Markdown outputs; R prints each sentence as the last lines of its
    output (after any table), one line each.
    """
    ours = [
        _plain(o["data"]["text/markdown"])
        for o in _outputs(python, f"{cell}-python")
        if "text/markdown" in o.get("data", {})
    ]
    text = "".join(o.get("text", "") for o in _outputs(r, f"{cell}-r") if o.get("name") == "stdout")
    lines = [line for line in text.splitlines() if line.strip()]
    theirs = [_plain(line) for line in lines[len(lines) - len(ours) :]] if ours else []
    return ours, theirs


def says_cells(nb: nbformat.NotebookNode, lang: str) -> list[str]:
    """Ids of the cells whose job is a computed sentence (``*-says-<lang>``)."""
    return [c.id for c in nb.cells if c.get("id", "").endswith(f"-says-{lang}")]


def assert_same_sentences(
    session: str, extra: tuple[str, ...] = (), at_least: int = 0
) -> list[str]:
    """Assert both notebooks print the same sentences; return the ``*-says`` cells' names.

    Each ``*-says`` cell (in the same order in both, at least `at_least` of them) and
    each cell named in `extra` prints something, the same in Python as in R.
    """
    python, r = notebook(session, "python"), notebook(session, "r")
    cells = [cell.removesuffix("-python") for cell in says_cells(python, "python")]
    assert [f"{cell}-r" for cell in cells] == says_cells(r, "r")
    assert len(cells) >= at_least, cells
    for cell in (*cells, *extra):
        ours, theirs = said(python, r, cell)
        assert ours, cell
        assert ours == theirs, cell
    return cells


def says_texts(session: str, lang: str = "r") -> dict[str, str]:
    """Return each ``*-says`` cell's sentences in the `lang` notebook, by name without language."""
    nb = notebook(session, lang)
    return {cell.removesuffix(f"-{lang}"): sentences(nb, cell) for cell in says_cells(nb, lang)}


def flipped(texts: dict[str, str], cell: str, word: str, other: str) -> dict[str, str]:
    """Return `texts` with `word` in `cell` changed to `other` (the word must be there)."""
    assert word in texts[cell], f"{cell} no longer says {word!r}: {texts[cell]}"
    return {**texts, cell: texts[cell].replace(word, other)}


def estimates(session: str, variant: str = "") -> tuple[dict, dict]:
    """Return the estimates the Python and the R notebook of `session` store (`variant`)."""
    from parity import notebook_estimates

    python, r = (
        notebook_estimates(ROOT / "notebooks" / lang / f"{session}{variant}.ipynb", lang, session)
        for lang in ("python", "r")
    )
    return python, r


def assert_answers_ran(session: str, lang: str, cells: set[str]) -> None:
    """Each worked-answer cell (``<name>-<lang>``) printed something and is not in the download."""
    answers = {c.id: c for c in notebook(session, lang, ".answers").cells}
    download = {c.id for c in notebook(session, lang).cells}
    for name in (f"{cell}-{lang}" for cell in cells):
        assert answers[name].get("outputs"), f"{name} printed nothing"
        assert name not in download


def exercises(session: str) -> list:
    """Return the session's checked exercises, as the build reads them."""
    from coursebuild.course import Course

    return Course.load(ROOT).sessions[session].exercises


def check_problems(text: str) -> list[str]:
    """List the build's problems with a session text's Check tabs (empty: none)."""
    from coursebuild import source
    from coursebuild.config import CourseConfig
    from coursebuild.problems import BuildError

    try:
        source.parse(text, "session.qmd", CourseConfig.load(ROOT).languages)
    except BuildError as exc:
        return [p.message for p in exc.problems if "check" in p.message.lower()]
    return []


DECISION = re.compile(
    r"p (?:= (?P<value>[0-9.e+-]+)|< (?P<below>0\.001)) (?P<sign><|>=) "
    r"alpha = (?P<alpha>\d+(?:\.\d+)?)"
)


def decision_problems(text: str) -> list[str]:
    """Every "p = x < alpha = a" in `text` whose sign the printed numbers contradict.

    The sessions print a decision with its rule (``helpers.mixed.decision``): the sign
    must be ``<`` exactly when the p-value is below alpha.
    """
    problems = []
    for match in DECISION.finditer(text):
        alpha = float(match["alpha"])
        below = match["below"] is not None or float(match["value"]) < alpha
        if below and match["below"] is not None and alpha <= 0.001:
            continue  # "p < 0.001" says nothing about an alpha below it
        if below != (match["sign"] == "<"):
            problems.append(f"{match[0]!r}: the sign does not follow from the numbers")
    return problems


def words(text: str) -> int:
    """Words of prose in a session's source (code, Check tabs and inline code left out)."""
    return len(prose(text).split())
