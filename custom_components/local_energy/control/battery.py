"""Zero export with batteries: a PI loop on the grid power, and the share of each battery.

The loop runs once per fresh grid measurement, never on a value it has already used, so a sensor that
updates every 30 s is acted on every 30 s, not integrated 30 times. Its gains follow the delay around
the loop: the battery's response plus the sensor's own interval. The integral gain is chosen so that
Ki x delay stays at ``margin`` radians (a phase margin of about 55 degrees for a delayed unity plant), so
a slow sensor lowers the gain instead of making the loop hunt; the proportional part stays below 1,
which keeps it stable under any delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SOC_HYSTERESIS = 2.0
"""Percent a battery must recover past a state-of-charge limit before it may go that way again."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """How the battery loop behaves."""

    target: float = 0.0
    """Grid power to hold, W: 0 is zero export; 300 keeps importing 300 W; -600 allows 600 W export."""
    deadband: float = 25.0
    """W around the target where nothing changes (meter noise)."""
    slew: float = 1500.0
    """W per second the total setpoint may change at most."""
    proportional: float = 0.3
    """Share of the error answered at once."""
    margin: float = 0.6
    """Integral gain x loop delay, in radians."""


@dataclass(frozen=True, slots=True)
class BatteryLimits:
    """What one battery may do now, in discharge terms (W; > 0 feeds the house)."""

    discharge: float
    """The most it may discharge (its own bound and the user's), >= 0."""
    charge: float
    """The most it may charge, >= 0."""
    step: float = 1.0
    """The setpoint resolution of the device."""


class PiLoop:
    """The total battery discharge that holds the grid at the target (W; < 0 charges)."""

    def __init__(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self._integral = 0.0
        self._proportional = 0.0
        self.output = 0.0
        self._last: float | None = None

    def gains(self, delay: float) -> tuple[float, float]:
        """(Kp, Ki in 1/s) for a loop delay in seconds."""
        return self.tuning.proportional, self.tuning.margin / max(delay, 0.5)

    def deadband(self, resolution: float) -> float:
        """The deadband for a setpoint resolution: at least half a step.

        An error smaller than one step cannot be corrected, and trying makes the loop jump between two steps.
        """
        return max(self.tuning.deadband, resolution / 2)

    def update(
        self, grid: float, now: float, delay: float, low: float, high: float, resolution: float = 0.0
    ) -> float:
        """One fresh grid measurement in; the new total discharge out, within [low, high] and the slew."""
        elapsed = 0.0 if self._last is None else min(max(now - self._last, 0.0), 3 * delay)
        self._last = now
        error = _outside_deadband(grid - self.tuning.target, self.deadband(resolution))
        kp, ki = self.gains(delay)
        self._proportional = kp * error
        self._integral += ki * error * elapsed
        wanted = self._proportional + self._integral
        reach = self.tuning.slew * max(elapsed, 1.0)
        slewed = min(max(wanted, self.output - reach), self.output + reach)
        bounded = min(max(slewed, low), high)
        self.applied(bounded)
        return bounded

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
    """Split a total discharge among batteries by what each may do that way, rounded toward zero."""
    if total >= 0:
        available = {name: limit.discharge for name, limit in limits.items()}
    else:
        available = {name: limit.charge for name, limit in limits.items()}
    capacity = sum(available.values())
    if capacity <= 0 or total == 0:
        return dict.fromkeys(limits, 0.0)
    wanted = min(abs(total), capacity)
    shares = {}
    for name, limit in limits.items():
        part = wanted * available[name] / capacity
        shares[name] = math.copysign(_toward_zero(part, limit.step), total)
    return shares


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
