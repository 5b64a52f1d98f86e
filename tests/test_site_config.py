"""_quarto.yml: the site's configuration keeps its promises.

Quarto is not installed here, so these read the YAML the way Quarto's
documented schema describes it and check what the site relies on.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))


def test_course_values_live_in_one_place():
    """website.title and the navbar's repository link mirror `course:` exactly."""
    course = CONFIG["course"]
    assert re.match(r"^https://github\.com/[^/]+/[^/]+$", course["repo-url"])
    assert course["branch"]
    website = CONFIG["website"]
    assert website["title"] == course["title"]
    hrefs = [i.get("href") for i in website["navbar"].get("right", []) if isinstance(i, dict)]
    assert course["repo-url"] in hrefs
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    assert text.count(course["repo-url"]) == 2  # course.repo-url and the navbar mirror


def test_site_executes_no_code():
    assert CONFIG["execute"]["eval"] is False
    assert CONFIG["execute"]["enabled"] is False


def test_filter_order():
    """notebook-outputs first, quarto last, shared extensions in the notebook build's order."""
    from coursebuild.convert import FILTERS

    build_order = [Path(f).stem for f in FILTERS if f.startswith("_extensions/")]
    assert CONFIG["filters"] == ["notebook-outputs", *build_order, "quarto"]
    for name in CONFIG["filters"][:-1]:
        assert (ROOT / "_extensions" / name / "_extension.yml").exists(), name


def test_render_list_and_pages_exist():
    render = CONFIG["project"]["render"]
    assert "sessions/*.qmd" in render
    for entry in render:
        assert glob.glob(str(ROOT / entry)), f"render entry {entry} matches no file"
    for page in ("index.qmd", "setup.qmd", "instructors.qmd"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert text.startswith("---\ntitle:"), page
        assert "```{python}" not in text and "```{r}" not in text, f"{page} must run no code"


def test_navigation_lists_pages_and_sessions():
    website = CONFIG["website"]
    left = [i["href"] for i in website["navbar"]["left"]]
    assert left == ["index.qmd", "setup.qmd", "instructors.qmd"]
    contents = website["sidebar"]["contents"]
    sessions = [c for c in contents if isinstance(c, dict) and c.get("section") == "Sessions"]
    assert sessions and sessions[0]["contents"] == "sessions/*.qmd"


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
