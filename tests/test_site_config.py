"""_quarto.yml and the pages' front matter: valid for Quarto, and keeping their promises.

Validated against Quarto's own schemas from its share folder (see
tests/site/quarto_schema.py for exactly which subset; without Quarto's
resources these two tests are skipped, saying how to get them):

* `_quarto.yml`'s ``project``, ``website`` and ``filters`` against Quarto's
  JSON Schema export (``ProjectConfig``, ``BaseWebsite``,
  ``PandocFormatFilters`` of ``json-schemas.json``), with jsonschema: value
  types, enums and nested shapes (those objects are open: an unknown key
  there is not caught);
* every other document-level key (front matter of each page,
  ``sessions/_metadata.yml``, `_quarto.yml`'s top level and its
  ``format: html:`` options, and the keys under ``execute:``): each must be
  an option Quarto declares in ``document-*.yml``/``cell-*.yml`` or one of
  the course's own metadata keys, and its value must match Quarto's schema
  for it where that schema is in the convertible subset; the few options
  whose schema is not (a ``ref`` or ``record``) are listed in
  UNCHECKED_VALUES, and the test fails if that list goes stale.
"""

from __future__ import annotations

import glob
import re
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))

import quarto_schema  # noqa: E402

from coursebuild import filters, site  # noqa: E402
from coursebuild.course import Course  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
# The course's own metadata (read by its extensions), not Quarto options.
COURSE_KEYS = {"course", "multicode", "qna"}
# Options used here whose Quarto schema is outside the convertible subset.
UNCHECKED_VALUES: set[str] = set()  # none today: every option used is checked


def test_repository_url_is_written_once():
    """course.repo-url is the one place the repository is named."""
    course = CONFIG["course"]
    assert re.match(r"^https://github\.com/[^/]+/[^/]+$", course["repo-url"])
    assert course["branch"]
    assert CONFIG["website"]["title"] == course["title"]
    files = [ROOT / "_quarto.yml", *ROOT.glob("*.qmd"), *ROOT.glob("sessions/*.qmd"),
             *ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("_extensions/*/*.lua")]  # fmt: skip
    count = sum(f.read_text(encoding="utf-8").count(course["repo-url"]) for f in files)
    assert count == 1


def test_site_url_is_where_the_site_workflow_publishes():
    """course.site-url is GitHub Pages of course.repo-url (site.yml publishes there)."""
    course = CONFIG["course"]
    found = re.match(r"^https://github\.com/([^/]+)/([^/]+)$", course["repo-url"])
    assert found, course["repo-url"]
    owner, repo = found.groups()
    assert course["site-url"].rstrip("/") == f"https://{owner.lower()}.github.io/{repo}"


def test_site_executes_no_code():
    assert CONFIG["execute"]["eval"] is False
    assert CONFIG["execute"]["enabled"] is False


def test_filter_order_is_read_from_quarto_yml():
    """Check the build runs `_quarto.yml`'s filters in that order, then cells.lua.

    Multicode runs before qna (a qna block inside a language tab stays nested while
    tabs are read).
    """
    from coursebuild.config import CourseConfig

    FILTERS = CourseConfig.load(ROOT).filters  # what the build runs
    assert filters.notebook_filters(ROOT, CONFIG) == FILTERS
    declared = [n for n in CONFIG["filters"] if n != "quarto"]
    assert [Path(f).parent.name for f in FILTERS[:-1]] == declared
    assert FILTERS[-1] == filters.NOTEBOOK_ONLY
    assert declared.index("multicode") < declared.index("qna")
    assert CONFIG["filters"][-1] == "quarto"  # the course's filters all run pre-quarto


@pytest.mark.parametrize(
    ("key", "definition"),
    [("project", "ProjectConfig"), ("website", "BaseWebsite"), ("filters", "PandocFormatFilters")],
)
def test_quarto_yml_matches_quarto_json_schema(key, definition, quarto_share):
    schema = quarto_schema.project_schema(quarto_share, definition)
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(CONFIG[key])] == []
    broken = {"project": {"render": "index.qmd"}, "website": {"title": 3},
              "filters": [{"path": 1}]}[key]  # fmt: skip
    assert list(validator.iter_errors(broken)), f"{definition} accepted {broken}"


def document_keys() -> dict[str, dict]:
    """Every document-level mapping: {where: keys and values}."""
    found = {
        "_quarto.yml": {
            k: v for k, v in CONFIG.items() if k not in ("project", "website", "format", "filters")
        },
        "_quarto.yml format.html": CONFIG["format"]["html"],
        "_quarto.yml execute": CONFIG["execute"],
    }
    for meta in ROOT.glob("**/_metadata.yml"):
        if ".venv" not in meta.parts and "node_modules" not in meta.parts:
            found[meta.relative_to(ROOT).as_posix()] = yaml.safe_load(meta.read_text("utf-8"))
    course = Course.load(ROOT)
    for page in site.site_pages(course):
        front = course.read(page).meta
        found[page.relative_to(ROOT).as_posix()] = front
        if isinstance(front.get("execute"), dict):
            found[page.relative_to(ROOT).as_posix() + " execute"] = front["execute"]
    return found


def option_problems(where: str, values: dict, options: dict) -> tuple[list[str], set[str]]:
    problems, unchecked = [], set()
    for key, value in values.items():
        if key in COURSE_KEYS and not where.endswith("execute"):
            continue
        if key == "execute" and isinstance(value, dict):
            continue  # a group of options: its keys are checked as their own entry
        if key not in options:
            problems.append(f"{where}: {key} is not a Quarto option")
            continue
        schema = quarto_schema.option_schema(options[key])
        if schema is None:
            unchecked.add(key)
            continue
        for error in jsonschema.Draft202012Validator(schema).iter_errors(value):
            problems.append(f"{where}: {key}: {error.message}")
    return problems, unchecked


def test_front_matter_and_options_match_quarto_schemas(quarto_share):
    options = quarto_schema.options(quarto_share)
    problems, unchecked = [], set()
    for where, values in document_keys().items():
        found, skipped = option_problems(where, values, options)
        problems += found
        unchecked |= skipped
    assert problems == []
    assert unchecked == UNCHECKED_VALUES
    # and the check can fail: a typo, a wrong type, a value outside an enum
    bad = {"tilte": "x", "toc-depth": "three", "code-copy": "always"}
    found, _ = option_problems("bad", bad, options)
    assert len(found) == 3, found


def test_render_list_and_pages_exist():
    render = CONFIG["project"]["render"]
    assert "sessions/*.qmd" in render
    for entry in render:
        assert glob.glob(str(ROOT / entry)), f"render entry {entry} matches no file"
    for page in ("index.qmd", "setup.qmd", "instructors.qmd"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert text.startswith("---\ntitle:"), page
        assert "```{python}" not in text, f"{page} must run no code"
        assert "```{r}" not in text, f"{page} must run no code"


def test_navigation_lists_pages_and_sessions():
    website = CONFIG["website"]
    left = [i["href"] for i in website["navbar"]["left"]]
    assert left == ["index.qmd", "setup.qmd", "instructors.qmd"]
    contents = website["sidebar"]["contents"]
    sessions = [c for c in contents if isinstance(c, dict) and c.get("section") == "Sessions"]
    assert sessions
    assert sessions[0]["contents"] == "sessions/*.qmd"


def test_session_defaults_are_valid_yaml():
    meta = yaml.safe_load((ROOT / "sessions" / "_metadata.yml").read_text(encoding="utf-8"))
    assert isinstance(meta, dict)


def test_instructors_page_cites_the_quarto_docs_it_relies_on():
    text = (ROOT / "instructors.qmd").read_text(encoding="utf-8")
    for url in (
        "https://quarto.org/docs/computations/execution-options.html",
        "https://quarto.org/docs/projects/code-execution.html",
        "https://quarto.org/docs/websites/website-navigation.html",
        "https://quarto.org/docs/extensions/filters.html",
        "https://quarto.org/docs/extensions/lua-api.html",
        "https://quarto.org/docs/output-formats/html-basics.html#tabsets",
    ):
        assert url in text, url


def test_no_session_chunk_forces_execution():
    """A chunk-level `eval: true` would override the site's `eval: false`."""
    for qmd in sorted((ROOT / "sessions").glob("*.qmd")):
        text = qmd.read_text(encoding="utf-8")
        assert not re.search(r"^#\|\s*eval:\s*(true|yes)\b", text, re.M), (
            f"{qmd.name}: a chunk sets eval: true; quarto render would execute it"
        )
