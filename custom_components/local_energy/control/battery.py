"""Zero export with batteries: the loop that sets the total battery power, and the share of each battery.

The loop acts once per fresh grid measurement. Each grid value is the house's draw less what the batteries
deliver, so the total that brings the grid to the target is the total in effect plus the error: one step
does it (LoadFollower). Before the next step the last one must have shown in the grid, or the loop would
answer an error it has already answered: the grid moved at least half the change the other way, or the
loop's delay plus some patience passed (a load that changed meanwhile can hide it). A slow or lagging
sensor thus slows the loop; it never makes it hunt. PiLoop, the earlier integrating loop, stays for the
benchmark's comparison.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

SMALL_ERROR_SAMPLES = 3
"""A small error is answered by the mean of this many samples: the meter's noise is not followed."""
DRIFT_MEMORY = 15.0
"""Seconds without a small correction after which the house's draw is taken to drift no more."""
BIG_ERRORS = 4.0
"""An error beyond this many deadbands is a real change: answered at once, from one sample."""
SOC_HYSTERESIS = 2.0
"""Percent a battery must recover past a state-of-charge limit before it may go that way again."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """How the battery loop behaves."""

    target: float = 0.0
    """Grid power to hold, W: 0 is zero export; 300 keeps importing 300 W; -600 allows 600 W export."""
    deadband: float = 25.0
    """W around the target where nothing changes (meter noise)."""
    shown: float = 0.5
    """The share of a step the grid must have moved before the next step is taken."""
    patience: float = 3.0
    """Seconds beyond the loop's delay a step may take to show before the next is taken anyway."""
    slew: float = 1500.0
    """PiLoop: W per second the total setpoint may change at most."""
    proportional: float = 0.3
    """PiLoop: share of the error answered at once."""
    margin: float = 0.6
    """PiLoop: integral gain x loop delay, in radians."""


@dataclass(frozen=True, slots=True)
class BatteryLimits:
    """What one battery may do now, in discharge terms (W; > 0 feeds the house)."""

    discharge: float
    """The most it may discharge (its own bound and the user's), >= 0."""
    charge: float
    """The most it may charge, >= 0."""
    step: float = 1.0
    """The setpoint resolution of the device."""


@dataclass(frozen=True, slots=True)
class _Step:
    """The last change of the total: when, from which grid value, by how much, how long it may take."""

    at: float
    grid: float
    change: float
    shows_after: float
    """Seconds before it can show in the grid at the earliest (the battery's response)."""
    given_up_after: float
    """Seconds after which it is taken as shown whatever the grid did."""


class LoadFollower:
    """The total battery discharge that holds the grid at the target (W; < 0 charges), step by step."""

    def __init__(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self.output = 0.0
        self._step: _Step | None = None
        self._errors: deque[float] = deque(maxlen=SMALL_ERROR_SAMPLES)
        """The errors seen since the last step showed."""
        self._drift = 0.0
        """W/s the small corrections have followed lately: the house's draw drifting (PV rising)."""
        self._last_small: float | None = None
        self._last_correction = 0.0
        self._observed: float | None = None
        """Seconds the last big steps took to show in the grid (response, sensor interval and lag)."""
        self._grid = 0.0
        self._now = 0.0
        self._delays = (0.0, 0.0)

    def update(
        self, grid: float, now: float, delays: tuple[float, float], low: float, high: float, deadband: float
    ) -> float:
        """A fresh grid value in; the total to command out, within [low, high].

        delays: (seconds before a step can show at all, seconds around the whole loop).
        """
        self._grid, self._now, self._delays = grid, now, delays
        if self._waiting(grid, now):
            return min(max(self.output, low), high)
        error = grid - self.tuning.target
        self._errors.append(error)
        if abs(error) > BIG_ERRORS * deadband:
            return min(max(self.output + error, low), high)  # a load switched: answered at once
        # Small: perhaps the meter's noise, so the mean of the samples since the last step; and where the
        # house's draw drifts (PV rising), the drift until this step shows.
        mean = sum(self._errors) / len(self._errors)
        if abs(mean) <= deadband:
            return min(max(self.output, low), high)
        self._learn_drift(now, mean)
        return min(max(self.output + mean + self._drift * self.shows_after(delays[0]), low), high)

    def _learn_drift(self, now: float, correction: float) -> None:
        """Small corrections made one way, again and again, follow the house's draw drifting (W/s)."""
        last, self._last_small = self._last_small, now
        same_way = correction * self._last_correction > 0
        self._last_correction = correction
        if last is None or now - last > DRIFT_MEMORY or not same_way:
            self._drift = 0.0  # noise corrects both ways; a drift one way only
        elif now > last:
            self._drift = (self._drift + correction / (now - last)) / 2

    def applied(self, total: float) -> None:
        """What was really commanded (bounded, rounded): a change starts the wait for it to show."""
        change = total - self.output
        self.output = total
        if change:
            self._errors.clear()
            shows_after, loop_delay = self._delays
            given_up = loop_delay + self.tuning.patience
            self._step = _Step(self._now, self._grid, change, shows_after, given_up)

    def reset(self, output: float = 0.0) -> None:
        """Start over from an output (the loop was off or safe)."""
        self.output, self._step = output, None
        self._errors.clear()
        self._drift, self._last_small = 0.0, None

    def _waiting(self, grid: float, now: float) -> bool:
        """Whether the last step has still to show in the grid."""
        step = self._step
        if step is None:
            return False
        elapsed = now - step.at
        if elapsed < self.shows_after(step.shows_after):
            return True
        moved = (step.grid - grid) * math.copysign(1.0, step.change)  # more discharge: less from the grid
        if abs(step.change) <= BIG_ERRORS * self.tuning.deadband:
            self._step = None  # a small step is lost in noise and drift: it has shown once it can have
            return False
        if moved >= self.tuning.shown * abs(step.change):
            self._observed = elapsed if self._observed is None else (self._observed + elapsed) / 2
        elif elapsed < step.given_up_after:
            return True
        self._step = None
        return False

    def shows_after(self, declared: float) -> float:
        """Seconds before a step shows in the grid: as declared, or as the last big steps showed."""
        return max(declared, self._observed or 0.0)


class PiLoop:
    """The earlier loop: proportional and integral on the grid error, with a slew limit (W; < 0 charges)."""

    def __init__(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self._integral = 0.0
        self._proportional = 0.0
        self.output = 0.0
        self._last: float | None = None

    def update(
        self, grid: float, now: float, delays: tuple[float, float], low: float, high: float, deadband: float
    ) -> float:
        """One fresh grid measurement in; the new total discharge out, within [low, high] and the slew."""
        delay = delays[1]
        elapsed = 0.0 if self._last is None else min(max(now - self._last, 0.0), 3 * delay)
        self._last = now
        error = _outside_deadband(grid - self.tuning.target, deadband)
        kp, ki = self.tuning.proportional, self.tuning.margin / max(delay, 0.5)
        self._proportional = kp * error
        self._integral += ki * error * elapsed
        wanted = self._proportional + self._integral
        reach = self.tuning.slew * max(elapsed, 1.0)
        slewed = min(max(wanted, self.output - reach), self.output + reach)
        return min(max(slewed, low), high)

    def applied(self, total: float) -> None:
        """What was really commanded (bounded, rounded): the integral follows it (anti-windup)."""
        self.output = total
        self._integral = total - self._proportional

    def reset(self, output: float = 0.0) -> None:
        """Start over from an output (the loop was off or safe)."""
        self._integral, self._proportional, self.output, self._last = output, 0.0, output, None


def _outside_deadband(error: float, deadband: float) -> float:
    if abs(error) <= deadband:
        return 0.0
    return error - math.copysign(deadband, error)


def share(total: float, limits: dict[str, BatteryLimits]) -> dict[str, float]:
    """Split a total discharge among batteries by what each may do that way, rounded toward zero.

    Each takes its part of what they can do together, in its own steps; what the coarse ones cannot
    reach in their steps the finer ones add, the finest first, within their own room.
    """
    if total >= 0:
        available = {name: limit.discharge for name, limit in limits.items()}
    else:
        available = {name: limit.charge for name, limit in limits.items()}
    capacity = sum(available.values())
    if capacity <= 0 or total == 0:
        return dict.fromkeys(limits, 0.0)
    wanted = min(abs(total), capacity)
    parts = {
        name: _toward_zero(wanted * available[name] / capacity, lim.step) for name, lim in limits.items()
    }
    for name in sorted(limits, key=lambda name: limits[name].step):
        left = wanted - sum(parts.values())
        room = available[name] - parts[name]
        parts[name] += _toward_zero(max(min(left, room), 0.0), limits[name].step)
    return {name: math.copysign(part, total) if part else 0.0 for name, part in parts.items()}


def finest_step(limits: dict[str, BatteryLimits], discharge: bool) -> float:
    """The setpoint resolution of the finest battery that can act that way (0 when none can)."""
    steps = [limit.step for limit in limits.values() if (limit.discharge if discharge else limit.charge) > 0]
    return min(steps, default=0.0)


def deadband(tuning: Tuning, limits: dict[str, BatteryLimits], error: float) -> float:
    """The error left alone: the user's deadband, or half a step of the finest battery that can act.

    An error smaller than one step cannot be corrected (trying jumps between two steps), but a coarse
    battery beside a fine one does not widen it: the fine one trims.
    """
    return max(tuning.deadband, finest_step(limits, discharge=error > 0) / 2)


def in_steps(total: float, limits: dict[str, BatteryLimits], low: float, high: float) -> float:
    """A total the batteries can give in their steps: the nearest one, within [low, high].

    Nearest, not toward zero: a total between two steps would otherwise stay a step short for good.
    """
    step = finest_step(limits, discharge=total > 0)
    if step <= 0:
        return total
    nearest = round(total / step) * step
    return nearest if low <= nearest <= high else _toward_zero(abs(total), step) * math.copysign(1.0, total)


def _toward_zero(value: float, step: float) -> float:
    return math.floor(value / step) * step if step > 0 else value


class SocGate:
    """Whether a battery may still discharge or charge, by its state of charge, with a hysteresis."""

    def __init__(self) -> None:
        self.empty = False
        self.full = False

    def update(self, soc: float | None, minimum: float, maximum: float) -> None:
        """Follow a state of charge reading (None: unknown, nothing is allowed)."""
        if soc is None:
            self.empty = self.full = True
            return
        if soc <= minimum:
            self.empty = True
        elif soc >= minimum + SOC_HYSTERESIS:
            self.empty = False
        if soc >= maximum:
            self.full = True
        elif soc <= maximum - SOC_HYSTERESIS:
            self.full = False
