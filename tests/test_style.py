"""The code base stays ruff-clean (the configuration is in pyproject.toml)."""

import shutil
import subprocess

import pytest

from prioritizer.paths import PROJECT_ROOT


def test_ruff_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    proc = subprocess.run([ruff, "check", "."], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
