"""INDEVOLT through Home Assistant: flow, entities, mode and setpoints, the meter as a child."""

from __future__ import annotations

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
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.const import DOMAIN
from simulators.indevolt import SERIAL, IndevoltSimulator
from tests.conftest import HOST
from tests.registry import snapshot_entities

SETPOINT = "number.indevolt_solidflex_2000_battery_setpoint_charge_discharge"
MODE = "select.indevolt_solidflex_2000_operating_mode"


@pytest.fixture
async def battery() -> AsyncGenerator[IndevoltSimulator]:
    simulator = IndevoltSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


async def add(hass: HomeAssistant, battery: IndevoltSimulator) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "indevolt"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: battery.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == SERIAL
    await hass.async_block_till_done()


async def test_mode_and_setpoint(hass: HomeAssistant, battery: IndevoltSimulator) -> None:
    await add(hass, battery)
    assert hass.states.get("sensor.indevolt_solidflex_2000_battery_power").state == "-350.0"
    assert hass.states.get("sensor.indevolt_meter_power").state == "-120.5"
    assert hass.states.get(MODE).state == "self_consumption"
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: SETPOINT, ATTR_VALUE: 600}, blocking=True
        )
    assert caught.value.translation_key == "rejected_not_real_time"
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: MODE, ATTR_OPTION: "real_time_control"},
        blocking=True,
    )
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: SETPOINT, ATTR_VALUE: 600}, blocking=True
    )
    assert battery.writes[-1] == (47015, [1, 600, 100])
    assert hass.states.get("sensor.indevolt_solidflex_2000_battery_power").state == "600.0"
    assert hass.states.get(SETPOINT).state == "600.0"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.NUMBER, Platform.SELECT, Platform.SWITCH])
async def test_entities(
    hass: HomeAssistant,
    battery: IndevoltSimulator,
    platform: Platform,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.local_energy.PLATFORMS", [platform]):
        await add(hass, battery)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)
