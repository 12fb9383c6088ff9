"""Enistic smart energy controller: readings broadcast as ASCII on UDP 53005, socket commands on UDP 53004.

A reading is ``<controller>:Reading:<meter>:<power W>:<channel>:<state>`` terminated by CR; a datagram may
carry several events, and events that are not readings are ignored.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from . import clock
from .client import PushListener
from .connection import Settings
from .errors import CannotConnect, CommandRejected, InvalidResponse
from .family import (
    Broadcast,
    Family,
    Timing,
    Transport,
)
from .keys import Key
from .snapshot import Channel, ChannelKind, Control, ControlKind, DeviceIdentity, Snapshot, Value
from .udp import Address
from .udp_push import UdpPushClient
from .websocket import LinkListener

_LOGGER = logging.getLogger(__name__)

VENDOR = "Enistic"
MODEL = "Smart Energy Controller"
DEFAULT_PORT = 53005
COMMAND_PORT = 53004
READING_EVENT = "Reading"

# The vendor's table says 1 = turn on and 0 = turn off, and the state field of every reading uses the same
# meaning; only its worked example shows the opposite. We follow the table (see the README).
SOCKET_ON = "1"
SOCKET_OFF = "0"

MAX_CHANNELS = 64
"""Meters and sockets one controller may have: enough for a home; a flood of serials fills nothing."""
IDENTIFY_TIMEOUT = 15.0
STALE_AFTER = 60.0
"""Seconds without a reading after which a meter or socket is reported unavailable."""


_SERIAL = re.compile(r"^[0-9A-Fa-f]{8,16}$")
_SOCKET_STATES = {"0": False, "1": True}


@dataclass(frozen=True, slots=True)
class Reading:
    """One meter reading event."""

    controller: str
    meter: str
    power: float
    channel: int
    state: str

    @property
    def channel_id(self) -> str:
        """The snapshot channel: meter serial, and the meter's channel number when it has several."""
        return self.meter if self.channel == 1 else f"{self.meter}-{self.channel}"

    @property
    def socket_on(self) -> bool | None:
        """The relay of a smart socket (None when the state is not a socket's 0/1)."""
        return _SOCKET_STATES.get(self.state)


def route(datagram: bytes) -> str | None:
    """The controller serial a datagram comes from (its first field), the UDP hub's routing key."""
    head = datagram[:20].split(b":", 1)[0].strip()
    try:
        serial = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    return serial.upper() if _SERIAL.match(serial) else None


def parse_event(line: str) -> Reading | None:
    """Parse one event; None for events that are not readings; InvalidResponse for a broken reading."""
    parts = line.strip().split(":")
    if len(parts) < 2 or parts[1] != READING_EVENT:
        return None
    if len(parts) < 6:
        raise InvalidResponse(f"reading with {len(parts)} fields: {line!r}")
    controller, _, meter, power, channel, state = parts[:6]
    if not _SERIAL.match(controller) or not _SERIAL.match(meter):
        raise InvalidResponse(f"reading with a malformed serial: {line!r}")
    try:
        watts = float(power)
        channel_number = int(channel)
    except ValueError as err:
        raise InvalidResponse(f"reading with a malformed number: {line!r}") from err
    if not math.isfinite(watts):
        raise InvalidResponse(f"reading with a non-finite power: {line!r}")
    return Reading(controller.upper(), meter.upper(), watts, channel_number, state.strip())


def parse_datagram(datagram: bytes) -> tuple[list[Reading], int]:
    """Split a datagram into events; return its readings and the number of malformed events."""
    try:
        text = datagram.decode("ascii")
    except UnicodeDecodeError:
        return [], 1
    readings: list[Reading] = []
    malformed = 0
    for line in re.split(r"[\r\n]+", text):
        if not line.strip():
            continue
        try:
            reading = parse_event(line)
        except InvalidResponse as err:
            _LOGGER.debug("Ignoring a malformed Enistic event: %s", err)
            malformed += 1
            continue
        if reading is not None:
            readings.append(reading)
    return readings, malformed


def socket_command(controller: str, socket_serial: str, on: bool) -> bytes:
    """The datagram that switches a smart socket."""
    return f"{controller},{SOCKET_ON if on else SOCKET_OFF},{socket_serial};".encode("ascii")


_RELAY_CONTROL = Control(key=Key.RELAY, kind=ControlKind.SWITCH)


def channel_of(reading: Reading, heard: float) -> Channel:
    """The channel a reading stands for, heard at `heard` (its meter or socket, by the meter's id)."""
    values: dict[Key, Value] = {Key.POWER: reading.power}
    is_socket = reading.channel == 1 and reading.socket_on is not None
    if is_socket:
        values[Key.RELAY] = bool(reading.socket_on)
    elif reading.channel != 1:
        values[Key.METER_CHANNEL] = reading.channel
    return Channel(
        kind=ChannelKind.SOCKET if is_socket else ChannelKind.METER,
        values=values,
        model="Smart Socket" if is_socket else "Smart Meter",
        serial=reading.meter,
        name=f"{'Socket' if is_socket else 'Meter'} {reading.meter[-6:]}"
        + ("" if reading.channel == 1 else f" channel {reading.channel}"),
        controls=(_RELAY_CONTROL,) if is_socket else (),
        measured_at=heard,
    )


class EnisticClient(UdpPushClient):
    """One controller; its meters and sockets become channels as their first readings arrive."""

    router = route
    device = "Enistic controller"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._serial = (self.config.serial or "").upper() or None
        self._channels: dict[str, tuple[Channel, float]] = {}
        self._listening_since: float | None = None
        self.over_cap = 0

    @property
    def listen_port(self) -> int:
        """The UDP port readings arrive on."""
        return self.config.port

    @property
    def command_port(self) -> int:
        """The UDP port the controller takes socket commands on."""
        return self.config.command_port or COMMAND_PORT

    async def identify(self) -> DeviceIdentity:
        """Wait for a reading broadcast by the controller at the configured host; its serial is the id."""
        if self._serial is None:
            self._serial = await self._first_serial(
                IDENTIFY_TIMEOUT,
                f"no Enistic reading from {self.config.host} on UDP port {self.listen_port} "
                f"within {IDENTIFY_TIMEOUT:.0f} s",
            )
        return DeviceIdentity(vendor=VENDOR, model=MODEL, serial=self._serial)

    async def start(self, on_push: PushListener, on_link: LinkListener | None = None) -> None:
        """Join the shared listener, routed by this controller's serial."""
        self._listening_since = clock.now()
        await super().start(on_push, on_link)

    def latest(self) -> Snapshot | None:
        """The channels heard from lately, or None."""
        now = clock.now()
        fresh = {cid: channel for cid, (channel, seen) in self._channels.items() if now - seen <= STALE_AFTER}
        return Snapshot(channels=fresh) if fresh else None

    async def fetch(self) -> Snapshot:
        """The channels heard from within STALE_AFTER.

        Right after start the snapshot may be empty: channels appear as their readings arrive. Silence for
        STALE_AFTER (or not listening at all) means the controller is gone.
        """
        if (snapshot := self.latest()) is not None:
            return snapshot
        if self._listening_since is None or clock.now() - self._listening_since > STALE_AFTER:
            raise CannotConnect(f"no Enistic reading from {self._serial} for {STALE_AFTER:.0f} s")
        return Snapshot(channels={})

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Switch a smart socket; its next reading confirms the state."""
        known = self._channels.get(channel_id)
        if key is not Key.RELAY or known is None or known[0].kind is not ChannelKind.SOCKET:
            raise CommandRejected(f"{channel_id!r} is not a smart socket of this controller")
        assert self._serial is not None
        command = socket_command(self._serial, channel_id, bool(value))
        await self.transports.udp.send(self.config.host, self.command_port, command)
        _LOGGER.debug("Sent %r to %s:%s", command, self.config.host, self.command_port)

    def may_export(self, channel_id: str) -> bool:
        """Smart sockets supply consumers; meters (clamps, also on PV circuits) measure both ways."""
        known = self._channels.get(channel_id)
        return known is None or known[0].kind is not ChannelKind.SOCKET

    def diagnostics(self) -> dict[str, Any]:
        """Datagram counters and the channels heard."""
        return super().diagnostics() | {
            "channels_over_cap": self.over_cap,
            "channels": sorted(self._channels),
        }

    def receive(self, datagram: bytes, address: Address) -> bool:
        """Each reading of this controller's meters and sockets (malformed events are counted)."""
        readings, malformed = parse_datagram(datagram)
        if malformed:
            self.count_malformed(address, "events that are not readings", malformed)
        now = clock.now()
        for reading in readings:
            if reading.controller != self._serial:
                continue
            if reading.channel_id not in self._channels and len(self._channels) >= MAX_CHANNELS:
                self.over_cap += 1
                continue
            self._channels[reading.channel_id] = (channel_of(reading, now), now)
        return bool(readings)


FAMILY = Family(
    id="enistic",
    name="Enistic",
    client=EnisticClient,
    transport=Transport.UDP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=1.0, minimum_interval=0.1, silent_after=STALE_AFTER),
    settings=Settings,
    broadcast=Broadcast(DEFAULT_PORT, route),
    controls=(Key.RELAY,),
)
