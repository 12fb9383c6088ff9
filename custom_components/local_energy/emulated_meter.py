"""A served meter's entry: Home Assistant's grid power, served as the meters batteries read.

The source is one power sensor, or three per-phase ones (W or kW, > 0 drawn unless the user says it counts
export as positive), and optionally two energy counters. Each report of a source (a value re-reported
unchanged too) is what the personas serve next; while a source is unavailable or silent for longer than
the entry allows, nothing is served and the batteries fall back to their own behaviour. A port that cannot
be bound raises a repair issue naming it, and the entry retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components import network, zeroconf
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfEnergy,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from zeroconf.asyncio import AsyncServiceInfo

from .const import (
    CONF_CLIENT_SHARES,
    CONF_ENERGY_IN_SENSOR,
    CONF_ENERGY_OUT_SENSOR,
    CONF_EXPORT_POSITIVE,
    CONF_FACTOR,
    CONF_FAMILY,
    CONF_LISTEN_HOST,
    CONF_MAC,
    CONF_OFFSET,
    CONF_PHASE_SENSORS,
    CONF_POWER_SENSOR,
    CONF_STALE_AFTER,
    DOMAIN,
    EMULATED_METER,
    LOGGER,
)
from .controller.grid import grid_watts
from .emulation.feed import DEFAULT_STALE_AFTER, Feed, Reading
from .emulation.personas import PERSONAS, Announcement, Persona, Served, Stop
from .emulation.servers import Clients
from .issues import PORT_ISSUE, async_sync_port_issue

if TYPE_CHECKING:
    from .coordinator import LocalEnergyConfigEntry

_ENERGY_TO_KWH: Mapping[str, float] = {
    UnitOfEnergy.WATT_HOUR: 0.001,
    UnitOfEnergy.KILO_WATT_HOUR: 1.0,
    UnitOfEnergy.MEGA_WATT_HOUR: 1000.0,
}


@dataclass(frozen=True, slots=True)
class Source:
    """Which states make the reading, and how they are read."""

    power: str | None
    phases: tuple[str, str, str] | None
    energy_in: str | None
    energy_out: str | None
    export_positive: bool
    offset: float
    factor: float

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> Source:
        """The source an entry's options name."""
        phases = options.get(CONF_PHASE_SENSORS) or []
        return cls(
            power=options.get(CONF_POWER_SENSOR) or None,
            phases=(phases[0], phases[1], phases[2]) if len(phases) == 3 else None,
            energy_in=options.get(CONF_ENERGY_IN_SENSOR) or None,
            energy_out=options.get(CONF_ENERGY_OUT_SENSOR) or None,
            export_positive=bool(options.get(CONF_EXPORT_POSITIVE, False)),
            offset=float(options.get(CONF_OFFSET, 0.0)),
            factor=float(options.get(CONF_FACTOR, 1.0)),
        )

    @property
    def entity_ids(self) -> list[str]:
        """Every state the reading is made of."""
        named = (self.power, *(self.phases or ()), self.energy_in, self.energy_out)
        return [entity_id for entity_id in named if entity_id]

    def reading(self, states: Callable[[str], State | None]) -> Reading | None:
        """The reading the states give now, or None when the power has no number."""
        if self.phases is not None:
            watts = [self._watts(states(entity_id)) for entity_id in self.phases]
            if any(value is None for value in watts):
                return None
            share = self.offset / 3
            phases = tuple(value * self.factor + share for value in watts if value is not None)
            power = sum(phases)
            per_phase: tuple[float, float, float] | None = (phases[0], phases[1], phases[2])
        else:
            value = self._watts(states(self.power)) if self.power else None
            if value is None:
                return None
            power, per_phase = value * self.factor + self.offset, None
        return Reading(
            power=power,
            phases=per_phase,
            energy_in=_kwh(states(self.energy_in)) if self.energy_in else None,
            energy_out=_kwh(states(self.energy_out)) if self.energy_out else None,
        )

    def _watts(self, state: State | None) -> float | None:
        return grid_watts(state, invert=self.export_positive)


def parse_shares(text: str) -> dict[str, float] | None:
    """``192.168.1.20=60, 192.168.1.21=40`` as address -> share (0-1); None when it does not parse.

    Several batteries on one meter each see their part of the power (in percent, above 0, at most 100).
    """
    shares: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        address, _, percent = item.partition("=")
        try:
            parsed, value = ipaddress.ip_address(address.strip()), float(percent)
        except ValueError:
            return None
        if not 0 < value <= 100 or str(parsed) in shares:
            return None
        shares[str(parsed)] = value / 100
    return shares


def _kwh(state: State | None) -> float | None:
    """An energy counter in kWh, or None without a number in Wh, kWh or MWh."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    scale = _ENERGY_TO_KWH.get(str(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)))
    try:
        value = float(state.state)
    except ValueError:
        return None
    return value * scale if scale is not None and math.isfinite(value) else None


class EmulatedMeterRuntime:
    """The feed, the personas and their servers of one served meter."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        self.hass = hass
        self.entry = entry
        options = entry.options
        self.source = Source.of(options)
        self.feed = Feed(float(options.get(CONF_STALE_AFTER, DEFAULT_STALE_AFTER)))
        self.clients = Clients(entry.title, parse_shares(str(options.get(CONF_CLIENT_SHARES) or "")))
        host = str(options.get(CONF_LISTEN_HOST) or "0.0.0.0")  # batteries ask on the LAN
        self.served = Served(self.feed, self.clients, str(entry.data[CONF_MAC]), host)
        self.ports: dict[str, int] = {}
        """Each persona's port as bound (a port of 0 asked for is not served)."""
        self._stops: list[Stop] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._announced: list[AsyncServiceInfo] = []

    async def async_start(self) -> None:
        """Bind every persona's port and follow the source; a port that cannot be bound: retry later."""
        for persona in PERSONAS:
            port = int(self.entry.options.get(persona.option, persona.default_port))
            if not port:
                continue
            try:
                self.ports[persona.option], stop = await persona.open(self.served, port)
            except OSError as err:
                await self.async_stop()
                self._raise_port_issue(persona, port, err)
                raise ConfigEntryNotReady(
                    translation_domain=DOMAIN,
                    translation_key=PORT_ISSUE,
                    translation_placeholders={"port": str(port), "error": str(err)},
                ) from err
            self._stops.append(stop)
        async_sync_port_issue(self.hass, self.entry, None)
        self._follow_source()
        await self._announce()

    async def _announce(self) -> None:
        """Make the personas found by mDNS, through Home Assistant's own zeroconf (when it runs)."""
        if "zeroconf" not in self.hass.config.components:
            return
        host = self.served.host
        addresses = (
            [host] if host not in ("", "0.0.0.0") else await network.async_get_announce_addresses(self.hass)
        )
        if not addresses:
            return
        instance = await zeroconf.async_get_async_instance(self.hass)
        for persona in PERSONAS:
            if (port := self.ports.get(persona.option)) is None:
                continue
            for announcement in persona.announce(self.served, addresses[0]):
                info = _service_info(announcement, port, addresses)
                await instance.async_register_service(info, allow_name_change=True)
                self._announced.append(info)

    def _raise_port_issue(self, persona: Persona, port: int, err: OSError) -> None:
        LOGGER.error("%s cannot listen on port %s for the %s: %s", self.entry.title, port, persona.name, err)
        placeholders = {"port": str(port), "persona": persona.name, "error": str(err)}
        async_sync_port_issue(self.hass, self.entry, placeholders)

    def _follow_source(self) -> None:
        watched = set(self.source.entity_ids)

        @callback
        def changed(_event: Event[EventStateChangedData]) -> None:
            self._update()

        @callback
        def reported(_event: Event[EventStateReportedData]) -> None:
            self._update()

        @callback
        def is_source(data: EventStateReportedData) -> bool:
            return data["entity_id"] in watched

        self._unsubscribe = [
            async_track_state_change_event(self.hass, list(watched), changed),
            self.hass.bus.async_listen(EVENT_STATE_REPORTED, reported, event_filter=is_source),
        ]
        self._update()

    @callback
    def _update(self) -> None:
        reading = self.source.reading(self.hass.states.get)
        if reading is None:
            self.feed.unavailable()
        else:
            self.feed.report(reading)

    async def async_stop(self) -> None:
        """Withdraw the announcements, stop following the source and release every port."""
        announced, self._announced = self._announced, []
        if announced:
            instance = await zeroconf.async_get_async_instance(self.hass)
            for info in announced:
                with contextlib.suppress(Exception):  # a withdrawal that fails leaves a record that expires
                    await instance.async_unregister_service(info)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        stops, self._stops = self._stops, []
        await asyncio.gather(*(stop() for stop in stops))

    def diagnostics(self) -> dict[str, Any]:
        """The source, the ports and each client."""
        served = self.feed.current()
        return {
            "source": self.source.entity_ids,
            "ports": dict(self.ports),
            "serving": served is not None,
            "served_power": None if served is None else served.power,
            "clients": self.clients.diagnostics(),
        }


def _service_info(announcement: Announcement, port: int, addresses: list[str]) -> AsyncServiceInfo:
    instance = announcement.name.split(".", 1)[0]
    return AsyncServiceInfo(
        announcement.service_type,
        announcement.name,
        port=port,
        properties=announcement.properties,
        parsed_addresses=addresses,
        server=f"{instance}.local.",
    )


SERVED_POWER = "served_power"
"""The key of a served meter's power sensor: the entity a controller names to steer it."""


def resolve_served_meter(hass: HomeAssistant, entity_id: str) -> EmulatedMeterRuntime | None:
    """The served meter behind its served power sensor, when its entry is loaded."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is None or entity.platform != DOMAIN or entity.config_entry_id is None:
        return None
    if entity.unique_id != f"{entity.config_entry_id}_{SERVED_POWER}":
        return None
    entry = hass.config_entries.async_get_entry(entity.config_entry_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    return cast("LocalEnergyConfigEntry", entry).runtime_data.served_meter


@dataclass(frozen=True, slots=True)
class ServedMeterPort:
    """A served meter as the controller's runner steers it (found again at each write: it may reload)."""

    hass: HomeAssistant
    entity_id: str

    def set_bias(self, watts: float) -> None:
        """Add this many W to what the meter serves."""
        if (runtime := resolve_served_meter(self.hass, self.entity_id)) is not None:
            runtime.feed.bias = watts


def async_resolve_served_meters(hass: HomeAssistant, entity_ids: list[str]) -> dict[str, ServedMeterPort]:
    """The served meters a controller names; ConfigEntryNotReady while one is not loaded."""
    for entity_id in entity_ids:
        if resolve_served_meter(hass, entity_id) is None:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="actuator_not_ready",
                translation_placeholders={"entity": entity_id},
            )
    return {entity_id: ServedMeterPort(hass, entity_id) for entity_id in entity_ids}


def served_macs(hass: HomeAssistant) -> set[str]:
    """The MACs (lower case) of the served meters: what this Home Assistant announces itself."""
    return {
        str(entry.data[CONF_MAC]).lower()
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_FAMILY) == EMULATED_METER and CONF_MAC in entry.data
    }
