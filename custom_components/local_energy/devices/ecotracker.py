"""everHome EcoTracker IR reader: ``GET /v1/json``, one request per poll, no auth.

Power is negative on export already. Counters are Wh (become kWh here); phases, tariffs and the export
counter are optional, and absent keys stay absent (a missing counter is not zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client import DeviceClient
from .connection import Settings
from .errors import CannotConnect, InvalidResponse
from .family import (
    Announcement,
    Family,
    Timing,
    Transport,
)
from .http import HttpEndpoint, HttpTransport
from .keys import Key
from .payload import number, total
from .snapshot import MAIN_CHANNEL, Channel, ChannelKind, DeviceIdentity, Snapshot, Value, is_number

VENDOR = "everHome"
MODEL = "EcoTracker"
DEFAULT_PORT = 80
PATH = "/v1/json"
STALE_READING_MS = 30_000
"""A reading older than this (agePower) means the reader lost the meter."""

_WATTS: Mapping[str, Key] = {
    "power": Key.POWER,
    "powerAvg": Key.POWER_AVERAGE,
    "powerPhase1": Key.POWER_L1,
    "powerPhase2": Key.POWER_L2,
    "powerPhase3": Key.POWER_L3,
}
_WATT_HOURS: Mapping[str, Key] = {
    "energyCounterIn": Key.ENERGY_IMPORT,
    "energyCounterInT1": Key.ENERGY_IMPORT_T1,
    "energyCounterInT2": Key.ENERGY_IMPORT_T2,
    "energyCounterOut": Key.ENERGY_EXPORT,
}


class EcoTrackerClient(DeviceClient):
    """One EcoTracker."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = HttpTransport(self.transports.http, HttpEndpoint(self.config.host, self.config.port))

    async def identify(self) -> DeviceIdentity:
        """The serial comes with the data."""
        body = await self._read()
        serial = body.get("serial")
        if not isinstance(serial, str) or not serial:
            raise InvalidResponse(f"{PATH} has no serial")
        firmware = body.get("firmwareVersion")
        return DeviceIdentity(
            vendor=VENDOR,
            model=MODEL,
            serial=serial.lower(),
            firmware=firmware if isinstance(firmware, str) else None,
        )

    async def fetch(self) -> Snapshot:
        """One request."""
        return parse(await self._read())

    def diagnostics(self) -> dict[str, Any]:
        """Requests sent."""
        return {"http_requests": self._http.requests}

    async def _read(self) -> Mapping[str, Any]:
        return await self._http.get_object(PATH)


@total("EcoTracker /v1/json")
def parse(body: Mapping[str, Any]) -> Snapshot:
    """Turn a /v1/json body into a snapshot; a stale reading is no reading."""
    age = body.get("agePower")
    if is_number(age) and age > STALE_READING_MS:
        raise CannotConnect(f"the EcoTracker has not read the meter for {age / 1000:.0f} s")
    # Numbers go to the contract as they came (NaN and out-of-range included): it drops and counts them.
    values: dict[Key, Value] = {
        key: watts for field, key in _WATTS.items() if (watts := number(body.get(field))) is not None
    }
    values.update(
        {
            key: round(wh / 1000, 6)
            for field, key in _WATT_HOURS.items()
            if (wh := number(body.get(field))) is not None
        }
    )
    if Key.POWER not in values:
        raise InvalidResponse(f"{PATH} has no power value")
    if is_number(rssi := body.get("rssi")):
        values[Key.WIFI_RSSI] = float(rssi)
    return Snapshot({MAIN_CHANNEL: Channel(ChannelKind.DEVICE, values)})


FAMILY = Family(
    id="ecotracker",
    name="everHome EcoTracker",
    client=EcoTrackerClient,
    transport=Transport.HTTP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=1.0, minimum_interval=1.0),
    settings=Settings,
    zeroconf=(Announcement("_everhome._tcp.local."),),
)
