"""The examples in the docstrings of geo/ and layers/ run as tests (``python -m doctest`` style).

Every module is imported (importing must stay cheap and free of side effects: no files written,
no server started, no analysis run); ``geo/__main__.py`` is the command's entry point and is left out.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Modules that act when imported, by design.
SKIP = {"geo.__main__"}


def _modules() -> list[str]:
    names = []
    for package in ("geo", "layers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if name not in SKIP:
                names.append(name)
    return names


MODULES = _modules()


def test_doctests_exist() -> None:
    """The suite really runs examples (a check that cannot fail is a defect)."""
    found = sum(len([t for t in doctest.DocTestFinder().find(importlib.import_module(m)) if t.examples])
                for m in ("geo.core.fmt", "geo.core.schema"))
    assert found >= 8


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False,
                             verbose=False)
    assert result.failed == 0, f"{module}: {result.failed} of {result.attempted} doctest examples failed " \
                               f"(run: python -m pytest --doctest-modules {module.replace('.', '/')}.py)"
