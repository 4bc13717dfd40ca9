"""``mypy`` runs clean on geo/ (configuration: ``[tool.mypy]`` in pyproject.toml)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean_on_geo(monkeypatch: pytest.MonkeyPatch) -> None:
    from mypy import api  # a test dependency (scripts/setup.sh test)

    monkeypatch.chdir(ROOT)  # the configuration names the files relative to the repository
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                "--cache-dir", os.environ.get("MYPY_CACHE_DIR", str(ROOT / ".mypy_cache"))])
    assert status == 0, f"mypy found problems:\n{out}{err}"
    assert "Success: no issues found" in out
