"""devices/ (the protocol layer), control/ (the loops) and emulation/ (the served meters) never import Home
Assistant."""

from __future__ import annotations

import ast
import re
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


def test_devices_and_control_never_import_home_assistant() -> None:
    modules = sorted(DEVICES.glob("*.py")) + [
        path for layer in ("control", "emulation") for path in sorted((DEVICES.parent / layer).glob("*.py"))
    ]
    assert len(modules) >= 12
    assert {path.parent.name for path in modules} == {"devices", "control", "emulation"}
    offenders = {
        path.name: sorted(name for name in imported_modules(path) if name.split(".")[0] == "homeassistant")
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from homeassistant.core import HomeAssistant\nimport homeassistant.const\n")
    assert imported_modules(sample) == {"homeassistant.core", "homeassistant.const"}


HA_LAYER = DEVICES.parent


def vendor_words() -> set[str]:
    """What names a vendor: each family's id, its name's words and its module's name."""
    from custom_components.local_energy.devices.families import FAMILIES

    words = {"pico", "solarman", "bicom"}
    for family in FAMILIES:
        words.add(family.id)
        words.update(part.lower() for part in family.name.replace("(", " ").split() if len(part) > 4)
        words.add(family.client.__module__.rsplit(".", 1)[-1])
    return words - {"modbus"}


def named(text: str, words: set[str]) -> list[str]:
    return sorted(word for word in words if re.search(rf"\b{re.escape(word)}\b", text.lower()))


def test_the_home_assistant_layer_names_no_vendor() -> None:
    """Everything the HA layer knows of a family comes from its declaration (strings aside)."""
    words = vendor_words()
    assert {"shelly", "homewizard", "igen", "iskra", "acuvim", "powerpack", "enistic"} <= words
    modules = sorted(HA_LAYER.glob("*.py")) + sorted((HA_LAYER / "controller").glob("*.py"))
    assert any(path.parent.name == "controller" for path in modules)
    # Generated from the declarations by scripts/family_steps.py (its --check keeps it current).
    modules.remove(HA_LAYER / "family_steps.py")
    found = {
        str(path.relative_to(HA_LAYER)): named(path.read_text(encoding="utf-8"), words) for path in modules
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_vendor_check_sees_a_vendor(tmp_path: Path) -> None:
    assert "shelly" in vendor_words()
    assert named("from .devices import shelly, igen", vendor_words()) == ["igen", "shelly"]
    assert named("config_entries; designed", vendor_words()) == []
