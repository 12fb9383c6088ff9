"""Sensors: one per measurement key a channel reports, described by the shared catalogue."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from homeassistant.components.sensor import RestoreSensor, SensorEntity
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_at

from .controller.entities import controller_sensors
from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator
from .descriptions import SENSORS, LocalEnergySensorDescription
from .devices.keys import ACCUMULATED_KEYS, KEYS, Key
from .devices.snapshot import Channel, Value
from .emulated_entities import emulated_sensors
from .entity import LocalEnergyEntity, async_add_platform_entities

# The coordinator does the I/O; entities only read its snapshot.
PARALLEL_UPDATES = 0

REPORT_EVERY = 1.0
"""Seconds between two re-reports of an unchanged power at least: a control loop tells a steady value
from a device gone quiet by them, and a meter pushing 7 times a second need not say so 7 times."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalEnergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for every measured key, now and as channels appear."""
    async_add_platform_entities(
        entry, async_add_entities, _sensors, controller=controller_sensors, served_meter=emulated_sensors
    )


def _sensors(
    coordinator: LocalEnergyCoordinator, channel_id: str, channel: Channel
) -> Iterable[LocalEnergySensor]:
    return [
        (LocalEnergyAccumulatedSensor if key in ACCUMULATED_KEYS else LocalEnergySensor)(
            coordinator, channel_id, SENSORS[key]
        )
        for key in channel.values
        if key in SENSORS
    ]


class LocalEnergySensor(LocalEnergyEntity, SensorEntity):
    """A measured value, shown when it changes: at once, or for a slow quantity at most every so often.

    The key table says how often each quantity's changes are shown (power and current at once, counters
    and voltages every 10 s, Wi-Fi and temperatures every minute): the state writes Home Assistant handles
    are what many devices cost. A held change is shown by the first reading after its time comes, and
    at the latest that long after it arrived (a timer, when no reading comes first); an entry option
    shows every change at once.
    """

    entity_description: LocalEnergySensorDescription
    _shown: tuple[bool, object] | None = None
    _shown_at = -math.inf
    _held: CALLBACK_TYPE | None = None
    """Cancels the timer that shows a held change when no reading shows it first."""
    _held_job: HassJob[[datetime], None]
    _every = 0.0
    """Seconds a change may wait before it is shown (the key table's rate, or 0 with the option)."""

    @staticmethod
    def reports_every_reading(key: Key) -> bool:
        """A channel's power reports every reading (a control loop tells a steady value from silence)."""
        return key is Key.POWER

    async def async_added_to_hass(self) -> None:
        """What the platform writes when the entity is added counts as shown."""
        await super().async_added_to_hass()
        self._every = 0.0 if self.coordinator.every_value_fast else KEYS[self.value_key].write_every
        # Cancelled when Home Assistant stops (entries are not unloaded then).
        self._held_job = HassJob(self._show_held, f"{self.entity_id} held change", cancel_on_shutdown=True)
        if self.value_key is Key.POWER:
            self.async_on_remove(self.coordinator.async_add_report_listener(self._report_unchanged))
        self._remember_shown()

    def _remember_shown(self) -> None:
        self._shown, self._shown_at = self._current(), self.hass.loop.time()

    def _current(self) -> tuple[bool, object]:
        """What the entity shows now: whether it is available, and its value (the value read once)."""
        raw = self.coordinator.data.value(self.channel_id, self.value_key)
        return (self.available_with(raw), self._native(raw))

    @callback
    def _handle_coordinator_update(self) -> None:
        shown = self._current()
        if shown == self._shown:
            self._report_unchanged()
            return
        now = self.hass.loop.time()
        if self._shown is None or shown[0] != self._shown[0] or now >= self._shown_at + self._every:
            self._show(shown, now)
        elif self._held is None:
            # Not at its earliest time (shown_at + every): a reading then shows it, with the device's
            # other values, and this process need not wake up just for it.
            self._held = async_call_at(self.hass, self._held_job, now + self._every)

    @callback
    def _report_unchanged(self) -> None:
        """A reading with this value again: a channel's power reports it, other keys stay quiet.

        Power is re-reported once a REPORT_EVERY at most. Home Assistant turns the write into a state
        report (last_reported moves): a control loop can tell a steady value from a device gone quiet.
        """
        if self.value_key is not Key.POWER or self._held is not None or self._shown is None:
            return
        if (now := self.hass.loop.time()) - self._shown_at >= REPORT_EVERY:
            self._show(self._shown, now)

    @callback
    def _show_held(self, _now: datetime) -> None:
        self._held = None
        self._show(self._current(), self.hass.loop.time())

    def _show(self, shown: tuple[bool, object], now: float) -> None:
        self._drop_held()
        self._shown, self._shown_at = shown, now
        self.async_write_ha_state()

    def _drop_held(self) -> None:
        if self._held is not None:
            self._held()
            self._held = None

    async def async_will_remove_from_hass(self) -> None:
        """Drop a held change."""
        self._drop_held()
        await super().async_will_remove_from_hass()

    @property
    def native_value(self) -> float | int | str | None:
        """The value in the catalogue's unit."""
        return self._native(self.raw_value)

    def _native(self, raw: Value | None) -> float | int | str | None:
        return None if isinstance(raw, bool) else raw


class LocalEnergyAccumulatedSensor(LocalEnergySensor, RestoreSensor):
    """A counter the device client starts at zero; the total carries over restarts and reloads."""

    _offset = 0.0

    async def async_added_to_hass(self) -> None:
        """Continue from the last total Home Assistant recorded."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, (int, float, Decimal)):
            self._offset = float(last.native_value)
        self._remember_shown()

    def _native(self, raw: Value | None) -> float | None:
        """What was counted before this start plus what the client counted since."""
        if not isinstance(raw, (int, float)) or isinstance(raw, bool):
            return None
        return round(self._offset + raw, 6)
