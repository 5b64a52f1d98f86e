"""What every session and its downloads must satisfy (docs/notebooks.md, the recipe).

Parametrized over every session in ``sessions/``, so a new one is checked as soon as
it is built: the prose types no numbers; each notebook starts with its parameters,
the generated install cell and the set-up chunk; the estimates kept for the tests are
in the metadata, not in a cell students download; nothing points into a checkout; no
link names another ``.qmd`` (dead in a downloaded notebook); outputs are clean.
"""

from __future__ import annotations

import re

import pytest
import sessioncheck as sc

from coursebuild.build import sessions

SESSIONS = [p.stem for p in sessions(sc.ROOT)]
LANGS = ("python", "r")


@pytest.mark.parametrize("session", SESSIONS)
def test_prose_has_no_decimal_numbers(session):
    found = sc.typed_decimals(sc.source(session))
    assert not found, f"numbers typed in the prose (print them from code instead): {found}"


def test_prose_check_catches_a_typed_result():
    assert sc.typed_decimals("The slope is about -0.207.\n") == {"0.207"}


def test_prose_check_skips_an_exercise_check_block():
    check = "#### Check\n```yaml\nb: {number: 0.001}\n```\nThe slope is 0.21.\n"
    assert sc.typed_decimals(check) == {"0.21"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("session", SESSIONS)
def test_recipe_first_cells_and_estimates_out_of_sight(session, lang):
    labels = sc.chunk_labels(sc.source(session), lang)
    assert labels[:2] == [f"parameters-{lang}", f"setup-{lang}"]
    nb = sc.notebook(session, lang)
    code = [c.id for c in nb.cells if c.cell_type == "code"]
    assert code[:3] == [f"parameters-{lang}", "install-helpers", f"setup-{lang}"]
    assert not [i for i in code if i.startswith("estimates")], "estimates cell downloaded"
    if f"estimates-{lang}" in labels:
        assert nb.metadata["coursebuild"]["estimates"].strip()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("session", SESSIONS)
def test_the_notebook_needs_no_checkout(session, lang):
    """No path into the repository: the helpers come installed (library / import)."""
    code = "".join(c.source for c in sc.notebook(session, lang).cells if c.cell_type == "code")
    assert "course_root" not in code
    assert "source(" not in code
    assert not re.search(r"\.\./|helpers/R/", code), "a path into the checkout"


@pytest.mark.parametrize("session", SESSIONS)
def test_no_links_to_other_session_files(session):
    """No prose link names a ``.qmd``: it works on the site, not in a downloaded notebook.

    (Its first cell links the neighbours instead).
    """
    links = re.findall(r"\]\(([^)]*\.qmd)\)", sc.prose(sc.source(session)))
    assert not links, links


@pytest.mark.parametrize("variant", ["", ".answers"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("session", SESSIONS)
def test_notebook_outputs_are_clean(session, lang, variant):
    if variant and not (sc.ROOT / "notebooks" / lang / f"{session}{variant}.ipynb").exists():
        pytest.skip(f"{session} has no qna blocks, so no answers notebook")
    problems = sc.output_problems(sc.notebook(session, lang, variant))
    assert not problems, "\n".join(problems)
