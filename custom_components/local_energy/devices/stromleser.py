"""stromleser.one IR reader: ``GET /v1/data``, OBIS codes whose values are strings with the meter's unit.

The device answers one request every 8-10 s and rejects the rest; the client keeps the last good reading
through a rejection instead of reporting the device as gone. Units come from the meter and vary: every
value is converted to the contract's unit, and a unit we do not know makes the response invalid rather
than a number off by a factor of 1000. Cumulative totals of 0 are dropped: meters that are not
PIN-unlocked report 0.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from . import clock
from .client import DeviceClient
from .connection import Settings
from .errors import CannotConnect, InvalidResponse, WrongDevice
from .family import (
    Announcement,
    Family,
    Timing,
    Transport,
)
from .http import HttpEndpoint, HttpTransport, RateLimited
from .keys import Key
from .payload import total
from .snapshot import MAIN_CHANNEL, Channel, ChannelKind, DeviceIdentity, Snapshot, Value

_LOGGER = logging.getLogger(__name__)

VENDOR = "nineti"
MODEL = "stromleser.one"
DEFAULT_PORT = 80
PATH = "/v1/data"
KEEP_LAST_GOOD = 60.0
"""Seconds a reading is shown again while the device rejects requests."""

_POWER_CODES: Mapping[str, Key] = {
    "16.7.0": Key.POWER,
    "36.7.0": Key.POWER_L1,
    "56.7.0": Key.POWER_L2,
    "76.7.0": Key.POWER_L3,
}
_ENERGY_CODES: Mapping[str, Key] = {
    "1.8.0": Key.ENERGY_IMPORT,
    "1.8.1": Key.ENERGY_IMPORT_T1,
    "1.8.2": Key.ENERGY_IMPORT_T2,
    "1.8.3": Key.ENERGY_IMPORT_T3,
    "1.8.4": Key.ENERGY_IMPORT_T4,
    "2.8.0": Key.ENERGY_EXPORT,
    "2.8.1": Key.ENERGY_EXPORT_T1,
    "2.8.2": Key.ENERGY_EXPORT_T2,
    "2.8.3": Key.ENERGY_EXPORT_T3,
    "2.8.4": Key.ENERGY_EXPORT_T4,
}
_TO_WATT = {"W": 1.0, "kW": 1000.0, "mW": 0.001, "MW": 1_000_000.0}
_TO_KWH = {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0}
_VALUE = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-z%]*)\s*$")


def parse_value(raw: object, factors: Mapping[str, float], code: str) -> float:
    """'22641332.800 Wh' -> 22641.3328 with the kWh factors; an unknown or missing unit is invalid."""
    match = _VALUE.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise InvalidResponse(f"{code} is not a number with a unit: {raw!r}")
    number, unit = float(match[1]), match[2]
    if unit not in factors:
        raise InvalidResponse(f"{code} has the unit {unit or '(none)'!r}, expected one of {sorted(factors)}")
    return number * factors[unit]


@total("stromleser /v1/data")
def parse(body: Mapping[str, Any]) -> Snapshot:
    """Turn a /v1/data body into a snapshot."""
    values: dict[Key, Value] = {}
    for code, key in _POWER_CODES.items():
        if code in body:
            values[key] = round(parse_value(body[code], _TO_WATT, code), 3)
    if Key.POWER not in values and "16.7" in body:
        values[Key.POWER] = round(parse_value(body["16.7"], _TO_WATT, "16.7"), 3)
    if Key.POWER not in values and "1.7.0" in body and "2.7.0" in body:
        drawn = parse_value(body["1.7.0"], _TO_WATT, "1.7.0")
        values[Key.POWER] = round(drawn - parse_value(body["2.7.0"], _TO_WATT, "2.7.0"), 3)
    for code, key in _ENERGY_CODES.items():
        if code in body and (kwh := parse_value(body[code], _TO_KWH, code)) > 0:
            values[key] = round(kwh, 6)
    if (rssi := _rssi(body)) is not None:
        values[Key.WIFI_RSSI] = rssi
    if not values:
        raise InvalidResponse(f"{PATH} has no reading")
    return Snapshot({MAIN_CHANNEL: Channel(ChannelKind.DEVICE, values)})


@total("stromleser /v1/data")
def _device_id(body: Mapping[str, Any]) -> str:
    device_id = body.get("device_id")
    if not isinstance(device_id, str) or not device_id:
        raise InvalidResponse(f"{PATH} has no device_id")
    return device_id


def _rssi(body: Mapping[str, Any]) -> float | None:
    raw = body.get("RSSI", body.get("rssi"))
    match = re.match(r"^\s*(-?\d+)", raw) if isinstance(raw, str) else None
    return float(match[1]) if match else None


class StromleserClient(DeviceClient):
    """One stromleser.one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = HttpTransport(self.transports.http, HttpEndpoint(self.config.host, self.config.port))
        self._last_good: tuple[Snapshot, float] | None = None
        self._started = clock.now()
        self.rejected = 0

    async def identify(self) -> DeviceIdentity:
        """The device id comes with the data; an entry that knows it spends no request on it (rate limit)."""
        if self.config.serial:
            return DeviceIdentity(vendor=VENDOR, model=MODEL, serial=self.config.serial)
        body = await self._read()
        device_id = _device_id(body)
        self._last_good = (parse(body), clock.now())
        return DeviceIdentity(vendor=VENDOR, model=MODEL, serial=device_id)

    async def fetch(self) -> Snapshot:
        """One request; a rejection shows the last good reading while it is recent.

        Right after start, before any reading, a rejection gives an empty snapshot: the entities appear
        with the first answered request instead of the device being reported as gone.
        """
        try:
            body = await self._read()
        except RateLimited as err:
            return self._while_rejected(err)
        if self.config.serial and (device_id := _device_id(body)) != self.config.serial:
            raise WrongDevice(f"{self.config.host} is {device_id}, this entry is {self.config.serial}")
        snapshot = parse(body)
        self._last_good = (snapshot, clock.now())
        return snapshot

    def _while_rejected(self, err: RateLimited) -> Snapshot:
        self.rejected += 1
        now = clock.now()
        if self._last_good is not None and now - self._last_good[1] <= KEEP_LAST_GOOD:
            _LOGGER.debug(
                "stromleser at %s refused a request (rate limit); last reading kept", self.config.host
            )
            return self._last_good[0]
        if self._last_good is None and now - self._started <= KEEP_LAST_GOOD:
            return Snapshot({})
        raise CannotConnect(f"stromleser at {self.config.host} keeps rejecting requests: {err}") from err

    def diagnostics(self) -> dict[str, Any]:
        """Requests sent and rejected."""
        return {"http_requests": self._http.requests, "rate_limited": self.rejected}

    async def _read(self) -> Mapping[str, Any]:
        return await self._http.get_object(PATH)


FAMILY = Family(
    id="stromleser",
    name="stromleser.one",
    client=StromleserClient,
    transport=Transport.HTTP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=10.0, minimum_interval=10.0),
    settings=Settings,
    zeroconf=(Announcement("_stromleser._tcp.local."),),
)
