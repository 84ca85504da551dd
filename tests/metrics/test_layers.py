"""Layer rule (DESIGN, layers): ``metrics`` and ``text`` import nothing above ``text``, ``schema``,
``langs`` and ``errors`` - a judge is passed in as a callable, never imported from ``models``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import babelvlm

PACKAGE = Path(babelvlm.__file__).parent
ALLOWED = ("babelvlm.metrics", "babelvlm.text", "babelvlm.schema", "babelvlm.langs", "babelvlm.errors")


def imported_babelvlm_modules(path: Path) -> set[str]:
    """Every ``babelvlm...`` module a source file imports, at top level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "babelvlm" or name.startswith("babelvlm.")}


def violations(layer: str) -> list[str]:
    """``file: module`` for each import in ``layer`` of a module outside the allowed ones."""
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in sorted(imported_babelvlm_modules(path)):
            if not any(module == a or module.startswith(a + ".") for a in ALLOWED):
                found.append(f"{path.relative_to(PACKAGE)}: {module}")
    return found


@pytest.mark.parametrize("layer", ["metrics", "text"])
def test_lower_layers_import_nothing_above_them(layer: str) -> None:
    assert violations(layer) == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from babelvlm.models.base import ModelAPI\nimport babelvlm.engine.store\n")
    assert imported_babelvlm_modules(bad) == {"babelvlm.models.base", "babelvlm.engine.store"}


def test_importing_metrics_loads_no_models_engine_or_tasks() -> None:
    code = (
        "import sys, babelvlm.metrics, babelvlm.metrics.judge, babelvlm.metrics.mcq;"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in"
        " (['babelvlm','models'], ['babelvlm','engine'], ['babelvlm','tasks'])))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
