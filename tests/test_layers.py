"""Imports flow one way: the packages below the command line know nothing of terminals."""

from __future__ import annotations

import ast
from pathlib import Path

import broadcaster

PACKAGE = Path(broadcaster.__file__).parent
COMMAND_LINE = ("typer", "broadcaster.cli", "broadcaster.cli_upstream", "broadcaster.terminal")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_upstream_knows_nothing_of_the_command_line() -> None:
    for path in sorted((PACKAGE / "upstream").rglob("*.py")):
        wrong = {name for name in _imports(path)
                 if any(name == bad or name.startswith(bad + ".") for bad in COMMAND_LINE)}
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"
