"""Checks of session 08's source and built notebooks beyond parity (see test_session_parity.py).

- the prose states no computed numbers: no decimal numbers outside code (results are
  printed by the code, so the text cannot disagree with the output);
- the Brighton schools are found by name, not by typed URNs;
- each language's first chunk is its parameters cell and its last the estimates cell;
- the executed notebooks carry no raw warnings (stderr), machine paths or memory addresses;
- the exercises' worked answers run (the build leaves them out of the notebooks).
"""

from __future__ import annotations

import os
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


@pytest.mark.parametrize("lang", ["python", "r"])
def test_notebook_outputs_are_clean(lang):
    nb = nbformat.read(NOTEBOOKS[lang], as_version=4)
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


# --------------------------------------------------------------------------- the answers run

ANSWER_CELLS = {
    "python": {"exercise-gorard-python", "exercise-uncorrelated-python"},
    "r": {"exercise-gorard-r", "exercise-uncorrelated-r"},
}


def _answers_root(tmp: Path) -> Path:
    """A course root whose copy of the session sends the exercises' answers to notebooks.

    `_quarto.yml` keeps only the questions in notebooks (`qna.targets.ipynb: question`), so
    the build never runs the answers' code; here each qna div gets `ipynb="both"`.
    """
    root = tmp / "course"
    (root / "sessions").mkdir(parents=True)
    for lang in ("python", "r"):
        (root / "notebooks" / lang).mkdir(parents=True)
    for name in ("_quarto.yml", "_extensions", "filters", "helpers", "coursebuild"):
        (root / name).symlink_to(ROOT / name)
    (root / "sessions" / "_metadata.yml").symlink_to(ROOT / "sessions" / "_metadata.yml")
    text = _source()
    assert text.count("\n::: qna\n") >= 2
    text = text.replace("\n::: qna\n", '\n::: {.qna ipynb="both"}\n')
    (root / "sessions" / SOURCE.name).write_text(text, encoding="utf-8")
    return root


def test_the_worked_answers_run(tmp_path, monkeypatch):
    """Execute both notebooks with the answers included (about 30 s): no cell fails.

    One after the other: papermill changes the process's working directory while it runs
    a notebook, so two runs in threads would leave it in the wrong folder.
    """
    from coursebuild import build, execute

    monkeypatch.chdir(ROOT)  # and restored afterwards, whatever happens
    monkeypatch.setenv("QM_DATA_DIR", os.environ.get("QM_DATA_DIR") or str(DATA))
    root = _answers_root(tmp_path)
    session = root / "sessions" / SOURCE.name

    def run(lang: str) -> dict:
        nb = build.unexecuted(session, lang, root)
        ids = {cell.get("id") for cell in nb["cells"]}
        assert ANSWER_CELLS[lang] <= ids, f"answer cells missing: {ANSWER_CELLS[lang] - ids}"
        return execute.run(nb, lang, cwd=root / "notebooks" / lang)

    executed = {lang: run(lang) for lang in ("python", "r")}
    for lang, nb in executed.items():
        for cell in nb["cells"]:
            if cell.get("id") in ANSWER_CELLS[lang]:
                outputs = cell.get("outputs", [])
                assert outputs, f"{lang}: {cell['id']} printed nothing"
                assert not [o for o in outputs if o.get("name") == "stderr"], cell["id"]
