"""The Python code is ruff clean (lint and format) and mypy clean."""

import subprocess

from coursebuild.config import ROOT


def run(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check_is_clean(ruff):
    result = run(ruff, "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean(ruff):
    result = run(ruff, "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean(mypy):
    result = run(mypy)  # files and settings: [tool.mypy] in pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr
