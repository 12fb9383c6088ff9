"""One coordinator for every family: it polls, or takes pushed data and writes it at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_COUNTER_OFFSETS,
    CONF_EVERY_VALUE_FAST,
    CONF_INVERT,
    CONF_INVERTED_BEFORE,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .devices.client import DeviceClient
from .devices.errors import DeviceError
from .devices.family import Family
from .devices.invert import apply_offsets, invert_snapshot, offsets_after_invert_change
from .devices.keys import Key
from .devices.snapshot import DeviceIdentity, Snapshot, Value
from .devices.websocket import Link
from .issues import async_clear_errors, async_failure, async_sync_notices

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .controller.runtime import ControllerRuntime
    from .emulated_meter import EmulatedMeterRuntime


@dataclass(frozen=True, slots=True)
class LocalEnergyData:
    """What an entry runs: a device's coordinator, a controller, or a served meter (one of them)."""

    coordinator: LocalEnergyCoordinator | None = None
    controller: ControllerRuntime | None = None
    served_meter: EmulatedMeterRuntime | None = None


type LocalEnergyConfigEntry = ConfigEntry[LocalEnergyData]


@dataclass(frozen=True, slots=True)
class ValueContext:
    """An entity's listener context: it is called only when its own value (or availability) changes."""

    channel_id: str
    key: Key


MIN_POLL_SECONDS = 1.0
PUSH_SPACING = 0.3
"""Seconds between two writes of pushed data at least: a faster burst is coalesced to its newest value,
written this long after the last write at the latest. A change after a quieter spell is written at once."""


class LocalEnergyCoordinator(DataUpdateCoordinator[Snapshot]):
    """Keeps the snapshot of one device fresh.

    Polled devices are asked every interval. Push devices hand over their snapshots as they arrive and
    are not polled: a change is written at once, and only a burst faster than PUSH_SPACING is coalesced,
    always to the newest. A re-report of what is shown is no write and holds nothing back. A watchdog
    notices a push device that falls silent: it is then polled at the interval when its family can be
    read another way, or made unavailable.
    """

    config_entry: LocalEnergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: LocalEnergyConfigEntry,
        family: Family[Any],
        client: DeviceClient,
        identity: DeviceIdentity,
    ) -> None:
        self.family = family
        self.client = client
        self.identity = identity
        self.invert = bool(entry.options.get(CONF_INVERT, False))
        self.every_value_fast = bool(entry.options.get(CONF_EVERY_VALUE_FAST, False))
        """Show every change at once, not only power, current and states."""
        self.counter_offsets: dict[str, float] = dict(entry.options.get(CONF_COUNTER_OFFSETS, {}))
        self._inverted_before: bool | None = entry.options.get(CONF_INVERTED_BEFORE)
        self.raw: Snapshot | None = None
        """The latest checked snapshot as the device reported it (before invert and offsets)."""
        chosen = float(entry.options.get(CONF_UPDATE_INTERVAL, family.timing.default_interval))
        interval = max(chosen, family.timing.minimum_interval)  # a value stored under an older minimum
        # Nothing is polled faster than once a second: devices reach their own rate by push.
        self._poll_interval = timedelta(seconds=max(interval, MIN_POLL_SECONDS))
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {family.id} {identity.serial}",
            update_interval=None if client.pushes else self._poll_interval,
            always_update=False,
        )
        self._watchdog: asyncio.TimerHandle | None = None
        self._heard_at = 0.0
        self.silent = False
        """A push device that has not pushed for its family's silent_after seconds."""
        self._last_push_write = -PUSH_SPACING
        self._pending_push: asyncio.TimerHandle | None = None
        self._push_due = False
        """A push arrived that is not written yet (the client holds it: latest())."""
        self._report_listeners: list[Callable[[], None]] = []
        self._pushes = 0
        self._error_issue_raised = False
        self._notices: frozenset[str] = frozenset()
        self._shut_down = False
        self._value_listeners: dict[str, dict[Key, list[CALLBACK_TYPE]]] = {}
        """Per channel and key, the listeners told only when that value changes."""
        self._notified: tuple[Snapshot | None, bool] = (None, True)
        """The snapshot and success the value listeners were last told of."""

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE, context: Any = None) -> Callable[[], None]:
        """Listen for updates: to every one, or with a ValueContext only to those that change that value."""
        if not isinstance(context, ValueContext):
            return super().async_add_listener(update_callback, context)
        listeners = self._value_listeners.setdefault(context.channel_id, {}).setdefault(context.key, [])
        listeners.append(update_callback)
        return lambda: listeners.remove(update_callback)

    @callback
    def async_update_listeners(self) -> None:
        """Tell every listener, and the value listeners of the values that changed."""
        super().async_update_listeners()
        for listener in self._changed_value_listeners():
            listener()

    def _changed_value_listeners(self) -> list[CALLBACK_TYPE]:
        before, success_before = self._notified
        snapshot, success = self.data, self.last_update_success
        self._notified = (snapshot, success)
        if before is None or snapshot is None or success != success_before:
            return [
                listener
                for by_key in self._value_listeners.values()
                for listeners in by_key.values()
                for listener in listeners
            ]
        changed: list[CALLBACK_TYPE] = []
        for channel_id, by_key in self._value_listeners.items():
            values_before, values_now = _values(before, channel_id), _values(snapshot, channel_id)
            if values_now == values_before:
                continue  # the common case: one comparison for the whole channel
            for key, listeners in by_key.items():
                if values_now.get(key) != values_before.get(key):
                    changed.extend(listeners)
        return changed

    async def async_start_push(self) -> None:
        """Subscribe a push client to its data; no-op for polled devices."""
        if self.client.pushes:
            await self.client.start(self._on_push, self._on_link)
            self._arm_watchdog()

    @callback
    def async_shutdown_on_stop(self) -> None:
        """Shut down when Home Assistant stops, as well as on unload.

        Entries are not unloaded at a stop: a socket kept open would run on until the HTTP session closes
        under it, and be read again over that closed session.
        """
        # Not a once-listener: one that has run is gone, and removing it again on unload logs an error.
        self.config_entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._on_home_assistant_stop)
        )

    async def _on_home_assistant_stop(self, _event: Event) -> None:
        await self.async_shutdown()

    async def async_shutdown(self) -> None:
        """Stop timers and release the client's sockets (once: at a stop, or on unload)."""
        if self._shut_down:
            return
        self._shut_down = True
        for timer in (self._pending_push, self._watchdog):
            if timer is not None:
                timer.cancel()
        self._pending_push = self._watchdog = None
        await super().async_shutdown()
        await self.client.close()

    async def _async_update_data(self) -> Snapshot:
        pushes_before = self._pushes
        try:
            snapshot = await self.client.read()
        except DeviceError as err:
            raise self._failure(err) from err
        if self._pushes == pushes_before:
            self._push_due = False  # what was pushed before this read is older: never written after it
        presented = self._presented(snapshot)
        if presented == self.data and self.last_update_success:
            self._report_unchanged()  # the entities are not updated for it: those that report, do
        return presented

    @callback
    def async_add_report_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Be called for each reading that changes nothing (the entities are updated for the others)."""
        self._report_listeners.append(listener)
        return lambda: self._report_listeners.remove(listener)

    def _report_unchanged(self) -> None:
        for listener in tuple(self._report_listeners):
            listener()

    def _failure(self, err: DeviceError) -> Exception:
        self._error_issue_raised = True  # cleared (with any issue it raised) by the next snapshot
        return async_failure(self.hass, self.config_entry, err, UpdateFailed)

    def _presented(self, snapshot: Snapshot) -> Snapshot:
        """What Home Assistant shows: the sign option applied, counters continued across its changes.

        A snapshot also means the device answers: error issues go, and its notices are brought up to date.
        """
        if self._error_issue_raised:
            self._error_issue_raised = False
            async_clear_errors(self.hass, self.config_entry)
        self._notices = async_sync_notices(self.hass, self.config_entry, self.client.notices(), self._notices)
        self.raw = snapshot
        if (inverted_before := self._inverted_before) is not None:
            self._continue_counters(snapshot, inverted_before)
        shown = invert_snapshot(snapshot) if self.invert else snapshot
        return apply_offsets(shown, self.counter_offsets)

    def _continue_counters(self, raw: Snapshot, inverted_before: bool) -> None:
        """The first reading after the invert option changed: make and keep the counters' offsets."""
        self.counter_offsets = offsets_after_invert_change(
            raw, inverted_before=inverted_before, invert=self.invert, offsets=self.counter_offsets
        )
        self._inverted_before = None
        entry = self.config_entry
        options = {key: value for key, value in entry.options.items() if key != CONF_INVERTED_BEFORE}
        self.hass.config_entries.async_update_entry(
            entry, options={**options, CONF_COUNTER_OFFSETS: self.counter_offsets}
        )

    def _arm_watchdog(self) -> None:
        """Heard from the device: silent after silent_after seconds (one timer, moved on when it fires)."""
        self._heard_at = self.hass.loop.time()
        if self._watchdog is None:
            self._watchdog = self.hass.loop.call_at(
                self._heard_at + self.family.timing.silent_after, self._on_watchdog
            )

    @callback
    def _on_watchdog(self) -> None:
        self._watchdog = None
        left = self._heard_at + self.family.timing.silent_after - self.hass.loop.time()
        if left > 0:
            self._watchdog = self.hass.loop.call_later(left, self._on_watchdog)
        else:
            self._on_silence()

    @callback
    def _on_silence(self) -> None:
        """No push for silent_after seconds: read the device another way, or show it unavailable.

        A device whose push connection is up is only quiet (a plug whose power does not change).
        """
        self._watchdog = None
        if self.silent:
            return  # already read another way (or shown unavailable); pushes shown meanwhile re-arm this
        if self.client.link is Link.UP:
            # Quiet, not gone: what the connection holds is still the device's state, and energy
            # integrated from power needs a sample now and then.
            self._on_push()
            self._arm_watchdog()
            return
        self.silent = True
        seconds = f"{self.family.timing.silent_after:g}"
        if self.family.timing.polls_when_silent:
            LOGGER.info(
                "%s gives no pushes: reading it every %s until it does", self.name, self._poll_interval
            )
            self.update_interval = self._poll_interval
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{self.name} read while silent"
            )
            return
        self.async_set_update_error(
            UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="silent",
                translation_placeholders={"seconds": seconds},
            )
        )

    @callback
    def _on_link(self, link: Link) -> None:
        """The push connection went down: read the device another way at once (or show it unavailable)."""
        if link is Link.DOWN and not self.silent:
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None
            self._on_silence()

    @callback
    def _on_push(self) -> None:
        """The client holds a new push: written at once, or within PUSH_SPACING of the last write.

        While silent only a readable push is taken, and it ends the silence where pushes suffice.
        """
        if self.silent and self.client.latest() is None:
            return
        self._push_due = True
        self._pushes += 1
        if self.silent and self.client.link in (Link.UP, Link.NONE):
            self._on_voice()
        if self._pending_push is not None:
            return
        loop = self.hass.loop
        delay = self._last_push_write + PUSH_SPACING - loop.time()
        if delay <= 0:
            self._write_push()
        else:
            self._pending_push = loop.call_later(delay, self._write_push)

    @callback
    def _on_voice(self) -> None:
        """Pushes again after a silence: polling stops, the watchdog watches again."""
        self.silent = False
        if self.update_interval is not None:
            self.update_interval = None
        LOGGER.info("%s pushes again", self.name)
        self._arm_watchdog()

    @callback
    def _write_push(self) -> None:
        self._pending_push = None
        snapshot = self.client.latest() if self._push_due else None
        self._push_due = False
        if snapshot is None:
            return  # nothing readable: the watchdog is not re-armed, so a stream of bad pushes goes silent
        self._arm_watchdog()
        snapshot = self._presented(self.client.check(snapshot))
        if snapshot != self.data or not self.last_update_success:
            # Only a change starts the interval: a re-report of what is shown never holds the next change.
            self._last_push_write = self.hass.loop.time()
            # Pushed values need no I/O: written directly, not through a refresh task per datagram.
            self.async_set_updated_data(snapshot)
        else:
            self._report_unchanged()


def _values(snapshot: Snapshot, channel_id: str) -> Mapping[Key, Value]:
    channel = snapshot.channels.get(channel_id)
    return {} if channel is None else channel.values
