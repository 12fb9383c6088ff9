"""The reading a served meter shows: the source's newest, fresh for a while, with the controller's bias."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

DEFAULT_STALE_AFTER = 10.0
"""Seconds without a report after which nothing is served (the battery falls back to its own behaviour)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A grid meter's reading. Power is signed: > 0 drawn from the grid, < 0 fed in."""

    power: float
    """W, all phases together."""
    phases: tuple[float, float, float] | None = None
    """W per phase, when the source has them; else the power is shown on the first phase."""
    energy_in: float | None = None
    """kWh drawn from the grid, when the source counts it."""
    energy_out: float | None = None
    """kWh fed in."""
    voltage: float = 230.0
    """V per phase (the nominal voltage when the source has none)."""

    def finite(self) -> bool:
        """Whether every number is finite (a battery cannot read NaN or inf)."""
        numbers = (self.power, self.voltage, self.energy_in or 0.0, self.energy_out or 0.0, *self.per_phase())
        return all(math.isfinite(number) for number in numbers)

    def per_phase(self) -> tuple[float, float, float]:
        """W per phase: the source's, or all of it on the first phase."""
        return self.phases if self.phases is not None else (self.power, 0.0, 0.0)

    def biased(self, bias: float) -> Reading:
        """The reading with bias W added, spread over the phases as the power is."""
        if not bias:
            return self
        if self.phases is None:
            return replace(self, power=self.power + bias)
        share = bias / 3
        return replace(self, power=self.power + bias, phases=tuple(p + share for p in self.phases))  # type: ignore[arg-type]

    def shared(self, share: float) -> Reading:
        """The part of the power one of several batteries on this meter sees (the counters stay whole)."""
        if share == 1.0:
            return self
        phases = None if self.phases is None else tuple(p * share for p in self.phases)
        return replace(self, power=self.power * share, phases=phases)  # type: ignore[arg-type]


type FeedListener = Callable[[Reading], None]


class Feed:
    """The newest reading of the source; None while it is stale or unavailable."""

    def __init__(
        self, stale_after: float = DEFAULT_STALE_AFTER, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stale_after = stale_after
        self.bias = 0.0
        """W the controller adds to what is served, to steer a battery that regulates on it."""
        self._clock = clock
        self._reading: Reading | None = None
        self._at = 0.0
        self._listeners: list[FeedListener] = []

    def report(self, reading: Reading) -> None:
        """A reading of the source (a value re-reported unchanged counts as fresh); NaN or inf is none."""
        if not reading.finite():
            self.unavailable()
            return
        self._reading, self._at = reading, self._clock()
        if (served := self.current()) is not None:
            for listener in tuple(self._listeners):
                listener(served)

    def unavailable(self) -> None:
        """The source has no value: nothing is served until its next report."""
        self._reading = None

    def current(self) -> Reading | None:
        """What is served now: the newest reading with the bias, or None when there is none or it is stale."""
        if self._reading is None or self._clock() - self._at > self.stale_after:
            return None
        return self._reading.biased(self.bias)

    def add_listener(self, listener: FeedListener) -> Callable[[], None]:
        """Be told of each fresh reading (what is served); returns what removes the listener."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
