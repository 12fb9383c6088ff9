"""Every form as the frontend receives it: through Home Assistant's HTTP flow API, serialized."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.local_energy.const import DOMAIN
from custom_components.local_energy.devices.families import FAMILIES
from tests.fake_client import fake_pico, set_up

FLOWS = "/api/config/config_entries/flow"
OPTIONS = "/api/config/config_entries/options/flow"
MENU = [
    "shelly",
    "homewizard",
    "ecotracker",
    "stromleser",
    "igen",
    "indevolt",
    "smartme",
    "iskra",
    "enistic",
    "acuvim",
    "powerpack",
    "controller",
    "emulated_meter",
]
"""The menu option ids are part of the interface (automations and guides name them): they never change."""
STRINGS = json.loads((Path(__file__).parents[1] / "custom_components/local_energy/strings.json").read_text())


async def post(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post(path, json=body)
    assert answer.status == 200, await answer.text()
    result: dict[str, Any] = await answer.json()
    return result


@pytest.fixture
async def client(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> Any:
    assert await async_setup_component(hass, "config", {})
    return await hass_client()


async def test_the_menu_lists_every_family(client: Any) -> None:
    menu = await post(client, FLOWS, {"handler": DOMAIN})
    assert menu["type"] == "menu"
    assert menu["menu_options"] == MENU
    assert [family.id for family in FAMILIES if family.variant_of is None] == MENU[:-2]  # then the rest


async def test_the_ways_to_reach_a_family_are_a_menu(client: Any) -> None:
    for submenu, options in {
        "iskra": ["iskra_search", *SUBMENUS["iskra"]],
        "acuvim": SUBMENUS["acuvim"],
    }.items():
        menu = await post(client, FLOWS, {"handler": DOMAIN})
        result = await post(client, f"{FLOWS}/{menu['flow_id']}", {"next_step_id": submenu})
        assert result["type"] == "menu"
        assert result["menu_options"] == list(options)
        assert set(options) <= set(STRINGS["config"]["step"][submenu]["menu_options"])


SUBMENUS = {"iskra": ("iskra_rest", "iskra_modbus"), "acuvim": ("acuvim_network", "acuvim_serial")}
FORMS = [
    *(option for option in MENU if option not in SUBMENUS),
    *(form for forms in SUBMENUS.values() for form in forms),
]


@pytest.mark.parametrize("option", FORMS)
async def test_every_family_form_serializes(client: Any, option: str) -> None:
    menu = await post(client, FLOWS, {"handler": DOMAIN})
    path = f"{FLOWS}/{menu['flow_id']}"
    for submenu, forms in SUBMENUS.items():
        if option in forms:
            await post(client, path, {"next_step_id": submenu})
    result = await post(client, path, {"next_step_id": option})
    assert result["type"] == "form", result
    names = [field["name"] for field in result["data_schema"]]
    first = {"controller": "grid_sensor", "emulated_meter": "power_sensor"}.get(option, "host")
    assert first in names
    assert all("selector" in field or "type" in field for field in result["data_schema"])
    assert set(names) <= set(STRINGS["config"]["step"][option]["data"]), "every field has a label"


async def test_a_refused_setting_comes_back_as_a_form_error(client: Any) -> None:
    menu = await post(client, FLOWS, {"handler": DOMAIN})
    path = f"{FLOWS}/{menu['flow_id']}"
    await post(client, path, {"next_step_id": "smartme"})
    answer = await client.post(path, json={"host": "127.0.0.1", "port": 1, "unit_id": 1, "max_current": 500})
    assert answer.status == 400
    assert "max_current" in await answer.text()


async def test_the_options_form_serializes(hass: HomeAssistant, client: Any) -> None:
    entry = await set_up(hass, fake_pico(), stored={"max_current": 16})
    result = await post(client, OPTIONS, {"handler": entry.entry_id})
    assert result["type"] == "form"
    names = {field["name"] for field in result["data_schema"]}
    assert {"update_interval", "invert", "phase_change_minutes"} <= names
