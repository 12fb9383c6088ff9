"""Energy from power: integrate signed power into separate import and export counters (kWh)."""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0


@dataclass
class EnergyIntegrator:
    """Trapezoidal integration of signed power samples.

    Power > 0 adds to import, < 0 to export; a segment that crosses zero is split at the crossing so the
    two counters stay exact. Samples further apart than max_gap seconds are not bridged: energy across a
    gap (device offline, Home Assistant paused) is unknown and is not invented. A sample that is not finite
    or beyond max_power is no sample: it interrupts the integration like a gap, so it cannot poison it.
    """

    max_gap: float = 30.0
    max_power: float = math.inf
    import_kwh: float = 0.0
    export_kwh: float = 0.0
    _last: tuple[float, float] | None = None

    def add(self, power_w: float, at: float) -> None:
        """Add a sample taken at a monotonic time in seconds."""
        if not (math.isfinite(power_w) and math.isfinite(at) and abs(power_w) <= self.max_power):
            self._last = None
            return
        last, self._last = self._last, (at, power_w)
        if last is None:
            return
        elapsed = at - last[0]
        if elapsed <= 0 or elapsed > self.max_gap:
            return
        positive, negative = _areas(last[1], power_w, elapsed)
        self.import_kwh += positive / SECONDS_PER_HOUR / 1000
        self.export_kwh += negative / SECONDS_PER_HOUR / 1000

    def interrupt(self) -> None:
        """Forget the last sample: the next one starts a new segment (no energy across the break)."""
        self._last = None


def _areas(start: float, end: float, seconds: float) -> tuple[float, float]:
    """Watt-seconds above and below zero under the straight line from start to end."""
    if start >= 0 and end >= 0:
        return (start + end) / 2 * seconds, 0.0
    if start <= 0 and end <= 0:
        return 0.0, -(start + end) / 2 * seconds
    crossing = seconds * start / (start - end)
    first, second = start / 2 * crossing, end / 2 * (seconds - crossing)
    return (first, -second) if start > 0 else (second, -first)
