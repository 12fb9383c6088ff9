"""IGEN through Home Assistant: discovered by listening, pushed values at the entry's rate, fallback, plug.

Broadcasts go end to end over sockets; the plug and the entity tables are on the fake client.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncGenerator
from datetime import timedelta
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PORT, SERVICE_TURN_OFF, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy import discovery
from custom_components.local_energy.const import CONF_FAMILY, CONF_PUSH_PORT, CONF_SERIAL, DOMAIN
from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, DeviceIdentity, Value
from simulators.igen import TYPES, IgenDevice, IgenSimulator
from tests.conftest import HOST, free_tcp_port, free_udp_port, refresh, setup_entry, wait_for
from tests.documented import IGEN_P1_CAPTURE
from tests.fake_client import FakeDevice, entry_of, fake_device, serving, set_up
from tests.registry import device_by_identifier, snapshot_entities
from tests.test_entities import igen_identity, igen_plug

SERIAL = "D850BD20A300129S"
POWER = "sensor.igen_gl_meter_power"


@pytest.fixture
async def meter() -> AsyncGenerator[IgenSimulator]:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    yield simulator
    await simulator.stop()


def meter_entry(simulator: IgenSimulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=SERIAL,
        data={
            CONF_FAMILY: "igen",
            CONF_HOST: HOST,
            CONF_PORT: simulator.http_port,
            CONF_SERIAL: SERIAL,
            CONF_PUSH_PORT: simulator.target[1],
        },
    )


async def test_discovered_by_listening(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_udp_port()
    monkeypatch.setitem(discovery.LISTEN_PORTS, "igen", port)
    simulator = IgenSimulator(port)
    await simulator.start()
    assert await async_setup_component(hass, DOMAIN, {})
    simulator.send()
    simulator.send()  # heard twice, announced once
    await wait_for(hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == "integration_discovery"
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["host"] == HOST
    schema = result["data_schema"].schema
    port_field = next(marker for marker in schema if marker == CONF_PORT)
    assert port_field.description == {"suggested_value": 8080}  # the port the OpenData API has by default
    # The user corrects it: the simulator's API is elsewhere; the password is optional.
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PORT: simulator.http_port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == SERIAL
    assert result["data"][CONF_PUSH_PORT] == port
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)
    await simulator.stop()


def gl_meter() -> FakeDevice:
    """An IGEN meter as Sys.GetConfig describes it (no name: the title is its type and serial)."""
    identity = DeviceIdentity(vendor=igen.VENDOR, model="MR3-D5-WR", serial=SERIAL)
    values = igen.parse_values(IGEN_P1_CAPTURE["data"])
    return fake_device("igen", identity, igen.snapshot_of(values), pushes=True)


async def test_user_flow(hass: HomeAssistant) -> None:
    with serving(gl_meter()):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "igen"})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: 8080}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"MR3-D5-WR {SERIAL}"


async def test_pushed_values_reach_states(
    hass: HomeAssistant, meter: IgenSimulator, freezer: FrozenDateTimeFactory
) -> None:
    meter.udp_enabled = False
    entry = meter_entry(meter)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(POWER).state == "1250.0"  # HTTP: UDP is off
    client = entry.runtime_data.coordinator.client
    meter.udp_enabled = True
    meter.devices[0].power = 2000.0
    meter.send()
    await wait_for(hass, lambda: client.datagrams == 1)
    await wait_for(
        hass, lambda: hass.states.get(POWER).state == "2000.0"
    )  # the first push is written at once
    for power in (2100.0, 2200.0, 2300.0):
        meter.devices[0].power = power
        meter.send()
    await wait_for(hass, lambda: client.datagrams == 4)
    assert hass.states.get(POWER).state == "2000.0"  # a burst: held back within the spacing
    await refresh(hass, freezer)
    assert hass.states.get(POWER).state == "2300.0"  # the newest one, the spacing after its first
    http_before = client.diagnostics()["http_polls"]
    meter.send(raw=b"\x00" * 100)
    await wait_for(hass, lambda: client.datagrams == 4)  # not even routed: not ours
    await refresh(hass, freezer, 10)  # broadcasts stop: back to HTTP
    assert client.diagnostics()["http_polls"] == http_before + 1


async def test_plug_switch(hass: HomeAssistant) -> None:
    plug = igen_plug(on=True)

    async def switches(channel_id: str, key: Key, value: Value) -> None:
        plug.answer = igen_plug(on=bool(value)).answer

    plug.client.write.side_effect = switches
    await set_up(hass, plug)
    switch = "switch.igen_sp_2w_eu_relay"
    assert hass.states.get(switch).state == "on"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True)
    plug.client.write.assert_awaited_with(MAIN_CHANNEL, Key.RELAY, False)
    assert hass.states.get(switch).state == "off"


async def test_discovery_port_taken(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("0.0.0.0", 0))  # without SO_REUSEPORT: the port cannot be shared
        monkeypatch.setitem(discovery.LISTEN_PORTS, "igen", blocker.getsockname()[1])
        assert await async_setup_component(hass, DOMAIN, {})
    assert "Cannot listen for IGEN broadcasts" in caplog.text


async def test_discovered_device_that_cannot_be_identified(hass: HomeAssistant) -> None:
    device = gl_meter()
    device.client.identify.side_effect = RuntimeError("bug")  # a bug in the client: the flow ends, politely
    with serving(device):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": "integration_discovery"},
            data={
                CONF_FAMILY: "igen",
                CONF_HOST: HOST,
                CONF_PORT: 8080,
                CONF_SERIAL: SERIAL,
                CONF_PUSH_PORT: 8088,
            },
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unknown"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("kind", ["meter", "p1"])
async def test_entities(
    hass: HomeAssistant, kind: str, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """A three-phase meter, and a P1 reader with a gas meter, on the fake client.

    No document has either whole: the values are the simulator's, under the OpenData document's keys (the
    documented payloads' tables are in tests/test_entities.py).
    """
    answered = IgenDevice(kind, SERIAL).opendata()
    device = fake_device("igen", igen_identity(TYPES[kind]), igen.snapshot_of(igen.parse_values(answered)))
    with patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]), serving(device):
        await setup_entry(hass, entry_of(device, f"igen_{kind}"))
    await snapshot_entities(hass, entity_registry, snapshot, f"igen_{kind}")


async def test_an_entry_whose_http_api_is_elsewhere_loads_from_broadcasts(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(igen, "BROADCAST_WAIT", 1.5)
    simulator = IgenSimulator(free_udp_port(), [IgenDevice("meter", SERIAL)])
    await simulator.start(broadcasting=True)
    entry = meter_entry(simulator)
    entry = MockConfigEntry(domain=DOMAIN, unique_id=SERIAL, data={**entry.data, CONF_PORT: free_tcp_port()})
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    # Only its broadcasts named it: a meter (Sys.GetConfig would have said "gl meter").
    assert hass.states.get("sensor.igen_meter_power").state not in ("unavailable", "unknown")
    assert simulator.http_requests == []
    device = device_by_identifier(dr.async_get(hass), entry.entry_id, SERIAL)
    assert device is not None
    assert device.model == "Meter"
    await hass.config_entries.async_unload(entry.entry_id)
    await simulator.stop()


async def test_polled_only_while_silent(
    hass: HomeAssistant, meter: IgenSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """While it broadcasts the entry asks nothing; silent for 3 s, it is read over HTTP until it is back."""
    entry = meter_entry(meter)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    client = coordinator.client
    assert coordinator.polls.every is None
    asked = len(meter.http_requests)
    for second in range(1, 8):
        meter.devices[0].power = 1000.0 + second
        meter.send()
        await wait_for(hass, lambda second=second: client.datagrams == second)
        await refresh(hass, freezer)
    assert hass.states.get(POWER).state == "1007.0"
    assert len(meter.http_requests) == asked  # seven seconds of pushes: no request
    await refresh(hass, freezer, igen.PUSH_FRESH + 1)
    assert coordinator.silent
    assert coordinator.polls.every == timedelta(seconds=1)
    assert len(meter.http_requests) > asked  # read over HTTP while silent
    meter.send()
    await wait_for(hass, lambda: not coordinator.silent)
    assert coordinator.polls.every is None
    assert hass.states.get(POWER).state == "1007.0"
