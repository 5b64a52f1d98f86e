"""The preview's pure parts: the HTML it serves (pages.py) and what a change rebuilds (unit tier).

The preview as the instructor runs it (a server, kernels, renders) is test_preview.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebuild.preview.pages import EVENTS, inject, shell
from coursebuild.preview.state import Page, Preview


def test_shell_is_a_page_with_the_title_escaped():
    page = shell("a <b>", "<p>x</p>")
    assert page.startswith('<!DOCTYPE html>\n<html><head><meta charset="utf-8">')
    assert "<title>a &lt;b&gt;</title>" in page
    assert "<body>\n<p>x</p>\n</body></html>\n" in page


def test_without_an_error_only_the_reload_script_is_added_before_the_body_ends():
    html = inject("<html><BODY><p>x</p></BODY></html>", "", 3, "01-a")
    assert "preview-error" not in html
    assert html.index("<p>x</p>") < html.index("<script>") < html.index("</BODY>")
    assert 'var seen = "3"' in html
    assert f'new EventSource("{EVENTS}?page=01-a")' in html


def test_a_page_without_body_tags_gets_the_banner_first_and_the_script_last():
    html = inject("<p>old</p>", "s.qmd:1: <bad> & worse", 1, 'a"b')
    assert html.startswith('\n<div id="preview-error"')
    assert "s.qmd:1: &lt;bad&gt; &amp; worse" in html
    assert html.index("<p>old</p>") < html.index("<script>")
    assert html.rstrip().endswith("</script>")
    assert "?page=a&quot;b" in html  # the page name cannot end the script's string


@pytest.fixture
def preview(tmp_path) -> Preview:
    """Make a preview of a course with two sessions and a partial (no build, no server)."""
    sessions = tmp_path / "course" / "sessions"
    sessions.mkdir(parents=True)
    for name in ("01-a", "02-b", "_part"):
        (sessions / f"{name}.qmd").write_text("x\n")
    return Preview(tmp_path / "course", out=tmp_path / "out", log=lambda _: None)


def test_a_session_file_rebuilds_itself_and_anything_else_every_session(preview):
    root = preview.root
    assert preview.affected([root / "sessions" / "02-b.qmd"]) == ["02-b"]
    assert preview.affected([root / "sessions" / "01-a.qmd", root / "sessions" / "02-b.qmd"]) == [
        "01-a",
        "02-b",
    ]
    for other in ("sessions/_part.qmd", "sessions/figures/x.qmd", "sessions/data.csv",
                  "helpers/mixed.py", "_quarto.yml"):  # fmt: skip
        assert preview.affected([root / other]) == ["01-a", "02-b"], other
    assert preview.affected([root.parent / "elsewhere.qmd"]) == []


def test_a_new_session_joins_and_a_one_session_preview_keeps_to_its_own(preview):
    root = preview.root
    (root / "sessions" / "03-c.qmd").write_text("x\n")
    assert preview.affected([root / "sessions" / "03-c.qmd"]) == ["03-c"]
    one = Preview(root, only="01-a", out=root.parent / "out1", log=lambda _: None)
    assert one.affected([root / "sessions" / "02-b.qmd"]) == []
    assert one.affected([root / "filters" / "cells.lua"]) == ["01-a"]
    assert list(one.pages) == ["01-a"]


def test_pages_are_served_as_their_state_says(preview):
    preview.pages["01-a"] = Page("01-a", building=True)
    preview.pages["02-b"] = Page("02-b", error="sessions/02-b.qmd:3: broken", version=4)
    assert "Building 01-a&hellip;" in preview.page_html("01-a")
    broken = preview.page_html("02-b")
    assert "sessions/02-b.qmd:3: broken" in broken
    assert 'var seen = "4"' in broken
    assert preview.page_html("nope") is None
    index = preview.index_html()
    assert '<li><a href="01-a.html">01-a</a> (building)</li>' in index
    assert '<li><a href="02-b.html">02-b</a> (error)</li>' in index
    (preview.out / "01-a.html").write_text("<html><body>the page</body></html>")
    preview.pages["01-a"] = Page("01-a", good=True)
    assert "the page" in preview.page_html("01-a")


def test_the_output_folder_starts_empty(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.html").write_text("old")
    (tmp_path / "sessions").mkdir()
    Preview(tmp_path, out=out, log=lambda _: None)
    assert list(Path(out).iterdir()) == []
