"""quality_scale.yaml holds every rule of the quality scale, each done or exempt with a reason.

The rule names are those of Home Assistant's hassfest (script/hassfest/quality_scale.py, 2026.11), which is
not published as a package; where hassfest validates a rule with code, the same facts are checked here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import yaml

INTEGRATION = Path(__file__).parents[1] / "custom_components" / "local_energy"

RULES = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}


def _rules() -> dict[str, str | dict[str, str]]:
    document = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8"))
    rules: dict[str, str | dict[str, str]] = document["rules"]
    return rules


def _functions(module: str) -> set[str]:
    tree = ast.parse((INTEGRATION / module).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)}


def test_every_rule_is_listed_once_and_nothing_else() -> None:
    expected = [rule for tier in RULES.values() for rule in tier]
    assert len(set(expected)) == len(expected)
    assert sorted(_rules()) == sorted(expected)


def test_every_rule_is_done_or_exempt_with_a_reason() -> None:
    for name, rule in _rules().items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in ("done", "exempt"), f"{name} is {status}"
        if status == "exempt":
            assert isinstance(rule, dict), f"{name} is exempt without a comment"
            assert rule.get("comment", "").strip(), f"{name} is exempt without a reason"


def test_what_hassfest_checks_in_code() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config_flow"] is True  # config-flow
    assert manifest["integration_type"] in ("device", "hub")
    assert manifest["zeroconf"]  # discovery: zeroconf declared ...
    flow = _functions("config_flow.py")
    assert {"async_step_zeroconf", "async_step_integration_discovery"} <= flow  # ... and handled
    assert "async_step_reconfigure" in flow  # reconfiguration-flow
    assert "async_step_reauth" in flow  # reauthentication-flow
    assert "_abort_if_unique_id_configured" in (INTEGRATION / "config_flow.py").read_text(encoding="utf-8")
    setup = (INTEGRATION / "__init__.py").read_text(encoding="utf-8")
    assert "entry.runtime_data = " in setup  # runtime-data
    assert "ConfigEntryNotReady" in setup  # test-before-setup
    assert "async_config_entry_first_refresh" in setup
    assert "async_unload_entry" in _functions("__init__.py")  # config-entry-unloading
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    assert strings["issues"]  # repair-issues have their text
    assert strings["exceptions"]  # exception-translations
    for platform in ("number.py", "select.py", "sensor.py", "switch.py"):
        assert "PARALLEL_UPDATES" in (INTEGRATION / platform).read_text(encoding="utf-8")
