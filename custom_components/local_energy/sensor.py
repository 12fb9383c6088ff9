"""Sensors: one per measurement key a channel reports, described by the shared catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from homeassistant.components.sensor import RestoreSensor, SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import LocalEnergyConfigEntry
from .coordinator import LocalEnergyCoordinator
from .descriptions import SENSORS, LocalEnergySensorDescription
from .devices.keys import ACCUMULATED_KEYS
from .devices.snapshot import Channel
from .entity import LocalEnergyEntity, add_channel_entities

# The coordinator does the I/O; entities only read its snapshot.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalEnergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for every measured key, now and as channels appear."""
    add_channel_entities(entry.runtime_data, async_add_entities, _sensors)


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
    """A measured value."""

    entity_description: LocalEnergySensorDescription

    @property
    def native_value(self) -> float | int | str | None:
        """The value in the catalogue's unit."""
        value = self.raw_value
        return None if isinstance(value, bool) else value


class LocalEnergyAccumulatedSensor(LocalEnergySensor, RestoreSensor):
    """A counter the device client starts at zero; the total carries over restarts and reloads."""

    _offset = 0.0

    async def async_added_to_hass(self) -> None:
        """Continue from the last total Home Assistant recorded."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, (int, float, Decimal)):
            self._offset = float(last.native_value)

    @property
    def native_value(self) -> float | None:
        """What was counted before this start plus what the client counted since."""
        value = self.raw_value
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        return round(self._offset + value, 6)
