"""Checks of session 08's source and built notebooks beyond parity (see test_session_parity.py).

(What every session must satisfy, typed numbers and clean outputs among it, is in
test_sessions.py.)

- the Brighton schools are found by name, not by typed URNs;
- interpretive words are computed, and match the numbers;
- the exercises' worked answers ran in the answers notebooks (the downloads leave them out).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import sessioncheck as sc

ROOT = Path(__file__).resolve().parents[1]
SESSION = "08-mixed-effects"
NOTEBOOKS = {
    "python": ROOT / "notebooks" / "python" / "08-mixed-effects.ipynb",
    "r": ROOT / "notebooks" / "r" / "08-mixed-effects.ipynb",
}
DATA = ROOT.parent / "shared" / "data"  # the course machines' pre-filled data cache


def test_brighton_urns_are_looked_up_not_typed():
    text = sc.source(SESSION)
    for urn in ("114581", "114608", "14608", "136164", "114580"):
        assert urn not in text


# --------------------------------------------------------------------------- the answers

ANSWER_CELLS = {
    lang: {f"exercise-{name}-{lang}" for name in ("grouping", "slope", "uncorrelated", "gorard")}
    for lang in ("python", "r")
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


# --------------------------------------------------------------------------- words follow numbers
#
# The interpretive words ("supported", "singular", "we keep ...", "larger"/"smaller") are
# written by code: helpers.mixed.verdict() / kept_structure() and their R twins turn the
# tests' p-values into words. These checks read the executed notebooks and recompute each
# word from the estimates the same notebook printed (test_session_parity.py's reader), so
# the text cannot drift from the numbers; and the prose outside code must not type them.

from helpers.mixed import kept_structure, verdict  # noqa: E402
from tests.test_session_parity import notebook_estimates  # noqa: E402

WORDS = re.compile(r"\b(supported|not supported|singular|not singular|we keep)\b", re.I)
ENGINE = {"python": "sm", "r": "lme4"}


def _statements(text: str) -> str:
    """Return the prose without its questions: "Is it singular?" asks, it does not claim."""
    return re.sub(r"[^.?!:]*\?", "", text)


def test_prose_does_not_type_interpretive_words():
    found = sorted(
        {m.group(0).lower() for m in WORDS.finditer(_statements(sc.prose(sc.source(SESSION))))}
    )
    assert not found, f"interpretive words typed in the prose (print them from code): {found}"


def test_prose_word_check_catches_a_typed_verdict():
    assert WORDS.search(
        _statements(sc.prose("Is it singular? The extra terms are not supported.\n"))
    )
    assert not WORDS.search(_statements(sc.prose("Is the fit singular?\n")))


def _cell_text(nb, cell_id: str) -> str:
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    parts = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        parts.append(str(output.get("data", {}).get("text/markdown", "")))
    return " ".join(parts)


def _listed(text: str) -> list[str]:
    return [] if text == "none" else [item.strip() for item in text.split(",")]


def word_problems(texts: dict[str, str], est: dict, lang: str) -> list[str]:
    """Every interpretive word in `texts` (cell id -> output) that the numbers contradict."""
    engine = ENGINE[lang]
    tests = est[f"tests/{engine}"]
    problems = []

    def check(cell: str, pattern: str, expected: str, what: str) -> None:
        match = re.search(pattern, texts[cell])
        if match is None:
            problems.append(f"{cell}: no sentence matching {pattern!r}")
        elif match.group(1) != expected:
            problems.append(f"{cell}: says {what} {match.group(1)!r}, the numbers say {expected!r}")

    slope, corr, final = (
        10 ** tests[f"{k}:log10_p"] for k in ("slope", "correlation", "final_slope")
    )
    rs_singular = est[f"rs/{engine}"]["boundary"] == 1.0
    rsu_singular = est[f"rsu/{engine}"]["boundary"] == 1.0
    rs_cell, final_cell, se_cell = (
        f"{name}-{lang}" for name in ("rs-tests", "final-slope-says", "compare-ols")
    )
    check(rs_cell, r"The random slope is (supported|not supported)", verdict(slope), "slope")
    check(rs_cell, r"We keep ([a-z ]+)\.", kept_structure(slope, corr, rs_singular), "kept")
    check(
        rs_cell,
        r"on the boundary \((singular|not singular)\)",
        "singular" if rs_singular else "not singular",
        "correlated fit",
    )
    check(
        rs_cell,
        r"The uncorrelated fit is (singular|not singular)",
        "singular" if rsu_singular else "not singular",
        "uncorrelated fit",
    )
    check(final_cell, r"the random slope is (supported|not supported)", verdict(final), "final")
    kept_final = "the random slope" if verdict(final) == "supported" else "random intercepts only"
    check(final_cell, r"We keep (the random slope|random intercepts only)", kept_final, "kept")
    if ("var:OFSTEDRATING fsm_c" in est[f"final/{engine}"]) != (verdict(final) == "supported"):
        problems.append("the final model's random slope does not follow its test")
    # standard-error ratios: "larger for a, b and smaller for c"
    match = re.search(r"larger for (.+?) and smaller for (.+?)\. ", texts[se_cell])
    if match is None:
        problems.append(f"{se_cell}: no larger/smaller sentence")
    else:
        ols, mixed = est["ols/sm" if lang == "python" else "ols/lm"], est[f"final/{engine}"]
        for word, terms in (("larger", match.group(1)), ("smaller", match.group(2))):
            for term in _listed(terms):
                ratio = mixed[f"se:{term}"] / ols[f"se:{term}"]
                if (ratio > 1) != (word == "larger"):
                    problems.append(f"{se_cell}: {term} SE ratio {ratio:.3f} called {word}")
    return problems


@pytest.mark.parametrize("lang", ["python", "r"])
def test_interpretive_words_follow_the_numbers(lang):
    nb = nbformat.read(NOTEBOOKS[lang], as_version=4)
    est = notebook_estimates(NOTEBOOKS[lang], lang)
    cells = [f"{n}-{lang}" for n in ("rs-tests", "final-slope-says", "compare-ols")]
    texts = {cell: _cell_text(nb, cell) for cell in cells}
    problems = word_problems(texts, est, lang)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["python", "r"])
def test_word_check_catches_a_wrong_word(lang):
    nb = nbformat.read(NOTEBOOKS[lang], as_version=4)
    est = notebook_estimates(NOTEBOOKS[lang], lang)
    cells = [f"{n}-{lang}" for n in ("rs-tests", "final-slope-says", "compare-ols")]
    texts = {cell: _cell_text(nb, cell) for cell in cells}
    rs = f"rs-tests-{lang}"
    flipped = {**texts, rs: texts[rs].replace("slope is supported", "slope is not supported")}
    assert any("slope" in p for p in word_problems(flipped, est, lang))
    wrong = {
        **texts,
        rs: re.sub(r"We keep [a-z ]+\.", "We keep random intercepts only.", texts[rs]),
    }
    assert any("kept" in p for p in word_problems(wrong, est, lang))
    ols = f"compare-ols-{lang}"
    swapped = {**texts, ols: texts[ols].replace("larger for", "smaller for", 1)}
    assert word_problems(swapped, est, lang)
