"""The benchmark drives the build the way it says: as many notebooks at once as asked."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _build_times():
    spec = importlib.util.spec_from_file_location("build_times", ROOT / "bench" / "build_times.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_times"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_run_build_passes_jobs_to_the_build(tmp_path, monkeypatch):
    seen = []

    def fake_run(cmd, **kwargs):
        seen.append(cmd)
        report = {"execute_seconds": 1.5, "sessions": {"s": {"notebooks": [
            {"name": "python/s", "status": "executed", "seconds": 1.5},
        ]}}}  # fmt: skip
        (tmp_path / ".build-report.json").write_text(json.dumps(report))
        return subprocess.CompletedProcess(cmd, 0, "", "")

    bench = _build_times()
    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    for jobs in (1, 3):
        run = bench.run_build(tmp_path, jobs)
        cmd = seen[-1]
        assert cmd[cmd.index("--jobs") + 1] == str(jobs)
        assert run.executed == ["python/s"]
