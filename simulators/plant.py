"""Simulated plants for the control loops: a house, batteries, a car charger and a grid meter.

Time is simulated (``run`` steps it), so a day runs in seconds and every test is repeatable. The house
draws a base load with noise, PV feeds in, loads step and cycle; batteries follow their setpoint after a
response delay, within their power and capacity; the charger draws what its current asks after a delay;
the meter reports the grid power as it was ``lag`` seconds before, every ``interval`` seconds. Our
controller's decisions are carried out by control.runner.Runner, the executor Home Assistant runs, through
ports onto these simulated devices.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from custom_components.local_energy.control.battery import BatteryLimits
from custom_components.local_energy.control.controller import Battery, Charger, Controller, Decision
from custom_components.local_energy.control.runner import Refused, Runner


@dataclass
class House:
    """What the house draws without batteries and car (W): base + steps + cycling loads + noise - PV."""

    base: float = 400.0
    pv: Callable[[float], float] = lambda _t: 0.0
    noise: float = 20.0
    steps: list[tuple[float, float]] = field(default_factory=list)
    """(from second, extra W) load steps."""
    cycling: tuple[float, float, float, float, float] | None = None
    """(W, seconds on, seconds off, from second, to second): a washing machine's heater."""
    seed: int = 1

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - meter noise, repeatable by its seed

    def net(self, t: float) -> float:
        """The house's draw minus PV at second t."""
        load = self.base + sum(watts for start, watts in self.steps if t >= start)
        if self.cycling is not None:
            watts, on, off, start, end = self.cycling
            if start <= t < end and (t - start) % (on + off) < on:
                load += watts
        return load - self.pv(t) + self._random.gauss(0.0, self.noise)


class Delayed:
    """A value that follows each command after a delay: what an actuator does with a setpoint."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.value = 0.0
        self._pending: deque[tuple[float, float]] = deque()

    def command(self, t: float, value: float) -> None:
        """A new setpoint at second t, reached delay seconds later."""
        self._pending.append((t + self.delay, value))

    def at(self, t: float) -> float:
        """The value in effect at second t."""
        while self._pending and self._pending[0][0] <= t:
            self.value = self._pending.popleft()[1]
        return self.value


@dataclass
class SimulatedBattery:
    """A battery that follows its discharge setpoint after a delay, within power and charge."""

    capacity_wh: float = 5000.0
    soc: float = 50.0
    max_charge: float = 2400.0
    max_discharge: float = 2400.0
    delay: float = 1.5
    declared_delay: float | None = None
    """The response delay the battery declares, when it differs from its real one."""
    step: float = 10.0
    minimum_interval: float = 1.0
    reserve: float | None = None
    """The state of charge (%) it keeps for itself, as its backup-reserve setting says."""
    power: float = 0.0
    """Discharge now, W."""
    needs_mode: bool = False
    """Takes setpoints only while driven (INDEVOLT's real-time control); in its own mode it rests at 0 W."""
    driven: bool = False
    setpoints: list[tuple[float, float]] = field(default_factory=list)
    """Every (second, setpoint) received."""
    modes: list[tuple[float, bool]] = field(default_factory=list)
    """Every (second, driven) mode change received."""
    refused: int = 0
    """Setpoints refused because the battery was not driven."""

    def __post_init__(self) -> None:
        self._setpoint = Delayed(self.delay)

    def command(self, t: float, discharge: float) -> None:
        """A setpoint arrives; the battery reaches it after its delay (refused in its own mode)."""
        if self.needs_mode and not self.driven:
            self.refused += 1
            raise Refused("the battery is not in real-time control")
        self.setpoints.append((t, discharge))
        self._setpoint.command(t, discharge)

    def drive(self, t: float, driven: bool) -> None:
        """Into the mode a loop drives, or back to its own (where it rests at 0 W)."""
        self.modes.append((t, driven))
        self.driven = driven
        if self.needs_mode and not driven:
            self._setpoint.command(t, 0.0)

    def advance(self, t: float, dt: float) -> None:
        """Step the battery: follow the setpoint that has arrived, within its limits and charge."""
        power = min(max(self._setpoint.at(t), -self.max_charge), self.max_discharge)
        if (power > 0 and self.soc <= 0.0) or (power < 0 and self.soc >= 100.0):
            power = 0.0
        self.power = power
        self.soc = min(max(self.soc - power * dt / 3600 / self.capacity_wh * 100, 0.0), 100.0)

    def sign_changes(self) -> int:
        """How often it was told to turn from charging to discharging or back."""
        signs = [value > 0 for _, value in self.setpoints if value != 0]
        return sum(1 for before, after in itertools.pairwise(signs) if before != after)

    def reading(self) -> Battery:
        """What the controller reads of it: bounds, state of charge, measured power."""
        limits = BatteryLimits(discharge=self.max_discharge, charge=self.max_charge, step=self.step)
        declared = self.delay if self.declared_delay is None else self.declared_delay
        return Battery(limits, self.soc, self.power, declared, self.minimum_interval, self.reserve)


@dataclass
class ReadingBattery:
    """A battery with no control API that holds what its meter shows at zero, as Marstek batteries do.

    Every period it reads the meter we serve and moves its output by gain x (what it read - offset): it
    settles where it reads its own offset (a few tens of W where its regulation is coarse), after delay.
    """

    max_charge: float = 2500.0
    max_discharge: float = 2500.0
    period: float = 1.0
    gain: float = 0.9
    offset: float = 0.0
    delay: float = 1.0
    power: float = 0.0
    """W it delivers now (> 0 feeds the house)."""

    def __post_init__(self) -> None:
        self._actuator = Delayed(self.delay)
        self._wanted = 0.0
        self._next = 0.0

    def poll(self, t: float, served: float | None) -> None:
        """Read the meter when a poll is due; nothing served leaves the output where it is."""
        if t < self._next:
            return
        self._next = t + self.period
        if served is None:
            return
        wanted = self._wanted + self.gain * (served - self.offset)
        self._wanted = min(max(wanted, -self.max_charge), self.max_discharge)
        self._actuator.command(t, self._wanted)

    def advance(self, t: float) -> None:
        """Its output at second t."""
        self.power = self._actuator.at(t)


@dataclass
class SimulatedCharger:
    """A car that draws what the charging current asks, after a delay."""

    phases: int = 3
    voltage: float = 230.0
    delay: float = 2.0
    minimum_interval: float = 5.0
    power: float = 0.0
    currents: list[tuple[float, float]] = field(default_factory=list)
    switches: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._current = Delayed(self.delay)
        self._phases = Delayed(self.delay)
        self._phases.value = self.phases

    def command(self, t: float, amperes: float) -> None:
        """A charging current arrives (per phase)."""
        self.currents.append((t, amperes))
        self._current.command(t, amperes)

    def switch(self, t: float, phases: int) -> None:
        """The car charges on this many phases once its contactors have switched (after the delay)."""
        self.switches.append((t, phases))
        self.phases = phases
        self._phases.command(t, phases)

    def advance(self, t: float) -> None:
        """The car follows the current and the phases that have arrived."""
        self.power = self._current.at(t) * self._phases.at(t) * self.voltage

    def reading(self) -> Charger:
        """What the controller reads of it."""
        return Charger(self.power, self.minimum_interval)


@dataclass
class Meter:
    """A grid meter: the grid power as it was lag seconds ago, every interval seconds."""

    interval: float = 1.0
    lag: float = 0.5
    stops_at: float | None = None
    """From this second on, nothing is reported (a sensor that went stale)."""

    def __post_init__(self) -> None:
        self._history: deque[tuple[float, float]] = deque()
        self._next = 0.0

    def record(self, t: float, grid: float) -> None:
        """The true grid power at second t."""
        self._history.append((t, grid))
        while len(self._history) > 2 and self._history[1][0] <= t - self.lag - 1.0:
            self._history.popleft()

    def report(self, t: float) -> float | None:
        """A measurement when one is due at second t (the value from lag seconds ago), else None."""
        if t < self._next or (self.stops_at is not None and t >= self.stops_at):
            return None
        self._next += self.interval
        wanted = t - self.lag
        return next((grid for when, grid in reversed(self._history) if when <= wanted), self._history[0][1])


@dataclass
class Trace:
    """What happened, second by second sampled at the step."""

    times: list[float] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def energy(self, start: float = 0.0) -> tuple[float, float]:
        """(imported, exported) kWh from a second on."""
        imported = exported = 0.0
        for (t0, g), t1 in zip(zip(self.times, self.grid, strict=False), self.times[1:], strict=False):
            if t0 >= start:
                hours = (t1 - t0) / 3600
                imported += max(g, 0.0) * hours / 1000
                exported += max(-g, 0.0) * hours / 1000
        return imported, exported

    def deviation(self, target: float, start: float = 0.0, end: float = math.inf) -> float:
        """Root-mean-square deviation of the grid power from the target between two seconds, W."""
        values = [g - target for t, g in zip(self.times, self.grid, strict=True) if start <= t < end]
        return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0

    def settled_after(
        self, start: float, target: float, band: float, hold: float = 20.0, mean: float = 0.0
    ) -> float | None:
        """Seconds from start until the grid stays within target ± band for hold seconds (None: never).

        mean: judge the grid's mean over this many seconds (as a meter shows it), not each instant.
        """
        entered: float | None = None
        window: deque[float] = deque()
        step = self.times[1] - self.times[0] if len(self.times) > 1 else 1.0
        for t, g in zip(self.times, self.grid, strict=True):
            window.append(g)
            while len(window) > max(round(mean / step), 1):
                window.popleft()
            if t < start:
                continue
            if abs(sum(window) / len(window) - target) <= band:
                entered = t if entered is None else entered
                if t - entered >= hold:
                    return entered - start
            else:
                entered = None
        return None


type Control = Callable[[float, float | None, dict[str, Battery], Charger | None], Decision | None]


@dataclass
class _Now:
    """The simulated second the ports act at."""

    t: float = 0.0


@dataclass
class _BatteryPort:
    battery: SimulatedBattery
    now: _Now

    async def set_discharge(self, watts: float) -> None:
        self.battery.command(self.now.t, watts)

    async def set_driven(self, driven: bool) -> None:
        self.battery.drive(self.now.t, driven)


@dataclass
class _ChargerPort:
    charger: SimulatedCharger
    now: _Now

    async def set_phases(self, phases: int) -> None:
        self.charger.switch(self.now.t, phases)

    async def set_current(self, amperes: float, phases: int) -> None:
        del phases  # the simulated car charges on the phases it was switched to
        self.charger.command(self.now.t, amperes)


@dataclass
class _MeterPort:
    """The bias the served meter adds: what its batteries read is the grid plus it."""

    bias: float = 0.0

    def set_bias(self, watts: float) -> None:
        self.bias = watts


def controlled_by(controller: Controller) -> Control:
    """Drive the plant with one of our controllers: measure on a fresh value, tick otherwise."""

    def control(
        t: float, grid: float | None, batteries: dict[str, Battery], charger: Charger | None
    ) -> Decision:
        if grid is None:
            return controller.tick(t)
        return controller.measure(grid, t, batteries, charger)

    control.controller = controller  # type: ignore[attr-defined]
    return control


def finish(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits (the simulated ports answer at once) to its end, here and now."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("a simulated port waited: the plant runs without an event loop")


def run(
    control: Control | None,
    house: House,
    batteries: dict[str, SimulatedBattery],
    meter: Meter,
    seconds: float,
    *,
    charger: SimulatedCharger | None = None,
    readers: dict[str, ReadingBattery] | None = None,
    step: float = 0.1,
) -> Trace:
    """Simulate seconds of the plant under a control (None: no control); the trace of it.

    Our controller's decisions go through the Runner Home Assistant runs; another control's (a PD loop
    for comparison) are sent as they are. Readers are batteries that regulate on a meter we serve: the
    grid meter's newest value plus the bias the controller sets (all read the same served meter).
    """
    trace = Trace()
    now = _Now()
    readers = readers or {}
    served = _MeterPort()
    controller = getattr(control, "controller", None)
    runner = None
    if isinstance(controller, Controller):
        ports = {name: _BatteryPort(battery, now) for name, battery in batteries.items()}
        charger_port = None if charger is None else _ChargerPort(charger, now)
        runner = Runner(controller, ports, charger_port, meters={"served": served} if readers else None)
    last_report: float | None = None
    ticks = round(seconds / step)
    for tick in range(ticks + 1):
        t = now.t = tick * step
        for battery in batteries.values():
            battery.advance(t, step)
        if charger is not None:
            charger.advance(t)
        for reader in readers.values():
            reader.advance(t)
        delivered = sum(b.power for b in batteries.values()) + sum(r.power for r in readers.values())
        grid = house.net(t) + (charger.power if charger else 0.0) - delivered
        meter.record(t, grid)
        trace.times.append(t)
        trace.grid.append(grid)
        measured = meter.report(t)
        last_report = last_report if measured is None else measured
        for reader in readers.values():
            reader.poll(t, None if last_report is None else last_report + served.bias)
        if control is None:
            continue
        if measured is None and tick % round(1 / step) != 0:
            continue  # between measurements the controller is ticked once a second
        readings = {name: battery.reading() for name, battery in batteries.items()}
        decision = control(t, measured, readings, charger.reading() if charger else None)
        if decision is None:
            continue
        trace.decisions.append(decision)
        if runner is not None:
            finish(runner.apply(decision))
        else:
            _send(decision, batteries, t)
    return trace


def _send(decision: Decision, batteries: dict[str, SimulatedBattery], t: float) -> None:
    for name, value in decision.writes.items():
        batteries[name].command(t, value)
