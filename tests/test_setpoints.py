"""smart-me (meter, Pico) and PowerPack through Home Assistant: flows, setpoints, refusals, snapshots.

The flows and one setpoint per family go end to end, to the simulators' registers; the entity tables and
the options on the fake client, answering register blocks laid out as the vendors' maps say and decoded
by the families. What the Pico and the PowerPack refuse is tested in tests/devices.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from unittest.mock import patch

import pytest
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.const import (
    CONF_FAMILY,
    CONF_INVERT,
    CONF_SERIAL,
    CONF_UNIT_ID,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.local_energy.devices import powerpack
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.smartme import ALL_PHASES, PicoSettings
from custom_components.local_energy.transports import shared_transports
from simulators.powerpack import PowerPackSimulator
from simulators.smartme import SmartMeSimulator
from tests.conftest import HOST, setup_entry
from tests.fake_client import entry_of, fake_pico, fake_powerpack, serving, set_up
from tests.registry import snapshot_entities

CURRENT = "number.smart_me_pico_charging_station_charging_current"
TARGET = "number.powerpack_bess_target_power_charge_discharge"


@pytest.fixture
async def battery(monkeypatch: pytest.MonkeyPatch) -> AsyncGenerator[PowerPackSimulator]:
    monkeypatch.setattr(powerpack, "BACKOFF_SECONDS", 0.01)
    simulator = PowerPackSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


def pico_entry(pico: SmartMeSimulator, entry_id: str | None = None, **options: float) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        unique_id="7100042",
        data={
            CONF_FAMILY: "smartme",
            CONF_HOST: HOST,
            CONF_PORT: pico.port,
            CONF_UNIT_ID: 1,
            "max_current": 16,
        },
        options=options,
    )


def battery_entry(battery: PowerPackSimulator, entry_id: str | None = None) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        unique_id="PP-1",
        data={
            CONF_FAMILY: "powerpack",
            CONF_HOST: HOST,
            CONF_PORT: battery.port,
            CONF_UNIT_ID: 1,
            CONF_SERIAL: "PP-1",
            "rated_power": 50,
        },
    )


async def set_number(hass: HomeAssistant, entity: str, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity, ATTR_VALUE: value}, blocking=True
    )


async def form(hass: HomeAssistant, family: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": family})
    return str(result["flow_id"])


async def test_flows(hass: HomeAssistant) -> None:
    with serving(fake_pico()):
        result = await hass.config_entries.flow.async_configure(
            await form(hass, "smartme"), {CONF_HOST: HOST, CONF_PORT: 502, CONF_UNIT_ID: 1, "max_current": 20}
        )
        await hass.async_block_till_done()
    assert (result["type"], result["title"]) == (FlowResultType.CREATE_ENTRY, "Pico charging station 7100042")
    assert result["data"]["max_current"] == 20
    with serving(fake_powerpack()):
        result = await hass.config_entries.flow.async_configure(
            await form(hass, "powerpack"),
            {CONF_HOST: HOST, CONF_PORT: 503, CONF_UNIT_ID: 1, CONF_SERIAL: "PP-1", "rated_power": 50},
        )
        await hass.async_block_till_done()
    assert (result["type"], result["title"]) == (FlowResultType.CREATE_ENTRY, "PowerPack BESS PP-1")


async def test_unreachable_pico_is_explained(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_configure(
        await form(hass, "smartme"), {CONF_HOST: HOST, CONF_PORT: 1, CONF_UNIT_ID: 1, "max_current": 16}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_pico_current(hass: HomeAssistant, pico: SmartMeSimulator) -> None:
    await setup_entry(hass, pico_entry(pico))
    state = hass.states.get(CURRENT)
    assert state.state == "16.0"
    assert (state.attributes["min"], state.attributes["max"], state.attributes["step"]) == (0, 16, 1)
    await set_number(hass, CURRENT, 10)
    assert pico.current(ALL_PHASES.register) == 10.0
    assert hass.states.get(CURRENT).state == "10.0"  # read back right after the write
    assert hass.states.get(f"{CURRENT}_phase_2").state == "10.0"
    with pytest.raises(ServiceValidationError) as caught:
        await set_number(hass, CURRENT, 4)
    assert caught.value.translation_key == "rejected_current_gap"
    assert caught.value.translation_placeholders["minimum"] == "6"
    assert pico.current(ALL_PHASES.register) == 10.0  # nothing written


async def test_the_phase_change_limit_is_an_option(hass: HomeAssistant) -> None:
    device = fake_pico()
    entry = await set_up(hass, device, stored={"max_current": 16}, phase_change_minutes=30)
    assert device.client.settings == PicoSettings(max_current=16, phase_change_minutes=30)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "phase_change_minutes" in {str(key) for key in result["data_schema"].schema}
    with serving(device):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_UPDATE_INTERVAL: 2, CONF_INVERT: False, "phase_change_minutes": 15}
        )
        await hass.async_block_till_done()  # the entry reloads with its new options
    assert entry.options["phase_change_minutes"] == 15
    assert device.client.settings.phase_change_minutes == 15  # the client the entry reloaded with


async def test_powerpack(hass: HomeAssistant, battery: PowerPackSimulator) -> None:
    await setup_entry(hass, battery_entry(battery))
    state = hass.states.get(TARGET)
    assert state.state == "-25000.0"
    assert (state.attributes["min"], state.attributes["max"]) == (-50000, 50000)
    await set_number(hass, TARGET, 20000)
    assert battery.target_kw == 20
    assert hass.states.get(TARGET).state == "20000.0"
    battery.set_status(0)
    with pytest.raises(ServiceValidationError) as caught:
        await set_number(hass, TARGET, 10000)
    assert caught.value.translation_key == "rejected_not_ready"
    assert battery.target_kw == 20
    select = "select.powerpack_bess_command_source"
    assert hass.states.get(select).state == "2"
    await hass.services.async_call(
        SELECT_DOMAIN, SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: select, ATTR_OPTION: "5"}, blocking=True
    )
    assert hass.states.get(select).state == "5"
    battery.registers.write_hook = lambda _address, _words: 3
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            SELECT_DOMAIN, SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: select, ATTR_OPTION: "1"}, blocking=True
        )
    assert caught.value.translation_key == "rejected_modbus_exception_3"


async def test_an_unknown_command_source_is_still_shown(hass: HomeAssistant) -> None:
    await set_up(hass, fake_powerpack(command_source=42))
    state = hass.states.get("select.powerpack_bess_command_source")
    assert state.state == "42"
    assert "42" in state.attributes["options"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.NUMBER, Platform.SELECT])
async def test_entities(
    hass: HomeAssistant, platform: Platform, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    devices = {"pico": (fake_pico(), {"max_current": 16}), "battery": (fake_powerpack(), {"rated_power": 50})}
    with patch("custom_components.local_energy.PLATFORMS", [platform]):
        for entry_id, (device, stored) in devices.items():
            with serving(device):
                await setup_entry(hass, entry_of(device, entry_id, stored=stored))
    for entry_id in devices:
        if er.async_entries_for_config_entry(entity_registry, entry_id):
            await snapshot_entities(hass, entity_registry, snapshot, entry_id)


@pytest.mark.parametrize(("family", "setting"), [("smartme", "max_current"), ("powerpack", "rated_power")])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 1e9])
async def test_settings_must_be_finite_and_in_range(
    hass: HomeAssistant, family: str, setting: str, value: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_transports(hass).modbus = ModbusPool(timeout=0.3)  # nothing listens on port 1
    monkeypatch.setattr(powerpack, "BACKOFF_SECONDS", 0.01)  # nor does it after a retry
    flow_id = await form(hass, family)
    fields = {CONF_HOST: HOST, CONF_PORT: 1, CONF_UNIT_ID: 1} | (
        {CONF_SERIAL: "PP-1"} if family == "powerpack" else {}
    )
    with pytest.raises(InvalidData, match=setting):
        await hass.config_entries.flow.async_configure(flow_id, fields | {setting: value})
    if not math.isnan(value):  # once per family: the same form accepts a valid number (then finds no device)
        return
    result = await hass.config_entries.flow.async_configure(flow_id, fields | {setting: 16})
    assert result["errors"] == {"base": "cannot_connect"}
