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
