"""PV-surplus charging of a car: start and stop thresholds with delays, as evcc does by default.

The charger starts once the surplus has been enough for its minimum current for ``start_delay`` (60 s),
then follows the surplus in whole amperes, holds its minimum current while the surplus is short, and
pauses (0 A) once it has been short for ``stop_delay`` (180 s). A charger that can switch phases charges
on one phase when the surplus is enough for one but not for three (switched after the same delays), and
never switches again within ``phase_hold`` (the charger's own guard, 10 minutes on the Pico).
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
    """The phases it charges on when it cannot switch, and the most it uses when it can."""
    switches_phases: bool = False
    voltage: float = 230.0
    start_delay: float = 60.0
    stop_delay: float = 180.0
    phase_hold: float = 600.0
    """Seconds between two phase switches at least."""

    def power(self, amperes: float, phases: int | None = None) -> float:
        """W a current draws on the charging phases."""
        return amperes * (phases or self.phases) * self.voltage


class SurplusCharger:
    """The charging current (and phases) for a surplus, one fresh measurement at a time."""

    def __init__(self, tuning: SurplusTuning) -> None:
        self.tuning = tuning
        self.state = ChargeState.PAUSED
        self.phases = tuning.phases
        self.current = 0.0
        self._since: float | None = None
        self._phase_since: float | None = None
        self._switched: float | None = None

    def update(self, surplus: float, now: float) -> float:
        """The current (A per phase) for the surplus (W the car may take: export plus what it draws)."""
        if self.state in (ChargeState.PAUSED, ChargeState.WAITING):
            self._wait_to_start(surplus, now)
        else:
            self._follow(surplus, now)
        self.current = self._current_for(surplus)
        return self.current

    def stop(self) -> None:
        """Pause now (the loop is off or safe)."""
        self.state, self._since, self._phase_since, self.current = ChargeState.PAUSED, None, None, 0.0

    def phases_refused(self, phases: int, now: float) -> None:
        """The charger kept these phases (its own guard refused the switch): hold them from now."""
        self.phases, self._switched = phases, now

    def _enough(self, surplus: float, phases: int) -> bool:
        return surplus >= self.tuning.power(self.tuning.minimum_current, phases)

    def _wait_to_start(self, surplus: float, now: float) -> None:
        tuning = self.tuning
        phases = tuning.phases if self._enough(surplus, tuning.phases) else 1
        if not self._enough(surplus, phases) or (phases == 1 and not tuning.switches_phases):
            self.state, self._since = ChargeState.PAUSED, None
        elif self._since is None:
            self.state, self._since = ChargeState.WAITING, now
        elif now - self._since >= tuning.start_delay:
            if phases != self.phases:
                if not self._may_switch(now):
                    return  # enough only on other phases, and the charger may not switch yet
                self._switch(phases, now)
            self.state, self._since = ChargeState.CHARGING, None

    def _follow(self, surplus: float, now: float) -> None:
        tuning = self.tuning
        if self._enough(surplus, self.phases):
            self.state, self._since = ChargeState.CHARGING, None
            self._maybe_more_phases(surplus, now)
            return
        if tuning.switches_phases and self.phases > 1 and self._enough(surplus, 1):
            self._maybe_fewer_phases(now)
            return
        if self._since is None:
            self.state, self._since = ChargeState.SHORT, now
        elif now - self._since >= tuning.stop_delay:
            self.state, self._since = ChargeState.PAUSED, None

    def _maybe_more_phases(self, surplus: float, now: float) -> None:
        tuning = self.tuning
        if (
            not tuning.switches_phases
            or self.phases >= tuning.phases
            or not self._enough(surplus, tuning.phases)
        ):
            self._phase_since = None
            return
        self._phase_since = self._phase_since if self._phase_since is not None else now
        if now - self._phase_since >= tuning.start_delay and self._may_switch(now):
            self._switch(tuning.phases, now)

    def _maybe_fewer_phases(self, now: float) -> None:
        """Enough for one phase, not for all: short on these, then one phase (when the guard allows)."""
        self.state = ChargeState.SHORT
        self._since = self._since if self._since is not None else now
        if now - self._since >= self.tuning.stop_delay and self._may_switch(now):
            self._switch(1, now)
            self.state, self._since = ChargeState.CHARGING, None

    def _may_switch(self, now: float) -> bool:
        return self._switched is None or now - self._switched >= self.tuning.phase_hold

    def _switch(self, phases: int, now: float) -> None:
        self.phases, self._switched, self._phase_since = phases, now, None

    def _current_for(self, surplus: float) -> float:
        tuning = self.tuning
        if self.state in (ChargeState.PAUSED, ChargeState.WAITING):
            return 0.0
        if self.state is ChargeState.SHORT:
            return tuning.minimum_current
        amperes = math.floor(surplus / (self.phases * tuning.voltage))
        return float(min(max(amperes, tuning.minimum_current), tuning.maximum_current))
