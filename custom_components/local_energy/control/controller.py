"""One controller: a grid measurement in, battery setpoints and a charging current out, safely.

It acts once per fresh grid measurement. Between measurements ``tick`` is called (every second or so): it
notices stale grid data and sends what is due. Every write is paced by its actuator's minimum interval
and only sent when it changes something. Stale or missing grid data, or a sensor too slow to control
with, puts it in its safe state: batteries to 0 W at once (unpaced), then back to their own mode, and the
charger to its fallback current. It leaves the safe state only after the grid data has been good for a
while, and changes the batteries' mode at most once per pacing interval, so a flapping sensor cannot make
the modes flap. Its decisions are carried out by runner.Runner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from .battery import BatteryLimits, LoadFollower, SocGate, Timing, Tuning, deadband, in_steps, share
from .freshness import SampleClock
from .steering import MeterSteering
from .surplus import ChargeState, SurplusCharger, SurplusTuning

SLOWEST_INTERVAL = 60.0
"""A grid sensor updating less often than this is refused: nothing can be held with it."""
RESUME_AFTER = 3.0
"""Seconds of good grid data, after the safe state, before the batteries are driven again."""
MODE_INTERVAL = 10.0
"""Seconds between two changes of the batteries' mode at least."""


class Mode(StrEnum):
    """What the controller is doing."""

    CONTROLLING = "controlling"
    SAFE = "safe"
    """Grid data stale or missing: batteries at 0 W in their own mode, charger at its fallback."""
    REFUSED = "refused"
    """The grid sensor updates too seldom to control with."""


class Reason(StrEnum):
    """Why the controller holds or is safe (none while it follows the target)."""

    NONE = "none"
    DEADBAND = "deadband"
    AT_LIMIT = "at_limit"
    BATTERIES_FULL = "batteries_full"
    BATTERIES_EMPTY = "batteries_empty"
    GRID_STALE = "grid_stale"
    GRID_UNAVAILABLE = "grid_unavailable"
    SENSOR_TOO_SLOW = "sensor_too_slow"


class Priority(StrEnum):
    """Who takes the surplus first."""

    BATTERY = "battery"
    CAR = "car"


@dataclass(frozen=True, slots=True)
class Battery:
    """What the controller knows of one battery now (discharge > 0)."""

    limits: BatteryLimits
    """Its bounds and the user's limits, before the state of charge is considered."""
    soc: float | None
    power: float | None = None
    """Measured discharge, W (None: unknown, the setpoint is taken)."""
    response_delay: float = 2.0
    minimum_interval: float = 1.0
    """Seconds between two writes at least."""
    reserve: float | None = None
    """The state of charge (%) the battery keeps for itself (a backup reserve): never discharged below it."""

    @property
    def at_reserve(self) -> bool:
        """Whether it is at or below its own reserve."""
        return self.soc is not None and self.reserve is not None and self.soc <= self.reserve


@dataclass(frozen=True, slots=True)
class Charger:
    """What the controller knows of the car charger now."""

    power: float | None
    """W the car draws (None: unknown, taken from the current)."""
    minimum_interval: float = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    """The user's settings of one controller."""

    tuning: Tuning = field(default_factory=Tuning)
    surplus: SurplusTuning = field(default_factory=SurplusTuning)
    minimum_soc: float = 10.0
    maximum_soc: float = 95.0
    priority: Priority = Priority.BATTERY
    fallback_current: float = 6.0
    """A while the grid data is stale (0 pauses the car)."""
    maximum_charge: float = math.inf
    """W all batteries together may charge with."""
    maximum_discharge: float = math.inf
    """W all batteries together may discharge with."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the controller does now; writes holds only what is due to be sent."""

    mode: Mode
    reason: Reason
    writes: dict[str, float]
    """Battery name -> discharge W to send now."""
    charger_write: float | None
    """A to send now (per phase), or None."""
    total: float
    """The total discharge in effect, W."""
    error: float | None
    """Grid minus target, W (None when unknown)."""
    charge_state: ChargeState | None = None
    phases_write: int | None = None
    """The phases to switch the charger to now (sent before the current), or None."""
    drive: bool | None = None
    """Switch the batteries into the mode a loop may drive (True, before the writes) or back to their own
    (False, after the writes: their 0 W goes first), or leave their mode (None)."""
    bias: float | None = None
    """W to add to what the served meters serve (None: the controller steers none)."""


class Pacer:
    """One actuator's writes: the value it should have, and when it may be sent."""

    def __init__(self, minimum_interval: float) -> None:
        self.minimum_interval = minimum_interval
        self.target: float | None = None
        self.sent: float | None = None
        self._at: float | None = None

    def due(self, now: float) -> float | None:
        """The target when it differs from what was sent and the interval has passed (then it is sent)."""
        if self.target is None or self.target == self.sent:
            return None
        if self._at is not None and now - self._at < self.minimum_interval:
            return None
        self.sent, self._at = self.target, now
        return self.target

    def failed(self) -> None:
        """The last value sent did not arrive: it is due again once the interval has passed."""
        self.sent = None

    def now(self, value: float, at: float) -> float | None:
        """A value that may not wait for the interval (0 W on the way to the safe state): due at once."""
        self.target = value
        if value == self.sent:
            return None
        self.sent, self._at = value, at
        return value

    def settle(self, value: float) -> None:
        """The actuator holds this value by itself from now on: nothing is due."""
        self.target = self.sent = value

    @property
    def in_effect(self) -> float:
        """What the actuator was last told (0 before anything)."""
        return self.sent or 0.0


class BatteryLoop(Protocol):
    """What sets the total battery power (LoadFollower; the benchmark also runs the earlier PiLoop)."""

    output: float

    def update(
        self, grid: float, now: float, timing: Timing, low: float, high: float, deadband: float
    ) -> float:
        """A fresh grid value in; the total discharge out."""

    def applied(self, total: float) -> None:
        """The total to command (bounded, rounded)."""

    def sent(self, at: float, total: float) -> None:
        """The total the batteries were told, and when."""

    def reset(self, output: float = 0.0) -> None:
        """Start over from an output."""


class Controller:
    """Zero export with batteries, and PV-surplus charging when a charger is given."""

    def __init__(
        self,
        settings: Settings,
        batteries: tuple[str, ...],
        *,
        charger: bool = False,
        meters: bool = False,
        loop: BatteryLoop | None = None,
    ) -> None:
        self.settings = settings
        self.steering = MeterSteering() if meters else None
        """Batteries that regulate on a meter we serve, steered by what it serves."""
        self.clock = SampleClock()
        self.loop: BatteryLoop = loop or LoadFollower(settings.tuning)
        self.surplus = SurplusCharger(settings.surplus) if charger else None
        self.gates = {name: SocGate() for name in batteries}
        self.pacers = {name: Pacer(1.0) for name in batteries}
        self.charger_pacer = Pacer(5.0)
        self.phases_pacer = Pacer(5.0)
        self.mode = Mode.SAFE
        self.reason = Reason.GRID_UNAVAILABLE
        self.error: float | None = None
        self.is_driven = False
        """The batteries are in the mode a loop may drive: set with each decision that switches it (the runner
        carries a decision out whole), reset when the runner reports a failed switch or a hand-back."""
        self._mode_changed_at: float | None = None
        self._good_since: float | None = None
        """Since when the grid data has been good (None: it is not)."""
        self._now = 0.0
        self._bias = 0.0

    # --- what the runner reports back ---------------------------------------------------------------

    def drive_failed(self) -> None:
        """Switching the batteries into the loop's mode failed: tried again after the mode interval."""
        self._set_driven(driven=False)

    def released(self) -> None:
        """Everything was handed back (switched off, unloaded, stopping)."""
        self._set_driven(driven=False)
        self.mode, self.reason, self.error = Mode.SAFE, Reason.GRID_UNAVAILABLE, None
        self._good_since = None
        self.loop.reset()
        self._stop_steering()

    def phases_refused(self, phases: int) -> None:
        """The charger's own guard kept these phases."""
        if self.surplus is not None:
            self.surplus.phases_refused(phases, self._now)

    @property
    def charging_phases(self) -> int:
        """The phases the car charges on now."""
        return self.surplus.phases if self.surplus is not None else 3

    @property
    def charging_current(self) -> float | None:
        """A per phase the charger was last told (None before anything)."""
        return self.charger_pacer.sent

    def sent(self) -> dict[str, float | None]:
        """The discharge each battery was last told, W."""
        return {name: pacer.sent for name, pacer in self.pacers.items()}

    @property
    def sensor_interval(self) -> float | None:
        """The grid sensor's typical interval, s (None until two values arrived)."""
        return self.clock.interval

    def configure(self, settings: Settings) -> None:
        """New settings (the user changed the priority); the loops keep their state."""
        self.settings = settings

    # --- what the caller tells it -------------------------------------------------------------------

    def measure(
        self, grid: float, now: float, batteries: dict[str, Battery], charger: Charger | None = None
    ) -> Decision:
        """A fresh grid measurement (W, > 0 drawn): the loop runs once on it."""
        self._now = now
        self.clock.arrived(now)
        interval = self.clock.interval
        if interval is not None and interval > SLOWEST_INTERVAL:
            return self._safe(now, Mode.REFUSED, Reason.SENSOR_TOO_SLOW)
        if self._good_since is None:
            self._good_since = now
        if self.mode is not Mode.CONTROLLING and not self._may_drive(now):
            return self._decision(now)  # good data, but not for long enough yet: still safe
        self._pace(batteries, charger)
        limits = self._gated_limits(batteries)
        charger_current = self._charge(grid, now, batteries, limits, charger)
        if charger_current:  # a charging car is fed by surplus only, never by the batteries
            limits = {name: replace(limit, discharge=0.0) for name, limit in limits.items()}
        low = -min(sum(limit.charge for limit in limits.values()), self.settings.maximum_charge)
        high = min(sum(limit.discharge for limit in limits.values()), self.settings.maximum_discharge)
        if self.mode is not Mode.CONTROLLING:
            self.loop.reset(self._in_effect())
        self.error = grid - self.settings.tuning.target
        band = deadband(self.settings.tuning, limits, self.error)
        wanted = self.loop.update(grid, now, self._timing(batteries, interval), low, high, band)
        total = in_steps(wanted, limits, low, high)
        shares = share(total, limits)
        self.loop.applied(sum(shares.values()))
        for name, value in shares.items():
            self.pacers[name].target = value
        self.mode, self.reason = Mode.CONTROLLING, self._holding_reason(total, low, high, limits, band)
        if self.steering is not None:
            self._bias = self.steering.update(grid, self.settings.tuning.target, now, trims=not self.pacers)
        return self._decision(now)

    def tick(self, now: float) -> Decision:
        """Between measurements: stale grid data makes it safe; what is due is sent."""
        self._now = now
        if self.mode is Mode.CONTROLLING and self.clock.stale(now):
            return self._safe(now, Mode.SAFE, Reason.GRID_STALE)
        return self._decision(now)

    def unavailable(self, now: float) -> Decision:
        """The grid sensor is unavailable: safe at once."""
        self._now = now
        self.clock.forget()
        return self._safe(now, Mode.SAFE, Reason.GRID_UNAVAILABLE)

    # --- inside -------------------------------------------------------------------------------------

    def _may_drive(self, now: float) -> bool:
        """After the safe state: good data for RESUME_AFTER, and the last mode change long enough ago."""
        assert self._good_since is not None
        if self._mode_changed_at is None and not self.is_driven:
            return True  # the first start: nothing was handed back yet
        settled = now - self._good_since >= RESUME_AFTER
        return settled and self._mode_interval_passed(now)

    def _set_driven(self, *, driven: bool) -> None:
        self.is_driven = driven
        self._mode_changed_at = self._now
        if not driven:
            for pacer in self.pacers.values():
                pacer.settle(0.0)  # in its own mode a battery is not written to: nothing is retried

    def _mode_interval_passed(self, now: float) -> bool:
        return self._mode_changed_at is None or now - self._mode_changed_at >= MODE_INTERVAL

    @staticmethod
    def _timing(batteries: dict[str, Battery], interval: float | None) -> Timing:
        response = max((b.response_delay for b in batteries.values()), default=2.0)
        writes = max((b.minimum_interval for b in batteries.values()), default=1.0)
        return Timing(response, writes, interval or 1.0)

    def _pace(self, batteries: dict[str, Battery], charger: Charger | None) -> None:
        for name, battery in batteries.items():
            self.pacers[name].minimum_interval = battery.minimum_interval
        if charger is not None:
            self.charger_pacer.minimum_interval = charger.minimum_interval
            self.phases_pacer.minimum_interval = charger.minimum_interval

    def _gated_limits(self, batteries: dict[str, Battery]) -> dict[str, BatteryLimits]:
        settings, limits = self.settings, {}
        for name, battery in batteries.items():
            gate = self.gates[name]
            gate.update(battery.soc, settings.minimum_soc, settings.maximum_soc)
            limit = battery.limits
            limits[name] = replace(
                limit,
                discharge=0.0 if gate.empty or battery.at_reserve else max(limit.discharge, 0.0),
                charge=0.0 if gate.full else max(limit.charge, 0.0),
            )
        return limits

    def _charge(
        self,
        grid: float,
        now: float,
        batteries: dict[str, Battery],
        limits: dict[str, BatteryLimits],
        charger: Charger | None,
    ) -> float:
        if self.surplus is None or charger is None:
            return 0.0
        surplus_loop = self.surplus
        estimated = surplus_loop.tuning.power(surplus_loop.current, surplus_loop.phases)
        car = charger.power if charger.power is not None else estimated
        charging = sum(max(0.0, -self._measured(name, battery)) for name, battery in batteries.items())
        if self.settings.priority is Priority.CAR:
            surplus = -grid + car + charging  # what the batteries charge with goes to the car first
        else:
            room = sum(limit.charge for limit in limits.values()) - charging
            surplus = -grid + car - max(room, 0.0)  # the car takes what the batteries cannot
        self.charger_pacer.target = surplus_loop.update(surplus, now)
        self.phases_pacer.target = float(surplus_loop.phases)
        return self.charger_pacer.target

    def _measured(self, name: str, battery: Battery) -> float:
        return battery.power if battery.power is not None else self.pacers[name].in_effect

    def _holding_reason(
        self, total: float, low: float, high: float, limits: dict[str, BatteryLimits], band: float
    ) -> Reason:
        assert self.error is not None
        if abs(self.error) <= band:
            return Reason.DEADBAND
        if self.error > 0 and all(self.gates[name].empty for name in limits) and limits:
            return Reason.BATTERIES_EMPTY
        if self.error < 0 and all(self.gates[name].full for name in limits) and limits:
            return Reason.BATTERIES_FULL
        if total in (low, high):
            return Reason.AT_LIMIT
        return Reason.NONE

    def _safe(self, now: float, mode: Mode, reason: Reason) -> Decision:
        """0 W at once to every battery still driven (not waiting for its interval); the hand-back after."""
        self.mode, self.reason, self.error = mode, reason, None
        self._good_since = None
        self.loop.reset()
        self._stop_steering()
        writes = {}
        if self.is_driven:
            writes = {
                name: value for name, p in self.pacers.items() if (value := p.now(0.0, now)) is not None
            }
        if self.surplus is not None:
            self.surplus.stop()
            self.charger_pacer.target = self.settings.fallback_current
        return self._decision(now, writes)

    def _stop_steering(self) -> None:
        """Safe or off: the served meters serve the grid as it is (their batteries regulate on their own)."""
        self._bias = 0.0
        if self.steering is not None:
            self.steering.reset()

    def _decision(self, now: float, forced: dict[str, float] | None = None) -> Decision:
        controlling = self.mode is Mode.CONTROLLING
        drive = None
        if controlling != self.is_driven and (not controlling or self._mode_interval_passed(now)):
            drive = controlling  # a hand-back is never held; driving again waits for the interval
        writes = forced or {}
        if controlling and (self.is_driven or drive):
            writes = {name: value for name, p in self.pacers.items() if (value := p.due(now)) is not None}
        if writes:
            self.loop.sent(now, self._in_effect())
        if drive is not None:
            self._set_driven(driven=drive)  # the runner carries a decision out whole, in order
        return Decision(
            mode=self.mode,
            reason=self.reason,
            writes=writes,
            charger_write=self.charger_pacer.due(now) if self.surplus is not None else None,
            total=self._in_effect(),
            error=self.error,
            charge_state=None if self.surplus is None else self.surplus.state,
            phases_write=self._phases_due(now),
            drive=drive,
            bias=None if self.steering is None else (self._bias if controlling else 0.0),
        )

    def _phases_due(self, now: float) -> int | None:
        if self.surplus is None or not self.surplus.tuning.switches_phases:
            return None
        if self.phases_pacer.sent is None and self.phases_pacer.target == self.surplus.tuning.phases:
            return None  # the charger starts on all its phases: nothing to switch
        due = self.phases_pacer.due(now)
        return None if due is None else int(due)

    def _in_effect(self) -> float:
        return sum(pacer.in_effect for pacer in self.pacers.values())
