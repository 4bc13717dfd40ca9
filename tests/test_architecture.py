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
        assert module.split(".")[0] not in {"streamlit", "streamlit_folium", "app_pages", "app_support"}, \
            f"{path}: {module}"
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


def _all_imports(path: Path) -> list[str]:
    """Every imported module of a file, also relative and function-level imports (``from . import x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            out.extend(f"{base}.{a.name}" if node.module else f"{base}{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                out.append(str(arg.value))
            elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
                out.append(str(arg.values[0].value))
    return out


@pytest.mark.parametrize("path", [*_sources("app_pages"), *_sources("app_support")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_do_not_import_pages(path: Path) -> None:
    """A page imports app_support, layers and geo, never another page; app_support imports no page."""
    pages = [m for m in _all_imports(path) if m.startswith(("app_pages", ".")) or m.split(".")[0] == "app"]
    assert not pages, f"{path.relative_to(ROOT)} imports {pages}"


def test_only_app_py_knows_the_pages() -> None:
    importers = [p for p in CODE if any(m.startswith("app_pages") for m in _all_imports(p))]
    assert [p.relative_to(ROOT).as_posix() for p in importers] == ["app.py"]


# ---------------------------------------------------------------------------- one source of truth
#: Code outside tests: the app, its pages and helpers, geo, layers and the benchmarks.
CODE = sorted({*_sources("geo"), *_sources("layers"), *_sources("app_pages"), *_sources("bench"),
               *ROOT.glob("app*.py"), *(ROOT / "app_support").rglob("*.py")})
#: Modules that still carry kind-name or CRS literals until the integrator applies the rule there
#: (being split by another helper in the same round). Keep this list short; empty it.
NOT_YET: set[str] = set()


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """(line, value) of every string constant that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", CODE, ids=_rel)
def test_kind_names_are_not_retyped_outside_the_schema(path: Path) -> None:
    """A record kind's name is a string literal only in geo/core/schema.py (code uses its constants)."""
    from geo.core.schema import KINDS

    if _rel(path) in {"geo/core/schema.py"} | NOT_YET:
        return
    found = [(line, value) for line, value in _string_constants(path) if value in KINDS]
    assert not found, f"{_rel(path)}: kind names typed as literals (use geo.core.schema constants): {found}"


@pytest.mark.parametrize("path", CODE, ids=_rel)
def test_crs_codes_live_in_area(path: Path) -> None:
    """``EPSG:…`` is typed only in geo/core/area.py (DEFAULT_CRS, DISPLAY_CRS, WEB_MERCATOR_CRS)."""
    if _rel(path) in {"geo/core/area.py"} | NOT_YET:
        return
    found = [(line, value) for line, value in _string_constants(path) if "EPSG:" in value]
    assert not found, f"{_rel(path)}: CRS codes typed as literals (use geo.core.area constants): {found}"


def test_the_rules_see_a_retyped_literal(tmp_path: Path) -> None:
    """The checks find a literal in code and ignore docstrings (a check that cannot fail is a defect)."""
    sample = tmp_path / "sample.py"
    sample.write_text('"""Mentions "syringe_find" and EPSG:25833 in prose."""\n'
                      'KIND = "syringe_find"\nCRS = f"z. B. {1}" + "EPSG:4326"\n', encoding="utf-8")
    values = [v for _, v in _string_constants(sample)]
    assert "syringe_find" in values and "EPSG:4326" in values
    assert not any("prose" in v for v in values)


def test_cli_kind_choices_come_from_the_schema() -> None:
    from geo.cli import build_parser
    from geo.core.schema import KINDS

    help_text = " ".join(build_parser()._subparsers._group_actions[0].choices["export"].format_help().split())
    assert all(f"{name} ({kind.label})" in help_text for name, kind in KINDS.items())
