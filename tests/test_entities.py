"""What Home Assistant makes of the documented payloads, on a fake client (tests/fake_client.py).

The entity tables come from Home Assistant core's own device dumps, read by our parsers: someone else's
record of what the devices answer. Availability, pushes and channels that come and go are the Home
Assistant layer's behaviour; the protocols are tested against the simulators in tests/devices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.devices import ecotracker, homewizard, indevolt, shelly, stromleser
from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import DeviceIdentity, Snapshot
from custom_components.local_energy.devices.websocket import Link
from tests.conftest import refresh, setup_entry
from tests.documented import ECOTRACKER_CORE, ECOTRACKER_OFFICIAL, STROMLESER_OFFICIAL
from tests.fake_client import (
    P1_IDENTITY,
    FakeDevice,
    core_dump,
    documented_p1,
    entry_of,
    fake_device,
    serving,
    set_up,
    with_value,
)
from tests.registry import device_by_identifier, snapshot_entities

P1 = P1_IDENTITY
P1_SERIAL = P1.serial
P1_POWER = "sensor.homewizard_p1_meter_power"


def shelly_pro_3em() -> tuple[DeviceIdentity, Snapshot]:
    dump = core_dump("shelly_pro_3em")
    info = shelly.parse_info(dump["shelly"])
    identity = DeviceIdentity(vendor="Shelly", model=info.model.name, serial=info.mac, mac=info.mac)
    return identity, shelly.parse_status(dump["status"], info)


ECOTRACKER = DeviceIdentity(vendor="everHome", model="EcoTracker", serial="abcdef123456")
STROMLESER = DeviceIdentity(vendor="nineti", model="stromleser.one", serial="STROM_ONE_7211674295")


def indevolt_dump(generation: str, points: indevolt.Points, model: str) -> tuple[DeviceIdentity, Snapshot]:
    identity = DeviceIdentity(vendor="INDEVOLT", model=model, serial=f"IND-{generation}")
    return identity, indevolt.parse_data(points, core_dump(f"indevolt_{generation}"), 0.0)


DOCUMENTED: dict[str, tuple[str, Callable[[], tuple[DeviceIdentity, Snapshot]]]] = {
    "homewizard_p1_v1": ("homewizard", lambda: (P1, homewizard.parse_data(core_dump("homewizard_p1_v1")))),
    "homewizard_p1_v2": (
        "homewizard",
        lambda: (P1, homewizard.parse_measurement(core_dump("homewizard_p1_v2"))),
    ),
    "shelly_pro_3em": ("shelly", shelly_pro_3em),
    "ecotracker_official": (
        "ecotracker",
        lambda: (ECOTRACKER, ecotracker.parse(ECOTRACKER_OFFICIAL)),
    ),
    "ecotracker_core": ("ecotracker", lambda: (ECOTRACKER, ecotracker.parse(ECOTRACKER_CORE))),
    "stromleser_official": (
        "stromleser",
        lambda: (STROMLESER, stromleser.parse(STROMLESER_OFFICIAL)),
    ),
    "indevolt_gen1": ("indevolt", lambda: indevolt_dump("gen1", indevolt.GEN1, "BK1600")),
    "indevolt_gen2": ("indevolt", lambda: indevolt_dump("gen2", indevolt.GEN2, "SolidFlex 2000")),
}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("dump", DOCUMENTED)
async def test_the_entities_of_a_documented_payload(
    hass: HomeAssistant, dump: str, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    family_id, documented = DOCUMENTED[dump]
    identity, answer = documented()
    device = fake_device(family_id, identity, answer)
    with serving(device), patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, entry_of(device, entry_id=dump))
    await snapshot_entities(hass, entity_registry, snapshot, dump)


@pytest.fixture
def p1() -> FakeDevice:
    return documented_p1()


async def test_a_device_that_stops_answering_is_unavailable_until_it_answers(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, p1)
    assert hass.states.get(P1_POWER).state == "-123.0"
    p1.failure = CannotConnect("no route to the meter")
    await refresh(hass, freezer)
    assert hass.states.get(P1_POWER).state == STATE_UNAVAILABLE
    p1.failure = None
    await refresh(hass, freezer)
    assert hass.states.get(P1_POWER).state == "-123.0"


async def test_a_push_is_shown_without_waiting_for_a_poll(hass: HomeAssistant) -> None:
    documented = homewizard.parse_measurement(core_dump("homewizard_p1_v2"))
    device = fake_device("homewizard", P1, documented, link=Link.UP)
    await set_up(hass, device)
    reads = device.client.read.await_count
    device.push(with_value(documented, Key.POWER, 812.0))
    await hass.async_block_till_done()
    assert hass.states.get(P1_POWER).state == "812.0"
    assert device.client.read.await_count == reads  # taken from latest(), nothing asked


async def test_a_channel_the_device_no_longer_lists_loses_its_device(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory, device_registry: dr.DeviceRegistry
) -> None:
    entry_id = (await set_up(hass, p1)).entry_id
    gas = f"{P1_SERIAL}_{homewizard.GAS_CHANNEL}"
    assert device_by_identifier(device_registry, entry_id, gas) is not None
    channels = {cid: channel for cid, channel in p1.answer.channels.items() if cid != homewizard.GAS_CHANNEL}
    p1.answer = replace(p1.answer, channels=channels, complete=True)
    await refresh(hass, freezer)
    assert device_by_identifier(device_registry, entry_id, gas) is None
    assert device_by_identifier(device_registry, entry_id, P1_SERIAL) is not None  # the meter's own stays
