"""How often a measurement arrives, and whether the newest one is still fresh enough to act on."""

from __future__ import annotations

import statistics
from collections import deque

STALE_AFTER_INTERVALS = 3.0
"""A measurement older than this many of its own intervals is stale: the loops go to their safe state."""
MINIMUM_INTERVAL = 1.0
"""Intervals are taken as at least a second (several updates in one instant are one measurement)."""


class SampleClock:
    """The arrival times of one measurement: its typical interval (the median of the recent ones) and age."""

    def __init__(self, window: int = 15) -> None:
        self._intervals: deque[float] = deque(maxlen=window)
        self.last: float | None = None

    def arrived(self, now: float) -> None:
        """A measurement arrived (a new value, or the same value reported again)."""
        if self.last is not None and now > self.last:
            self._intervals.append(now - self.last)
        self.last = now

    @property
    def interval(self) -> float | None:
        """The typical time between two measurements (None until two arrived)."""
        if not self._intervals:
            return None
        return max(statistics.median(self._intervals), MINIMUM_INTERVAL)

    def age(self, now: float) -> float | None:
        """Seconds since the newest measurement (None before the first)."""
        return None if self.last is None else now - self.last

    def stale(self, now: float) -> bool:
        """No measurement yet, or the newest is older than three of its intervals."""
        age = self.age(now)
        interval = self.interval or MINIMUM_INTERVAL
        return age is None or age > STALE_AFTER_INTERVALS * interval

    def forget(self) -> None:
        """Start over (the sensor went unavailable)."""
        self._intervals.clear()
        self.last = None
