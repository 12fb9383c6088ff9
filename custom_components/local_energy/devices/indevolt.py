"""INDEVOLT micro-storage (SolidFlex/PowerFlex 2000 and 3000, SolidFlex 1200, BK1600 / Ultra): local HTTP API.

Reads are one ``Indevolt.GetData`` request for every point; the JSON in ``config=`` must be compact (the
device refuses spaces). Writes are ``Indevolt.SetData`` with the vendor's write points. Public sources
describe the sign of battery power (point 6000) both ways, so the sign comes from the battery state (6001):
charging is positive, as in our convention. The SMD meter the battery reads is a child device; the SP16
plug is not exposed by the HTTP API.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from .client import DeviceClient
from .connection import Settings
from .errors import CommandRejected, InvalidResponse
from .family import (
    Announcement,
    BatteryActuator,
    Family,
    ModeSwitch,
    Timing,
    Transport,
)
from .http import HttpEndpoint, HttpTransport
from .keys import BATTERY_STATES as STATE_WORDS
from .keys import Key
from .payload import finite, number, total
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

VENDOR = "INDEVOLT"
DEFAULT_PORT = 8080
METER_CHANNEL = "meter"
MODELS = {
    "CMS-SF2000": "SolidFlex 2000",
    "CMS-SP2000": "PowerFlex 2000",
    "CMS-SF3000": "SolidFlex 3000",
    "CMS-SP3000": "PowerFlex 3000",
    "CMS-SF1200": "SolidFlex 1200",
}
MODES = {1: "self_consumption", 4: "real_time_control", 5: "schedule", 0: "outdoor_portable"}
REAL_TIME = 4
BATTERY_STATES = dict(zip((1000, 1001, 1002), STATE_WORDS, strict=True))
"""Point 6001: the key table's words for its codes."""


class Points:
    """The read points of one generation, and the write points and limits that go with them."""

    def __init__(
        self, *, meter: int, feed_in: int, max_output: int, power_limit: float, modes: tuple[int, ...]
    ) -> None:
        self.meter = meter
        self.feed_in = feed_in
        self.max_output = max_output
        self.power_limit = power_limit
        self.modes = modes
        self.read = (
            0, 7101, 6002, 6000, 6001, 1501, 2101, 2108, 6006, 6007, 2107, 2104, 1505, 6105, 2618, 7120,
            meter, feed_in, max_output,
        )  # fmt: skip


GEN2 = Points(meter=11016, feed_in=11010, max_output=11011, power_limit=2400, modes=(1, 4, 5))
GEN1 = Points(meter=21028, feed_in=2617, max_output=4, power_limit=1200, modes=(0, 1, 4, 5))
WRITE_MODE, WRITE_REAL_TIME, WRITE_FEED_IN, WRITE_MAX_OUTPUT, WRITE_BACKUP_SOC, WRITE_GRID_CHARGING = (
    47005, 47015, 1146, 1147, 1142, 1143,
)  # fmt: skip


def config_query(config: Mapping[str, Any]) -> str:
    """``?config={...}`` with compact JSON, as the device requires."""
    return "?config=" + urllib.parse.quote(json.dumps(config, separators=(",", ":")), safe="")


class IndevoltClient(DeviceClient):
    """One battery system; its meter is a child channel."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = HttpTransport(self.transports.http, HttpEndpoint(self.config.host, self.config.port))
        self._points: Points | None = None
        self._setpoint = 0.0

    async def identify(self) -> DeviceIdentity:
        """``Sys.GetConfig`` for type and MAC; the serial from it, or from point 0 when it is empty."""
        body = await self._http.get_json("/rpc/Sys.GetConfig")
        device = body.get("device") if isinstance(body, dict) else None
        if not isinstance(device, dict):
            raise InvalidResponse("Sys.GetConfig has no device")
        device_type = str(device.get("type", ""))
        self._points = GEN2 if device_type in MODELS else GEN1
        serial = str(device.get("sn") or "") or str((await self._get((0,))).get("0") or "")
        mac = str(device.get("mac") or "").lower()
        if not serial and not mac:
            raise InvalidResponse("the battery tells neither its serial nor its MAC")
        return DeviceIdentity(
            vendor=VENDOR,
            model=MODELS.get(device_type, "BK1600"),
            serial=serial or mac,
            firmware=str(device.get("fw") or "") or None,
            mac=mac or None,
        )

    async def fetch(self) -> Snapshot:
        """Every point in one request."""
        if self._points is None:
            await self.identify()
        assert self._points is not None
        return parse_data(self._points, await self._get(self._points.read), self._setpoint)

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Set a mode, a limit, the backup SOC, grid charging, or (in real-time control) the battery power."""
        points = self._points or GEN1
        if channel_id != MAIN_CHANNEL:
            raise CommandRejected(f"{channel_id!r} has nothing to set")
        if key is Key.OPERATING_MODE:
            mode = next((code for code, name in MODES.items() if name == value), None)
            if mode is None or mode not in points.modes:
                raise CommandRejected(f"{value} is not a mode this battery has")
            await self._set(WRITE_MODE, [mode])
        elif key is Key.BATTERY_SETPOINT:
            await self._set_battery_power(float(value), points)
        else:
            point = {
                Key.FEED_IN_LIMIT: WRITE_FEED_IN,
                Key.MAX_OUTPUT_POWER: WRITE_MAX_OUTPUT,
                Key.BACKUP_SOC: WRITE_BACKUP_SOC,
                Key.GRID_CHARGING: WRITE_GRID_CHARGING,
            }.get(key)
            if point is None:
                raise CommandRejected(f"{key} cannot be written on this battery")
            await self._set(point, [int(bool(value)) if key is Key.GRID_CHARGING else round(float(value))])

    def diagnostics(self) -> dict[str, Any]:
        """Requests and the generation."""
        return {"http_requests": self._http.requests, "generation": 2 if self._points is GEN2 else 1}

    async def _set_battery_power(self, watts: float, points: Points) -> None:
        mode = (await self._get((7101,))).get("7101")
        if mode != REAL_TIME:
            raise CommandRejected("the battery is not in real-time control", reason="not_real_time")
        state = 0 if watts == 0 else (1 if watts > 0 else 2)
        soc_limit = 100 if watts > 0 else 5
        await self._set(WRITE_REAL_TIME, [state, round(abs(watts)), soc_limit])
        self._setpoint = watts

    async def _get(self, points: tuple[int, ...]) -> dict[str, Any]:
        return await self._http.request_object(
            "POST", "/rpc/Indevolt.GetData" + config_query({"t": list(points)})
        )

    async def _set(self, point: int, values: list[int]) -> None:
        body = await self._http.request_json(
            "POST", "/rpc/Indevolt.SetData" + config_query({"f": 16, "t": point, "v": values})
        )
        if not isinstance(body, dict) or body.get("result") is not True:
            raise CommandRejected(f"the battery refused point {point} = {values}")


def _controls(points: Points) -> tuple[Control, ...]:
    limit = points.power_limit
    return (
        Control(Key.OPERATING_MODE, ControlKind.SELECT, options=tuple(MODES[m] for m in points.modes)),
        Control(Key.FEED_IN_LIMIT, ControlKind.NUMBER, minimum=50, maximum=limit, step=10),
        Control(Key.MAX_OUTPUT_POWER, ControlKind.NUMBER, minimum=50, maximum=limit, step=10),
        Control(Key.BACKUP_SOC, ControlKind.NUMBER, minimum=0, maximum=100, step=1),
        Control(Key.GRID_CHARGING, ControlKind.SWITCH),
        Control(
            Key.BATTERY_SETPOINT, ControlKind.NUMBER, minimum=-limit, maximum=limit, step=10, smallest=50
        ),
    )


@total("INDEVOLT GetData")
def parse_data(points: Points, data: Mapping[str, Any], setpoint: float) -> Snapshot:
    """Turn a GetData answer into a snapshot; the setpoint shown is the last one sent."""

    def selector(point: int) -> float | None:
        return finite(data.get(str(point)))

    # Measured values go to the contract as they came (NaN included) for it to drop and count; the
    # points that select a state or a mode must be finite to mean anything.
    values: dict[Key, Value] = {}
    for point, key, factor in (
        (6002, Key.STATE_OF_ENERGY, 1.0), (1501, Key.PV_POWER, 1.0), (2101, Key.AC_INPUT_POWER, 1.0),
        (2108, Key.AC_OUTPUT_POWER, 1.0), (6006, Key.BATTERY_CHARGE_ENERGY, 1.0),
        (6007, Key.BATTERY_DISCHARGE_ENERGY, 1.0), (2107, Key.AC_INPUT_ENERGY, 1.0),
        (2104, Key.AC_OUTPUT_ENERGY, 1.0), (1505, Key.PV_ENERGY, 0.001), (6105, Key.BACKUP_SOC, 1.0),
        (points.feed_in, Key.FEED_IN_LIMIT, 1.0), (points.max_output, Key.MAX_OUTPUT_POWER, 1.0),
    ):  # fmt: skip
        if (raw := number(data.get(str(point)))) is not None:
            values[key] = round(raw * factor, 6)
    state = BATTERY_STATES.get(int(selector(6001) or 0))
    if (power := selector(6000)) is not None and state is not None:
        values[Key.BATTERY_POWER] = {"charging": abs(power), "discharging": -abs(power)}.get(state, 0.0)
        values[Key.BATTERY_STATE] = state
    if (mode := MODES.get(int(selector(7101) or -1))) is not None:
        values[Key.OPERATING_MODE] = mode
    if (charging := selector(2618)) is not None:
        values[Key.GRID_CHARGING] = charging == 1001
    values[Key.BATTERY_SETPOINT] = setpoint
    channels = {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, values, controls=_controls(points))}
    if selector(7120) in (None, 1000) and (meter := selector(points.meter)) is not None:
        channels[METER_CHANNEL] = Channel(
            ChannelKind.METER, {Key.POWER: meter}, model="Smart meter (SMD)", name="INDEVOLT meter"
        )
    return Snapshot(channels)


FAMILY = Family(
    id="indevolt",
    name="INDEVOLT",
    client=IndevoltClient,
    transport=Transport.HTTP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=2.0, minimum_interval=1.0),
    settings=Settings,
    # Its web server, or its firmware's name (Home Assistant's own indevolt integration matches the latter).
    zeroconf=(
        Announcement("_http._tcp.local.", "smd web server*"),
        Announcement(
            "_http._tcp.local.", "igen_fw*", lowercase_serial=False, serial_in_hostname=True, core="indevolt"
        ),
    ),
    controls=(
        Key.OPERATING_MODE,
        Key.FEED_IN_LIMIT,
        Key.MAX_OUTPUT_POWER,
        Key.BACKUP_SOC,
        Key.GRID_CHARGING,
        Key.BATTERY_SETPOINT,
    ),
    battery=BatteryActuator(
        Key.BATTERY_SETPOINT,
        reserve=Key.BACKUP_SOC,
        mode=ModeSwitch(Key.OPERATING_MODE, MODES[REAL_TIME], MODES[1]),
        response_delay=2.0,
        minimum_interval=2.0,
    ),
)
