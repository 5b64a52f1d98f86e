"""Checks of session 08's source and built notebooks beyond parity (see test_session_parity.py).

- the prose states no computed numbers: no decimal numbers outside code (results are
  printed by the code, so the text cannot disagree with the output);
- the Brighton schools are found by name, not by typed URNs;
- each language's first chunk is its parameters cell and its last the estimates cell;
- the executed notebooks carry no raw warnings (stderr), machine paths or memory addresses;
- the exercises' worked answers ran in the answers notebooks (the downloads leave them out).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "sessions" / "08-mixed-effects.qmd"
NOTEBOOKS = {
    "python": ROOT / "notebooks" / "python" / "08-mixed-effects.ipynb",
    "r": ROOT / "notebooks" / "r" / "08-mixed-effects.ipynb",
}
DATA = ROOT.parent / "shared" / "data"  # the course machines' pre-filled data cache
CHUNK = re.compile(r"^```\{(?P<lang>python|r)\}\n(?P<body>.*?)^```$", re.S | re.M)


def _source() -> str:
    return SOURCE.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The text outside chunks, front matter and inline code."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = CHUNK.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def test_prose_has_no_decimal_numbers():
    allowed = {"3.0"}  # "Open Government Licence v3.0"
    found = set(re.findall(r"(?<![\w.])\d+\.\d+", _prose(_source()))) - allowed
    assert not found, f"numbers typed in the prose (print them from code instead): {found}"


def test_prose_check_catches_a_typed_result():
    assert re.findall(r"(?<![\w.])\d+\.\d+", _prose("The slope is about -0.195.\n")) == ["0.195"]


def test_brighton_urns_are_looked_up_not_typed():
    text = _source()
    for urn in ("114581", "114608", "14608", "136164", "114580"):
        assert urn not in text


@pytest.mark.parametrize("lang", ["python", "r"])
def test_parameters_first_and_estimates_last(lang):
    labels = [
        re.search(r"#\|\s*label:\s*(\S+)", m["body"])
        for m in CHUNK.finditer(_source())
        if m["lang"] == lang and "#| eval: false" not in m["body"]
    ]
    names = [m.group(1) if m else None for m in labels]
    assert names[0] == f"parameters-{lang}"
    assert names[-1] == f"estimates-{lang}"
    nb = nbformat.read(NOTEBOOKS[lang], as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].id == f"parameters-{lang}"
    assert code[-1].id == f"estimates-{lang}"


@pytest.mark.parametrize("variant", ["", ".answers"])
@pytest.mark.parametrize("lang", ["python", "r"])
def test_notebook_outputs_are_clean(lang, variant):
    nb = nbformat.read(NOTEBOOKS[lang].with_suffix(f"{variant}.ipynb"), as_version=4)
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
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the answers

ANSWER_CELLS = {
    "python": {"exercise-gorard-python", "exercise-uncorrelated-python"},
    "r": {"exercise-gorard-r", "exercise-uncorrelated-r"},
}


@pytest.mark.parametrize("lang", ["python", "r"])
def test_worked_answers_ran_and_printed_their_results(lang):
    """The answers notebook (the build's variant with every answer in; nbval re-runs it)."""
    answers = nbformat.read(NOTEBOOKS[lang].with_suffix(".answers.ipynb"), as_version=4)
    cells = {cell.id: cell for cell in answers.cells}
    assert ANSWER_CELLS[lang] <= set(cells), f"answer cells missing: {ANSWER_CELLS[lang]}"
    for name in ANSWER_CELLS[lang]:
        outputs = cells[name].get("outputs", [])
        assert outputs, f"{lang}: {name} printed nothing"
        assert not [o for o in outputs if o.get("name") == "stderr"], name
        assert not [o for o in outputs if o.get("output_type") == "error"], name
    download = nbformat.read(NOTEBOOKS[lang], as_version=4)
    assert not ANSWER_CELLS[lang] & {cell.id for cell in download.cells}
