"""Zero export measured on the executor Home Assistant runs: no control, a PD loop, the earlier PI and ours.

Run: .venv/bin/python -m benchmarks.control_loops

Every loop of ours runs through control.runner.Runner, the code Home Assistant's controller entry runs,
against simulators/plant.py. The battery is an INDEVOLT as the field has it: it answers a setpoint within
0.8 s (it declares 2 s), takes a write every 2 s at most, in 10 W steps. The grid sensor reports every
second, with a delay (the value it shows is that many seconds old). The PD loop is Omnibattery's: every
second, on the newest grid value, the setpoint moves by Kp x error + Kd x the error's change (0.5, 0.25).
"PI" is the loop this integration ran before (kept in control/battery.py for this comparison).

Figures: seconds until a 2 kW step is held within ±50 W for 10 s; the overshoot past the target; the
setpoint's sign changes (hunting); the steady sigma and offset; and over 120 s of random load steps every
5-20 s with a PV ramp, sigma against no control and sigma from 10 s after each step. Then a scripted day.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from custom_components.local_energy.control.battery import PiLoop, Timing
from custom_components.local_energy.control.controller import Controller, Decision, Mode, Reason, Settings
from simulators.plant import Control, House, Meter, SimulatedBattery, Trace, controlled_by, run

DAY = 86_400.0
BAND = 50.0


def indevolt() -> SimulatedBattery:
    """An INDEVOLT as measured: 0.8 s to answer (2 s declared), a write every 2 s, 10 W steps."""
    return SimulatedBattery(delay=0.8, declared_delay=2.0, minimum_interval=2.0, step=10.0)


def pd_loop(kp: float = 0.5, kd: float = 0.25) -> Control:
    held = {"grid": None, "previous": 0.0, "output": 0.0, "last": -1.0}

    def control(t: float, grid: float | None, batteries: dict[str, object], _charger: object) -> Decision:
        if grid is not None:
            held["grid"] = grid
        writes = {}
        if held["grid"] is not None and t - float(held["last"]) >= 1.0:
            error = float(held["grid"])  # type: ignore[arg-type]
            output = float(held["output"]) + kp * error + kd * (error - float(held["previous"]))
            held["output"], held["previous"], held["last"] = min(max(output, -2400.0), 2400.0), error, t
            writes = dict.fromkeys(batteries, round(float(held["output"]), -1))
        return Decision(Mode.CONTROLLING, Reason.NONE, writes, None, 0.0, None)

    return control


def pi_loop() -> Control:
    settings = Settings(minimum_soc=0.0, maximum_soc=100.0)
    return controlled_by(Controller(settings, ("battery",), loop=PiLoop(settings.tuning)))


def ours() -> Control:
    return controlled_by(Controller(Settings(minimum_soc=0.0, maximum_soc=100.0), ("battery",)))


class KnowsTheDraw:
    """Not a loop but a bound: it knows the house's draw without its noise (a load once a grid value shows
    it has switched, the PV ahead) and asks every time for the draw in the middle of the next write
    interval. It runs through the same controller and runner as ours, so it has the battery's write slots
    (one every 2 s) and steps: what trimming at every slot costs the answer to the next step."""

    def __init__(self, house: House, lag: float, response: float = 0.8) -> None:
        self.house, self.lag, self.response, self.output = house, lag, response, 0.0

    def update(
        self, grid: float, now: float, timing: Timing, low: float, high: float, deadband: float
    ) -> float:
        del grid, deadband
        ahead = now + self.response + timing.writes / 2
        house = self.house
        shown = now - self.lag  # a load switch is known once a grid value shows it
        draw = house.base + sum(watts for start, watts in house.steps if start <= shown) - house.pv(ahead)
        return min(max(draw, low), high)

    def applied(self, total: float) -> None:
        self.output = total

    def sent(self, at: float, total: float) -> None:
        del at, total

    def reset(self, output: float = 0.0) -> None:
        self.output = output


def knows_the_draw(lag: float) -> Callable[[House], Control]:
    settings = Settings(minimum_soc=0.0, maximum_soc=100.0)
    return lambda house: controlled_by(Controller(settings, ("battery",), loop=KnowsTheDraw(house, lag)))


LOOPS: tuple[tuple[str, Callable[[], Control | None]], ...] = (
    ("no control", lambda: None),
    ("PD (Omnibattery)", pd_loop),
    ("PI (before)", pi_loop),
    ("ours", ours),
)


@dataclass(frozen=True)
class StepFigures:
    settled: float | None
    overshoot: float
    sign_changes: int


def step(make: Callable[[], Control | None], lag: float, interval: float = 1.0) -> StepFigures:
    """A 2 kW load step at 120 s on a house that fed 1.1 kW of PV into the battery."""
    house = House(base=400.0, pv=lambda _t: 1500.0, steps=[(120.0, 2000.0)])
    battery = indevolt()
    trace = run(make(), house, {"battery": battery}, Meter(interval=interval, lag=lag), 300, step=0.1)
    after = [g for t, g in zip(trace.times, trace.grid, strict=True) if t >= 120.0]
    undershoot = max(0.0, -min(after))  # past zero into export, after an import step
    settled = trace.settled_after(120.0, 0.0, BAND, hold=10.0, mean=1.0)  # as a 1 s meter shows it
    return StepFigures(settled, undershoot / 2000.0, battery.sign_changes())


def steady(make: Callable[[], Control | None]) -> tuple[float, float]:
    """sigma and mean of the grid over two minutes of a constant 900 W load with 20 W of meter noise."""
    trace = run(make(), House(base=900.0, noise=20.0), {"battery": indevolt()}, Meter(lag=1.0), 240, step=0.1)
    values = [g for t, g in zip(trace.times, trace.grid, strict=True) if t >= 120.0]
    return statistics.pstdev(values), statistics.fmean(values)


def random_steps(seed: int) -> House:
    """Load steps of ±200-1500 W every 5-20 s over 120 s, and a PV ramp from 0 to 1.5 kW."""
    rng = random.Random(seed)
    steps, t, level = [], 20.0, 0.0
    while t < 140.0:
        up = level <= 0.0 or (level < 1500.0 and rng.random() < 0.5)
        change = rng.uniform(200.0, 1500.0) * (1 if up else -1)
        change = min(max(change, -level), 1500.0 - level)  # within what the battery can answer
        steps.append((t, change))
        level += change
        t += rng.uniform(5.0, 20.0)
    return House(base=500.0, pv=lambda t: min(max(t - 20.0, 0.0) * 12.5, 1500.0), steps=steps, noise=20.0)


@dataclass(frozen=True)
class RandomFigures:
    ratio: float
    """sigma of the grid from 20 to 140 s, as a share of it without control."""
    settled: float
    """sigma of the grid counting only from 10 s after each step (W)."""


SEEDS = range(1, 11)


def random_figures(make: Callable[[House], Control | None], lag: float) -> RandomFigures:
    """The mean over ten random houses, the sensor reporting every second, lag seconds behind."""
    ratios, settled = [], []
    for seed in SEEDS:
        whole, calm = _random_sigmas(make, seed, lag)
        ratios.append(whole / _random_sigmas(lambda _house: None, seed, lag)[0])
        settled.append(calm)
    return RandomFigures(statistics.fmean(ratios), statistics.fmean(settled))


def random_bound(lag: float) -> float:
    """The least ratio any loop reaches: each step stands until a grid value shows it and the battery
    answers (0.8 s); the house's noise stays (mean over the same houses)."""
    ratios = []
    for seed in SEEDS:
        house = random_steps(seed)
        squares = sum(
            change**2 * (math.ceil(start + lag) + 0.8 - start)
            for start, change in house.steps
            if start < 140.0
        )
        ratios.append(
            math.sqrt(squares / 120.0 + house.noise**2) / _random_sigmas(lambda _house: None, seed, lag)[0]
        )
    return statistics.fmean(ratios)


def _random_sigmas(make: Callable[[House], Control | None], seed: int, lag: float) -> tuple[float, float]:
    house = random_steps(seed)
    trace = run(make(house), house, {"battery": indevolt()}, Meter(lag=lag), 160, step=0.1)
    starts = [start for start, _ in house.steps]
    whole = [g for t, g in zip(trace.times, trace.grid, strict=True) if 20.0 <= t < 140.0]
    settled = [
        g
        for t, g in zip(trace.times, trace.grid, strict=True)
        if 20.0 <= t < 140.0 and all(not 0 <= t - start < 10.0 for start in starts)
    ]
    return _rms(whole), _rms(settled)


def _rms(values: list[float]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def pv(t: float) -> float:
    """A sunny day from 6:00 to 20:00 with a cloudy hour after noon."""
    hour = t / 3600
    if not 6 <= hour <= 20:
        return 0.0
    sun = 4500.0 * math.sin(math.pi * (hour - 6) / 14) ** 2
    return sun * (0.35 if 12.5 <= hour <= 13.5 else 1.0)


def day_house() -> House:
    return House(
        base=350.0,
        pv=pv,
        noise=25.0,
        steps=[(7.0 * 3600, 2000.0), (7.05 * 3600, -2000.0), (18.0 * 3600, 2200.0), (18.75 * 3600, -2200.0)],
        cycling=(2000.0, 20.0, 40.0, 10.0 * 3600, 11.5 * 3600),  # the washing machine's heater
    )


def day(make: Callable[[], Control | None]) -> tuple[Trace, SimulatedBattery]:
    battery = SimulatedBattery(
        capacity_wh=10_000.0, soc=20.0, delay=0.8, declared_delay=2.0, minimum_interval=2.0
    )
    trace = run(make(), day_house(), {"battery": battery}, Meter(interval=1.0, lag=1.0), DAY, step=0.2)
    return trace, battery


def _any_house(make: Callable[[], Control | None]) -> Callable[[House], Control | None]:
    return lambda _house: make()


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:5.1f} s"


def main() -> None:
    print(f"A 2 kW step: seconds to hold ±{BAND:.0f} W for 10 s / overshoot / the setpoint's sign changes")
    print(f"  {'sensor':<22}" + "".join(f"{label:>26}" for label, _ in LOOPS[1:]))
    for lag, interval in ((0.5, 1.0), (1.0, 1.0), (2.0, 1.0), (1.0, 5.0)):
        cells = []
        for _, make in LOOPS[1:]:
            figures = step(make, lag, interval)
            cells.append(f"{_seconds(figures.settled)} {figures.overshoot:4.0%} {figures.sign_changes:3d}")
        print(f"  every {interval:g} s, {lag:g} s behind".ljust(24) + "".join(f"{c:>26}" for c in cells))
    print("Steady 900 W with 20 W noise, sensor 1 s behind: sigma / mean of the grid")
    for label, make in LOOPS:
        sigma, mean = steady(make)
        print(f"  {label:<22} sigma {sigma:6.1f} W   mean {mean:+7.1f} W")
    print(
        "Random load steps every 5-20 s and a PV ramp, 120 s, ten houses: sigma as a share of no control,"
        " and sigma from 10 s after each step (the house's noise alone is 20 W)"
    )
    columns = [*(label for label, _ in LOOPS[1:]), "knows the draw"]
    print(f"  {'sensor':<22}" + "".join(f"{label:>26}" for label in columns) + f"{'least possible':>18}")
    for lag in (0.0, 0.5, 1.0):
        makes = [*(_any_house(make) for _, make in LOOPS[1:]), knows_the_draw(lag)]
        cells = []
        for make in makes:
            figures = random_figures(make, lag)
            cells.append(f"{figures.ratio:5.2f} x {figures.settled:5.1f} W")
        bound = f"{random_bound(lag):5.2f} x"
        print(
            f"  every 1 s, {lag:g} s behind".ljust(24) + "".join(f"{c:>26}" for c in cells) + f"{bound:>18}"
        )
    print(
        "  (knows the draw: the house's draw without noise, trimmed at every write slot; least possible: each"
        " step answered the moment a grid value shows it, no write slot taken by a trim)"
    )
    print(
        "A scripted day (PV to 4.5 kW, 10 kWh battery): imported / exported / sigma / writes / sign changes"
    )
    for label, make in LOOPS:
        trace, battery = day(make)
        imported, exported = trace.energy()
        print(
            f"  {label:<22} {imported:6.2f} kWh {exported:6.2f} kWh sigma {trace.deviation(0.0):5.0f} W"
            f" {len(battery.setpoints):7d} {battery.sign_changes():5d}"
        )


if __name__ == "__main__":
    main()
