"""Shelly meters and plugs: Gen1 REST (basic auth) and Gen2+ RPC (digest auth, SHA-256).

``GET /shelly`` (never behind auth) tells the generation, model, MAC and whether auth is on. Each poll is
one request: ``/status`` (Gen1) or ``/rpc/Shelly.GetStatus`` (Gen2+). Gen2+ devices push over their RPC
WebSocket; Gen1 devices publish CoIoT status datagrams (``coiot.py``), which are shown as they come and
replace polling while the device promises them often enough. Power is signed (> 0 drawn from the
grid) except on Gen1 and Gen2 plugs, which report the load's magnitude. Energy counters are Wh, except the
Gen1 plugs' watt-minutes; both become kWh here. Three-phase meters count each phase on its own, so their
totals are not what a utility meter shows for a house with PV: the netted import/export comes from
integrating the signed total power.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp

from .client import DeviceClient, PushListener
from .coiot import COIOT_PORT, CoiotFeed, CoiotStatus, status_of
from .connection import Settings
from .errors import AuthenticationRequired, CommandRejected, InvalidResponse, UnsupportedModel, WrongDevice
from .family import (
    Announcement,
    Family,
    Field,
    Timing,
    Transport,
)
from .http import HttpEndpoint, HttpTransport, basic_credentials
from .keys import Key, phases_of
from .payload import number, parsing, total
from .shelly_socket import ShellySocket
from .snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Snapshot,
    Value,
    is_number,
)
from .udp import OncePerMinute
from .websocket import Link, LinkListener

_LOGGER = logging.getLogger(__name__)

VENDOR = "Shelly"
DEFAULT_PORT = 80
RPC_USERNAME = "admin"  # Gen2+ digest auth always uses this user
DEFAULT_GEN1_USERNAME = "admin"


class Layout(StrEnum):
    """Where a model keeps its measurements."""

    GEN1_3EM = "gen1_3em"  # emeters[0..2] + relays[0]
    GEN1_EM = "gen1_em"  # emeters[0..1] + relays[0]
    GEN1_PLUG = "gen1_plug"  # meters[0] + relays[0]
    RPC_3EM = "rpc_3em"  # em:0 + emdata:0 (triphase) or em1:0..2 + em1data:0..2 (monophase)
    RPC_EM = "rpc_em"  # em1:0..1 + em1data:0..1 + switch:0 (contactor output)
    RPC_PLUG = "rpc_plug"  # switch:0 with metering


@dataclass(frozen=True, slots=True)
class Model:
    """A supported model."""

    name: str
    layout: Layout
    signed_power: bool = True


MODELS: Mapping[str, Model] = {
    "SHEM-3": Model("Shelly 3EM", Layout.GEN1_3EM),
    "SHEM": Model("Shelly EM", Layout.GEN1_EM),
    "SHPLG-1": Model("Shelly Plug", Layout.GEN1_PLUG, signed_power=False),
    "SHPLG-S": Model("Shelly Plug S", Layout.GEN1_PLUG, signed_power=False),
    "SHPLG2-1": Model("Shelly Plug E", Layout.GEN1_PLUG, signed_power=False),
    "SHPLG-U1": Model("Shelly Plug US", Layout.GEN1_PLUG, signed_power=False),
    "SPEM-002CEBEU50": Model("Shelly Pro EM", Layout.RPC_EM),
    "S3EM-002CXCEU": Model("Shelly EM Gen3", Layout.RPC_EM),
    "SPEM-003CEBEU": Model("Shelly Pro 3EM", Layout.RPC_3EM),
    "SPEM-003CEBEU120": Model("Shelly Pro 3EM", Layout.RPC_3EM),
    "SPEM-003CEBEU400": Model("Shelly Pro 3EM (400)", Layout.RPC_3EM),
    "SPEM-003CEBEU63": Model("Shelly Pro 3EM 3CT63", Layout.RPC_3EM),
    "S3EM-003CXCEU63": Model("Shelly 3EM-63 Gen3", Layout.RPC_3EM),
    "SNPL-00112EU": Model("Shelly Plus Plug S", Layout.RPC_PLUG, signed_power=False),
    "SNPL-10112EU": Model("Shelly Plus Plug S", Layout.RPC_PLUG, signed_power=False),
    "S3PL-00112EU": Model("Shelly Plug S Gen3", Layout.RPC_PLUG),
    "S3PL-20112EU": Model("Shelly Outdoor Plug S Gen3", Layout.RPC_PLUG),
}
RELAY_CONTROL = Control(key=Key.RELAY, kind=ControlKind.SWITCH)


@dataclass(frozen=True, slots=True)
class ShellyInfo:
    """What GET /shelly tells."""

    generation: int
    model_id: str
    model: Model
    mac: str
    auth_required: bool
    firmware: str | None
    name: str | None
    monophase: bool


@total("/shelly")
def parse_info(body: object) -> ShellyInfo:
    """Read /shelly of any generation; unknown models are unsupported."""
    if not isinstance(body, dict):
        raise InvalidResponse("/shelly did not answer a JSON object")
    generation = body.get("gen") or 1  # Gen1 devices do not say
    if isinstance(generation, bool) or not isinstance(generation, int) or not 1 <= generation <= 9:
        raise InvalidResponse(f"/shelly names an unknown generation: {generation!r:.20}")
    model_id = str(body.get("model" if generation >= 2 else "type") or "")
    if not model_id:
        raise UnsupportedModel("/shelly names no model (firmware not fully provisioned?)")
    model = MODELS.get(model_id)
    if model is None:
        raise UnsupportedModel(f"Shelly model {model_id} is not a meter or plug this integration reads")
    mac = str(body.get("mac") or "")
    if len(mac) != 12:
        raise InvalidResponse(f"/shelly has no valid MAC: {mac!r}")
    return ShellyInfo(
        generation=generation,
        model_id=model_id,
        model=model,
        mac=mac.lower(),
        auth_required=bool(body.get("auth_en") if generation >= 2 else body.get("auth")),
        firmware=_text(body.get("ver") or body.get("fw_id") or body.get("fw")),
        name=_text(body.get("name")),
        monophase=body.get("profile") == "monophase",
    )


class ShellyClient(DeviceClient):
    """One Shelly device, any generation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        endpoint = HttpEndpoint(self.config.host, self.config.port)
        self._open = HttpTransport(self.transports.http, endpoint)
        self._authed: HttpTransport | None = None
        self._info: ShellyInfo | None = None
        self._socket: ShellySocket | None = None
        self._coiot: CoiotFeed | None = None
        self._polled_status: dict[str, Any] = {}
        """The last Gen1 /status read: what CoIoT datagrams do not carry is kept from it."""
        self._coiot_status: dict[str, Any] | None = None
        self._link: LinkListener = lambda _link: None
        self._foreign_mac: str | None = None
        """Why the device at the socket is not this entry's (another MAC): its pushes are not taken."""
        self._log_limit = OncePerMinute()

    @property
    def pushes(self) -> bool:
        """Gen2+ push over their RPC WebSocket, Gen1 publish CoIoT datagrams (known once identified)."""
        return self._info is not None

    @property
    def link(self) -> Link:
        """Gen2+: the WebSocket, up and answered by this entry's device; Gen1: CoIoT.

        CoIoT is followed alone while its status promises the next often enough; while it does not, its
        statuses are shown and the device is read over HTTP as well.
        """
        if self._coiot is not None:
            return Link.DOWN if self._coiot_status is None else self._coiot.link
        connected = self._socket is not None and self._socket.connected and self._foreign_mac is None
        return Link.UP if connected else Link.DOWN

    async def start(self, on_push: PushListener, on_link: LinkListener | None = None) -> None:
        """Gen2+: open the RPC WebSocket (a full status on every connect, then its notifications).

        Gen1: listen for its CoIoT datagrams.
        """
        info = self._info or await self._read_info()
        self._push_listener = on_push
        self._link = on_link or self._link
        if info.generation < 2:
            await self._start_coiot(info)
            return
        if self._socket is not None:
            return
        password = self.config.password if info.auth_required else None
        url = HttpEndpoint(self.config.host, self.config.port, scheme="ws").url("/rpc")
        self._socket = ShellySocket(lambda: self.transports.http, url, password, self._on_status)
        self._socket.start(self._on_link)

    def decode_pushed(self) -> Snapshot | None:
        """The status the WebSocket or CoIoT holds (its MAC was checked when it arrived)."""
        info = self._info
        held = self._coiot_status if self._coiot is not None else self._socket and self._socket.status
        if info is None or not held:
            return None
        try:
            return parse_status(held, info)
        except InvalidResponse as err:
            if self._log_limit.allow("status"):
                _LOGGER.info("Ignoring a status pushed by %s: %s", self.config.host, err)
            return None

    async def _start_coiot(self, info: ShellyInfo) -> None:
        if self._coiot is None:
            port = self.config.push_port or COIOT_PORT
            udp = self.transports.udp
            self._coiot = CoiotFeed(udp, port, self.config.host, info.mac, self._on_coiot)
        await self._coiot.start(self._link)

    def _on_coiot(self, status: CoiotStatus) -> None:
        """A Gen1 status datagram: the /status it stands for, held (decoded when it is wanted)."""
        info = self._info
        if info is None or not self._polled_status:
            return  # nothing to stand on yet: the first poll comes before pushes are taken
        self._coiot_status = status_of(status.values, info.model.layout, self._polled_status)
        self.announce_push()

    def _on_link(self, link: Link) -> None:
        if link is Link.UP:
            self._foreign_mac = None
        self._link(link)
        if link is Link.UP and self._socket is not None and self._socket.status:
            self._on_status(self._socket.status)  # the handshake's full status, taken now the link is up

    def _on_status(self, status: Mapping[str, Any]) -> None:
        """The merged status after a notification: held, and decoded when it is wanted.

        Another device at the socket takes the link down: read over HTTP, which says so.
        """
        info = self._info
        if info is None:
            return
        if (foreign := self._foreign(status, info)) is not None:
            if self._foreign_mac is None:
                self._foreign_mac = foreign
                self._link(Link.DOWN)
            return
        if self.link is not Link.DOWN:
            self.announce_push()

    async def identify(self) -> DeviceIdentity:
        """Read /shelly; when auth is on, prove the credentials with one status request."""
        info = await self._read_info()
        identity = DeviceIdentity(
            vendor=VENDOR,
            model=info.model.name,
            serial=info.mac,
            firmware=info.firmware,
            name=info.name,
            mac=info.mac,
        )
        if info.auth_required:
            if not self.config.password:
                message = f"{info.model.name} at {self.config.host} has authentication on"
                raise AuthenticationRequired(message, identity)
            await self._read_status()
        return identity

    async def fetch(self) -> Snapshot:
        """The status the WebSocket keeps while it is up, else one status request; MAC checked."""
        info = self._info or await self._read_info()
        if self.link is Link.UP and (held := self.latest()) is not None:
            return held
        status = await self._read_status()
        if (foreign := self._foreign(status, info)) is not None:
            self._info = None  # ask /shelly again next time: the address now belongs to another device
            raise WrongDevice(foreign)
        return parse_status(status, info)

    def _foreign(self, status: Mapping[str, Any], info: ShellyInfo) -> str | None:
        """Why a status is not of the MAC this entry belongs to, or None when it is."""
        reported = _status_mac(status, info.generation)
        expected = (self.config.serial or info.mac).lower()
        if reported is None or reported == expected:
            return None
        return f"{self.config.host} answers with MAC {reported}, this entry is {expected}"

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Switch the relay (plug, or the contactor output of an EM)."""
        info = self._info or await self._read_info()
        if key is not Key.RELAY or channel_id != MAIN_CHANNEL or info.model.layout in (Layout.RPC_3EM,):
            raise CommandRejected(f"{info.model.name} has no relay {channel_id!r}")
        on = bool(value)
        if self.link is Link.UP and self._socket is not None:
            await self._socket.call("Switch.Set", {"id": 0, "on": on})
        elif info.generation >= 2:
            await self._transport(info).get_json(f"/rpc/Switch.Set?id=0&on={'true' if on else 'false'}")
        else:
            await self._transport(info).get_json(f"/relay/0?turn={'on' if on else 'off'}")

    async def close(self) -> None:
        """Close the WebSocket."""
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        if self._coiot is not None:
            self._coiot.close()
            self._coiot = None

    def diagnostics(self) -> dict[str, Any]:
        """Requests sent, what /shelly said, and the WebSocket's counters."""
        info = self._info
        return {
            "websocket": None if self._socket is None else self._socket.diagnostics(),
            "coiot": None if self._coiot is None else self._coiot.diagnostics(),
            "http_requests": self._open.requests + (self._authed.requests if self._authed else 0),
            "generation": info.generation if info else None,
            "model_id": info.model_id if info else None,
            "auth_required": info.auth_required if info else None,
            "monophase": info.monophase if info else None,
        }

    async def _read_info(self) -> ShellyInfo:
        self._info = parse_info(await self._open.get_json("/shelly"))
        return self._info

    async def _read_status(self) -> dict[str, Any]:
        info = self._info or await self._read_info()
        if info.generation >= 2:
            return await self._transport(info).get_object("/rpc/Shelly.GetStatus")
        self._polled_status = await self._transport(info).get_object("/status")
        return self._polled_status

    def _transport(self, info: ShellyInfo) -> HttpTransport:
        if not info.auth_required:
            return self._open
        if self._authed is None:
            password = self.config.password or ""
            endpoint = self._open.endpoint
            if info.generation >= 2:
                digest = aiohttp.DigestAuthMiddleware(RPC_USERNAME, password)
                self._authed = HttpTransport(self.transports.http, endpoint, digest=digest)
            else:
                basic = basic_credentials(self.config.username or DEFAULT_GEN1_USERNAME, password)
                self._authed = HttpTransport(self.transports.http, endpoint, headers={"Authorization": basic})
        return self._authed

    def integrates(self, channel_id: str) -> bool:
        """Three-phase meters count per phase: their netted import/export comes from the total power."""
        return self._info is not None and nets_phases(self._info, channel_id)

    def may_export(self, channel_id: str) -> bool:
        """Plugs that report power without a sign measure consumption only."""
        return self._info is None or self._info.model.signed_power


_THREE_PHASE = (Layout.GEN1_3EM, Layout.RPC_3EM)


def nets_phases(info: ShellyInfo, channel_id: str) -> bool:
    """Whether a channel's netted import/export is integrated from its total power (three-phase meters)."""
    return channel_id == MAIN_CHANNEL and info.model.layout in _THREE_PHASE


def parse_status(status: object, info: ShellyInfo) -> Snapshot:
    """Turn a status answer (``/status`` or ``Shelly.GetStatus``) into a snapshot."""
    if not isinstance(status, dict):
        raise InvalidResponse(f"{info.model.name} status is not a JSON object")
    with parsing(f"{info.model.name} status"):
        channels = _PARSERS[info.model.layout](status, info)
    return Snapshot(channels=channels)


# --- parsing -------------------------------------------------------------------------------------------

type _Channels = dict[str, Channel]
_PHASES = ("a", "b", "c")


def _gen1_3em(status: Mapping[str, Any], _info: ShellyInfo) -> _Channels:
    emeters = status["emeters"][:3]
    values: dict[Key, Value] = {}
    for index, meter in enumerate(emeters):
        power = float(meter["power"])
        values[phases_of(Key.POWER)[index]] = power
        values[phases_of(Key.VOLTAGE)[index]] = float(meter["voltage"])
        values[phases_of(Key.CURRENT)[index]] = _signed(meter.get("current", 0.0), power)
        _put(values, phases_of(Key.POWER_FACTOR)[index], meter.get("pf"))
        values[phases_of(Key.ENERGY_IMPORT)[index]] = _kwh(meter["total"])
        values[phases_of(Key.ENERGY_EXPORT)[index]] = _kwh(meter["total_returned"])
    total = status.get("total_power")
    values[Key.POWER] = float(total) if is_number(total) else sum(float(m["power"]) for m in emeters)
    values[Key.ENERGY_IMPORT] = round(sum(_kwh(m["total"]) for m in emeters), 6)
    values[Key.ENERGY_EXPORT] = round(sum(_kwh(m["total_returned"]) for m in emeters), 6)
    return {MAIN_CHANNEL: _main(values, status, relay=_gen1_relay(status))}


def _gen1_em(status: Mapping[str, Any], info: ShellyInfo) -> _Channels:
    channels: _Channels = {}
    for index, meter in enumerate(status["emeters"][:2]):
        values: dict[Key, Value] = {
            Key.POWER: float(meter["power"]),
            Key.VOLTAGE: float(meter["voltage"]),
            Key.ENERGY_IMPORT: _kwh(meter["total"]),
            Key.ENERGY_EXPORT: _kwh(meter["total_returned"]),
        }
        _put(values, Key.REACTIVE_POWER, meter.get("reactive"))
        _put(values, Key.POWER_FACTOR, meter.get("pf"))
        channels[f"emeter{index}"] = _child(info, index, values)
    channels[MAIN_CHANNEL] = _main({}, status, relay=_gen1_relay(status))
    return channels


def _gen1_plug(status: Mapping[str, Any], _info: ShellyInfo) -> _Channels:
    meter = status["meters"][0]
    values: dict[Key, Value] = {
        Key.POWER: float(meter["power"]),
        Key.ENERGY_IMPORT: round(float(meter["total"]) / 60 / 1000, 6),  # watt-minutes
    }
    return {MAIN_CHANNEL: _main(values, status, relay=_gen1_relay(status))}


def _rpc_3em(status: Mapping[str, Any], info: ShellyInfo) -> _Channels:
    if info.monophase or "em:0" not in status:
        channels = {f"em1:{i}": _em1_channel(status, info, i) for i in range(3) if f"em1:{i}" in status}
        channels[MAIN_CHANNEL] = _main({}, status)
        return channels
    meter, data = status["em:0"], status.get("emdata:0", {})
    values: dict[Key, Value] = {
        Key.POWER: float(meter["total_act_power"]),
        Key.APPARENT_POWER: float(meter["total_aprt_power"]),
    }
    for index, phase in enumerate(_PHASES):
        power = float(meter[f"{phase}_act_power"])
        values[phases_of(Key.POWER)[index]] = power
        values[phases_of(Key.APPARENT_POWER)[index]] = float(meter[f"{phase}_aprt_power"])
        values[phases_of(Key.VOLTAGE)[index]] = float(meter[f"{phase}_voltage"])
        values[phases_of(Key.CURRENT)[index]] = _signed(meter[f"{phase}_current"], power)
        _put(values, phases_of(Key.POWER_FACTOR)[index], meter.get(f"{phase}_pf"))
        _put(values, phases_of(Key.ENERGY_IMPORT)[index], _kwh_or_none(data.get(f"{phase}_total_act_energy")))
        _put(
            values,
            phases_of(Key.ENERGY_EXPORT)[index],
            _kwh_or_none(data.get(f"{phase}_total_act_ret_energy")),
        )
    _put(values, Key.FREQUENCY, meter.get("a_freq"))
    _put(values, Key.CURRENT_N, meter.get("n_current"))
    _put(values, Key.ENERGY_IMPORT, _kwh_or_none(data.get("total_act")))
    _put(values, Key.ENERGY_EXPORT, _kwh_or_none(data.get("total_act_ret")))
    return {MAIN_CHANNEL: _main(values, status)}


def _rpc_em(status: Mapping[str, Any], info: ShellyInfo) -> _Channels:
    channels = {f"em1:{index}": _em1_channel(status, info, index) for index in range(2)}
    switch = status.get("switch:0")
    relay = bool(switch["output"]) if isinstance(switch, dict) else None
    channels[MAIN_CHANNEL] = _main({}, status, relay=relay)
    return channels


def _rpc_plug(status: Mapping[str, Any], info: ShellyInfo) -> _Channels:
    switch = status["switch:0"]
    power = float(switch["apower"])
    values: dict[Key, Value] = {
        Key.POWER: power if info.model.signed_power else abs(power),
        Key.VOLTAGE: float(switch["voltage"]),
        Key.CURRENT: float(switch["current"]),
    }
    _put(values, Key.POWER_FACTOR, switch.get("pf"))
    _put(values, Key.FREQUENCY, switch.get("freq"))
    consumed = float(switch["aenergy"]["total"])
    returned = switch.get("ret_aenergy")
    if isinstance(returned, dict):
        # Where the plug meters both directions, aenergy counts both: import is the difference.
        values[Key.ENERGY_IMPORT] = _kwh(max(0.0, consumed - float(returned["total"])))
        values[Key.ENERGY_EXPORT] = _kwh(returned["total"])
    else:
        values[Key.ENERGY_IMPORT] = _kwh(consumed)
    return {MAIN_CHANNEL: _main(values, status, relay=bool(switch["output"]))}


_PARSERS: Mapping[Layout, Callable[[Mapping[str, Any], ShellyInfo], _Channels]] = {
    Layout.GEN1_3EM: _gen1_3em,
    Layout.GEN1_EM: _gen1_em,
    Layout.GEN1_PLUG: _gen1_plug,
    Layout.RPC_3EM: _rpc_3em,
    Layout.RPC_EM: _rpc_em,
    Layout.RPC_PLUG: _rpc_plug,
}


def _em1_channel(status: Mapping[str, Any], info: ShellyInfo, index: int) -> Channel:
    meter, data = status[f"em1:{index}"], status.get(f"em1data:{index}", {})
    power = float(meter["act_power"])
    values: dict[Key, Value] = {
        Key.POWER: power,
        Key.VOLTAGE: float(meter["voltage"]),
        Key.CURRENT: _signed(meter["current"], power),
    }
    _put(values, Key.APPARENT_POWER, meter.get("aprt_power"))
    _put(values, Key.POWER_FACTOR, meter.get("pf"))
    _put(values, Key.FREQUENCY, meter.get("freq"))
    _put(values, Key.ENERGY_IMPORT, _kwh_or_none(data.get("total_act_energy")))
    _put(values, Key.ENERGY_EXPORT, _kwh_or_none(data.get("total_act_ret_energy")))
    return _child(info, index, values)


def _child(info: ShellyInfo, index: int, values: Mapping[Key, Value]) -> Channel:
    name = f"{info.name or info.model.name} channel {index + 1}"
    return Channel(ChannelKind.METER, values, name=name, model="Measuring channel")


def _main(values: dict[Key, Value], status: Mapping[str, Any], *, relay: bool | None = None) -> Channel:
    wifi = status.get("wifi_sta") or status.get("wifi") or {}
    _put(values, Key.WIFI_RSSI, wifi.get("rssi") if isinstance(wifi, dict) else None)
    controls: tuple[Control, ...] = ()
    if relay is not None:
        values[Key.RELAY] = relay
        controls = (RELAY_CONTROL,)
    return Channel(kind=ChannelKind.DEVICE, values=values, controls=controls)


def _gen1_relay(status: Mapping[str, Any]) -> bool | None:
    relays = status.get("relays")
    if isinstance(relays, list) and relays and isinstance(relays[0], dict):
        return bool(relays[0].get("ison"))
    return None


def _status_mac(status: Mapping[str, Any], generation: int) -> str | None:
    system = status.get("sys")
    raw = status.get("mac") if generation == 1 else system.get("mac") if isinstance(system, dict) else None
    if not isinstance(raw, str) or len(raw.strip()) != 12:
        return None  # some firmware leaves it out (or blank)
    return raw.strip().lower()


def _signed(current: object, power: float) -> float:
    """Shelly meters report current unsigned; it flows the way the power does."""
    return math.copysign(float(current), power)  # type: ignore[arg-type]


def _put(values: dict[Key, Value], key: Key, raw: object) -> None:
    """Put an optional number; NaN and out-of-range ones too, for the contract to drop and count."""
    if (value := number(raw)) is not None:
        values[key] = value


def _kwh(watt_hours: object) -> float:
    return round(float(watt_hours) / 1000, 6)  # type: ignore[arg-type]


def _kwh_or_none(watt_hours: object) -> float | None:
    return None if (value := number(watt_hours)) is None else _kwh(value)


def _text(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


FAMILY = Family(
    id="shelly",
    name="Shelly",
    client=ShellyClient,
    transport=Transport.HTTP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=2.0, minimum_interval=1.0, polls_when_silent=True),
    settings=Settings,
    credentials=(Field.USERNAME, Field.PASSWORD),
    zeroconf=(
        Announcement("_shelly._tcp.local.", core="shelly"),
        Announcement("_http._tcp.local.", "shelly*", core="shelly"),
    ),
    controls=(Key.RELAY,),
)
