"""INDEVOLT through Home Assistant: flow, entities, mode and setpoints, the meter as a child.

The flow and one setpoint go end to end, to the simulator's points; the entity tables are on the fake client.
"""

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
from custom_components.local_energy.devices import indevolt
from custom_components.local_energy.devices.snapshot import DeviceIdentity
from simulators.indevolt import SERIAL, IndevoltSimulator
from tests.conftest import HOST, setup_entry
from tests.fake_client import entry_of, fake_device, serving
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
    hass: HomeAssistant, platform: Platform, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """On the fake client answering the simulator's points (with its meter; core's dumps have none)."""
    points = {str(point): value for point, value in IndevoltSimulator().points.items()}
    identity = DeviceIdentity(
        vendor=indevolt.VENDOR,
        model="SolidFlex 2000",
        serial=SERIAL,
        firmware="T1.4.06_ROOD.072_M4801_0000002C",
        mac="7c3e82ef997f",
    )
    device = fake_device("indevolt", identity, indevolt.parse_data(indevolt.GEN2, points, 0.0))
    with patch("custom_components.local_energy.PLATFORMS", [platform]), serving(device):
        await setup_entry(hass, entry_of(device, "indevolt"))
    await snapshot_entities(hass, entity_registry, snapshot, "indevolt")
