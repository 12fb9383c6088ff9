"""The control loops in closed loop against simulated plants: properties, not traces.

Each scenario runs minutes of simulated time in milliseconds. A house (base load, PV, noise, load steps),
batteries (capacity, power limits, response delay 1.5 s) and a charger, with a grid meter that reports
with a lag. What must hold: the grid settles within a band after a 2 kW step, no sustained oscillation
(few changes of a setpoint's sign), no limit exceeded, no write faster than an actuator allows, and stale
data leads to the safe state.
"""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from custom_components.local_energy.control.battery import Tuning
from custom_components.local_energy.control.controller import Controller, Mode, Priority, Reason, Settings
from custom_components.local_energy.control.surplus import ChargeState, SurplusTuning
from simulators.plant import (
    House,
    Meter,
    ReadingBattery,
    SimulatedBattery,
    SimulatedCharger,
    Trace,
    controlled_by,
    run,
)

BAND = 100.0
"""W around the target the grid must settle in."""


def shortest_gap(times: list[float]) -> float:
    return min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def zero_export(
    house: House, meter: Meter, seconds: float, *, settings: Settings | None = None, **battery: float
) -> tuple[Trace, SimulatedBattery, Controller]:
    simulated = SimulatedBattery(**battery)  # type: ignore[arg-type]
    controller = Controller(settings or Settings(), ("battery",))
    trace = run(controlled_by(controller), house, {"battery": simulated}, meter, seconds)
    return trace, simulated, controller


def indevolt(**changes: float) -> SimulatedBattery:
    """An INDEVOLT as the field has it: answers in 0.8 s (declares 2 s), a write every 2 s, 10 W steps."""
    return SimulatedBattery(**{"delay": 0.8, "declared_delay": 2.0, "minimum_interval": 2.0, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("lag", "interval"), [(0.5, 1.0), (1.0, 1.0), (2.0, 1.0), (1.0, 5.0)])
def test_a_2_kw_step_settles_within_50_w_in_a_few_sensor_periods(lag: float, interval: float) -> None:
    house = House(base=400.0, pv=lambda _t: 1500.0, steps=[(120.0, 2000.0)])
    battery = indevolt()
    trace = run(controlled_by(Controller(Settings(), ("battery",))), house, {"battery": battery},
                Meter(interval=interval, lag=lag), 300)  # fmt: skip
    settled = trace.settled_after(120.0, 0.0, 50.0, hold=10.0, mean=1.0)
    assert settled is not None
    assert settled < 3 * interval + 4.0  # the step is seen, answered, and shown within a few periods
    assert min(grid for t, grid in zip(trace.times, trace.grid, strict=True) if t > 120) > -0.1 * 2000.0
    assert battery.sign_changes() <= 1  # charging PV, then discharging for the step: no hunting
    assert trace.deviation(0.0, start=150.0) < 30.0  # the house's 20 W noise, no oscillation on top


def test_steady_and_without_offset() -> None:
    trace = run(controlled_by(Controller(Settings(), ("battery",))), House(base=900.0, noise=20.0),
                {"battery": indevolt()}, Meter(lag=1.0), 240)  # fmt: skip
    values = [grid for t, grid in zip(trace.times, trace.grid, strict=True) if t >= 60.0]
    assert math.sqrt(sum(v * v for v in values) / len(values)) <= 25.0
    assert abs(sum(values) / len(values)) <= 25.0  # no offset beyond the deadband


def test_random_load_steps_are_followed() -> None:
    steps = [(20.0, 621.0), (27.3, -294.0), (40.3, 275.0), (52.9, 764.0), (59.0, 752.0), (76.4, -361.0),
             (84.7, -1016.0), (103.9, -716.0), (123.6, 1316.0)]  # fmt: skip
    house = House(base=500.0, noise=20.0, steps=steps)
    uncontrolled = run(None, house, {"battery": indevolt()}, Meter(lag=1.0), 140)
    house = House(base=500.0, noise=20.0, steps=house.steps)
    controlled = run(controlled_by(Controller(Settings(), ("battery",))), house, {"battery": indevolt()},
                     Meter(lag=1.0), 140)  # fmt: skip
    assert controlled.deviation(0.0, 20.0, 140.0) <= 0.3 * uncontrolled.deviation(0.0, 20.0, 140.0)


def test_a_pv_ramp_is_followed_without_lagging_behind() -> None:
    """PV rising 12.5 W/s for two minutes: the loop learns the drift and leads it by its own delay."""
    house = House(base=2000.0, noise=0.0, pv=lambda t: min(max(t - 20.0, 0.0) * 12.5, 1500.0))
    trace = run(controlled_by(Controller(Settings(), ("battery",))), house, {"battery": indevolt()},
                Meter(lag=0.5), 160)  # fmt: skip
    ramp = [grid for t, grid in zip(trace.times, trace.grid, strict=True) if 40.0 <= t < 140.0]
    assert math.sqrt(sum(v * v for v in ramp) / len(ramp)) <= 15.0  # a drift-less loop: a 50 W sawtooth
    assert abs(sum(ramp) / len(ramp)) <= 10.0  # neither behind nor ahead


def test_a_load_that_switches_right_after_a_trim_is_answered_once() -> None:
    """A small write takes the battery's write slot; the step waits for the next one and is not doubled."""
    house = House(base=1600.0, noise=0.0, pv=lambda t: min(max(t - 20.0, 0.0) * 12.5, 1500.0),
                  steps=[(t, 700.0 * (-1) ** i) for i, t in enumerate(range(41, 120, 13))])  # fmt: skip
    battery = indevolt()
    trace = run(controlled_by(Controller(Settings(), ("battery",))), house, {"battery": battery},
                Meter(lag=0.5), 130)  # fmt: skip
    for start, _ in house.steps:
        after = [grid for t, grid in zip(trace.times, trace.grid, strict=True) if start <= t < start + 10.0]
        assert max(abs(grid) for grid in after[-40:]) <= 40.0  # settled within 6 s, no second answer
    assert shortest_gap([t for t, _ in battery.setpoints]) >= 2.0


def test_a_fine_battery_trims_what_a_coarse_one_cannot() -> None:
    """A PowerPack in 1 kW steps beside an INDEVOLT in 10 W steps: half a kW step is not the deadband."""
    house = House(base=2512.0, noise=10.0)
    coarse = SimulatedBattery(step=1000.0, max_discharge=50_000.0, delay=0.5)
    fine = indevolt()
    controller = Controller(Settings(), ("coarse", "fine"))
    trace = run(controlled_by(controller), house, {"coarse": coarse, "fine": fine}, Meter(), 120)
    assert coarse.power % 1000.0 == 0.0
    assert abs(trace.deviation(0.0, start=60.0)) <= 30.0  # not ±500 W
    assert fine.power != 0.0


def test_the_safe_state_ends_at_0_w_before_the_hand_back() -> None:
    """A battery that takes setpoints only while driven: 0 W first, then its own mode, nothing after."""
    battery = indevolt(needs_mode=True)
    trace = run(controlled_by(Controller(Settings(), ("battery",))), House(base=1500.0), {"battery": battery},
                Meter(interval=1.0, stops_at=60.0), 120)  # fmt: skip
    assert trace.decisions[-1].mode is Mode.SAFE
    assert battery.modes == [(0.0, True), (battery.modes[-1][0], False)]
    assert battery.setpoints[-1] == (battery.modes[-1][0], 0.0)  # 0 W sent with the hand-back
    assert battery.refused == 0  # nothing sent to a battery in its own mode


def test_limits_and_write_intervals_are_never_exceeded() -> None:
    house = House(base=300.0, pv=lambda t: 4000.0 if t < 100 else 0.0, steps=[(200.0, 5000.0)])
    trace, battery, _ = zero_export(house, Meter(), 400, max_charge=1200.0, max_discharge=800.0,
                                    minimum_interval=2.0)  # fmt: skip
    assert all(-1200.0 <= value <= 800.0 for _, value in battery.setpoints)
    assert shortest_gap([t for t, _ in battery.setpoints]) >= 2.0 - 1e-9
    assert trace.decisions[-1].reason is Reason.AT_LIMIT  # 5 kW more than it can give


def test_stale_grid_data_leads_to_the_safe_state() -> None:
    house = House(base=1500.0)
    _trace, battery, controller = zero_export(house, Meter(interval=1.0, stops_at=120.0), 140)
    assert battery.setpoints[-1][1] == 0.0
    stopped_at = battery.setpoints[-1][0]
    assert 120.0 + 2.0 <= stopped_at <= 120.0 + 4.0  # older than three intervals
    assert controller.mode is Mode.SAFE
    assert controller.reason is Reason.GRID_STALE


def test_an_unavailable_sensor_is_safe_at_once() -> None:
    controller = Controller(Settings(), ("battery",))
    battery = SimulatedBattery().reading()
    decision = controller.measure(1500.0, 0.0, {"battery": battery})
    assert decision.drive is True  # into the mode a loop drives, before its first setpoint
    assert decision.writes["battery"] > 0
    decision = controller.unavailable(0.5)  # sooner than the battery's write interval: not held back
    assert decision.mode is Mode.SAFE
    assert decision.writes == {"battery": 0.0}
    assert decision.drive is False  # handed back after its 0 W


def naive(gain: float = 0.5) -> object:
    """A loop that integrates the newest value every second, fresh or not (what oscillated on evcc's
    30 s grid sensor in Marstek-Venus-Energy-Manager #338)."""
    held = {"grid": 0.0, "output": 0.0}

    def control(t: float, grid: float | None, batteries: dict, _charger: object) -> object:  # type: ignore[type-arg]
        from custom_components.local_energy.control.controller import Decision

        if grid is not None:
            held["grid"] = grid
        held["output"] = min(max(held["output"] + gain * held["grid"], -2400.0), 2400.0)
        return Decision(Mode.CONTROLLING, Reason.NONE, dict.fromkeys(batteries, held["output"]), None, 0, 0)

    return control


def test_a_30_s_sensor_lowers_the_gain_and_never_oscillates() -> None:
    house = House(base=400.0, pv=lambda _t: 1500.0, steps=[(300.0, 2000.0)])
    meter = Meter(interval=30.0, lag=1.0)
    trace, battery, _ = zero_export(house, meter, 1200)
    assert battery.sign_changes() <= 2
    assert trace.settled_after(300.0, 0.0, BAND) is not None
    battery_naive = SimulatedBattery()
    run(naive(), House(base=400.0, pv=lambda _t: 1500.0, steps=[(300.0, 2000.0)]),  # type: ignore[arg-type]
        {"battery": battery_naive}, Meter(interval=30.0, lag=1.0), 1200)  # fmt: skip
    assert battery_naive.sign_changes() > 10  # the naive loop swings between full charge and discharge


def test_a_meter_that_lags_its_own_push_does_not_make_it_hunt() -> None:
    house = House(base=400.0, pv=lambda _t: 1500.0, steps=[(120.0, 2000.0)])
    trace, battery, _ = zero_export(house, Meter(interval=1.0, lag=4.0), 400)  # 4 s behind what it says
    assert battery.sign_changes() <= 3
    assert trace.deviation(0.0, start=250.0) < 40.0


def test_a_washing_machines_heater_cycling_is_followed_without_hunting() -> None:
    heater = (2000.0, 20.0, 40.0, 60.0, 600.0)
    trace, battery, _ = zero_export(
        House(base=400.0, pv=lambda _t: 3000.0, cycling=heater), Meter(lag=1.0), 600
    )
    uncontrolled = run(None, House(base=400.0, pv=lambda _t: 3000.0, cycling=heater), {}, Meter(), 600)
    assert trace.deviation(0.0, start=60.0) < 0.6 * uncontrolled.deviation(0.0, start=60.0)
    cycles = (600 - 60) / 60
    assert battery.sign_changes() <= 2 * cycles + 2  # at most once each way per heater cycle


def test_a_battery_that_reaches_its_soc_limit_mid_step_stops_cleanly() -> None:
    house = House(base=300.0, pv=lambda _t: 2300.0)  # 2 kW to charge
    trace, battery, controller = zero_export(house, Meter(), 600, capacity_wh=300.0, soc=90.0)
    assert controller.gates["battery"].full
    assert trace.decisions[-1].reason is Reason.BATTERIES_FULL
    last_charge = max(t for t, value in battery.setpoints if value < 0)
    assert all(value == 0.0 for t, value in battery.setpoints if t > last_charge)  # no flapping at the limit
    assert battery.soc <= 95.0 + 1.0


def test_several_batteries_share_by_what_they_can_do() -> None:
    house = House(base=3300.0, noise=0.0)
    big, small = SimulatedBattery(max_discharge=2000.0), SimulatedBattery(max_discharge=1000.0)
    controller = Controller(Settings(), ("big", "small"))
    trace = run(controlled_by(controller), house, {"big": big, "small": small}, Meter(), 120)
    assert big.power == pytest.approx(2000.0, abs=30)
    assert small.power == pytest.approx(1000.0, abs=30)
    assert trace.grid[-1] == pytest.approx(300.0, abs=BAND)  # what both cannot give


def test_a_coarse_setpoint_resolution_does_not_make_it_jump_between_steps() -> None:
    house = House(base=1900.0, noise=10.0)  # 1.9 kW to cover with a battery set in 1 kW steps
    trace, battery, controller = zero_export(house, Meter(), 300, step=1000.0, max_discharge=5000.0)
    assert {value for t, value in battery.setpoints if t > 60} <= {1000.0, 2000.0}
    assert len(battery.setpoints) <= 4  # settles on one step and stays
    assert abs(trace.grid[-1]) <= 500.0 + 50.0
    assert controller.reason is Reason.DEADBAND


def test_the_users_limit_bounds_all_batteries_together() -> None:
    house = House(base=5000.0, noise=0.0)
    big, small = SimulatedBattery(max_discharge=4000.0), SimulatedBattery(max_discharge=1000.0)
    controller = Controller(Settings(maximum_discharge=2500.0), ("big", "small"))
    run(controlled_by(controller), house, {"big": big, "small": small}, Meter(), 120)
    assert big.power + small.power == pytest.approx(2500.0, abs=20)
    assert big.power == pytest.approx(4 * small.power, rel=0.05)  # shared by what each can do


def test_a_sensor_too_slow_is_refused() -> None:
    _trace, battery, controller = zero_export(House(base=800.0), Meter(interval=90.0), 400)
    assert controller.mode is Mode.REFUSED
    assert controller.reason is Reason.SENSOR_TOO_SLOW
    assert battery.setpoints[-1][1] == 0.0


def test_an_export_limit_is_held() -> None:
    settings = Settings(tuning=Tuning(target=-600.0))
    house = House(base=300.0, pv=lambda _t: 2500.0)
    trace, _, _ = zero_export(house, Meter(), 300, settings=settings)
    assert trace.deviation(-600.0, start=150.0) < 40.0


# --- surplus charging -------------------------------------------------------------------------------


def sunny(peak: float) -> object:
    """PV rising from 0 to peak over 5 minutes, held 10 minutes, falling over 5."""

    def pv(t: float) -> float:
        if t < 300:
            return peak * t / 300
        if t < 900:
            return peak
        return max(peak * (1200 - t) / 300, 0.0)

    return pv


def charge(
    priority: Priority, peak: float, seconds: float = 1500, **battery: float
) -> tuple[Trace, SimulatedCharger, SimulatedBattery]:
    house = House(base=300.0, pv=sunny(peak))  # type: ignore[arg-type]
    simulated_battery, car = SimulatedBattery(**battery), SimulatedCharger()  # type: ignore[arg-type]
    controller = Controller(Settings(priority=priority, surplus=SurplusTuning(maximum_current=16.0)),
                            ("battery",), charger=True)  # fmt: skip
    trace = run(
        controlled_by(controller), house, {"battery": simulated_battery}, Meter(), seconds, charger=car
    )
    return trace, car, simulated_battery


def test_surplus_charging_starts_after_a_minute_and_stops_after_three() -> None:
    _trace, car, _ = charge(Priority.CAR, 9000.0)
    currents = car.currents
    started = next(t for t, amperes in currents if amperes > 0)
    enough = 300 * (4140 + 300) / 9000  # when PV first covers the base load and 6 A on three phases
    assert enough + 60 <= started <= enough + 70
    assert all(amperes == 0 or 6 <= amperes <= 16 for _, amperes in currents)
    stopped = max(t for t, amperes in currents if amperes > 0)
    paused = next(t for t, amperes in currents if t > stopped and amperes == 0)
    short = 900 + 300 * (1 - (4140 + 300) / 9000)  # when PV falls below base load and 6 A
    assert short + 170 <= paused <= short + 190
    assert shortest_gap([t for t, _ in currents]) >= 5.0 - 1e-9


def test_with_car_priority_the_battery_gets_what_the_car_leaves() -> None:
    _trace, car, battery = charge(Priority.CAR, 7000.0, seconds=800)
    assert car.power == pytest.approx(16 * 0 + 9 * 690, abs=700)  # ~6.4 kW surplus: 9 A on three phases
    assert battery.power < 0  # the rest charges the battery
    assert all(value <= 0 for t, value in battery.setpoints if t > 400)  # never discharged for the car


def test_with_battery_priority_the_car_waits_for_a_full_battery() -> None:
    _, car, _ = charge(Priority.BATTERY, 6000.0, seconds=800)
    assert all(amperes == 0 for _, amperes in car.currents)  # 2.4 of the 5.7 kW go to the battery first
    _, car, battery = charge(Priority.BATTERY, 6000.0, seconds=800, soc=99.0)
    assert any(amperes > 0 for _, amperes in car.currents)
    assert battery.soc >= 95.0


def test_stale_data_sends_the_charger_to_its_fallback() -> None:
    house = House(base=300.0, pv=lambda _t: 8000.0)
    car = SimulatedCharger()
    settings = Settings(priority=Priority.CAR, fallback_current=0.0)
    controller = Controller(settings, ("battery",), charger=True)
    run(
        controlled_by(controller),
        house,
        {"battery": SimulatedBattery()},
        Meter(stops_at=200.0),
        260,
        charger=car,
    )
    assert any(amperes > 0 for _, amperes in car.currents)
    assert car.currents[-1][1] == 0.0
    assert controller.mode is Mode.SAFE


def test_a_charger_that_switches_phases_charges_on_one_when_three_are_too_many() -> None:
    house = House(base=300.0, pv=lambda t: 3000.0 if t < 400 else 9000.0, noise=10.0)
    car = SimulatedCharger()
    tuning = SurplusTuning(switches_phases=True, phase_hold=600.0)
    controller = Controller(Settings(surplus=tuning), (), charger=True)
    trace = run(controlled_by(controller), house, {}, Meter(), 1500, charger=car)
    (first, phases), *later = car.switches
    assert phases == 1  # 2.7 kW: enough for one phase, not for three
    assert 60 <= first <= 70
    at_400 = max(amperes for t, amperes in car.currents if t < 400)
    assert at_400 == math.floor(2700 / 230)  # the surplus in whole amperes on one phase
    assert [phases for _, phases in later] == [3]  # enough for three phases from 400 s: switched back...
    assert later[0][0] >= first + 600.0  # ...but not within the ten minutes of the charger's guard
    assert car.phases == 3
    assert car.power > 4140
    assert trace.decisions[-1].charge_state is ChargeState.CHARGING


def test_a_charger_that_cannot_switch_waits_for_three_phases_worth() -> None:
    house = House(base=300.0, pv=lambda _t: 3000.0, noise=10.0)
    car = SimulatedCharger()
    controller = Controller(Settings(), (), charger=True)
    run(controlled_by(controller), house, {}, Meter(), 400, charger=car)
    assert car.switches == []
    assert all(amperes == 0 for _, amperes in car.currents)


def test_the_first_current_after_switching_to_one_phase_does_not_overshoot() -> None:
    """Right after the switch the car still draws on three phases: that is not surplus for one."""
    house = House(base=300.0, pv=lambda t: 7000.0 if t < 200 else 2600.0, noise=10.0)
    car = SimulatedCharger()
    tuning = SurplusTuning(switches_phases=True, phase_hold=60.0)
    controller = Controller(Settings(surplus=tuning), (), charger=True)
    run(controlled_by(controller), house, {}, Meter(), 500, charger=car)
    switched = next(t for t, phases in car.switches if phases == 1)
    on_one_phase = [amperes for t, amperes in car.currents if t >= switched]
    assert on_one_phase
    assert max(on_one_phase) <= math.floor((2600.0 - 300.0 + 60.0) / 230)  # what one phase may take, ±noise


def steered(target: float, offset: float, seconds: float = 240.0) -> Trace:
    """A battery without a control API that regulates on the meter we serve, its own offset left over."""
    house = House(base=900.0, noise=10.0, pv=lambda t: 400.0 if t > 120 else 0.0)
    settings = Settings(tuning=Tuning(target=target))
    controller = Controller(settings, (), meters=True)
    reader = ReadingBattery(offset=offset)
    return run(controlled_by(controller), house, {}, Meter(lag=0.5), seconds, readers={"marstek": reader})


def test_a_battery_that_reads_a_served_meter_is_steered_to_the_target() -> None:
    house = House(base=900.0, noise=10.0, pv=lambda t: 400.0 if t > 120 else 0.0)
    alone = run(None, house, {}, Meter(lag=0.5), 240, readers={"marstek": ReadingBattery(offset=40.0)})
    assert alone.deviation(0.0, start=60.0) > 35.0  # its own regulation leaves 40 W imported
    own_swing = statistics.pstdev(grid for t, grid in zip(alone.times, alone.grid, strict=True) if t >= 200)
    trace = steered(target=0.0, offset=40.0)
    values = [grid for t, grid in zip(trace.times, trace.grid, strict=True) if 90.0 <= t < 120.0]
    assert abs(sum(values) / len(values)) <= 15.0  # the trim took the offset away
    after_pv = [grid for t, grid in zip(trace.times, trace.grid, strict=True) if t >= 200.0]
    assert abs(sum(after_pv) / len(after_pv)) <= 15.0  # and holds it through a change of the house
    swing = statistics.pstdev(grid for t, grid in zip(trace.times, trace.grid, strict=True) if t >= 200)
    assert swing <= own_swing + 5.0  # the battery's own swing, nothing added between the two loops


def test_a_target_other_than_zero_reaches_a_battery_without_a_control_api() -> None:
    trace = steered(target=-300.0, offset=0.0)
    values = [grid for t, grid in zip(trace.times, trace.grid, strict=True) if t >= 60.0]
    assert abs(sum(values) / len(values) + 300.0) <= 15.0
    assert all(d.bias is not None for d in trace.decisions)


def test_the_bias_is_dropped_when_the_grid_data_goes_stale() -> None:
    house = House(base=900.0, noise=10.0)
    controller = Controller(Settings(tuning=Tuning(target=-300.0)), (), meters=True)
    trace = run(controlled_by(controller), house, {}, Meter(lag=0.5, stops_at=100.0), 130,
                readers={"marstek": ReadingBattery()})  # fmt: skip
    assert trace.decisions[-1].mode is not Mode.CONTROLLING
    assert trace.decisions[-1].bias == 0.0


def test_a_battery_is_never_discharged_below_its_own_reserve() -> None:
    """Its backup reserve (a setting on the device) stops discharging as the user's minimum does."""
    house = House(base=1500.0, noise=0.0)
    battery = indevolt(soc=52.0, capacity_wh=1000.0, reserve=50.0)
    trace = run(controlled_by(Controller(Settings(minimum_soc=10.0), ("battery",))), house,
                {"battery": battery}, Meter(), 120)  # fmt: skip
    assert battery.soc > 49.0  # 2 % of 1 kWh gone, then it held
    assert battery.power == 0.0
    assert trace.grid[-1] == pytest.approx(1500.0)  # the house draws from the grid instead
