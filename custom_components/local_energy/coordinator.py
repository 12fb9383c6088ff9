"""One coordinator for every family: it polls, or takes pushed data and writes it at once."""

from __future__ import annotations

from collections.abc import Callable
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
from .devices.snapshot import DeviceIdentity, Snapshot
from .issues import async_clear_errors, async_failure, async_sync_notices
from .polling import PollTimer
from .push import PushFollower
from .value_listeners import LayoutContext, ValueContext, ValueListeners

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


MIN_POLL_SECONDS = 1.0


class LocalEnergyCoordinator(DataUpdateCoordinator[Snapshot]):
    """Keeps the snapshot of one device fresh: polled every interval, or followed by push (push.py)."""

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
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {family.id} {identity.serial}",
            update_interval=None,  # polled by self.polls, on the grid every entry shares
            always_update=False,
        )
        # Nothing is polled faster than once a second: devices reach their own rate by push.
        self.polls = PollTimer(self, timedelta(seconds=max(interval, MIN_POLL_SECONDS)))
        self.push = PushFollower(self) if client.pushes else None
        self._report_listeners: list[Callable[[], None]] = []
        self._error_issue_raised = False
        self._notices: frozenset[str] = frozenset()
        self._shut_down = False
        self._value_listeners = ValueListeners()

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE, context: Any = None) -> Callable[[], None]:
        """Listen for updates: to every one, or only to those that change a value (ValueContext) or LAYOUT."""
        if isinstance(context, ValueContext):
            return self._value_listeners.add(context, update_callback)
        if isinstance(context, LayoutContext):
            return self._value_listeners.add_layout(update_callback)
        return super().async_add_listener(update_callback, context)

    @callback
    def async_update_listeners(self) -> None:
        """Tell every listener, and the value listeners of the values that changed."""
        super().async_update_listeners()
        for listener in self._value_listeners.changed(self.data, self.last_update_success):
            listener()

    async def async_start_push(self) -> None:
        """Subscribe a push client to its data; no-op for polled devices."""
        if self.push is not None:
            await self.push.async_start()

    @property
    def silent(self) -> bool:
        """A push device that has not pushed for its family's silent_after seconds."""
        return self.push is not None and self.push.silent

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
        self.polls.stop()
        if self.push is not None:
            self.push.stop()
        await super().async_shutdown()
        await self.client.close()

    async def _async_update_data(self) -> Snapshot:
        pushes_before = 0 if self.push is None else self.push.pushes
        try:
            snapshot = await self.client.read()
        except DeviceError as err:
            raise self._failure(err) from err
        if self.push is not None:
            self.push.read(pushes_before)
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

    @callback
    def async_write_pushed(self, snapshot: Snapshot) -> bool:
        """Write what a push brought (checked and presented); whether it changed what is shown."""
        snapshot = self._presented(self.client.check(snapshot))
        if snapshot == self.data and self.last_update_success:
            self._report_unchanged()
            return False
        # Pushed values need no I/O: written directly, not through a refresh task per push.
        self.async_set_updated_data(snapshot)
        return True

    @callback
    def async_read_while_silent(self) -> None:
        """A push device fell silent: read it at the interval (and now) until it pushes again."""
        LOGGER.info("%s gives no pushes: reading it every %s until it does", self.name, self.polls.interval)
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{self.name} read while silent"
        )
        self.polls.start()  # after this read: the grid's first poll an interval later
