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
from dataclasses import dataclass, replace

SMALL_ERROR_SAMPLES = 3
"""A small error is answered by the mean of this many samples: the meter's noise is not followed."""
DRIFT_MEMORY = 15.0
"""Seconds of samples a drift of the house's draw (PV rising) is judged from."""
DRIFT_SAMPLES = 4
"""The fewest samples a drift is judged from."""
DRIFT_CERTAINTY = 1.5
"""Standard errors a drift must stand out of the samples' scatter before it is followed."""
BIG_ERRORS = 4.0
"""An error beyond this many deadbands is a real change: answered at once, from one sample."""
TRIM_HOLD = 1.5
"""Write intervals between two small corrections: a load that switches after a trim waits less for its
write slot (the device takes one write per interval), at the price of a coarser trim of a PV ramp."""
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
    seen: bool = False
    """Whether the grid has shown it (moved at least the share Tuning.shown of it)."""


@dataclass(frozen=True, slots=True)
class Timing:
    """How fast the loop around the batteries is, as the batteries and the sensor declare it (s)."""

    response: float
    """Before a setpoint is in effect (the slowest battery's declared response)."""
    writes: float
    """Between two setpoint writes at least."""
    interval: float
    """Between two grid values."""

    @property
    def loop(self) -> float:
        """Around the whole loop: a write, its response and the grid value that shows it."""
        return self.response + self.writes + self.interval


class LoadFollower:
    """The total battery discharge that holds the grid at the target (W; < 0 charges).

    Each grid value plus what the batteries gave when it was measured is the house's draw (less the
    target): the total to command. What they gave is what was sent, once it can have shown. A load that
    switched is answered from one value; small errors from the mean of the newest values, or where the
    draw drifts (PV rising) from the drift's line carried to the middle of the next hold. A big step is
    waited for until the grid shows it: a battery slower than it said must not be answered twice.
    """

    def __init__(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self.output = 0.0
        self._step: _Step | None = None
        self._sent: deque[tuple[float, float]] = deque(maxlen=8)
        """(When, total) of the last totals sent: what was in effect when a grid value was measured."""
        self._loads: deque[tuple[float, float]] = deque()
        """(When, the house's draw less the target) since the last big change: the drift's samples."""
        self._drift_before = 0.0
        """W/s the draw drifted before the last load switched: followed until there are samples again."""
        self._observed: float | None = None
        """Seconds the last big steps took to show in the grid (response, sensor interval and lag)."""
        self._grid = 0.0
        self._timing = Timing(0.0, 0.0, 1.0)

    def update(
        self, grid: float, now: float, timing: Timing, low: float, high: float, deadband: float
    ) -> float:
        """A fresh grid value in; the total to command out, within [low, high]."""
        self._grid, self._timing = grid, timing
        error = grid - self.tuning.target
        load = error + self._in_effect(now)
        big = abs(error) > BIG_ERRORS * deadband
        if big or self._shifted(now, load, deadband):
            # A load switched: the draw before it tells nothing of the level after, but PV drifts on.
            self._drift_before = trend(self._loads, self._drift_before)[1]
            self._loads.clear()
        if not self._waiting_big():
            self._loads.append((now, load))
            while now - self._loads[0][0] > DRIFT_MEMORY:
                self._loads.popleft()
        if self._waiting(grid, now):
            return min(max(self.output, low), high)
        if big:
            return min(max(load, low), high)
        if self._sent and now - self._sent[-1][0] < TRIM_HOLD * timing.writes:
            return min(max(self.output, low), high)  # a trim holds: the next write slot stays free longer
        wanted, drift = self._expected_load(timing)
        if abs(wanted - self.output) <= (deadband / 2 if abs(drift) > deadband / 2 else deadband):
            return min(max(self.output, low), high)
        return min(max(wanted, low), high)

    def _shifted(self, now: float, load: float, deadband: float) -> bool:
        """Whether the draw jumped off its line by more than half a big error (a load switched)."""
        if len(self._loads) < SMALL_ERROR_SAMPLES:
            return False
        level, slope = trend(self._loads, self._drift_before)
        return abs(load - level - slope * (now - self._loads[-1][0])) > BIG_ERRORS * deadband * 3 / 4

    def applied(self, total: float) -> None:
        """What is to be commanded (bounded, rounded)."""
        self.output = total

    def sent(self, at: float, total: float) -> None:
        """The total the batteries were told at second at: a big change is waited for until it shows."""
        change = total - (self._sent[-1][1] if self._sent else 0.0)
        self._sent.append((at, total))
        if abs(change) > BIG_ERRORS * self.tuning.deadband:
            given_up = self._timing.loop + self.tuning.patience
            self._step = _Step(at, self._grid, change, self._timing.response, given_up)

    def reset(self, output: float = 0.0) -> None:
        """Start over from an output (the loop was off or safe)."""
        self.output, self._step = output, None
        self._sent.clear()
        self._sent.append((-math.inf, output))
        self._loads.clear()
        self._drift_before = 0.0

    def _in_effect(self, now: float) -> float:
        """The total that a grid value measured now shows: the last one sent long enough ago."""
        shown = now - self.seen_after(self._timing.response)
        earlier = [total for when, total in self._sent if when <= shown]
        if earlier:
            return earlier[-1]
        return self._sent[0][1] if self._sent else 0.0

    def _expected_load(self, timing: Timing) -> tuple[float, float]:
        """The house's draw less the target in the middle of the hold a change now starts; the drift in it.

        Without a clear drift, the mean of the newest values (the meter's noise is not followed); with one,
        the drift's line carried past the delay until a change shows, and half a write interval.
        """
        if not self._loads:
            return self.output, 0.0
        level, slope = trend(self._loads, self._drift_before)
        hold = TRIM_HOLD * timing.writes
        ahead = max(self.seen_after(timing.response) - timing.interval / 2, 0.0) + hold / 2
        return level + slope * ahead, slope * ahead

    def _waiting_big(self) -> bool:
        """Whether a big step is on its way: the grid values meanwhile mix the draw before and after."""
        return self._step is not None and not self._step.seen

    def _waiting(self, grid: float, now: float) -> bool:
        """Whether the last big step has still to show in the grid (or the declared response pass)."""
        step = self._step
        if step is None:
            return False
        elapsed = now - step.at
        moved = (step.grid - grid) * math.copysign(1.0, step.change)  # more discharge: less from the grid
        if not step.seen and moved >= self.tuning.shown * abs(step.change):
            self._observed = elapsed if self._observed is None else (self._observed + elapsed) / 2
            step = self._step = replace(step, seen=True)
        if elapsed < self.shows_after(step.shows_after) or not (step.seen or elapsed >= step.given_up_after):
            return True
        self._step = None
        return False

    def shows_after(self, declared: float) -> float:
        """Seconds to wait for a step to show in the grid: as declared, or as the last big steps showed."""
        return max(declared, self._observed or 0.0)

    def seen_after(self, declared: float) -> float:
        """Seconds after which a grid value shows a change: as the last big steps showed, or as declared."""
        return declared if self._observed is None else self._observed


def trend(samples: deque[tuple[float, float]], fewer: float = 0.0) -> tuple[float, float]:
    """The house's value now (at the last sample) through (time, value) samples, and its drift (W/s).

    The slope of the least-squares line, shrunk by how little it stands out of the samples' scatter (to 0
    within DRIFT_CERTAINTY standard errors: noise is not a drift, and a slope barely out of the noise is
    most likely too steep); with fewer than DRIFT_SAMPLES samples, the drift given. The value now is the
    mean of the newest samples carried along that slope.
    """
    if not samples:
        return 0.0, fewer
    slope = _drift(samples) if len(samples) >= DRIFT_SAMPLES else fewer
    last = samples[-1][0]
    newest = list(samples)[-SMALL_ERROR_SAMPLES:]
    return sum(value + slope * (last - t) for t, value in newest) / len(newest), slope


def _drift(samples: deque[tuple[float, float]]) -> float:
    count = len(samples)
    mean_t = sum(t for t, _ in samples) / count
    mean_v = sum(v for _, v in samples) / count
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread <= 0:
        return 0.0
    slope = sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread
    scatter = sum((v - mean_v - slope * (t - mean_t)) ** 2 for t, v in samples) / (count - 2)
    doubt = DRIFT_CERTAINTY * math.sqrt(scatter / spread)
    return 0.0 if abs(slope) <= doubt else slope * (1.0 - (doubt / slope) ** 2)


class PiLoop:
    """The earlier loop: proportional and integral on the grid error, with a slew limit (W; < 0 charges)."""

    def __init__(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self._integral = 0.0
        self._proportional = 0.0
        self.output = 0.0
        self._last: float | None = None

    def update(
        self, grid: float, now: float, timing: Timing, low: float, high: float, deadband: float
    ) -> float:
        """One fresh grid measurement in; the new total discharge out, within [low, high] and the slew."""
        delay = timing.loop
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

    def sent(self, at: float, total: float) -> None:
        """The total the batteries were told: the integral already follows what was commanded."""

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
