"""A controller entry through Home Assistant, against the battery and charger simulators over real sockets.

The grid sensor is a plain Home Assistant state the test sets each second from a small house model: what
the house draws minus what the simulated INDEVOLT battery discharges (read back from the simulator).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import (
    CONF_BATTERIES,
    CONF_CHARGER,
    CONF_DEADBAND,
    CONF_FALLBACK_CURRENT,
    CONF_FAMILY,
    CONF_GRID_SENSOR,
    CONF_INVERT_GRID,
    CONF_MAXIMUM_CHARGE,
    CONF_MAXIMUM_DISCHARGE,
    CONF_MAXIMUM_SOC,
    CONF_MINIMUM_SOC,
    CONF_TARGET,
    CONF_UPDATE_INTERVAL,
    CONTROLLER,
    DOMAIN,
)
from custom_components.local_energy.devices.powerpack import REG_TARGET_POWER
from custom_components.local_energy.devices.smartme import PER_PHASE
from custom_components.local_energy.diagnostics import async_get_config_entry_diagnostics
from simulators.homewizard import HomeWizardSimulator
from simulators.indevolt import IndevoltSimulator
from simulators.powerpack import PowerPackSimulator
from simulators.smartme import SmartMeSimulator
from tests.conftest import homewizard_entry, refresh, setup_entry
from tests.test_indevolt import SETPOINT, add
from tests.test_setpoints import CURRENT, TARGET, battery_entry, pico_entry

GRID = "sensor.house_grid_power"
SWITCH = "switch.zero_export_house_grid_power_controller"
MODE = "sensor.zero_export_house_grid_power_controller_mode"
REASON = "sensor.zero_export_house_grid_power_holding_reason"
REAL_TIME, SELF_CONSUMPTION = 4, 1


def options(**changes: Any) -> dict[str, Any]:
    return {
        CONF_GRID_SENSOR: GRID, CONF_INVERT_GRID: False, CONF_BATTERIES: [SETPOINT], CONF_TARGET: 0,
        CONF_DEADBAND: 25, CONF_MINIMUM_SOC: 10, CONF_MAXIMUM_SOC: 95, CONF_MAXIMUM_CHARGE: 10_000,
        CONF_MAXIMUM_DISCHARGE: 10_000, CONF_FALLBACK_CURRENT: 6,
    } | changes  # fmt: skip


def report(hass: HomeAssistant, watts: float, unit: str = "W") -> None:
    hass.states.async_set(
        GRID,
        f"{watts:.0f}",
        {"unit_of_measurement": unit, "device_class": "power", "friendly_name": "House grid power"},
    )


def discharge(battery: IndevoltSimulator) -> float:
    """What the simulated battery discharges now (W): its state and power points."""
    watts = float(battery.points[6000])
    return {1001: -watts, 1002: watts}.get(int(battery.points[6001]), 0.0)


@pytest.fixture
async def battery() -> AsyncGenerator[IndevoltSimulator]:
    simulator = IndevoltSimulator()
    simulator.points[6000], simulator.points[6001] = 0, 1000  # idle
    await simulator.start()
    yield simulator
    await simulator.stop()


async def controller(hass: HomeAssistant, **changes: Any) -> MockConfigEntry:
    report(hass, 0)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Zero export (House grid power)",
        data={CONF_FAMILY: CONTROLLER},
        options=options(**changes),
    )
    await setup_entry(hass, entry)
    return entry


async def switch(hass: HomeAssistant, on: bool) -> None:
    service = SERVICE_TURN_ON if on else SERVICE_TURN_OFF
    await hass.services.async_call(SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def run_house(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator, load: float, seconds: int
) -> list[float]:
    """Each second: the grid the house sees with the battery's discharge, reported; the grid values."""
    seen = []
    for _ in range(seconds):
        grid = load - discharge(battery)
        seen.append(grid)
        report(hass, grid)
        await refresh(hass, freezer, 1)
    return seen


async def driving(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    battery: IndevoltSimulator,
    load: float,
    **changes: Any,
) -> MockConfigEntry:
    """The battery's entry, a controller switched on, and 20 s of the house drawing load."""
    await add(hass, battery)
    entry = await controller(hass, **changes)
    await switch(hass, True)
    await run_house(hass, freezer, battery, load=load, seconds=20)
    return entry


@pytest.mark.field  # end to end: meter, Home Assistant and battery across a network
async def test_zero_export_drives_the_battery_in_real_time_and_hands_it_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    await controller(hass)
    assert hass.states.get(MODE).state == "off"
    assert battery.points[7101] == SELF_CONSUMPTION
    await switch(hass, True)
    seen = await run_house(hass, freezer, battery, load=800.0, seconds=20)  # settles in one, then holds
    assert battery.points[7101] == REAL_TIME  # switched into real-time control to be driven
    assert abs(seen[-1]) < 100  # the battery covers the house
    assert discharge(battery) == pytest.approx(800, abs=100)
    assert hass.states.get(MODE).state == "controlling"
    setpoints = [values for point, values in battery.writes if point == 47015]
    assert all(watts <= 2400 for _state, watts, _soc in setpoints)  # within the battery's bounds
    assert len(setpoints) <= 60 / 2 + 1  # never faster than one write every 2 s
    await switch(hass, False)
    assert battery.points[7101] == SELF_CONSUMPTION  # handed back
    assert discharge(battery) == 0.0
    assert hass.states.get(MODE).state == "off"


@pytest.mark.field  # end to end: meter, Home Assistant and battery across a network
async def test_closed_loop_through_a_real_meter_and_battery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    battery: IndevoltSimulator,
    homewizard_sim: HomeWizardSimulator,
) -> None:
    """The whole chain over sockets: the P1 meter polled every second, the battery written over HTTP."""
    await setup_entry(hass, homewizard_entry(homewizard_sim, **{CONF_UPDATE_INTERVAL: 1}))
    await add(hass, battery)
    meter = "sensor.homewizard_p1_meter_power"
    await controller(hass, **{CONF_GRID_SENSOR: meter})
    hass.states.async_remove(GRID)
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: "switch.zero_export_house_grid_power_controller"},
        blocking=True,
    )
    seen, modes = [], set()
    for _ in range(20):  # well past the 3 s after which an unchanged reading would be stale
        homewizard_sim.state.powers = [900.0 - discharge(battery), 0.0, 0.0]  # the house as the meter sees it
        await refresh(hass, freezer, 1)
        seen.append(float(hass.states.get(meter).state))
        modes.add(hass.states.get(MODE).state)
    assert modes == {"controlling"}  # a reading that holds its value is reported: never taken as stale
    assert battery.points[7101] == REAL_TIME
    assert abs(seen[-1]) < 100
    assert discharge(battery) == pytest.approx(900, abs=100)


async def test_stale_grid_data_makes_it_safe_and_it_comes_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    await controller(hass)
    await switch(hass, True)
    await run_house(hass, freezer, battery, load=600.0, seconds=30)
    assert battery.points[7101] == REAL_TIME
    for _ in range(6):  # the sensor stops reporting
        await refresh(hass, freezer, 1)
    assert hass.states.get(MODE).state == "safe"
    assert hass.states.get(REASON).state == "grid_stale"
    assert discharge(battery) == 0.0
    assert battery.points[7101] == SELF_CONSUMPTION
    await run_house(hass, freezer, battery, load=600.0, seconds=20)
    assert hass.states.get(MODE).state == "controlling"
    assert battery.points[7101] == REAL_TIME


async def test_an_unavailable_sensor_is_safe_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await driving(hass, freezer, battery, 600.0)
    hass.states.async_set(GRID, "unavailable")
    await refresh(hass, freezer, 2)
    assert hass.states.get(REASON).state == "grid_unavailable"
    assert battery.points[7101] == SELF_CONSUMPTION


async def test_unloading_hands_the_battery_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    entry = await driving(hass, freezer, battery, 700.0)
    assert battery.points[7101] == REAL_TIME
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert battery.points[7101] == SELF_CONSUMPTION
    assert discharge(battery) == 0.0


async def test_home_assistant_stopping_hands_the_battery_back_and_drives_it_no_more(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    battery: IndevoltSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await driving(hass, freezer, battery, 700.0)
    assert battery.points[7101] == REAL_TIME

    async def grid_still_reported() -> None:
        # Another shutdown job: after the hand-back, the grid sensor's integration still reports a load.
        await hass.async_block_till_done(wait_background_tasks=True)
        assert battery.points[7101] == SELF_CONSUMPTION
        report(hass, 900.0)
        await hass.async_block_till_done(wait_background_tasks=True)

    hass.async_add_shutdown_job(HassJob(grid_still_reported))
    await hass.async_stop()
    assert battery.points[7101] == SELF_CONSUMPTION
    assert discharge(battery) == 0.0
    ours = [record for record in caplog.records if record.name.startswith("custom_components.local_energy")]
    assert not [record for record in ours if record.levelno >= logging.WARNING]


async def test_a_battery_entry_reloaded_under_it_is_followed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await driving(hass, freezer, battery, 600.0)
    (indevolt,) = [
        e for e in hass.config_entries.async_entries(DOMAIN) if e.data.get(CONF_FAMILY) == "indevolt"
    ]
    assert await hass.config_entries.async_reload(indevolt.entry_id)
    await hass.async_block_till_done()
    battery.points[6002] = 8  # nearly empty now: seen only through the reloaded entry's readings
    await run_house(hass, freezer, battery, load=1200.0, seconds=30)
    assert hass.states.get(REASON).state == "batteries_empty"
    assert discharge(battery) == 0.0


async def test_a_kw_sensor_and_an_inverted_one_are_read_in_w(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    entry = await controller(hass, **{CONF_INVERT_GRID: True})
    await switch(hass, True)
    for _ in range(20):
        drawn = 900 - discharge(battery)
        hass.states.async_set(GRID, f"{-drawn / 1000:.3f}", {"unit_of_measurement": "kW"})  # export > 0
        await hass.async_block_till_done()
        assert entry.runtime_data.controller.grid == pytest.approx(drawn, abs=1)
        await refresh(hass, freezer, 1)
    assert discharge(battery) > 300


async def test_a_sensor_too_slow_is_refused_with_a_repair_issue(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    entry = await controller(hass)
    await switch(hass, True)
    for _ in range(4):
        report(hass, 500)
        await refresh(hass, freezer, 90)
    assert hass.states.get(MODE).state == "refused"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{entry.entry_id}_grid_sensor_too_slow")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["interval"] == "90"
    assert discharge(battery) == 0.0
    await run_house(hass, freezer, battery, load=500.0, seconds=40)  # a fast sensor again
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"{entry.entry_id}_grid_sensor_too_slow") is None


async def test_diagnostics_show_the_controller(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    entry = await controller(hass)
    await switch(hass, True)
    await run_house(hass, freezer, battery, load=500.0, seconds=10)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["controller"]["enabled"] is True
    assert diagnostics["controller"]["grid_sensor"] == GRID
    assert diagnostics["controller"]["mode"] == "controlling"


@pytest.fixture
async def powerpack() -> AsyncGenerator[PowerPackSimulator]:
    simulator = PowerPackSimulator()
    simulator.registers.set_words(REG_TARGET_POWER, [0])
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_a_powerpack_is_held_in_its_1_kw_steps(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, powerpack: PowerPackSimulator
) -> None:
    await setup_entry(hass, battery_entry(powerpack))
    await controller(hass, **{CONF_BATTERIES: [TARGET]})
    await switch(hass, True)
    targets = []
    for _ in range(60):
        report(hass, 3000 + powerpack.target_kw * 1000)  # a 3 kW house; the target is charge-positive
        await refresh(hass, freezer, 1)
        targets.append(powerpack.target_kw)
    assert powerpack.target_kw == -3  # discharging 3 kW, in whole kW
    assert len(set(targets[30:])) == 1  # held, not jumping between two steps
    await switch(hass, False)
    assert powerpack.target_kw == 0


# --- surplus charging through the Pico ------------------------------------------------------------


async def test_the_pico_charges_from_surplus_and_falls_back_when_data_goes_stale(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pico: SmartMeSimulator
) -> None:
    await setup_entry(hass, pico_entry(pico))
    await controller(hass, **{CONF_BATTERIES: [], CONF_CHARGER: CURRENT, CONF_FALLBACK_CURRENT: 0})
    await switch(hass, True)
    for _ in range(80):
        report(hass, -6000)  # 6 kW exported
        await refresh(hass, freezer, 1)
    current = hass.states.get(CURRENT)
    assert current is not None
    assert 6 <= float(current.state) <= 16  # charging from surplus after a minute
    for _ in range(6):
        await refresh(hass, freezer, 1)
    await refresh(hass, freezer, 5)
    assert float(hass.states.get(CURRENT).state) == 0  # its fallback while grid data is stale


async def test_the_pico_charges_on_one_phase_when_three_are_too_many(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pico: SmartMeSimulator
) -> None:
    await setup_entry(hass, pico_entry(pico))
    await controller(hass, **{CONF_BATTERIES: [], CONF_CHARGER: CURRENT})
    await switch(hass, True)
    for _ in range(80):
        report(
            hass, 1000
        )  # the car draws 3.25 kW (the Pico says) and 1 kW comes from the grid: 2.25 kW of PV
        await refresh(hass, freezer, 1)
    assert hass.states.get("select.smart_me_pico_charging_station_charging_phases").state == "1"
    assert [pico.current(register.register) for register in PER_PHASE] == [9.0, 0.0, 0.0]  # 2.25 kW / 230 V
    await switch(hass, False)
    assert [pico.current(register.register) for register in PER_PHASE] == [
        6.0,
        0.0,
        0.0,
    ]  # fallback, one phase


# --- the form -----------------------------------------------------------------------------------------


async def controller_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": CONTROLLER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == CONTROLLER
    return str(result["flow_id"])


async def test_the_form_creates_a_controller(hass: HomeAssistant, battery: IndevoltSimulator) -> None:
    await add(hass, battery)
    report(hass, 120)
    flow_id = await controller_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, options())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Zero export (House grid power)"
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH) is not None


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({CONF_BATTERIES: []}, {"base": "no_actuator"}),
        (
            {CONF_BATTERIES: ["number.indevolt_solidflex_2000_feed_in_limit"]},
            {CONF_BATTERIES: "not_a_battery"},
        ),
        ({CONF_CHARGER: SETPOINT}, {CONF_CHARGER: "not_a_charger"}),
        ({CONF_MINIMUM_SOC: 90, CONF_MAXIMUM_SOC: 80}, {CONF_MAXIMUM_SOC: "soc_limits"}),
    ],
)
async def test_the_form_says_what_is_wrong(
    hass: HomeAssistant, battery: IndevoltSimulator, changes: dict[str, Any], error: dict[str, str]
) -> None:
    await add(hass, battery)
    report(hass, 120)
    result = await hass.config_entries.flow.async_configure(await controller_form(hass), options(**changes))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error


async def test_a_grid_sensor_in_another_unit_is_refused(
    hass: HomeAssistant, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    hass.states.async_set(GRID, "12", {"unit_of_measurement": "A"})
    result = await hass.config_entries.flow.async_configure(await controller_form(hass), options())
    assert result["errors"] == {CONF_GRID_SENSOR: "grid_unit"}


async def test_two_controllers_cannot_drive_one_battery(
    hass: HomeAssistant, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    await controller(hass)
    result = await hass.config_entries.flow.async_configure(await controller_form(hass), options())
    assert result["errors"] == {"base": "actuator_in_use"}


async def test_the_options_change_the_controller(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    await add(hass, battery)
    entry = await controller(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == CONTROLLER
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options(**{CONF_TARGET: 300})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await switch(hass, True)
    seen = await run_house(hass, freezer, battery, load=900.0, seconds=60)
    assert seen[-1] == pytest.approx(300, abs=100)  # keeps importing 300 W


async def test_a_controller_waits_for_its_devices(hass: HomeAssistant) -> None:
    entry = await controller(hass)  # the battery's entry is not there
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize("gone", ["unavailable", "nan"])
async def test_unavailable_right_after_a_write_still_ends_at_0_w(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    battery: IndevoltSimulator,
    caplog: pytest.LogCaptureFixture,
    gone: str,
) -> None:
    """Sooner than the battery's 2 s write interval: 0 W is sent all the same, then the hand-back."""
    await add(hass, battery)
    await controller(hass)
    await switch(hass, True)
    report(hass, 1140.0)
    await refresh(hass, freezer, 1)  # the loop answers the 1140 W drawn with a setpoint now
    assert battery.writes[-1][0] == 47015
    assert battery.writes[-1][1][1] > 0
    assert float(hass.states.get(SETPOINT).state) == -1140.0  # read back after the write
    freezer.tick(0.5)
    hass.states.async_set(GRID, gone, {"unit_of_measurement": "W"})
    await hass.async_block_till_done(wait_background_tasks=True)
    real_time, mode = battery.writes[-2:]
    assert real_time == (47015, [0, 0, 5])  # 0 W first
    assert mode == (47005, [1])  # then its own mode
    assert float(hass.states.get(SETPOINT).state) == 0.0  # and shown as such
    for _ in range(6):
        await refresh(hass, freezer, 1)
    assert battery.writes[-1] == mode  # nothing retried against a battery in its own mode
    assert "failed" not in caplog.text


async def test_a_flapping_sensor_does_not_make_the_modes_flap(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, battery: IndevoltSimulator
) -> None:
    """A value and unavailable every 50 ms for 10 s wrote the mode 200 times."""
    await driving(hass, freezer, battery, 600.0)
    before = len([point for point, _ in battery.writes if point == 47005])
    for _ in range(100):
        hass.states.async_set(GRID, "unavailable")
        freezer.tick(0.05)
        report(hass, 600.0)
        freezer.tick(0.05)
        await hass.async_block_till_done(wait_background_tasks=True)
    modes = [values for point, values in battery.writes if point == 47005][before:]
    assert modes == [[1]]  # handed back once, and not driven again while the data flaps
