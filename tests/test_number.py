"""The number platform: a declared number control is a bounded setpoint, written through the client.

On the fake client, answering core's INDEVOLT gen 2 dump (tests/fixtures/core). What the client does with
a value (the guard's rounding and bounds, the device's own refusal, undeclared controls) is tested in
tests/devices/test_controls.py.
"""

from __future__ import annotations

import pytest
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from custom_components.local_energy.devices import indevolt
from custom_components.local_energy.devices.errors import CommandRejected
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, DeviceIdentity
from tests.documented import core_dump
from tests.fake_client import FakeDevice, fake_device, set_up

SETPOINT = "number.indevolt_solidflex_2000_battery_setpoint_charge_discharge"


@pytest.fixture
async def battery(hass: HomeAssistant) -> FakeDevice:
    identity = DeviceIdentity(vendor="INDEVOLT", model="SolidFlex 2000", serial="IND-gen2")
    device = fake_device(
        "indevolt", identity, indevolt.parse_data(indevolt.GEN2, core_dump("indevolt_gen2"), 0.0)
    )
    await set_up(hass, device)
    return device


async def set_value(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: SETPOINT, ATTR_VALUE: value}, blocking=True
    )


async def test_a_declared_number_is_a_bounded_setpoint(hass: HomeAssistant, battery: FakeDevice) -> None:
    state = hass.states.get(SETPOINT)
    assert state is not None
    assert (state.attributes["min"], state.attributes["max"], state.attributes["step"]) == (-2400, 2400, 10)
    assert state.attributes["unit_of_measurement"] == "W"
    assert hass.states.get("sensor.indevolt_solidflex_2000_battery_setpoint") is None  # a control
    await set_value(hass, 800)
    assert battery.writes == [(MAIN_CHANNEL, Key.BATTERY_SETPOINT, 800.0)]


async def test_a_value_out_of_bounds_never_reaches_the_client(
    hass: HomeAssistant, battery: FakeDevice
) -> None:
    with pytest.raises(ServiceValidationError):
        await set_value(hass, 5000)
    assert battery.writes == []


async def test_a_refusal_is_said_in_the_users_language(hass: HomeAssistant, battery: FakeDevice) -> None:
    battery.client.write.side_effect = CommandRejected(
        "the battery takes setpoints only in real-time control", reason="not_real_time"
    )
    with pytest.raises(ServiceValidationError) as refused:
        await set_value(hass, 600)
    assert refused.value.translation_key == "rejected_not_real_time"
