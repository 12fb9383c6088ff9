"""Every language has every string of en.json with the same placeholders, and Home Assistant loads them."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import string
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
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


# The value rules of Home Assistant's hassfest (script/hassfest/translations.py), which is not published as a
# package: what hassfest would reject in strings.json or a translation.
URL = re.compile(r"((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)[a-z0-9]", re.IGNORECASE)
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
FILES = ["strings.json", *(f"translations/{language}.json" for language in ("en", *script.LANGUAGES))]


def _tree(name: str) -> dict[str, Any]:
    return json.loads((script.INTEGRATION / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FILES)
def test_values_pass_hassfest_rules(name: str) -> None:
    for path, text in script.leaves(_tree(name)):
        assert cv.string_with_no_html(text) == text, path
        assert text == text.strip(), f"{path} has leading or trailing spaces"
        assert not URL.search(text), f"{path} holds a URL"
        assert not QUOTED_PLACEHOLDER.search(text), f"{path} quotes a placeholder"
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field]
        assert all(field.isidentifier() for field in fields), path
        if "/state/" in path:
            assert not fields, f"{path}: entity states take no placeholders"


@pytest.mark.parametrize("name", FILES)
def test_structure_passes_hassfest_rules(name: str) -> None:
    tree = _tree(name)
    for flow in ("config", "options"):
        for step_id, step in tree[flow]["step"].items():
            described = set(step.get("data_description", {}))
            assert described == set(step.get("data", {})), (
                f"{flow} step {step_id}: every field has a data_description, and only fields have one"
            )
    for issue_id, issue in tree["issues"].items():
        assert {"title", "description"} <= set(issue), issue_id
    for platform in tree["entity"].values():
        for key, entity in platform.items():
            assert TRANSLATION_KEY.match(key), key
            assert all(TRANSLATION_KEY.match(state) for state in entity.get("state", {})), key
