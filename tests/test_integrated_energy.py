"""Energy from power for channels that count none: Energy-dashboard sensors that survive restarts."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State
from pytest_homeassistant_custom_component.common import mock_restore_cache_with_extra_data

from custom_components.local_energy.const import CONF_EVERY_VALUE_FAST
from custom_components.local_energy.devices import clock as device_clock
from simulators.enistic import EnisticSimulator
from tests.conftest import hear_enistic, setup_heard_enistic

PV_EXPORT = "sensor.meter_007001_channel_3_energy_export_from_power"
PV_IMPORT = "sensor.meter_007001_channel_3_energy_import_from_power"
SOCKET_IMPORT = "sensor.socket_041319_energy_import_from_power"
SOCKET_EXPORT = "sensor.socket_041319_energy_export_from_power"


EVERY_CHANGE = {CONF_EVERY_VALUE_FAST: True}
"""Energy shown at every reading: these tests follow the integration, not the 10 s rate of counters."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The value guard's clock, moved by the test (seconds)."""
    now = [1000.0]
    monkeypatch.setattr(device_clock, "now", lambda: now[0])  # the guard's, and when readings are heard
    return now


async def hear_after(
    hass: HomeAssistant,
    entry: object,
    simulator: EnisticSimulator,
    freezer: FrozenDateTimeFactory,
    clock: list[float],
    seconds: float,
) -> None:
    """Let seconds pass on the guard's clock, then one broadcast of every meter reach the states."""
    clock[0] += seconds
    await hear_enistic(hass, entry, simulator, freezer)  # type: ignore[arg-type]


async def test_enistic_meters_get_energy_from_their_power(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    entry = await setup_heard_enistic(hass, enistic_sim, freezer, **EVERY_CHANGE)
    state = hass.states.get(PV_EXPORT)
    assert state.state == "0.0"
    assert state.attributes[ATTR_DEVICE_CLASS] == "energy"
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    for _ in range(3):  # the PV circuit feeds 1.2 kW for 3 x 2 s
        await hear_after(hass, entry, enistic_sim, freezer, clock, 2)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(1200 * 6 / 3600 / 1000, abs=1e-6)
    assert hass.states.get(PV_IMPORT).state == "0.0"
    assert float(hass.states.get(SOCKET_IMPORT).state) == pytest.approx(60.5 * 6 / 3600 / 1000, abs=1e-6)
    assert hass.states.get(SOCKET_EXPORT) is None  # a socket supplies a consumer: no export


async def test_a_zero_crossing_is_split_and_a_gap_is_not_bridged(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    entry = await setup_heard_enistic(hass, enistic_sim, freezer, **EVERY_CHANGE)
    pv = next(meter for meter in enistic_sim.meters if meter.channel == 3)
    pv.power = 1200.0  # from -1200 W to +1200 W in 2 s: 1 s of each, 0.6 kW on average
    await hear_after(hass, entry, enistic_sim, freezer, clock, 2)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(600 / 3600 / 1000, abs=1e-6)
    assert float(hass.states.get(PV_IMPORT).state) == pytest.approx(600 / 3600 / 1000, abs=1e-6)
    before = float(hass.states.get(PV_IMPORT).state)
    await hear_after(hass, entry, enistic_sim, freezer, clock, 120)  # silent for 2 minutes
    assert float(hass.states.get(PV_IMPORT).state) == pytest.approx(before)  # nothing invented


async def test_energy_from_power_continues_after_a_restart(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    mock_restore_cache_with_extra_data(
        hass, [(State(PV_EXPORT, "7.25"), {"native_value": 7.25, "native_unit_of_measurement": "kWh"})]
    )
    entry = await setup_heard_enistic(hass, enistic_sim, freezer, **EVERY_CHANGE)
    assert hass.states.get(PV_EXPORT).state == "7.25"
    await hear_after(hass, entry, enistic_sim, freezer, clock, 3)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(7.25 + 1200 * 3 / 3600 / 1000, abs=1e-6)


async def test_an_implausible_power_is_no_sample(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory, clock: list[float]
) -> None:
    entry = await setup_heard_enistic(hass, enistic_sim, freezer, **EVERY_CHANGE)
    pv = next(meter for meter in enistic_sim.meters if meter.channel == 3)
    pv.power = -5e9  # beyond any building: dropped by the guard, and the integration is interrupted
    await hear_after(hass, entry, enistic_sim, freezer, clock, 2)
    assert hass.states.get(PV_EXPORT).state == "0.0"
    pv.power = -1200.0
    await hear_after(hass, entry, enistic_sim, freezer, clock, 2)  # restarts from here: no area yet
    assert hass.states.get(PV_EXPORT).state == "0.0"
    await hear_after(hass, entry, enistic_sim, freezer, clock, 2)
    assert float(hass.states.get(PV_EXPORT).state) == pytest.approx(1200 * 2 / 3600 / 1000, abs=1e-6)
