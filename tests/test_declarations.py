"""The family declarations: complete, consistent, and what the forms and clients are built from."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy import devices
from custom_components.local_energy.const import DOMAIN
from custom_components.local_energy.devices.client import DeviceClient
from custom_components.local_energy.devices.connection import Settings
from custom_components.local_energy.devices.families import BY_ID, FAMILIES, variants
from custom_components.local_energy.devices.family import (
    Asked,
    addresses_setting,
    number_setting,
    settings_from,
    settings_of,
)
from custom_components.local_energy.devices.smartme import PicoSettings
from custom_components.local_energy.transports import make_client

STRINGS = json.loads((Path(__file__).parents[1] / "custom_components/local_energy/strings.json").read_text())
MANIFEST = json.loads(
    (Path(__file__).parents[1] / "custom_components/local_energy/manifest.json").read_text()
)


@dataclass(frozen=True, slots=True)
class SampleSettings(Settings):
    current: float = number_setting(16, 6, 32, "A")
    members: tuple[int, ...] = addresses_setting((33,))
    minutes: float = number_setting(10, 1, 60, "min", asked=Asked.OPTIONS)


def test_every_client_has_its_family_in_the_registry() -> None:
    clients = {
        obj
        for info in pkgutil.iter_modules(devices.__path__)
        for obj in vars(importlib.import_module(f"{devices.__name__}.{info.name}")).values()
        if inspect.isclass(obj) and issubclass(obj, DeviceClient) and not inspect.isabstract(obj)
    }
    registered = {family.client for family in FAMILIES}
    assert clients - registered == set()
    assert len(BY_ID) == len(FAMILIES) == 13, "ids are unique"


def test_variants_follow_their_family() -> None:
    for family in FAMILIES:
        if family.variant_of is not None:
            parent = BY_ID[family.variant_of]
            assert family in variants(parent)
            assert FAMILIES.index(parent) < FAMILIES.index(family)


def test_the_manifest_lists_every_announced_service() -> None:
    declared = {announcement.type for family in FAMILIES for announcement in family.zeroconf}
    listed = {item if isinstance(item, str) else item["type"] for item in MANIFEST["zeroconf"]}
    assert declared == listed


def test_every_setting_is_labelled_where_it_is_asked() -> None:
    steps = STRINGS["config"]["step"]
    for family in FAMILIES:
        for setting in family.declared_settings(Asked.SETUP):
            assert setting.name in steps[family.choice]["data"], (family.id, setting.name)
            assert setting.name in steps["reconfigure"]["data"], (family.id, setting.name)
        for setting in family.declared_settings(Asked.OPTIONS):
            assert setting.name in STRINGS["options"]["step"]["init"]["data"], (family.id, setting.name)


def test_settings_declare_their_bounds() -> None:
    current, members, minutes = settings_of(SampleSettings)
    assert (current.name, current.default, current.minimum, current.maximum, current.unit) == (
        "current",
        16,
        6,
        32,
        "A",
    )
    assert members.addresses
    assert not current.addresses
    assert minutes.asked is Asked.OPTIONS


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({}, SampleSettings()),
        ({"current": 20, "members": "33, 35 36"}, SampleSettings(20, (33, 35, 36))),
        ({"current": math.nan, "members": "33, 300"}, SampleSettings()),
        ({"current": "garbage", "members": None}, SampleSettings()),
        ({"current": 100, "minutes": -5}, SampleSettings(32, minutes=1)),
        ({"current": math.inf}, SampleSettings()),
    ],
)
def test_stored_settings_are_typed_and_bounded(stored: dict[str, Any], expected: SampleSettings) -> None:
    """What an entry stores reaches a client finite and inside the bounds, or as the default."""
    assert settings_from(SampleSettings, stored) == expected


def test_a_settings_field_without_a_default_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Broken(Settings):
        current: float

    with pytest.raises(KeyError):
        settings_of(Broken)


async def test_an_entry_gives_its_client_typed_settings(hass: HomeAssistant) -> None:
    """Setup-time settings from the data, options-time settings from the options: both typed."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"family": "smartme", "host": "127.0.0.1", "port": 1, "unit_id": 1, "max_current": 25.0},
        options={"phase_change_minutes": 1e9},
    )
    family = BY_ID["smartme"]
    client: Any = make_client(hass, family, entry.data, entry.options)
    assert client.settings == PicoSettings(max_current=25.0, phase_change_minutes=120)
    await client.close()


def test_declared_controls_are_control_keys() -> None:
    from custom_components.local_energy.devices.keys import CONTROL_KEYS

    for family in FAMILIES:
        assert set(family.controls) <= CONTROL_KEYS, family.id
    assert BY_ID["smartme"].controls[0].value == "charge_current"
    assert not BY_ID["homewizard"].controls
