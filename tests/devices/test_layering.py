"""devices/ is the protocol layer: it must never import Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

DEVICES = Path(__file__).parents[2] / "custom_components" / "local_energy" / "devices"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_devices_never_import_home_assistant() -> None:
    modules = sorted(DEVICES.glob("*.py"))
    assert len(modules) >= 8
    offenders = {
        path.name: sorted(name for name in imported_modules(path) if name.split(".")[0] == "homeassistant")
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from homeassistant.core import HomeAssistant\nimport homeassistant.const\n")
    assert imported_modules(sample) == {"homeassistant.core", "homeassistant.const"}
