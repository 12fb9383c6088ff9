"""Iskra smart gateways (SG-E1, SG-W1, SG-W1A) and the meters and Bicom relays behind them, over REST.

What real gateways answer is taken from pyiskra, Iskra's own library that talks to them: singular paths
(``/api/measurement/{i}``, ``/api/counter/{i}``; the manual prints plural ones), credentials in a cookie
(``Authorization=Basic ...``), 403 when they are missing or wrong. The device list drops entries on the
"Right IR" interface before numbering, and entries that are disabled or not detected keep their number.
The Bicom shapes are not public: ``GET /api/bicoms`` and ``POST /api/bicom`` are assumed to use the JSON
the gateway's MQTT commands show (``addr``, ``val`` "on"/"off"); see the README.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from . import iskra_discovery
from .client import DeviceClient
from .connection import Settings
from .errors import (
    ApiDisabled,
    AuthenticationFailed,
    AuthenticationRequired,
    CommandRejected,
    EndpointMissing,
    InvalidResponse,
    UnsupportedModel,
)
from .family import (
    Family,
    Field,
    Probe,
    Timing,
    Transport,
)
from .http import HttpEndpoint, HttpTransport, basic_credentials
from .keys import Key, phases_of
from .payload import total
from .snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Snapshot,
    Value,
)

_LOGGER = logging.getLogger(__name__)

VENDOR = "Iskra"
DEFAULT_PORT = 80
DEVICE_LIST_EVERY = 10
"""Polls between two reads of the device list: meters are rarely added, values change every second."""
COUNTERS_EVERY = 3
"""Polls between two reads of each meter's counters (energy moves slowly; measurements: every poll)."""
_SKIPPED_MODELS = {"Disabled", "Not Detected"}
_RELAY = Control(Key.RELAY, ControlKind.SWITCH)


class Quantity(StrEnum):
    """What a value measures; each takes only its own units, and a bare number in its base unit."""

    VOLTAGE = "V"
    CURRENT = "A"
    POWER = "W"
    REACTIVE = "var"
    APPARENT = "VA"
    RATIO = ""
    ANGLE = "°"
    PERCENT = "%"
    FREQUENCY = "Hz"
    TEMPERATURE = "°C"
    ENERGY = "kWh"
    REACTIVE_ENERGY = "kvarh"
    COUNT = "#"
    """A number without a unit (a tariff index, a pulse counter)."""


_UNITS: Mapping[Quantity, Mapping[str, float]] = {
    Quantity.VOLTAGE: {"V": 1.0, "kV": 1000.0},
    Quantity.CURRENT: {"A": 1.0, "mA": 0.001},
    Quantity.POWER: {"W": 1.0, "kW": 1000.0, "MW": 1e6},
    Quantity.REACTIVE: {"var": 1.0, "kvar": 1000.0, "Mvar": 1e6},
    Quantity.APPARENT: {"VA": 1.0, "kVA": 1000.0, "MVA": 1e6},
    Quantity.RATIO: {"": 1.0},
    Quantity.ANGLE: {"°": 1.0, "deg": 1.0},
    Quantity.PERCENT: {"%": 1.0},
    Quantity.FREQUENCY: {"Hz": 1.0},
    Quantity.TEMPERATURE: {"°C": 1.0, "C": 1.0},
    Quantity.ENERGY: {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0},
    Quantity.REACTIVE_ENERGY: {"varh": 0.001, "kvarh": 1.0, "Mvarh": 1000.0},
    Quantity.COUNT: {"": 1.0},
}
_BASE_UNIT: Mapping[Quantity, str] = {Quantity.COUNT: ""}
"""Where the base unit is not the quantity's own name."""
_PHASE_VALUES: tuple[tuple[tuple[str, ...], Quantity, tuple[Key, Key, Key]], ...] = (
    (("U", "voltage"), Quantity.VOLTAGE, phases_of(Key.VOLTAGE)),
    (("I", "current"), Quantity.CURRENT, phases_of(Key.CURRENT)),
    (("P", "active_power"), Quantity.POWER, phases_of(Key.POWER)),
    (("Q", "reactive_power"), Quantity.REACTIVE, phases_of(Key.REACTIVE_POWER)),
    (("S", "apparent_power"), Quantity.APPARENT, phases_of(Key.APPARENT_POWER)),
    (("PF", "power_factor"), Quantity.RATIO, phases_of(Key.POWER_FACTOR)),
    (("PA", "power_angle"), Quantity.ANGLE, phases_of(Key.POWER_ANGLE)),
    (("THDUp", "THD_voltage"), Quantity.PERCENT, phases_of(Key.THD_VOLTAGE)),
    (("THDI", "THD_current"), Quantity.PERCENT, phases_of(Key.THD_CURRENT)),
)
_TOTAL_VALUES: tuple[tuple[tuple[str, ...], Quantity, Key], ...] = (
    (("P", "active_power"), Quantity.POWER, Key.POWER),
    (("Q", "reactive_power"), Quantity.REACTIVE, Key.REACTIVE_POWER),
    (("S", "apparent_power"), Quantity.APPARENT, Key.APPARENT_POWER),
    (("PF", "power_factor"), Quantity.RATIO, Key.POWER_FACTOR),
    (("PA", "power_angle"), Quantity.ANGLE, Key.POWER_ANGLE),
)
_COUNTER_KEYS: Mapping[tuple[str, str, Quantity | None], Key] = {
    ("non_resettable", "import", Quantity.ENERGY): Key.ENERGY_IMPORT,
    ("non_resettable", "export", Quantity.ENERGY): Key.ENERGY_EXPORT,
    ("non_resettable", "import", Quantity.REACTIVE_ENERGY): Key.REACTIVE_ENERGY_IMPORT,
    ("non_resettable", "export", Quantity.REACTIVE_ENERGY): Key.REACTIVE_ENERGY_EXPORT,
    ("resettable", "import", Quantity.ENERGY): Key.RESETTABLE_ENERGY_IMPORT,
    ("resettable", "export", Quantity.ENERGY): Key.RESETTABLE_ENERGY_EXPORT,
}
_COUNTER_QUANTITY: Mapping[str, Quantity] = {
    unit: measures for measures in (Quantity.ENERGY, Quantity.REACTIVE_ENERGY) for unit in _UNITS[measures]
}
_NUMBER_WITH_UNIT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


@dataclass(frozen=True, slots=True)
class Member:
    """A meter behind the gateway and its REST index."""

    index: int
    model: str
    serial: str
    interface: str


@total("Iskra /api/devices")
def list_members(body: object) -> list[Member]:
    """The meters of ``/api/devices``, numbered as the gateway numbers them."""
    if not isinstance(body, dict) or not isinstance(body.get("devices"), list):
        raise InvalidResponse("/api/devices has no device list")
    listed = [
        d for d in body["devices"] if isinstance(d, dict) and "Right IR" not in str(d.get("interface", ""))
    ]
    return [
        Member(
            index,
            str(d.get("model", "")).strip(),
            str(d.get("serial", "")).strip(),
            str(d.get("interface", "")),
        )
        for index, d in enumerate(listed)
        if str(d.get("model", "")).strip() not in _SKIPPED_MODELS and str(d.get("serial", "")).strip()
    ]


@total("Iskra value")
def quantity(raw: object, what: str, measures: Quantity) -> float:
    """``{"value": 230.1, "unit": "V"}``, ``"230.1 V"`` or ``230.1`` -> a number in our unit.

    A bare number is in the quantity's base unit; a unit of another quantity, or an object without a unit,
    is an invalid value (never taken as another quantity, nor guessed).
    """
    if isinstance(raw, dict):
        if not isinstance(raw.get("unit"), str) and measures not in (Quantity.RATIO, Quantity.COUNT):
            raise InvalidResponse(f"{what} has no unit")
        number, unit = raw.get("value"), str(raw.get("unit", "")).strip()
    elif isinstance(raw, str):
        match = _NUMBER_WITH_UNIT.match(raw)
        if match is None:
            raise InvalidResponse(f"{what} is not a number: {raw!r}")
        number, unit = match[1], match[2] or _BASE_UNIT.get(measures, measures.value)
    else:
        number, unit = raw, _BASE_UNIT.get(measures, measures.value)
    factors = _UNITS[measures]
    if unit not in factors:
        raise InvalidResponse(f"{what} has the unit {unit!r}, not one of {measures.name.lower()}")
    try:
        value = float(number)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise InvalidResponse(f"{what} is not a number: {number!r}") from err
    return round(value * factors[unit], 6)


def _valid(raw: object, what: str, measures: Quantity) -> float | None:
    """A value in our unit, or None for an invalid one (dropped; the rest of the answer stands)."""
    try:
        return quantity(raw, what, measures)
    except InvalidResponse as err:
        _LOGGER.debug("Dropped %s", err)
        return None


def _first(entry: Mapping[str, Any], names: tuple[str, ...]) -> object:
    return next((entry[name] for name in names if name in entry), None)


@total("Iskra measurement")
def parse_measurements(body: object) -> dict[Key, Value]:
    """``/api/measurement/{i}`` -> values."""
    measurements = body.get("measurements") if isinstance(body, dict) else None
    if not isinstance(measurements, dict):
        raise InvalidResponse("measurement answer has no measurements")
    found: dict[Key, float | None] = {}
    for phase, entry in enumerate((measurements.get("Phases") or [])[:3]):
        for names, measures, keys in _PHASE_VALUES:
            if isinstance(entry, dict) and (raw := _first(entry, names)) is not None:
                found[keys[phase]] = _valid(raw, f"phase {phase + 1} {names[0]}", measures)
    total = measurements.get("Total") or {}
    for names, measures, key in _TOTAL_VALUES:
        if isinstance(total, dict) and (raw := _first(total, names)) is not None:
            found[key] = _valid(raw, f"total {names[0]}", measures)
    for names, measures, key in (
        (("Frequency", "frequency"), Quantity.FREQUENCY, Key.FREQUENCY),
        (("Temperature", "temperature"), Quantity.TEMPERATURE, Key.TEMPERATURE),
    ):
        if (raw := _first(measurements, names)) is not None:
            found[key] = _valid(raw, names[0], measures)
    values: dict[Key, Value] = {key: value for key, value in found.items() if value is not None}
    if (tariff := _status_value(measurements, "activetariff", Quantity.COUNT)) is not None:
        values[Key.ACTIVE_TARIFF] = int(tariff)
    return values


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _status_value(fields: Mapping[str, Any], wanted: str, measures: Quantity) -> float | None:
    """A status field by its normalised name ("Pulse Counter", "pulse_counter"); None when absent or N/A."""
    for name, raw in fields.items():
        if _normalised(name) == wanted:
            return _valid(raw, name, measures)  # "N/A": the input is not enabled
    return None


@total("Iskra /api")
def parse_status(body: Mapping[str, Any]) -> dict[Key, Value]:
    """The gateway's own inputs from /api (assumed field names, as its status page labels them)."""
    fields: dict[str, Any] = {}
    for part in (body, body.get("device"), body.get("status")):
        if isinstance(part, dict):
            fields |= part
    values: dict[Key, Value] = {}
    for wanted, measures, key in (
        ("temperature", Quantity.TEMPERATURE, Key.TEMPERATURE_INPUT),
        ("pulsecounter", Quantity.ENERGY, Key.PULSE_ENERGY),
    ):
        if (value := _status_value(fields, wanted, measures)) is not None:
            values[key] = value
    if (tariff := _status_value(fields, "activetariff", Quantity.COUNT)) is not None:
        values[Key.ACTIVE_TARIFF] = int(tariff)
    return values


@total("Iskra counters")
def parse_counters(body: object) -> dict[Key, Value]:
    """``/api/counter/{i}`` -> the first counter of each kind, in kWh / kvarh."""
    counters = body.get("counters") if isinstance(body, dict) else None
    if not isinstance(counters, dict):
        raise InvalidResponse("counter answer has no counters")
    values: dict[Key, Value] = {}
    for group in ("non_resettable", "resettable"):
        for counter in counters.get(group) or []:
            if not isinstance(counter, dict):
                continue
            unit = str(counter.get("unit", "")).strip()
            measures = _COUNTER_QUANTITY.get(unit)  # no unit, or VAh: not a counter we show
            key = _COUNTER_KEYS.get((group, str(counter.get("direction", "")), measures))
            if measures is not None and key is not None and key not in values:
                value = _valid(
                    {"value": counter.get("value"), "unit": unit}, str(counter.get("name")), measures
                )
                if value is not None:
                    values[key] = value
    return values


@total("Iskra /api")
def identity_of(info: object) -> DeviceIdentity:
    """``/api`` -> the gateway (a model SG...) and its serial; any other model is not one we read."""
    device = info.get("device") if isinstance(info, dict) else None
    if not isinstance(device, dict):
        raise InvalidResponse("/api has no device")
    model, serial = (
        str(device.get("model_type", "")).strip(),
        str(device.get("serial_number", "")).strip(),
    )
    if not model.startswith("SG"):
        raise UnsupportedModel(f"{model or 'this device'} is not an Iskra smart gateway")
    if not serial:
        raise InvalidResponse("/api has no serial number")
    return DeviceIdentity(
        vendor=VENDOR,
        model=model,
        serial=serial,
        firmware=_text(device.get("sw_ver")),
        name=_text(device.get("description")),
    )


def gateway_snapshot(
    status: Mapping[Key, Value],
    meters: list[tuple[Member, dict[Key, Value]]],
    bicoms: Mapping[str, Channel],
) -> Snapshot:
    """The gateway's own inputs, a channel per meter (by serial) and one per Bicom relay."""
    channels: dict[str, Channel] = {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, dict(status))}
    for member, values in meters:
        channels[member.serial] = Channel(
            ChannelKind.METER,
            values,
            model=member.model,
            serial=member.serial,
            name=f"{member.model} {member.serial}",
        )
    return Snapshot(channels | dict(bicoms), complete=True)


class IskraClient(DeviceClient):
    """A gateway; its meters and Bicoms are channels named by serial (meters) or address (Bicoms)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = HttpTransport(self.transports.http, HttpEndpoint(self.config.host, self.config.port))
        if self.config.username and self.config.password:
            token = basic_credentials(self.config.username, self.config.password)
            self._http = HttpTransport(
                self.transports.http, self._http.endpoint, headers={"Cookie": f"Authorization={token}"}
            )
        self._members: list[Member] | None = None
        self._counters: dict[str, dict[Key, Value]] = {}
        self._status: dict[Key, Value] = {}
        self._polls = 0
        self._missing: set[str] = set()

    async def identify(self) -> DeviceIdentity:
        """``/api``: a gateway (model SG...) and its serial."""
        return identity_of(await self._get("/api"))

    async def fetch(self) -> Snapshot:
        """Measurements of every meter each poll; counters and the device list less often; Bicom states.

        Required: /api, /api/devices and each listed meter's /api/measurement/{i}. Optional (HTTP 404
        means "none"): a meter's /api/counter/{i} and /api/bicoms.
        """
        listed_again = self._members is None or self._polls % DEVICE_LIST_EVERY == 0
        if self._members is None or listed_again:
            self._members = list_members(await self._get("/api/devices"))
            status = await self._get("/api")
            self._status = parse_status(status) if isinstance(status, dict) else {}
        read_counters = self._polls % COUNTERS_EVERY == 0
        self._polls += 1
        meters: list[tuple[Member, dict[Key, Value]]] = []
        for member in self._members:
            values = parse_measurements(await self._get(f"/api/measurement/{member.index}"))
            if read_counters or member.serial not in self._counters:
                self._counters[member.serial] = await self._read_counters(member)
            meters.append((member, values | self._counters[member.serial]))
        return gateway_snapshot(self._status, meters, await self._read_bicoms(listed_again))

    async def _read_counters(self, member: Member) -> dict[Key, Value]:
        """A meter's counters; a meter the gateway has none for (HTTP 404) has none."""
        try:
            return parse_counters(await self._get(f"/api/counter/{member.index}"))
        except EndpointMissing:
            self._missing.add(f"/api/counter/{member.index}")
            return {}

    async def _read_bicoms(self, listed_again: bool) -> dict[str, Channel]:
        """The Bicom relays; a gateway without the endpoint (HTTP 404) has none, asked again with the list."""
        if "/api/bicoms" in self._missing and not listed_again:
            return {}
        try:
            relays = parse_bicoms(await self._get("/api/bicoms"))
        except EndpointMissing:
            self._missing.add("/api/bicoms")
            return {}
        self._missing.discard("/api/bicoms")
        return relays

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Switch a Bicom relay."""
        if key is not Key.RELAY or not channel_id.startswith("bicom"):
            raise CommandRejected(f"{channel_id!r} is not a Bicom relay of this gateway")
        address = int(channel_id.removeprefix("bicom"))
        await self._http.request_json(
            "POST", "/api/bicom", {"addr": address, "val": "on" if value else "off"}
        )

    def diagnostics(self) -> dict[str, Any]:
        """Requests sent and the meters listed."""
        members = [
            {"index": m.index, "model": m.model, "interface": m.interface} for m in self._members or []
        ]
        return {
            "http_requests": self._http.requests,
            "members": members,
            "missing_endpoints": sorted(self._missing),
        }

    async def _get(self, path: str) -> Any:
        try:
            return await self._http.get_json(path)
        except ApiDisabled as err:  # the gateway answers 403 to missing or wrong credentials
            if not self.config.password:
                raise AuthenticationRequired(
                    f"the gateway at {self.config.host} has authentication on"
                ) from err
            raise AuthenticationFailed(f"the gateway at {self.config.host} refused the credentials") from err


@total("Iskra /api/bicoms")
def parse_bicoms(body: object) -> dict[str, Channel]:
    """``/api/bicoms`` (assumed shape) -> one switch channel per relay."""
    bicoms = body.get("bicoms") if isinstance(body, dict) else None
    if not isinstance(bicoms, list):
        raise InvalidResponse("/api/bicoms has no list")
    channels: dict[str, Channel] = {}
    for bicom in bicoms:
        if not isinstance(bicom, dict) or not isinstance(bicom.get("addr"), int):
            continue
        state = str(bicom.get("state", "")).lower()
        values: dict[Key, Value] = {Key.RELAY: state == "on"} if state in ("on", "off") else {}
        serial = _text(bicom.get("serial"))
        channels[f"bicom{bicom['addr']}"] = Channel(
            ChannelKind.RELAY,
            values,
            model=_text(bicom.get("model")) or "Bicom",
            serial=serial,
            name=f"Bicom {serial or bicom['addr']}",
            controls=(_RELAY,),
        )
    return channels


def _text(raw: object) -> str | None:
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


FAMILY = Family(
    id="iskra",
    name="Iskra",
    client=IskraClient,
    transport=Transport.HTTP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=5.0, minimum_interval=2.0),
    settings=Settings,
    credentials=(Field.USERNAME, Field.PASSWORD),
    probe=Probe(iskra_discovery.search),
    option="iskra_rest",
    controls=(Key.RELAY,),
)
