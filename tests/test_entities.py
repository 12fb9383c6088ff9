"""What Home Assistant makes of the documented payloads, on a fake client (tests/fake_client.py).

The entity tables come from Home Assistant core's own device dumps (or, for a Modbus meter, registers laid
out as the vendor's manual says), read by our parsers: someone else's record of what the devices answer.
Availability, pushes and channels that come and go are the Home Assistant layer's behaviour; the protocols
are tested against the simulators in tests/devices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.devices import ecotracker, homewizard, igen, indevolt, shelly, stromleser
from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import Control, ControlKind, DeviceIdentity, Snapshot
from custom_components.local_energy.devices.websocket import Link
from tests.conftest import refresh, setup_entry
from tests.documented import (
    ECOTRACKER_CORE,
    ECOTRACKER_OFFICIAL,
    IGEN_IR_READER,
    IGEN_P1_CAPTURE,
    SHELLY_3EM_GEN1_STATUS,
    SHELLY_EM_GEN1_STATUS,
    SHELLY_PLUG_S_GEN1_STATUS,
    SHELLY_PLUG_S_GEN3_SWITCH,
    SHELLY_PLUS_PLUG_S_INFO,
    SHELLY_PLUS_PLUG_S_SWITCH,
    SHELLY_PLUS_PLUG_S_WIFI,
    SHELLY_PRO_EM_STATUS,
    STROMLESER_OFFICIAL,
    core_dump,
)
from tests.fake_client import (
    ECOTRACKER_IDENTITY,
    P1_IDENTITY,
    STROMLESER_IDENTITY,
    FakeDevice,
    documented_p1,
    enistic_controller,
    enistic_reading,
    entry_of,
    fake_acuvim,
    fake_device,
    serving,
    set_up,
    with_value,
)
from tests.registry import device_by_identifier, snapshot_entities

P1 = P1_IDENTITY
P1_SERIAL = P1.serial
P1_POWER = "sensor.homewizard_p1_meter_power"


def shelly_device(info_body: dict[str, Any], status: dict[str, Any]) -> FakeDevice:
    """A Shelly as the client knows it once identified: what it integrates and whether it may export."""
    info = shelly.parse_info(info_body)
    identity = DeviceIdentity(vendor="Shelly", model=info.model.name, serial=info.mac, mac=info.mac)
    device = fake_device("shelly", identity, shelly.parse_status(status, info))
    device.client.integrates.side_effect = lambda channel_id: shelly.nets_phases(info, channel_id)
    device.client.may_export.return_value = info.model.signed_power
    return device


def shelly_pro_3em() -> FakeDevice:
    dump = core_dump("shelly_pro_3em")
    return shelly_device(dump["shelly"], dump["status"])


def shelly_like_pro_3em(model: str, generation: int) -> FakeDevice:
    """A model with the Pro 3EM's RPC status (em:0, emdata:0): core's Pro 3EM dump under its own id."""
    return shelly_device(gen2_info(model, generation), core_dump("shelly_pro_3em")["status"])


def documented(family_id: str, identity: DeviceIdentity, answer: Snapshot) -> Callable[[], FakeDevice]:
    return lambda: fake_device(family_id, identity, answer)


def gen1_info(model: str) -> dict[str, Any]:
    return {"type": model, "mac": "AABBCCDDEE01", "auth": False, "fw": "20230913-113421/v1.14.0"}


def gen2_info(model: str, generation: int) -> dict[str, Any]:
    return {
        "model": model,
        "mac": "AABBCCDDEE02",
        "gen": generation,
        "auth_en": False,
        "id": "x",
        "ver": "1.0",
    }


def indevolt_dump(generation: str, points: indevolt.Points, model: str) -> FakeDevice:
    identity = DeviceIdentity(vendor="INDEVOLT", model=model, serial=f"IND-{generation}")
    return fake_device(
        "indevolt", identity, indevolt.parse_data(points, core_dump(f"indevolt_{generation}"), 0.0)
    )


IGEN_RELAY = Control(Key.RELAY, ControlKind.SWITCH)


def igen_identity(device_type: str) -> DeviceIdentity:
    """An IGEN device as Sys.GetConfig names it: by its type ("gl meter", "SP-2W-EU", "P1-2W")."""
    return DeviceIdentity(vendor=igen.VENDOR, model=device_type, serial="D850BD20A300129S")


def igen_dump(device_type: str, data: dict[str, Any]) -> FakeDevice:
    """An IGEN device answering this OpenData body (Meter.JsonData, P1.JsonData)."""
    return fake_device("igen", igen_identity(device_type), igen.snapshot_of(igen.parse_values(data)))


def igen_plug(*, on: bool) -> FakeDevice:
    """An IGEN smart plug answering core's dump of Plug.GetData, its relay as Plug.GetStatus says."""
    values = igen.parse_values(core_dump("solarman_plug_data")) | {Key.RELAY: on}
    return fake_device("igen", igen_identity("SP-2W-EU"), igen.snapshot_of(values, (IGEN_RELAY,)))


ENISTIC_BROADCAST = "".join(
    enistic_reading(meter, power, channel, state)
    for meter, power, channel, state in (
        ("0021ED0000041319", 60.5, 1, 1),  # a smart socket, on
        ("0021ED0000041320", 0.0, 1, 0),  # a smart socket, off
        ("0021EE0000007001", 2300.0, 1, 17),  # the three channels of a meter
        ("0021EE0000007001", 850.0, 2, 17),
        ("0021EE0000007001", -1200.0, 3, 17),
    )
)
"""One broadcast of a controller with two sockets and a three-channel meter, in the vendor's form."""


DOCUMENTED: dict[str, Callable[[], FakeDevice]] = {
    "homewizard_p1_v1": documented("homewizard", P1, homewizard.parse_data(core_dump("homewizard_p1_v1"))),
    "homewizard_p1_v2": documented(
        "homewizard", P1, homewizard.parse_measurement(core_dump("homewizard_p1_v2"))
    ),
    "shelly_pro_3em": shelly_pro_3em,
    "shelly_pro_3em_400": lambda: shelly_like_pro_3em("SPEM-003CEBEU400", 2),
    "shelly_pro_3em_63": lambda: shelly_like_pro_3em("SPEM-003CEBEU63", 2),
    "shelly_3em_63_gen3": lambda: shelly_like_pro_3em("S3EM-003CXCEU63", 3),
    "shelly_pro_em": lambda: shelly_device(gen2_info("SPEM-002CEBEU50", 2), SHELLY_PRO_EM_STATUS),
    "shelly_em_gen3": lambda: shelly_device(gen2_info("S3EM-002CXCEU", 3), SHELLY_PRO_EM_STATUS),
    "shelly_em_gen1": lambda: shelly_device(gen1_info("SHEM"), SHELLY_EM_GEN1_STATUS),
    "shelly_3em_gen1": lambda: shelly_device(gen1_info("SHEM-3"), SHELLY_3EM_GEN1_STATUS),
    "shelly_plus_plug_s": lambda: shelly_device(
        SHELLY_PLUS_PLUG_S_INFO, {"switch:0": SHELLY_PLUS_PLUG_S_SWITCH, "wifi": SHELLY_PLUS_PLUG_S_WIFI}
    ),
    "shelly_plug_s_gen1": lambda: shelly_device(gen1_info("SHPLG-S"), SHELLY_PLUG_S_GEN1_STATUS),
    "shelly_plug_s_gen3": lambda: shelly_device(
        gen2_info("S3PL-00112EU", 3), {"switch:0": SHELLY_PLUG_S_GEN3_SWITCH}
    ),
    "ecotracker_official": documented(
        "ecotracker", ECOTRACKER_IDENTITY, ecotracker.parse(ECOTRACKER_OFFICIAL)
    ),
    "ecotracker_core": documented("ecotracker", ECOTRACKER_IDENTITY, ecotracker.parse(ECOTRACKER_CORE)),
    "stromleser_official": documented(
        "stromleser", STROMLESER_IDENTITY, stromleser.parse(STROMLESER_OFFICIAL)
    ),
    "indevolt_gen1": lambda: indevolt_dump("gen1", indevolt.GEN1, "BK1600"),
    "indevolt_gen2": lambda: indevolt_dump("gen2", indevolt.GEN2, "SolidFlex 2000"),
    "enistic": lambda: enistic_controller(ENISTIC_BROADCAST),
    "acuvim_manual": fake_acuvim,
    "igen_p1_capture": documented(
        "igen",
        DeviceIdentity(vendor=igen.VENDOR, model=igen.SHAPE_MODELS["p1"], serial="D850BD20A300129S"),
        igen.snapshot_of(igen.parse_values(IGEN_P1_CAPTURE["data"])),
    ),
    "igen_meter_single_phase": lambda: igen_dump("gl meter", core_dump("solarman_meter_data")),
    "igen_p1_core": lambda: igen_dump("P1-2W", core_dump("solarman_p1_data")),
    "igen_ir_reader": lambda: igen_dump("gl meter", IGEN_IR_READER),
    "igen_plug": lambda: igen_plug(on=True),
}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("dump", DOCUMENTED)
async def test_the_entities_of_a_documented_payload(
    hass: HomeAssistant, dump: str, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    device = DOCUMENTED[dump]()
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
