"""IGEN / SOLARMAN meters, IR and P1 readers and plugs: UDP broadcasts (port 8088), HTTP OpenData as fallback.

A broadcast is a binary header (tag ``PSC-D`` at offset 6, the reader's serial at 53 with its length at 52),
then UTF-8 JSON, then a trailer whose checksum is not public and is not checked. The JSON is taken from the
first ``{`` to the last ``}``. The keys inside ``data`` follow the vendor's HTTP payloads (``Meter.JsonData``,
``P1.JsonData``, ``Plug.GetData``). UDP is off by default on these devices: when no broadcast is fresh, the
client asks the HTTP OpenData API instead, so every device works either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import urllib.parse
from collections.abc import Mapping
from typing import Any

import aiohttp

from . import clock
from .connection import Settings
from .errors import (
    AuthenticationRequired,
    CommandRejected,
    DeviceError,
    EndpointMissing,
    FirmwareTooOld,
    InvalidResponse,
)
from .family import (
    Announcement,
    Broadcast,
    Family,
    Field,
    Timing,
    Transport,
)
from .http import HttpEndpoint, HttpTransport
from .keys import Key, phases_of
from .payload import decode_json, total
from .snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Notice,
    Snapshot,
    Value,
)
from .udp import Address, OncePerMinute
from .udp_push import UdpPushClient

_LOGGER = logging.getLogger(__name__)

VENDOR = "IGEN"
DEFAULT_PORT = 8080
PUSH_PORT = 8088
TAG = b"PSC-D"
HEADER = 79
PUSH_FRESH = 3.0
"""Seconds a broadcast counts as current; older, and the HTTP API is asked instead."""
BROADCAST_WAIT = 1.5
"""How long an entry listens for a broadcast before it asks over HTTP (devices send every 150-500 ms)."""
HTTP_USER = "opend"
MAX_DATAGRAM = 8192
"""Real broadcasts are well under 2 kB; anything larger is not one."""
# HTTP polls in a row without a fresh broadcast before the user is told UDP looks switched off (a minute
# at the default interval): a device with UDP on broadcasts every 150-500 ms.
POLLS_BEFORE_NOTICE = 60
# The oldest firmware with the OpenData HTTP API, per device type (SOLARMAN's OpenData document).
OPENDATA_FIRMWARE = {
    "P1-2W": "V1.3.0A_R003.001_MP12W_00000013",
    "SP-2W": "V1.3.0A_R002.001_MSP2W_00000010",
    "MR1-D5": "V1.3.0A_R00B.032_M051A_00000015",
    "NIR": "V1.4.01_R016.052_M0000_00000013",
}

_RELAY = Control(Key.RELAY, ControlKind.SWITCH)

# A data key, as _canonical() writes it -> (our key, factor to our unit). Two vocabularies name the same
# values: the broadcasts' and Meter.JsonData's snake_case, and the OpenData document's words for
# P1.JsonData and the IR reader, some with stray spaces (" Actual electricity power delivered +P ").
# Powers in W unless noted; energies in kWh; gas in m³.
_KEYS: Mapping[str, tuple[Key, float]] = {
    "a_voltage": (Key.VOLTAGE_L1, 1), "b_voltage": (Key.VOLTAGE_L2, 1), "c_voltage": (Key.VOLTAGE_L3, 1),
    "a_current": (Key.CURRENT_L1, 1), "b_current": (Key.CURRENT_L2, 1), "c_current": (Key.CURRENT_L3, 1),
    "a_act_power": (Key.POWER_L1, 1), "b_act_power": (Key.POWER_L2, 1), "c_act_power": (Key.POWER_L3, 1),
    "total_act_power": (Key.POWER, 1), "total_aprt_power": (Key.APPARENT_POWER, 1),
    "total_react_power": (Key.REACTIVE_POWER, 1), "frequency": (Key.FREQUENCY, 1),
    "total_act_energy": (Key.ENERGY_IMPORT, 1), "total_act_ret_energy": (Key.ENERGY_EXPORT, 1),
    "total_act_energy_lt": (Key.ENERGY_IMPORT_T1, 1), "total_act_energy_nt": (Key.ENERGY_IMPORT_T2, 1),
    "total_act_ret_energy_lt": (Key.ENERGY_EXPORT_T1, 1),
    "total_act_ret_energy_nt": (Key.ENERGY_EXPORT_T2, 1),
    "total_gas": (Key.GAS, 1),
    "voltage": (Key.VOLTAGE, 1), "current": (Key.CURRENT, 1), "electric_current": (Key.CURRENT, 1),
    "active power": (Key.POWER, 1), "apparent power": (Key.APPARENT_POWER, 1),
    "reactive power": (Key.REACTIVE_POWER, 1), "power factor": (Key.POWER_FACTOR, 1),
    "power": (Key.POWER, 1), "positive_active_energy": (Key.ENERGY_IMPORT, 1),
    "reverse_active_energy": (Key.ENERGY_EXPORT, 1),
    # IR reader (Meter.JsonData of an NIR)
    "total active power": (Key.POWER, 1),
    "accumulated purchase of electric energy in full time.": (Key.ENERGY_IMPORT, 1),
    "full-time cumulative grid-connected electric energy": (Key.ENERGY_EXPORT, 1),
    "l1 phase voltage": (Key.VOLTAGE_L1, 1), "l2 phase voltage": (Key.VOLTAGE_L2, 1),
    "l3 phase voltage": (Key.VOLTAGE_L3, 1), "l1 phase current": (Key.CURRENT_L1, 1),
    "l2 phase current": (Key.CURRENT_L2, 1), "l3 phase current": (Key.CURRENT_L3, 1),
    "l1 phase power": (Key.POWER_L1, 1), "l2 phase power": (Key.POWER_L2, 1),
    "l3 phase power": (Key.POWER_L3, 1),
    # P1.JsonData (DSMR: "delivered to client" is import, "delivered by client" export)
    "electricity delivered to client_low tariff": (Key.ENERGY_IMPORT_T1, 1),
    "electricity delivered to client_normal tariff": (Key.ENERGY_IMPORT_T2, 1),
    "electricity delivered by client_low tariff": (Key.ENERGY_EXPORT_T1, 1),
    "electricity delivered by client_normal tariff": (Key.ENERGY_EXPORT_T2, 1),
    "ac_phase-a_voltage": (Key.VOLTAGE_L1, 1), "ac_phase-b_voltage": (Key.VOLTAGE_L2, 1),
    "ac_phase-c_voltage": (Key.VOLTAGE_L3, 1), "ac_phase-a_current": (Key.CURRENT_L1, 1),
    "ac_phase-b_current": (Key.CURRENT_L2, 1), "ac_phase-c_current": (Key.CURRENT_L3, 1),
    "total gas consumption": (Key.GAS, 1),
}  # fmt: skip
# A P1 reader gives import and export power apart (kW as documented): key -> (import, export) per vocabulary.
_P1_POWERS: Mapping[Key, tuple[tuple[str, str], ...]] = {
    Key.POWER: (
        ("total_act_power", "total_act_ret_power"),
        ("actual electricity power delivered +p", "actual electricity power received -p"),
    ),
    Key.POWER_L1: (("a_act_power", "a_act_ret_power"),
                   ("instantaneous active power l1 +p", "instantaneous active power l1 -p")),
    Key.POWER_L2: (("b_act_power", "b_act_ret_power"),
                   ("instantaneous active power l2 +p", "instantaneous active power l2 -p")),
    Key.POWER_L3: (("c_act_power", "c_act_ret_power"),
                   ("instantaneous active power l3 +p", "instantaneous active power l3 -p")),
}  # fmt: skip
# Keys only a P1 reader sends: every export power, and the document's worded import powers (the
# broadcasts' total_act_power is also a meter's signed power, so it tells nothing).
_P1_MARKS = frozenset(
    {"total_act_energy_lt", "electricity delivered to client_low tariff"}
    | {
        name
        for pairs in _P1_POWERS.values()
        for pair in pairs
        for name in pair
        if "ret" in name or " " in name
    }
)
GAS_CHANNEL = "gas"
# What a device is when only its broadcasts tell (Sys.GetConfig's type is not in them): by its keys.
SHAPE_MODELS = {"p1": "P1 reader", "plug": "Smart plug", "meter": "Meter", "": "IGEN device"}
_PLUG_MARKS = frozenset({"electric_current", "positive_active_energy", "reverse_active_energy"})


def shape_of(data: Mapping[str, Any]) -> str:
    """What a device is by the keys of its data: p1, plug or meter."""
    if "data" in data and isinstance(data["data"], dict):
        data = data["data"]
    names = {_canonical(name) for name in data if isinstance(name, str)}
    if names & _P1_MARKS:
        return "p1"
    return "plug" if names & _PLUG_MARKS else "meter"


@functools.lru_cache(maxsize=1024)
def _canonical(name: str) -> str:
    """A key as both vocabularies can be compared: no outer or repeated spaces, lower case.

    Cached: a device sends the same few dozen keys in every broadcast (bounded, for strangers' keys).
    """
    return " ".join(name.split()).lower()


def route(datagram: bytes) -> str | None:
    """The reader's serial from the header (the UDP hub's routing key)."""
    if len(datagram) < HEADER or datagram[6:11] != TAG:
        return None
    length = datagram[52]
    serial = datagram[53 : 53 + length]
    return serial.decode("ascii", errors="replace") if 0 < length <= 26 and serial.isalnum() else None


@total("IGEN broadcast")
def parse_packet(datagram: bytes) -> tuple[str, Mapping[str, Any]]:
    """Serial and ``data`` of a broadcast; InvalidResponse for anything else."""
    serial = route(datagram)
    if serial is None:
        raise InvalidResponse("not an IGEN broadcast (no PSC-D header)")
    if len(datagram) > MAX_DATAGRAM:
        raise InvalidResponse(f"IGEN broadcast from {serial} is {len(datagram)} bytes long")
    start, end = datagram.find(b"{", HEADER - 10), datagram.rfind(b"}")
    if start < 0 or end < start:
        raise InvalidResponse(f"IGEN broadcast from {serial} has no JSON")
    body = decode_json(datagram[start : end + 1], f"IGEN broadcast from {serial}")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise InvalidResponse(f"IGEN broadcast from {serial} has no data")
    return serial, data


@total("IGEN data")
def parse_values(data: Mapping[str, Any]) -> dict[Key, Value]:
    """Map a device's keys, in either vocabulary, to ours.

    A P1 reader's powers are kW in the vendor's docs and W on some firmware: they are taken in whichever
    unit agrees with voltage times current.
    """
    if "data" in data and isinstance(data["data"], dict):
        data = data["data"]  # the three-phase Meter.JsonData wraps its values
    named = {
        _canonical(name): float(raw)
        for name, raw in data.items()
        if isinstance(name, str) and isinstance(raw, (int, float)) and not isinstance(raw, bool)
    }
    values: dict[Key, Value] = {
        key: round(named[name] * factor, 6) for name, (key, factor) in _KEYS.items() if name in named
    }
    if _P1_MARKS & named.keys():
        values.update(_p1_powers(named, values))
    for summed, tariffs in (
        (Key.ENERGY_IMPORT, (Key.ENERGY_IMPORT_T1, Key.ENERGY_IMPORT_T2)),
        (Key.ENERGY_EXPORT, (Key.ENERGY_EXPORT_T1, Key.ENERGY_EXPORT_T2)),
    ):
        if summed not in values and any(t in values for t in tariffs):
            values[summed] = round(sum(float(values.get(t, 0.0)) for t in tariffs), 6)
    if "power factor" not in named and "total_pf" in named:
        values[Key.POWER_FACTOR] = round(named["total_pf"] / 100, 4)  # three-phase meters give %
    if not values:
        raise InvalidResponse("no known values in the IGEN data")
    return values


def _p1_powers(named: Mapping[str, float], values: Mapping[Key, Value]) -> dict[Key, float]:
    """Net powers (import minus export) of a P1 reader, in W."""
    pairs = {
        key: (drawn, fed)
        for key, options in _P1_POWERS.items()
        for drawn, fed in options
        if drawn in named or fed in named
    }
    raw = {key: named.get(drawn, 0.0) - named.get(fed, 0.0) for key, (drawn, fed) in pairs.items()}
    scale = _p1_power_scale(raw, values)
    return {key: round(power * scale, 3) for key, power in raw.items()}


P1_MOST_KW = 100.0
"""No household draws or feeds 100 kW through a P1 meter: a larger reading is in W."""


def _p1_power_scale(raw: Mapping[Key, float], values: Mapping[Key, Value]) -> float:
    """1000 when the reader's powers are kW (as documented), 1 when they are W (some firmware).

    Each phase whose voltage, current and power are all known votes for the unit that brings its power
    nearest to V * I (power never exceeds it, and the power factor keeps it near). A phase without its own
    current tells nothing, nor does the total: it nets the phases. Without a vote, only a reading too
    large for kW tells W.
    """
    error = {1.0: 0.0, 1000.0: 0.0}
    voted = False
    phases = zip(phases_of(Key.POWER), phases_of(Key.VOLTAGE), phases_of(Key.CURRENT), strict=True)
    for power_key, voltage_key, current_key in phases:
        power = abs(raw.get(power_key, 0.0))
        apparent = float(values.get(voltage_key, 0.0)) * float(values.get(current_key, 0.0))
        if power > 0 and apparent >= MIN_APPARENT_VOTE:
            voted = True
            for scale in error:
                error[scale] += abs(math.log(power * scale / apparent))
    if voted:
        return min(error, key=lambda scale: error[scale])
    largest = max((abs(power) for power in raw.values()), default=0.0)
    return 1.0 if largest > P1_MOST_KW else 1000.0


MIN_APPARENT_VOTE = 20.0
"""VA below which a phase's current is too small to tell W from kW (a reader rounds currents to 1 A)."""


@total("IGEN Sys.GetConfig")
def config_of(body: object) -> Mapping[str, Any]:
    """The device's settings: under ``device`` (P1 reader, INDEVOLT) or at the top level (plug, meter)."""
    nested = body.get("device") if isinstance(body, dict) else None
    device = nested if isinstance(nested, dict) else body
    if not isinstance(device, dict) or not str(device.get("sn") or ""):
        raise InvalidResponse("Sys.GetConfig has no serial")
    return device


def snapshot_of(
    values: Mapping[Key, Value], controls: tuple[Control, ...] = (), measured_at: float | None = None
) -> Snapshot:
    """The device, and a P1 reader's gas meter as a child (a counter at 0 is a P1 without one)."""
    own: dict[Key, Value] = {key: value for key, value in values.items() if key is not Key.GAS}
    channels = {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, own, controls=controls, measured_at=measured_at)}
    gas = values.get(Key.GAS)
    if gas:
        channels[GAS_CHANNEL] = Channel(
            ChannelKind.METER, {Key.GAS: gas}, model="Gas meter", name="Gas meter", measured_at=measured_at
        )
    return Snapshot(channels)


class IgenClient(UdpPushClient):
    """One IGEN device: pushed values while it broadcasts, its HTTP API otherwise."""

    router = route
    device = "IGEN device"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        digest = (
            aiohttp.DigestAuthMiddleware(HTTP_USER, self.config.password) if self.config.password else None
        )
        self._http = HttpTransport(
            self.transports.http, HttpEndpoint(self.config.host, self.config.port), digest=digest
        )
        self._serial = self.config.serial
        self._device_type = ""
        self._pushed: tuple[dict[Key, Value], float] | None = None
        """The newest decoded broadcast's values and when it arrived."""
        self._raw: tuple[bytes, float] | None = None
        """The newest broadcast, not decoded yet."""
        self.decoded = 0
        """Broadcasts decoded: those written (one a second at the default interval), not every one heard."""
        self._relay: bool | None = None
        self._log_limit = OncePerMinute()
        self.http_polls = 0
        self._polls_without_broadcast = 0
        self._heard = asyncio.Event()
        self._shape = ""

    @property
    def listen_port(self) -> int:
        """Where this device's broadcasts arrive."""
        return self.config.push_port or PUSH_PORT

    async def identify(self) -> DeviceIdentity:
        """Who the device is.

        An entry knows its serial: a fresh broadcast from it is enough, and no HTTP request is made
        (the API may have a password, another port, or be filtered). Without a fresh broadcast, and when
        adding a device, Sys.GetConfig over HTTP; a device whose HTTP API is closed is known by its
        broadcasts alone.
        """
        if self._serial is not None and await self._heard_within(BROADCAST_WAIT):
            return self._identity_from_broadcast()
        try:
            body = await self._rpc("Sys.GetConfig")
        except AuthenticationRequired:
            raise
        except DeviceError:
            if self._serial is None:
                self._serial = await self._wait_for_broadcast()
            return DeviceIdentity(vendor=VENDOR, model="IGEN device", serial=self._serial)
        device = config_of(body)
        self._serial = self._serial or str(device["sn"])
        self._device_type = str(device.get("type") or "")
        return DeviceIdentity(
            vendor=VENDOR,
            model=self._device_type or "IGEN device",
            serial=self._serial,
            firmware=str(device.get("fw") or "") or None,
            mac=str(device.get("mac") or "").lower() or None,
        )

    async def _heard_within(self, seconds: float) -> bool:
        """Listen for this device's broadcasts; whether a fresh one arrived within the time given."""
        await self._subscribe()
        if self.latest() is None and seconds > 0:
            self._heard.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._heard.wait()
        return self.latest() is not None

    def _identity_from_broadcast(self) -> DeviceIdentity:
        assert self._serial is not None
        return DeviceIdentity(vendor=VENDOR, model=SHAPE_MODELS[self._shape], serial=self._serial)

    def latest(self) -> Snapshot | None:
        """The latest broadcast while it is fresh (the plug's relay as last read), or None."""
        pushed = self._decoded()
        if pushed is None or clock.now() - pushed[1] > PUSH_FRESH:
            return None
        values = dict(pushed[0])
        if self._is_plug and self._relay is not None:
            values[Key.RELAY] = self._relay
        controls = (_RELAY,) if self._is_plug and self._relay is not None else ()
        return snapshot_of(values, controls, measured_at=pushed[1])

    def _decoded(self) -> tuple[dict[Key, Value], float] | None:
        """The newest broadcast's values, decoded once; a malformed one is counted and the one before kept."""
        if self._raw is not None:
            datagram, arrived = self._raw
            self._raw = None
            self.decoded += 1
            try:
                _, data = parse_packet(datagram)
                values = parse_values(data)
            except InvalidResponse as err:
                self.count_malformed((self.config.host, self.listen_port), str(err))
            else:
                self._shape = shape_of(data)
                self._pushed = (values, arrived)
        return self._pushed

    async def fetch(self) -> Snapshot:
        """The latest broadcast while it is fresh; otherwise one HTTP request."""
        measured_at: float | None = None
        if (pushed := self._decoded()) is not None and clock.now() - pushed[1] <= PUSH_FRESH:
            values, measured_at = dict(pushed[0]), pushed[1]
        else:
            values = parse_values(await self._rpc(self._data_api()))
            self.http_polls += 1
            self._polls_without_broadcast += 1
        controls: tuple[Control, ...] = ()
        if self._is_plug:
            await self._refresh_relay()
            if self._relay is not None:
                values[Key.RELAY] = self._relay
                controls = (_RELAY,)
        return snapshot_of(values, controls, measured_at)

    async def _refresh_relay(self) -> None:
        """The plug's relay now and then over HTTP; when HTTP fails, the last known state (if any)."""
        if self._relay is not None and self.http_polls % 10 != 1:
            return
        try:
            status = await self._rpc("Plug.GetStatus")
        except DeviceError as err:
            if self._relay is None and self._log_limit.allow("relay"):
                _LOGGER.info("The IGEN plug %s did not tell its relay state: %s", self._serial, err)
            return
        self._relay = isinstance(status, dict) and status.get("switch_status") == "on"

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Switch the smart plug."""
        if not self._is_plug or key is not Key.RELAY:
            raise CommandRejected("only the IGEN smart plug can be switched")
        state = "on" if value else "off"
        body = await self._rpc("Plug.SetStatus", {"switch_status": state}, method="POST")
        if not isinstance(body, dict) or body.get("result") is not True:
            raise CommandRejected(f"the plug refused to switch {state}")
        self._relay = bool(value)

    def diagnostics(self) -> dict[str, Any]:
        """Datagrams, those decoded (one per write) and malformed, and HTTP polls while none was fresh."""
        return super().diagnostics() | {
            "decoded": self.decoded,
            "http_polls": self.http_polls,
            "device_type": self._device_type,
        }

    def notices(self) -> tuple[Notice, ...]:
        """UDP looks switched off when a minute of HTTP polls passed without one broadcast."""
        if not self.subscribed or self._polls_without_broadcast < POLLS_BEFORE_NOTICE:
            return ()
        return (Notice("push_not_received", {"port": str(self.listen_port)}),)

    @property
    def _is_plug(self) -> bool:
        return self._device_type.startswith("SP-") or (not self._device_type and self._shape == "plug")

    def _data_api(self) -> str:
        if self._is_plug:
            return "Plug.GetData"
        if self._device_type.startswith("P1") or (not self._device_type and self._shape == "p1"):
            return "P1.JsonData"
        return "Meter.JsonData"

    async def _rpc(self, api: str, config: Mapping[str, Any] | None = None, method: str = "GET") -> Any:
        query = (
            ""
            if config is None
            else "?config=" + urllib.parse.quote(json.dumps(config, separators=(",", ":")))
        )
        try:
            return await self._http.request_json(method, f"/rpc/{api}{query}")
        except EndpointMissing as err:
            raise FirmwareTooOld(f"the device has no {api}: {self._firmware_advice()}") from err
        except DeviceError as err:
            if "401" in str(err) and not self.config.password:
                raise AuthenticationRequired("the device's OpenData API has a password") from err
            raise

    def _firmware_advice(self) -> str:
        kind = self._device_type
        known = [oldest for prefix, oldest in OPENDATA_FIRMWARE.items() if kind.startswith(prefix)]
        minimum = known[0] if known else None
        if minimum is None:
            return "its firmware predates the OpenData API"
        return f"the OpenData API needs firmware {minimum} or newer"

    def receive(self, datagram: bytes, address: Address) -> bool:
        """A broadcast, kept with the time it arrived; decoded (and checked) when its values are asked for."""
        self._raw = (datagram, clock.now())
        self._polls_without_broadcast = 0
        self._heard.set()
        return True

    async def _wait_for_broadcast(self) -> str:
        return await self._first_serial(
            PUSH_FRESH * 2,
            f"{self.config.host} answers neither its HTTP API nor with broadcasts on UDP {self.listen_port}",
        )


FAMILY = Family(
    id="igen",
    name="IGEN",
    client=IgenClient,
    transport=Transport.UDP,
    default_port=DEFAULT_PORT,
    timing=Timing(
        default_interval=1.0,
        minimum_interval=0.15,
        silent_after=PUSH_FRESH,
        polls_when_silent=True,
    ),
    settings=Settings,
    credentials=(Field.PASSWORD,),
    zeroconf=(Announcement("_solarman._tcp.local.", lowercase_serial=False, core="solarman"),),
    broadcast=Broadcast(PUSH_PORT, route, http_port=DEFAULT_PORT),
    discovery_asks_port=True,
    controls=(Key.RELAY,),
)
