"""Following a device that pushes: each push written at once, silence noticed and bridged."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN, LOGGER
from .devices.websocket import Link

if TYPE_CHECKING:
    from .coordinator import LocalEnergyCoordinator

PUSH_SPACING = 0.3
"""Seconds between two writes of pushed data at least: a faster burst is coalesced to its newest value, and
no push is held longer than this. A change after a quieter spell is written at once."""


class PushFollower:
    """The pushes of one device, for its coordinator.

    A push is written at once; only a burst faster than PUSH_SPACING is coalesced, always to the newest:
    the burst's first push after the spacing writes it, or a timer PUSH_SPACING after a held push arrived
    when none follows (a device pushing 7 times a second wakes the process only for its datagrams). A
    re-report of what is shown is no write and holds nothing back. A watchdog notices a device that
    falls silent: it is then read at the entry's interval when its family can be read another way, or
    shown unavailable, until it pushes again.
    """

    def __init__(self, coordinator: LocalEnergyCoordinator) -> None:
        self._coordinator = coordinator
        self._client = coordinator.client
        self._timing = coordinator.family.timing
        self._loop = coordinator.hass.loop
        self.silent = False
        """No push for the family's silent_after seconds."""
        self.pushes = 0
        self._due = False
        """A push arrived that is not written yet (the client holds it: latest())."""
        self._heard_at = 0.0
        self._last_write = -PUSH_SPACING
        self._watchdog: asyncio.TimerHandle | None = None
        self._pending: asyncio.TimerHandle | None = None

    async def async_start(self) -> None:
        """Subscribe to the client's pushes and link."""
        await self._client.start(self._on_push, self._on_link)
        self._arm_watchdog()

    def stop(self) -> None:
        """Stop the timers."""
        for timer in (self._pending, self._watchdog):
            if timer is not None:
                timer.cancel()
        self._pending = self._watchdog = None

    def read(self, pushes_before: int) -> None:
        """The device was read: a push from before the read is older than it, and never written after it."""
        if self.pushes == pushes_before:
            self._due = False

    @callback
    def _on_push(self) -> None:
        """The client holds a new push: written at once, or held at most PUSH_SPACING.

        While silent only a readable push is taken, and it ends the silence where pushes suffice.
        """
        if self.silent and self._client.latest() is None:
            return
        self._due = True
        self.pushes += 1
        if self.silent and self._client.link in (Link.UP, Link.NONE):
            self._on_voice()
        now = self._loop.time()
        if now >= self._last_write + PUSH_SPACING:
            self._write()
        elif self._pending is None:
            self._pending = self._loop.call_at(now + PUSH_SPACING, self._write)

    @callback
    def _write(self) -> None:
        if self._pending is not None:
            self._pending.cancel()  # a push after the spacing writes it: the timer need not wake anyone
            self._pending = None
        snapshot = self._client.latest() if self._due else None
        self._due = False
        if snapshot is None:
            return  # nothing readable: the watchdog is not re-armed, so a stream of bad pushes goes silent
        self._arm_watchdog()
        if self._coordinator.async_write_pushed(snapshot):
            # Only a change starts the spacing: a re-report of what is shown never holds the next change.
            self._last_write = self._loop.time()

    def _arm_watchdog(self) -> None:
        """Heard from the device: silent after silent_after seconds (one timer, moved on when it fires)."""
        self._heard_at = self._loop.time()
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(self._heard_at + self._timing.silent_after, self._on_watchdog)

    @callback
    def _on_watchdog(self) -> None:
        self._watchdog = None
        left = self._heard_at + self._timing.silent_after - self._loop.time()
        if left > 0:
            self._watchdog = self._loop.call_later(left, self._on_watchdog)
        else:
            self._on_silence()

    @callback
    def _on_link(self, link: Link) -> None:
        """The push connection went down: read the device another way at once (or show it unavailable)."""
        if link is Link.DOWN and not self.silent:
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None
            self._on_silence()

    @callback
    def _on_silence(self) -> None:
        """No push for silent_after seconds: read the device another way, or show it unavailable.

        A device whose push connection is up is only quiet (a plug whose power does not change).
        """
        if self.silent:
            return  # already read another way (or shown unavailable); pushes shown meanwhile re-arm this
        if self._client.link is Link.UP:
            # Quiet, not gone: what the connection holds is still the device's state, and energy
            # integrated from power needs a sample now and then.
            self._on_push()
            self._arm_watchdog()
            return
        self.silent = True
        coordinator = self._coordinator
        if self._timing.polls_when_silent:
            coordinator.async_read_while_silent()
            return
        coordinator.async_set_update_error(
            UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="silent",
                translation_placeholders={"seconds": f"{self._timing.silent_after:g}"},
            )
        )

    @callback
    def _on_voice(self) -> None:
        """Pushes again after a silence: reading stops, the watchdog watches again."""
        self.silent = False
        self._coordinator.polls.stop()
        LOGGER.info("%s pushes again", self._coordinator.name)
        self._arm_watchdog()
