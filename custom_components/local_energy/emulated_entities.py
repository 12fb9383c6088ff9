"""A served meter's own entities: what it serves now, and how many batteries ask it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import UnitOfPower
from homeassistant.core import callback
from homeassistant.helpers.event import async_track_time_interval

from .emulated_meter import SERVED_POWER, EmulatedMeterRuntime
from .entity import ServiceEntity

REFRESH = timedelta(seconds=5)
"""How often the entities look again (what is served changes with every report of the source)."""
ASKED_WITHIN = 60.0
"""Seconds since its last request within which a client counts as asking."""


class EmulatedMeterEntity(ServiceEntity, SensorEntity):
    """Bound to one served meter; refreshed every few seconds."""

    def __init__(self, runtime: EmulatedMeterRuntime, key: str) -> None:
        super().__init__(runtime.entry, key, "Served meter")
        self.runtime = runtime

    async def async_added_to_hass(self) -> None:
        """Look again every few seconds."""
        self.async_on_remove(async_track_time_interval(self.hass, self._refresh, REFRESH))

    @callback
    def _refresh(self, _now: datetime) -> None:
        self.async_write_ha_state()


class ServedPowerSensor(EmulatedMeterEntity):
    """The power served now (the source's, with offset, factor and the controller's bias)."""

    _attr_device_class = SensorDeviceClass.POWER
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfPower.WATT

    def __init__(self, runtime: EmulatedMeterRuntime) -> None:
        super().__init__(runtime, SERVED_POWER)

    @property
    def available(self) -> bool:
        """Unavailable while nothing is served (the source is stale or unavailable)."""
        return self.runtime.feed.current() is not None

    @property
    def native_value(self) -> float | None:
        """W served, > 0 drawn from the grid."""
        served = self.runtime.feed.current()
        return None if served is None else round(served.power, 1)


class ClientsSensor(EmulatedMeterEntity):
    """How many addresses asked within the last minute (each client's details are in the diagnostics)."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, runtime: EmulatedMeterRuntime) -> None:
        super().__init__(runtime, "clients")

    @property
    def native_value(self) -> int:
        """Clients that asked within ASKED_WITHIN seconds."""
        now = time.time()
        clients = self.runtime.clients.by_address.values()
        return sum(1 for client in clients if now - client.last_seen <= ASKED_WITHIN)


def emulated_sensors(runtime: EmulatedMeterRuntime) -> list[SensorEntity]:
    """Every sensor of a served meter."""
    return [ServedPowerSensor(runtime), ClientsSensor(runtime)]
