"""PV-surplus charging of a car: start and stop thresholds with delays, as evcc does by default.

The charger starts once the surplus has been enough for its minimum current for ``start_delay`` (60 s),
then follows the surplus in whole amperes, holds its minimum current while the surplus is short, and
pauses (0 A) once it has been short for ``stop_delay`` (180 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class ChargeState(StrEnum):
    """Where the surplus charger is."""

    PAUSED = "paused"
    WAITING = "waiting"
    """Enough surplus, not yet for start_delay."""
    CHARGING = "charging"
    SHORT = "short"
    """Charging at the minimum current while the surplus is short, not yet for stop_delay."""


@dataclass(frozen=True, slots=True)
class SurplusTuning:
    """The charger's thresholds."""

    minimum_current: float = 6.0
    maximum_current: float = 16.0
    phases: int = 3
    voltage: float = 230.0
    start_delay: float = 60.0
    stop_delay: float = 180.0

    def power(self, amperes: float) -> float:
        """W a current draws on the charging phases."""
        return amperes * self.phases * self.voltage


class SurplusCharger:
    """The charging current for a surplus, one fresh measurement at a time."""

    def __init__(self, tuning: SurplusTuning) -> None:
        self.tuning = tuning
        self.state = ChargeState.PAUSED
        self._since: float | None = None
        self.current = 0.0

    def update(self, surplus: float, now: float) -> float:
        """The current (A) for the surplus (W the car may take: export plus what it already draws)."""
        tuning = self.tuning
        enough = surplus >= tuning.power(tuning.minimum_current)
        if self.state in (ChargeState.PAUSED, ChargeState.WAITING):
            self._wait_to_start(enough, now)
        elif enough:
            self.state, self._since = ChargeState.CHARGING, None
        elif self._since is None:
            self.state, self._since = ChargeState.SHORT, now
        elif now - self._since >= tuning.stop_delay:
            self.state, self._since = ChargeState.PAUSED, None
        self.current = self._current_for(surplus)
        return self.current

    def stop(self) -> None:
        """Pause now (the loop is off or safe)."""
        self.state, self._since, self.current = ChargeState.PAUSED, None, 0.0

    def _wait_to_start(self, enough: bool, now: float) -> None:
        if not enough:
            self.state, self._since = ChargeState.PAUSED, None
        elif self._since is None:
            self.state, self._since = ChargeState.WAITING, now
        elif now - self._since >= self.tuning.start_delay:
            self.state, self._since = ChargeState.CHARGING, None

    def _current_for(self, surplus: float) -> float:
        tuning = self.tuning
        if self.state in (ChargeState.PAUSED, ChargeState.WAITING):
            return 0.0
        if self.state is ChargeState.SHORT:
            return tuning.minimum_current
        amperes = math.floor(surplus / (tuning.phases * tuning.voltage))
        return float(min(max(amperes, tuning.minimum_current), tuning.maximum_current))
