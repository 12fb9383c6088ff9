"""Iskra gateway through Home Assistant: children, appearing and leaving, Bicoms, auth, recovery.

On the fake client answering what the family's parsers make of the REST shapes pyiskra reads; the
search (UDP) and the Modbus flow go end to end. The REST protocol, its optional endpoints and its
credentials are tested against the simulator in tests/devices/test_iskra.py.
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    SERVICE_TURN_ON,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, CONF_UNIT_ID, DOMAIN
from custom_components.local_energy.devices import iskra_discovery
from custom_components.local_energy.devices.errors import AuthenticationFailed, EndpointMissing
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import Value
from simulators.iskra import GATEWAY_SERIAL, IskraDiscoveryResponder, discovery_answer
from simulators.iskra_modbus import IskraModbusSimulator
from tests.conftest import HOST, setup_entry, until_next_poll
from tests.fake_client import (
    ISKRA_DEVICES,
    ISKRA_MEASUREMENTS,
    entry_of,
    fake_iskra_gateway,
    iskra_answer,
    requiring_password,
    serving,
    set_up,
    with_value,
)
from tests.registry import device_by_identifier, snapshot_entities

THREE_PHASE_POWER = "sensor.ie38md_79000001_power"
NEW_METER_POWER = "sensor.wm3_58000077_power"
NEW_METER = {"model": "WM3", "serial": "58000077", "interface": "RS485 36"}


async def open_rest_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "iskra"})
    assert result["menu_options"] == ["iskra_search", "iskra_rest", "iskra_modbus"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "iskra_rest"})
    assert result["step_id"] == "iskra_rest"
    return str(result["flow_id"])


async def test_flow_asks_credentials_only_when_needed(hass: HomeAssistant) -> None:
    with serving(requiring_password(fake_iskra_gateway(), "iskra", tells_identity=False)):
        flow_id = await open_rest_form(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: HOST, CONF_PORT: 80})
        assert result["step_id"] == "credentials"
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_USERNAME: "admin", CONF_PASSWORD: "iskra"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == "Smart Gateway"
        assert (result["data"][CONF_USERNAME], result["data"][CONF_PASSWORD]) == ("admin", "iskra")
        await hass.async_block_till_done()
    assert hass.states.get(THREE_PHASE_POWER).state == "-380.0"


async def test_a_gateway_without_authentication_is_added_at_once(hass: HomeAssistant) -> None:
    with serving(fake_iskra_gateway()):
        flow_id = await open_rest_form(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: HOST, CONF_PORT: 80})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GATEWAY_SERIAL
    assert CONF_PASSWORD not in result["data"]


async def test_children_and_their_devices(hass: HomeAssistant, device_registry: dr.DeviceRegistry) -> None:
    entry = await set_up(hass, fake_iskra_gateway())
    gateway_device = device_by_identifier(device_registry, entry.entry_id, GATEWAY_SERIAL)
    assert gateway_device is not None
    children = {
        d.serial_number: d.model
        for d in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        if d.via_device_id == gateway_device.id
    }
    assert children == {"79000001": "IE38MD", "58000002": "WM1-6", "BI000001": "BI432", "BI000002": "BI432"}


async def test_meter_appears_and_leaves_without_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    gateway = fake_iskra_gateway()
    entry = await set_up(hass, gateway)
    listed = dict(ISKRA_DEVICES)
    with_new_meter = {**ISKRA_DEVICES, "devices": [*ISKRA_DEVICES["devices"], NEW_METER]}
    measurements = {**ISKRA_MEASUREMENTS, "58000077": ISKRA_MEASUREMENTS["58000002"]}
    for devices, shown in ((with_new_meter, True), (listed, False), (with_new_meter, True)):
        gateway.answer = iskra_answer(devices, measurements=measurements)
        await until_next_poll(hass, freezer, entry)
        new_device = device_by_identifier(device_registry, entry.entry_id, f"{GATEWAY_SERIAL}_58000077")
        assert (new_device is not None) is shown
        assert (entity_registry.async_get(NEW_METER_POWER) is not None) is shown
        assert hass.states.get(THREE_PHASE_POWER).state == "-380.0"  # the others stay
    assert hass.states.get(NEW_METER_POWER).state == "-850.0"  # and it came back
    assert entry.state is ConfigEntryState.LOADED


async def test_bicom_switch_reads_back(hass: HomeAssistant) -> None:
    gateway = fake_iskra_gateway()

    async def switches(channel_id: str, key: Key, value: Value) -> None:
        gateway.answer = with_value(gateway.answer, key, value, channel_id)

    gateway.client.write.side_effect = switches
    await set_up(hass, gateway)
    switch = "switch.bicom_bi000001_relay"
    assert hass.states.get(switch).state == "off"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True)
    gateway.client.write.assert_awaited_with("bicom0", Key.RELAY, True)
    assert hass.states.get(switch).state == "on"


async def test_changed_password_leads_to_reauth(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    gateway = requiring_password(fake_iskra_gateway(), "iskra", tells_identity=False)
    entry = await set_up(hass, gateway, stored={CONF_USERNAME: "admin", CONF_PASSWORD: "iskra"})
    requiring_password(gateway, "new", tells_identity=False)
    gateway.failure = AuthenticationFailed("the gateway refused the credentials")
    await until_next_poll(hass, freezer, entry)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    gateway.failure = None  # the gateway answers the new credentials
    with serving(gateway):
        result = await hass.config_entries.flow.async_configure(
            flows[0]["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            flows[0]["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "new"}
        )
        assert result["reason"] == "reauth_successful"
        await hass.async_block_till_done()
    assert entry.data[CONF_PASSWORD] == "new"
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    gateway = fake_iskra_gateway()
    with patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]), serving(gateway):
        await setup_entry(hass, entry_of(gateway, "iskra_entry"))
    await snapshot_entities(hass, entity_registry, snapshot, "iskra_entry")


async def test_modbus_flow_and_meters(hass: HomeAssistant) -> None:
    """End to end: the flow reads the gateway's Modbus identity and its members' registers."""
    simulator = IskraModbusSimulator()
    await simulator.start()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "iskra"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "iskra_modbus"}
    )
    assert result["step_id"] == "iskra_modbus"
    form = {CONF_HOST: HOST, CONF_PORT: simulator.port, CONF_UNIT_ID: 34}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {**form, "members": "33, 300"})
    assert result["errors"] == {"members": "invalid_members"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {**form, "members": "33, 35"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GATEWAY_SERIAL
    await hass.async_block_till_done()
    assert hass.states.get(THREE_PHASE_POWER).state == "-380.0"
    assert hass.states.get("sensor.wm1_6_58000002_power_phase_1").state == "1520.0"
    await hass.config_entries.async_unload(result["result"].entry_id)
    await simulator.stop()


async def test_a_gateway_without_bicoms_or_counters(hass: HomeAssistant) -> None:
    """A gateway without Bicoms (HTTP 404: the client answers none) and a meter without counters."""
    gateway = fake_iskra_gateway()
    gateway.answer = iskra_answer(bicoms=None, counters=None)
    entry = await set_up(hass, gateway)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(THREE_PHASE_POWER).state == "-380.0"
    assert hass.states.get("switch.bicom_bi000001_relay") is None
    assert hass.states.get("sensor.ie38md_79000001_energy_import") is None


async def test_a_gateway_without_its_device_list_does_not_load(hass: HomeAssistant) -> None:
    gateway = fake_iskra_gateway()
    gateway.failure = EndpointMissing("/api/devices answered 404")
    entry = await set_up(hass, gateway)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def answering(monkeypatch: pytest.MonkeyPatch, *answers: bytes) -> IskraDiscoveryResponder:
    """Gateways that answer the search on 127.0.0.1, listened to for a short while."""
    responder = IskraDiscoveryResponder(list(answers))
    await responder.start()
    monkeypatch.setattr(iskra_discovery, "PROBE_PORT", responder.port)
    monkeypatch.setattr(iskra_discovery, "LISTEN_SECONDS", 0.2)
    return responder


async def open_search(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "iskra"})
    assert result["menu_options"] == ["iskra_search", "iskra_rest", "iskra_modbus"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "iskra_search"}
    )
    assert result["step_id"] == "iskra_search"
    return str(result["flow_id"])


async def test_the_flow_offers_the_gateways_that_answer(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    responder = await answering(monkeypatch, discovery_answer("SG-E1", GATEWAY_SERIAL))
    flow_id = await open_search(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"probe_address": "not an ip"})
    assert result["errors"] == {"probe_address": "invalid_probe_address"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"probe_address": "127.0.0.1"})
    assert result["step_id"] == "iskra_rest"
    host = next(value for key, value in result["data_schema"].schema.items() if key == CONF_HOST)
    assert host.config["options"] == [{"value": "127.0.0.1", "label": f"127.0.0.1 (SG-E1 {GATEWAY_SERIAL})"}]
    with serving(fake_iskra_gateway()):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: 80}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GATEWAY_SERIAL
    await responder.stop()


async def test_a_search_without_answers(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    responder = await answering(monkeypatch)
    flow_id = await open_search(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"probe_address": "127.0.0.1"})
    assert result["errors"] == {"base": "no_devices_found"}
    await responder.stop()


async def test_a_search_finds_a_known_gateway_at_a_new_address(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=GATEWAY_SERIAL,
        data={
            CONF_FAMILY: "iskra",
            CONF_HOST: "192.0.2.1",
            CONF_PORT: 80,
            CONF_SERIAL: GATEWAY_SERIAL,
        },
    )
    entry.add_to_hass(hass)  # not set up: nothing is sent to its old address
    responder = await answering(monkeypatch, discovery_answer("SG-E1", GATEWAY_SERIAL))
    flow_id = await open_search(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"probe_address": "127.0.0.1"})
    with serving(fake_iskra_gateway()):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: 80}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    await hass.async_block_till_done()
    await responder.stop()
