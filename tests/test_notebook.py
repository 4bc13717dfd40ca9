"""Execute notebooks/period_comparison.ipynb so it never goes stale.

The kernel is this interpreter (``sys.executable``, i.e. the project's ``.venv``): the test
writes a throw-away kernelspec into a temporary folder and points ``JUPYTER_PATH`` at it,
so no kernel has to be installed beforehand (CI starts from a fresh clone and ``.venv``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "period_comparison.ipynb"
KERNEL = "lagebild-test-venv"


@pytest.fixture
def venv_kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec that starts ``sys.executable -m ipykernel_launcher`` (found via JUPYTER_PATH)."""
    spec_dir = tmp_path / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Lagebild (test)", "language": "python", "env": {"MPLBACKEND": "agg"}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    return KERNEL


@pytest.mark.slow
def test_period_comparison_notebook_runs(venv_kernel):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=venv_kernel, timeout=120,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    start = time.monotonic()
    client.execute()  # raises CellExecutionError on the first failing cell
    assert time.monotonic() - start < 60

    def text(cell) -> str:
        parts = []
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        return "".join(parts)

    outputs = "\n".join(text(c) for c in nb.cells if c.cell_type == "code")
    assert "signifikante Abnahme" in outputs and "signifikante Zunahme" in outputs
    assert "Sich verstärkender Hotspot" in outputs
    assert "Ergebnis: Wirkung" in outputs
    assert "Verdrängung" in outputs
    # the notebook in the repository carries no outputs (kept small and reviewable)
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code")
