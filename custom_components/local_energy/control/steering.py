"""Steering batteries that regulate on a meter we serve: what they read is shifted by a bias.

Such a battery holds what it reads at zero (or near it, where its own regulation leaves an offset). Served
the grid power plus a bias b, it settles where grid + b is its own zero: the grid at -b. So the bias starts
at -target, and where the battery's regulation leaves the grid off the target for good, a slow integral
trims it. The trim is slow beside the battery's own loop (tens of seconds against a few), so the two do
not fight; it is bounded, and it is dropped when the controller is safe or off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SteeringTuning:
    """How the bias is trimmed."""

    gain: float = 0.05
    """W of bias per W of lasting grid error, per second (a time constant of 20 s)."""
    deadband: float = 15.0
    """W of grid error left alone (a battery's own resolution and the meter's noise)."""
    limit: float = 1000.0
    """W the trim may reach at most, either way."""


class MeterSteering:
    """The bias to serve: -target, plus the trim of what the batteries' own regulation leaves."""

    def __init__(self, tuning: SteeringTuning | None = None) -> None:
        self.tuning = tuning or SteeringTuning()
        self.trim = 0.0
        self._last: float | None = None

    def update(self, grid: float, target: float, now: float, *, trims: bool) -> float:
        """A fresh grid value in; the bias out. trims: whether the lasting error is trimmed too."""
        elapsed = 0.0 if self._last is None else min(max(now - self._last, 0.0), 5.0)
        self._last = now
        error = grid - target
        if trims and abs(error) > self.tuning.deadband:
            limit = self.tuning.limit
            self.trim = min(max(self.trim + self.tuning.gain * error * elapsed, -limit), limit)
        return -target + self.trim

    def reset(self) -> None:
        """Safe or off: no bias, and the trim starts over."""
        self.trim, self._last = 0.0, None
