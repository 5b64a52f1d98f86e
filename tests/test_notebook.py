"""coursebuild.notebook, .inputs and .estimates on canned notebooks and folders.

Pure tests (the unit tier): pandoc's notebook is written here as the dict pandoc
gives, and the course is made in memory; nothing runs pandoc or a kernel.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from coursebuild import cells, estimates, inputs, notebook, preamble, source
from coursebuild.config import CourseConfig
from coursebuild.course import Course
from coursebuild.problems import BuildError

LANGS = ("python", "r")
TEXT = """---
title: "Session 2: Two"
---

```{python}
#| label: parameters-python
#| tags: [parameters]
n = 1
```

Some prose.

```{python}
#| include: false
import math
```
"""


def course(tmp_path: Path, names=("01-one", "02-two", "03-three")) -> Course:
    """Make a course in memory: configuration written here, sessions parsed from canned text."""
    config = CourseConfig(
        languages=LANGS,
        metadata={"course": {"repo-url": "https://github.com/o/r", "branch": "main"}},
        quarto={},
        variables={},
    )
    made = Course(tmp_path, config)
    for name in names:
        path = tmp_path / "sessions" / f"{name}.qmd"
        title = f"Session {name[1]}: {name[3:].title()}"
        made.sessions[name] = source.parse(f'---\ntitle: "{title}"\n---\n\nx\n', name, LANGS, path)
    return made


def session(tmp_path: Path, text: str = TEXT) -> source.Source:
    return source.parse(text, "sessions/02-two.qmd", LANGS, tmp_path / "sessions" / "02-two.qmd")


def code(cell_id: str, text: str, tags=()) -> dict:
    """Make a code cell as pandoc writes it (filters/cells.lua gave the tags)."""
    return {"cell_type": "code", "id": cell_id, "source": text,
            "metadata": {"tags": list(tags)} if tags else {}, "outputs": []}  # fmt: skip


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "id": "random-uuid", "source": text, "metadata": {}}


def pandocs(src: source.Source) -> dict:
    """Return the notebook pandoc would give for `src`'s Python chunks."""
    params, setup = src.chunks
    return {
        "cells": [
            markdown("Text before."),
            code(params.id, "n = 1", ["parameters"]),
            markdown("Some prose."),
            markdown("   \n"),  # white space only: dropped
            code(setup.id, "import math", ["setup"]),
            markdown("Some prose."),
        ]
    }


# --------------------------------------------------------------------------- notebook


def test_finish_gives_ids_kernel_and_metadata(tmp_path):
    made, src = course(tmp_path), session(tmp_path)
    nb = notebook.finish(made, pandocs(src), src, "python", "f" * 40)
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["coursebuild"] == {
        "inputs_sha1": "f" * 40,
        "language": "python",
        "source": "sessions/02-two.qmd",
        "source_sha1": src.sha1,
    }
    ids = [c["id"] for c in nb["cells"]]
    prose_id = "md-" + _sha1("Some prose.")[:10]
    assert ids[1:] == [
        "md-" + _sha1("Text before.")[:10],
        "parameters-python",
        preamble.INSTALL_ID,  # right after the parameters cell
        prose_id,
        src.chunks[1].id,
        f"{prose_id}-2",  # repeated text: numbered
    ]
    assert nb["cells"][0]["source"][0] == "# Session 2: Two\n"  # the generated note
    first_cells = nb["cells"][0]["source"]
    assert any("Previous: [Session 1: One]" in line for line in first_cells)


def test_finish_hides_setup_cells_and_keeps_tags(tmp_path):
    made, src = course(tmp_path), session(tmp_path)
    cells = {c["id"]: c for c in notebook.finish(made, pandocs(src), src, "python", "")["cells"]}
    assert cells["parameters-python"]["metadata"] == {"tags": ["parameters"]}
    assert cells[src.chunks[1].id]["metadata"] == {
        "jupyter": {"source_hidden": True},
        "tags": ["setup"],
    }
    assert cells["parameters-python"]["source"] == ["n = 1"]
    assert cells["parameters-python"]["outputs"] == []
    assert cells["parameters-python"]["execution_count"] is None


def test_a_code_cell_without_a_chunk_id_is_refused(tmp_path):
    made, src = course(tmp_path), session(tmp_path)
    raw = pandocs(src)
    raw["cells"].append(code("stray", "x = 2"))
    with pytest.raises(BuildError, match=r"sessions/02-two\.qmd: python notebook: a code cell "
                       r"has no chunk id"):  # fmt: skip
        notebook.finish(made, raw, src, "python", "")
    raw["cells"][-1] = code("exercise-1", "", ["exercise-check"])  # the exercise placeholder
    assert notebook.finish(made, raw, src, "python", "")["cells"][-1]["id"] == "exercise-1"


def test_a_notebook_records_the_files_its_session_includes(tmp_path):
    made, src = course(tmp_path), session(tmp_path)
    src.files = {"sessions/02-two.qmd": b"x", "sessions/_part.qmd": b"part"}
    nb = notebook.finish(made, pandocs(src), src, "python", "")
    assert nb["metadata"]["coursebuild"]["includes_sha1"] == {"sessions/_part.qmd": _sha1("part")}


def test_an_r_notebook_gets_rs_kernel(tmp_path):
    made = course(tmp_path)
    src = source.parse("```{r}\nx <- 1\n```\n", "s.qmd", LANGS, tmp_path / "sessions" / "s.qmd")
    nb = notebook.finish(made, {"cells": [code(src.chunks[0].id, "x <- 1")]}, src, "r", "")
    assert nb["metadata"]["kernelspec"] == {"name": "ir", "display_name": "R", "language": "R"}
    assert nb["metadata"]["language_info"]["name"] == "R"
    assert [c["id"] for c in nb["cells"][1:]] == [preamble.INSTALL_ID, src.chunks[0].id]


def test_dumps_is_the_same_text_for_the_same_notebook():
    a = {"b": 1, "a": ["é", {"z": 0, "y": None}]}
    b = json.loads(json.dumps(a))
    assert notebook.dumps(a) == notebook.dumps(b)
    expected = '{\n "a": [\n  "é",\n  {\n   "y": null,\n   "z": 0\n  }\n ],\n "b": 1\n}\n'
    assert notebook.dumps(a) == expected


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\nb\n", ["a\n", "b"]), ("a", ["a"]), ("", [""]), ("a\n\nb", ["a\n", "\n", "b"])],
)
def test_cell_text_is_split_into_lines_as_jupyter_stores_it(text, expected):
    assert cells.cell("code", text, "c")["source"] == expected
    assert cells.cell("markdown", text)["source"] == expected


# --------------------------------------------------------------------------- inputs


def test_shared_files_are_the_patterns_that_exist_sorted_without_caches(tmp_path):
    made = ("filters/b.lua", "filters/a.lua", "filters/notes.txt", "requirements.txt",
            "helpers/x/y.py", "helpers/__pycache__/y.py", "coursebuild/site/page.py")  # fmt: skip
    for rel in made:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    found = [p.relative_to(tmp_path).as_posix() for p in inputs.shared_files(tmp_path)]
    assert found == ["filters/a.lua", "filters/b.lua", "helpers/x/y.py", "requirements.txt"]


def test_the_inputs_hash_moves_with_the_variant_the_shared_part_and_the_files(tmp_path):
    src = session(tmp_path)
    base = inputs.inputs_sha1(src, "", "shared")
    assert base == inputs.inputs_sha1(session(tmp_path), "", "shared")
    assert base != inputs.inputs_sha1(src, ".answers", "shared")
    assert base != inputs.inputs_sha1(src, "", "other")
    src.files = {"sessions/02-two.qmd": b"changed"}
    assert base != inputs.inputs_sha1(src, "", "shared")


# --------------------------------------------------------------------------- estimates


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ({"cell_type": "code", "id": "estimates"}, True),
        ({"cell_type": "code", "id": "estimates-r"}, True),
        ({"cell_type": "code", "id": "x", "metadata": {"tags": ["estimates"]}}, True),
        ({"cell_type": "code", "id": "estimatesx"}, False),
        ({"cell_type": "markdown", "id": "estimates-python"}, False),
    ],
)
def test_what_an_estimates_cell_is(cell, expected):
    assert estimates.is_estimates(cell) is expected


def test_estimates_and_the_checks_record_move_into_the_metadata_each_under_its_key():
    def printed(text, name="stdout"):
        return {"output_type": "stream", "name": name, "text": text}

    nb = {
        "cells": [
            {"cell_type": "code", "id": "a", "outputs": [printed("kept\n")]},
            {"cell_type": "code", "id": "estimates-r",
             "outputs": [printed(["m\tq\t", "1\n"]), printed("warn\n", "stderr")]},
            {"cell_type": "code", "id": "checks-recorded", "metadata": {"tags": ["checks"]},
             "outputs": [printed('{"m": 2.5}\n')]},
        ],
    }  # fmt: skip
    done = estimates.extract(nb)
    assert [c["id"] for c in done["cells"]] == ["a"]
    assert done["metadata"] == {"coursebuild": {"estimates": "m\tq\t1\n", "checks": '{"m": 2.5}\n'}}


def test_every_build_module_is_an_input_or_said_not_to_be():
    """A module that writes into notebooks (exercises.py was missed once) must be hashed."""
    root = Path(__file__).resolve().parents[1]
    shared = set(inputs.shared_files(root))
    others = {p for pattern in inputs.NOT_INPUTS for p in root.glob(pattern)}
    modules = {p for p in (root / "coursebuild").rglob("*.py") if "__pycache__" not in p.parts}
    assert not shared & others, sorted(shared & others)
    unclassified = sorted(m.relative_to(root).as_posix() for m in modules - shared - others)
    assert not unclassified, unclassified
