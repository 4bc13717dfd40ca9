"""The house rules of ``geo/`` (see ``geo/__init__.py`` and ``docs/architecture.md``), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What each wing may import from geo (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "data": {"core"},
    "analysis": {"core"},
    "report": {"core", "data", "analysis"},
    "cli": {"core", "data", "analysis", "report"},
}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every ``import``/``from … import`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "geo" else None


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _sources("geo"), ids=lambda p: str(p.relative_to(ROOT)))
def test_geo_arrows_point_down(path: Path) -> None:
    own = path.relative_to(ROOT / "geo").parts[0]
    if own.endswith(".py"):  # geo/__init__.py, geo/__main__.py
        return
    for module, names in _imports(path):
        top = module.split(".")[0]
        assert top not in {"streamlit", "folium", "streamlit_folium", "layers", "branca"}, f"{path}: imports {module}"
        wing = _wing(module)
        if module == "geo" and names:
            wing = names[0] if len(names) == 1 else None
        if wing is None or wing == own:
            continue
        assert wing in ALLOWED[own], f"{path}: wing {own} must not import geo.{wing} ({module})"
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{path}: imports private names {private} of {module}"


@pytest.mark.parametrize("path", _sources("layers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_layers_do_not_import_streamlit_or_private_geo_names(path: Path) -> None:
    for module, names in _imports(path):
        assert module.split(".")[0] not in {"streamlit", "streamlit_folium", "app_pages"}, f"{path}: {module}"
        if module.startswith("geo"):
            assert not [n for n in names if n.startswith("_")], f"{path}: private import from {module}"


#: Size limits of the house (issue 10): lines per module and per function (``def`` to its last line).
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _code_files() -> list[Path]:
    """Every Python file outside tests: geo/, layers/, app_pages/, bench/ and app.py."""
    return [p for folder in ("geo", "layers", "app_pages", "bench") for p in _sources(folder)] + [ROOT / "app.py"]


def _long_functions(path: Path, limit: int) -> list[str]:
    """``name (lines)`` of every function or method in ``path`` longer than ``limit`` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{node.name} ({node.end_lineno - node.lineno + 1})" for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > limit]


def test_size_limits_measure_what_they_claim(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))  # def line + 80 = 81 lines
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n", encoding="utf-8")
    assert _long_functions(tmp_path / "long.py", MAX_FUNCTION_LINES) == [f"long ({MAX_FUNCTION_LINES + 1})"]
    assert len(_code_files()) > 50 and ROOT / "app.py" in _code_files()


@pytest.mark.parametrize("path", _code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)}: {lines} lines (limit {MAX_MODULE_LINES})"
    long = _long_functions(path, MAX_FUNCTION_LINES)
    assert not long, f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"
