"""Every language has every string of en.json with the same placeholders, and Home Assistant loads them."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component

from custom_components.local_energy.const import DOMAIN

ROOT = Path(__file__).parents[1]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("translations_script", ROOT / "scripts" / "translations.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()


def english() -> dict[str, Any]:
    return json.loads((script.INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8"))


def test_every_language_is_complete() -> None:
    assert script.problems() == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda tree: tree["config"]["step"]["user"].pop("title"), "missing config/step/user/title"),
        (lambda tree: tree["config"].update(extra="Extra"), "config/extra is not in en.json"),
        (
            lambda tree: tree["issues"]["api_disabled"].update(title="{name} {host}"),
            "issues/api_disabled/title has placeholders other than English's",
        ),
        (lambda tree: tree["options"]["step"]["init"].update(title=" "), "options/step/init/title is empty"),
        (
            lambda tree: tree["config"]["error"].update(
                unknown="[%key:common::config_flow::error::unknown%]"
            ),
            "config/error/unknown holds an unresolved reference",
        ),
    ],
)
def test_each_kind_of_problem_is_found(change: Any, problem: str) -> None:
    source = english()
    translated = copy.deepcopy(source)
    change(translated)
    assert script.compare(source, translated, "xx") == [f"xx: {problem}"]


@pytest.mark.parametrize(
    ("language", "power"),
    [("de", "Leistung"), ("nl", "Vermogen"), ("fr", "Puissance"), ("it", "Potenza"), ("sl", "Moč")],
)
async def test_home_assistant_loads_each_language(hass: HomeAssistant, language: str, power: str) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    strings = await async_get_translations(hass, language, "entity", {DOMAIN})
    assert strings[f"component.{DOMAIN}.entity.sensor.power.name"] == power
