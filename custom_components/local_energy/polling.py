"""Polling a device on a grid every entry shares: polls that fall due together go out in one wake-up.

Home Assistant's coordinators each poll at an offset of their own in the second, so a hundred devices wake
the process a hundred times a second, and each wake-up costs more than the poll's own work (measured: a
bare wake-up of an idle event loop costs about 140 µs of CPU on a virtual 2-core machine, 10 µs when 50
share one). Here the polls of every entry with the same interval and slot go out at the same instant. The
slots (a few moments of each second) keep each burst short, so the loop stays responsive.
"""

from __future__ import annotations

import math
import zlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HassJob, callback
from homeassistant.helpers.event import RANDOM_MICROSECOND_MAX, RANDOM_MICROSECOND_MIN, async_call_at
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import LocalEnergyCoordinator

POLLS_PER_INSTANT = 5
"""About how many entries share an instant: their burst keeps the loop's lag under 5 ms here."""
MINIMUM_SLOTS = 8
"""Moments of the second the polls are spread over at least (more as entries are added)."""
FIRST_POLL_EARLY = 1.0
"""How much sooner than an interval after a read the first poll may come (Home Assistant's own: 0.95 s)."""
_FIRST_SLOT = RANDOM_MICROSECOND_MIN / 1_000_000
_WINDOW = (RANDOM_MICROSECOND_MAX - RANDOM_MICROSECOND_MIN) / 1_000_000


class PollGrid:
    """The polled entries of one Home Assistant, and the moment of the second each is polled at."""

    def __init__(self) -> None:
        self.entries: set[str] = set()

    @property
    def slots(self) -> int:
        """Moments of the second in use: enough for about POLLS_PER_INSTANT entries at each."""
        return max(MINIMUM_SLOTS, math.ceil(len(self.entries) / POLLS_PER_INSTANT))

    def slot_of(self, entry_id: str) -> float:
        """The entry's moment in the second, the same in every run with as many entries.

        0.05 to 0.5 s past a second, where Home Assistant's own coordinators poll (its tests expect it).
        """
        slots = self.slots
        return _FIRST_SLOT + (zlib.crc32(entry_id.encode()) % slots) * _WINDOW / slots


DATA_POLL_GRID: HassKey[PollGrid] = HassKey(f"{DOMAIN}_poll_grid")


def next_poll(now: float, interval: float, slot: float) -> float:
    """The first instant after now on the entry's grid: a whole number of intervals, plus its slot.

    Entries with the same interval and slot get the same instant (the same float), whenever they ask.
    """
    return (math.floor((now - slot) / interval) + 1) * interval + slot


class PollTimer:
    """Reads one coordinator's device every interval, on the shared grid, while it is started."""

    def __init__(self, coordinator: LocalEnergyCoordinator, interval: timedelta) -> None:
        self.interval = interval
        self._coordinator = coordinator
        self._entry_id = coordinator.config_entry.entry_id
        self._grid = coordinator.hass.data.setdefault(DATA_POLL_GRID, PollGrid())
        self._job = HassJob(self._on_time, f"{coordinator.name} poll", cancel_on_shutdown=True)
        self._timer: CALLBACK_TYPE | None = None
        self.running = False
        self.due: float | None = None
        """The loop time of the next poll (None: none is scheduled)."""

    @property
    def every(self) -> timedelta | None:
        """How often the device is read now (None: not polled, it is followed by push)."""
        return self.interval if self.running else None

    @callback
    def start(self) -> None:
        """Poll on the grid from about an interval on (a no-op while running).

        Polling starts right after a read (setup's, or the one a silence begins with), so the first poll
        waits at least an interval less one second, as Home Assistant's own first poll: a device that allows
        one request per interval would refuse a sooner one.
        """
        if not self.running:
            self.running = True
            self._grid.entries.add(self._entry_id)
            self._schedule(self.interval.total_seconds() - FIRST_POLL_EARLY)

    @callback
    def stop(self) -> None:
        """Poll no more (a poll under way finishes)."""
        self.running = False
        self._grid.entries.discard(self._entry_id)
        if self._timer is not None:
            self._timer()
        self._timer = self.due = None

    def _schedule(self, wait: float = 0.0) -> None:
        hass = self._coordinator.hass
        slot = self._grid.slot_of(self._entry_id)
        self.due = next_poll(hass.loop.time() + max(wait, 0.0), self.interval.total_seconds(), slot)
        self._timer = async_call_at(hass, self._job, self.due)

    @callback
    def _on_time(self, _now: datetime) -> None:
        self._timer = self.due = None
        coordinator = self._coordinator
        coordinator.config_entry.async_create_background_task(
            coordinator.hass, self._poll(), f"{coordinator.name} poll"
        )

    async def _poll(self) -> None:
        await self._coordinator.async_refresh()
        # The next instant on the grid, an interval after this one's. Not when stopped meanwhile, nor when
        # stopped and started again (start scheduled it then: a second chain of polls would follow).
        if self.running and self._timer is None:
            self._schedule()
