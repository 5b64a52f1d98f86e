"""What every session and its downloads must satisfy (docs/notebooks.md, the recipe).

Parametrized over every session in ``sessions/``, so a new one is checked as soon as
it is built: the prose types no numbers; each notebook starts with its parameters,
the generated install cell and the set-up chunk; the estimates kept for the tests are
in the metadata, not in a cell students download; nothing points into a checkout; no
link names another ``.qmd`` (dead in a downloaded notebook); outputs are clean.
"""

from __future__ import annotations

import json
import re

import pytest
import sessioncheck as sc

from coursebuild.course import Course, session_paths
from helpers import checks

SESSIONS = [p.stem for p in session_paths(sc.ROOT)]
LANGS = ("python", "r")


@pytest.mark.parametrize("session", SESSIONS)
def test_prose_has_no_decimal_numbers(session):
    found = sc.typed_decimals(sc.source(session))
    assert not found, f"numbers typed in the prose (print them from code instead): {found}"


def test_prose_check_catches_a_typed_result():
    assert sc.typed_decimals("The slope is about -0.207.\n") == {"0.207"}


def test_prose_check_skips_an_exercises_check_yaml():
    text = "#### Check\n```yaml\nb: {number: 0.001}\n```\nThe slope is 0.2.\n"
    assert sc.typed_decimals(text) == {"0.2"}


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


@pytest.fixture(scope="module")
def course():
    """Read the course as the build does (its exercises and their checks)."""
    return Course.load(sc.ROOT)


def _checks_printed(nb, exercise_id: str) -> str:
    cells = [c for c in nb.cells if c.id == f"{exercise_id}-check"]
    assert len(cells) == 1, f"{exercise_id}: {len(cells)} check cells"
    return "".join(o.get("text", "") for o in cells[0].outputs if o.get("name") == "stdout")


@pytest.mark.parametrize("session", SESSIONS)
def test_every_checked_exercise_asks_and_checks_in_both_languages(session, course):
    """Each student notebook: an answer cell and a check saying "not yet"; answers: all pass."""
    found = course.sessions[session].exercises
    for lang in LANGS:
        if not found:
            continue
        student = sc.notebook(session, lang)
        answers = sc.notebook(session, lang, ".answers")
        assert len([c for c in student.cells if c.id.endswith("-check")]) == len(found)
        for exercise in found:
            ids = [c.id for c in student.cells]
            assert ids.index(f"{exercise.id}-answer") + 1 == ids.index(f"{exercise.id}-check")
            said = _checks_printed(student, exercise.id).splitlines()
            assert [line.split(":")[0] for line in said] == list(exercise.checks)
            assert all(": not yet. " in line for line in said), said
            passed = _checks_printed(answers, exercise.id).splitlines()
            assert len(passed) == len(exercise.checks)
            assert all(line.startswith("✓ ") for line in passed), passed


@pytest.mark.parametrize("session", SESSIONS)
def test_the_worked_answers_agree_between_languages(session, course):
    """What the Python and R worked answers measured agrees within each check's tolerance."""
    found = course.sessions[session].exercises
    if not found:
        pytest.skip(f"{session} has no checked exercises")
    recorded = {
        lang: json.loads(sc.notebook(session, lang, ".answers").metadata["coursebuild"]["checks"])
        for lang in LANGS
    }
    for exercise in found:
        for name, specs in exercise.checks.items():
            python = checks.items(specs["python"], recorded["python"][name])
            r = checks.items(specs["r"], recorded["r"][name])
            assert len(python) == len(r), name
            for (label, a, tol), (_, b, _) in zip(python, r, strict=True):
                if tol is None:
                    assert a == b, f"{exercise.id} {name} {label}: {a!r} vs {b!r}"
                else:
                    assert abs(a - b) <= tol, f"{exercise.id} {name} {label}: {a} vs {b}"


def test_the_agreement_check_can_fail():
    spec = {"number": 0.01}
    ((_, a, tol),), ((_, b, _),) = checks.items(spec, 0.5), checks.items(spec, 0.52)
    assert abs(a - b) > tol
