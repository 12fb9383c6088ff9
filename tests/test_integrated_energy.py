"""Energy from power for channels that count none: Energy-dashboard sensors that survive restarts.

On the fake client: an Enistic controller's readings, in the form its vendor gives them, pushed as the
controller broadcasts them. The integration itself (the guard's, tests/devices/test_integrator.py and
test_contract.py) runs as in a real entry: the fake client checks what it pushes with a real ValueGuard.
"""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.local_energy.const import CONF_EVERY_VALUE_FAST
from custom_components.local_energy.devices import clock as device_clock
from tests.fake_client import (
    FakeDevice,
    enistic_controller,
    enistic_heard,
    enistic_reading,
    set_up,
)

PV_EXPORT = "sensor.meter_007001_channel_3_energy_export_from_power"
PV_IMPORT = "sensor.meter_007001_channel_3_energy_import_from_power"
SOCKET_IMPORT = "sensor.socket_041319_energy_import_from_power"
SOCKET_EXPORT = "sensor.socket_041319_energy_export_from_power"


def readings(pv_power: float) -> str:
    """One broadcast: a smart socket drawing 60.5 W and channel 3 of a meter on a PV circuit."""
    return enistic_reading("0021ED0000041319", 60.5, state=1) + enistic_reading(
        "0021EE0000007001", pv_power, channel=3
    )


EVERY_CHANGE = {CONF_EVERY_VALUE_FAST: True}
"""Energy shown at every reading: these tests follow the integration, not the 10 s rate of counters."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The value guard's clock, moved by the test (seconds)."""
    now = [1000.0]
    monkeypatch.setattr(device_clock, "now", lambda: now[0])
    return now


async def set_up_controller(hass: HomeAssistant, clock: list[float]) -> FakeDevice:
    """The controller's entry, set up on what it broadcast first."""
    device = enistic_controller(readings(-1200.0), clock[0])
    await set_up(hass, device, **EVERY_CHANGE)
    return device


@pytest.fixture
async def controller(hass: HomeAssistant, clock: list[float]) -> FakeDevice:
    return await set_up_controller(hass, clock)


async def hear_after(
    hass: HomeAssistant,
    device: FakeDevice,
    freezer: FrozenDateTimeFactory,
    clock: list[float],
    seconds: float,
    pv_power: float = -1200.0,
) -> None:
    """Let seconds pass, then one broadcast reach the states."""
    clock[0] += seconds
    freezer.tick(seconds)
    device.push(enistic_heard(readings(pv_power), clock[0]))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_meters_get_energy_from_their_power(
    hass: HomeAssistant, controller: FakeDevice, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    state = hass.states.get(PV_EXPORT)
    assert state.state == "0.0"
    assert state.attributes[ATTR_DEVICE_CLASS] == "energy"
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    for _ in range(3):  # the PV circuit feeds 1.2 kW for 3 x 2 s
        await hear_after(hass, controller, freezer, clock, 2)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(1200 * 6 / 3600 / 1000, abs=1e-6)
    assert hass.states.get(PV_IMPORT).state == "0.0"
    assert float(hass.states.get(SOCKET_IMPORT).state) == pytest.approx(60.5 * 6 / 3600 / 1000, abs=1e-6)
    assert hass.states.get(SOCKET_EXPORT) is None  # a socket supplies a consumer: no export


async def test_a_zero_crossing_is_split_and_a_gap_is_not_bridged(
    hass: HomeAssistant, controller: FakeDevice, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    # From -1200 W to +1200 W in 2 s: 1 s of each, 0.6 kW on average.
    await hear_after(hass, controller, freezer, clock, 2, pv_power=1200.0)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(600 / 3600 / 1000, abs=1e-6)
    assert float(hass.states.get(PV_IMPORT).state) == pytest.approx(600 / 3600 / 1000, abs=1e-6)
    before = float(hass.states.get(PV_IMPORT).state)
    await hear_after(hass, controller, freezer, clock, 120, pv_power=1200.0)  # silent for 2 minutes
    assert float(hass.states.get(PV_IMPORT).state) == pytest.approx(before)  # nothing invented


async def test_energy_from_power_continues_after_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    mock_restore_cache_with_extra_data(
        hass, [(State(PV_EXPORT, "7.25"), {"native_value": 7.25, "native_unit_of_measurement": "kWh"})]
    )
    device = await set_up_controller(hass, clock)
    assert hass.states.get(PV_EXPORT).state == "7.25"
    await hear_after(hass, device, freezer, clock, 3)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(7.25 + 1200 * 3 / 3600 / 1000, abs=1e-6)


async def test_an_implausible_power_is_no_sample(
    hass: HomeAssistant, controller: FakeDevice, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    # Beyond any building: dropped by the guard, and the integration is interrupted.
    await hear_after(hass, controller, freezer, clock, 2, pv_power=-5e9)
    assert hass.states.get(PV_EXPORT).state == "0.0"
    await hear_after(hass, controller, freezer, clock, 2)  # restarts from here: no area yet
    assert hass.states.get(PV_EXPORT).state == "0.0"
    await hear_after(hass, controller, freezer, clock, 2)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(1200 * 2 / 3600 / 1000, abs=1e-6)
