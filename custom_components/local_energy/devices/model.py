"""The data contract between device clients and Home Assistant.

Nothing here knows Home Assistant: a device client identifies itself, declares its timing and controls,
and yields snapshots of normalized measurements.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeGuard

from .errors import (
    ApiDisabled,
    AuthenticationFailed,
    AuthenticationRequired,
    CannotConnect,
    CommandRejected,
    DeviceError,
    EndpointMissing,
    FirmwareTooOld,
    InvalidResponse,
    UnsupportedModel,
    WrongDevice,
)
from .keys import (
    ACCUMULATED_KEYS,
    CONTROL_KEYS,
    KEYS,
    SIGNED_KEYS,
    SWAPPED_ON_INVERT,
    UNITS,
    Key,
    KeySpec,
    Unit,
    ValueKind,
)
from .links import Framing, ModbusLink, SerialLine

type Value = float | int | str | bool


class ChannelKind(StrEnum):
    """What a channel is: the device itself or something behind it."""

    DEVICE = "device"
    METER = "meter"
    SOCKET = "socket"
    RELAY = "relay"


MAIN_CHANNEL = ""
"""The channel id of the device itself."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who a device is. The unique id comes from the serial (or MAC), never from the address."""

    vendor: str
    model: str
    serial: str
    firmware: str | None = None
    name: str | None = None
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should act on although the device still answers (a setting in the vendor's app).

    key names it for Home Assistant's text; placeholders fill that text. Equal keys are equal notices.
    """

    key: str
    placeholders: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)


class ControlKind(StrEnum):
    """How a control is driven."""

    SWITCH = "switch"
    NUMBER = "number"
    SELECT = "select"


@dataclass(frozen=True, slots=True)
class Control:
    """A writable value a device declares, with the bounds checked before anything is sent."""

    key: Key
    kind: ControlKind
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    """The device's resolution: setpoints are rounded toward zero to a multiple of it."""
    options: tuple[str, ...] = ()

    @property
    def bounds(self) -> tuple[float, float]:
        """The lowest and highest value a number may take (NaN bounds admit nothing)."""
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        return low, high


@dataclass(frozen=True, slots=True)
class Channel:
    """Values measured on one channel: the device itself or a meter, relay or socket behind it."""

    kind: ChannelKind
    values: Mapping[Key, Value]
    model: str | None = None
    serial: str | None = None
    name: str | None = None
    controls: tuple[Control, ...] = ()
    measured_at: float | None = field(default=None, compare=False)
    """When a pushed channel's values were received (monotonic seconds); None for values read just now.

    A snapshot handed over on every datagram repeats the channels that datagram did not carry: their time
    tells the value guard they are not new samples (energy is never integrated over a held value).
    """


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a device reported at one moment, by channel id (MAIN_CHANNEL for the device)."""

    channels: Mapping[str, Channel]
    complete: bool = False
    """The channels are the full list the device keeps (a gateway's device list): one missing is gone."""

    def map_values(self, change: Callable[[str, Mapping[Key, Value]], Mapping[Key, Value]]) -> Snapshot:
        """The same snapshot with every channel's values replaced by change(channel_id, values)."""
        return replace(
            self,
            channels={
                channel_id: replace(channel, values=change(channel_id, channel.values))
                for channel_id, channel in self.channels.items()
            },
        )

    def value(self, channel_id: str, key: Key) -> Value | None:
        """Return a value, or None when the channel or the key is absent."""
        channel = self.channels.get(channel_id)
        return None if channel is None else channel.values.get(key)


@dataclass(frozen=True, slots=True)
class Timing:
    """How often a device may be asked, in seconds, and whether it pushes on its own."""

    default_interval: float
    minimum_interval: float
    maximum_interval: float = 300.0
    push: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """What a user enters to reach a device."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    unit_id: int | None = None
    serial: str | None = None
    """The serial learned when the entry was created, for devices that cannot be asked again."""
    command_port: int | None = None
    token: str | None = field(default=None, repr=False)
    tls_port: int | None = None
    push_port: int | None = None
    """Where pushed datagrams arrive, when not the family's standard port."""
    settings: Mapping[str, float] = field(default_factory=dict)
    """Family-specific numbers the user set: a maximum current, a rated power, a minimum interval."""
    members: tuple[int, ...] = ()
    """Modbus addresses of the devices behind a gateway, where the protocol cannot list them."""
    framing: Framing = Framing.TCP
    """For Modbus devices: TCP, RTU over TCP, or RTU on the serial port named by host."""
    line: SerialLine = field(default_factory=SerialLine)
    """For a serial port: its settings."""

    @property
    def modbus_link(self) -> ModbusLink:
        """The Modbus bus this device is on."""
        return ModbusLink(self.framing, self.host, self.port, self.line)


def is_number(raw: object) -> TypeGuard[float | int]:
    """A finite int or float from a payload (bool is not a number here)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return False
    try:
        return math.isfinite(raw)
    except OverflowError:  # an integer too large for a float
        return False


def invert_snapshot(snapshot: Snapshot) -> Snapshot:
    """Flip signed power and swap import/export counters on every channel."""
    return snapshot.map_values(lambda _channel_id, values: _invert_values(values))


def _invert_values(values: Mapping[Key, Value]) -> dict[Key, Value]:
    inverted: dict[Key, Value] = {}
    for key, value in values.items():
        target = SWAPPED_ON_INVERT.get(key, key)
        if key in SIGNED_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
            inverted[target] = -value
        else:
            inverted[target] = value
    return inverted


__all__ = [
    "ACCUMULATED_KEYS",
    "CONTROL_KEYS",
    "KEYS",
    "MAIN_CHANNEL",
    "SIGNED_KEYS",
    "SWAPPED_ON_INVERT",
    "UNITS",
    "ApiDisabled",
    "AuthenticationFailed",
    "AuthenticationRequired",
    "CannotConnect",
    "Channel",
    "ChannelKind",
    "CommandRejected",
    "ConnectionConfig",
    "Control",
    "ControlKind",
    "DeviceError",
    "DeviceIdentity",
    "EndpointMissing",
    "FirmwareTooOld",
    "InvalidResponse",
    "Key",
    "KeySpec",
    "Notice",
    "Snapshot",
    "Timing",
    "Unit",
    "UnsupportedModel",
    "Value",
    "ValueKind",
    "WrongDevice",
    "apply_offsets",
    "continuity_offsets",
    "invert_snapshot",
    "is_number",
    "offset_key",
]


def offset_key(channel_id: str, key: Key) -> str:
    """How a counter is named in the stored continuity offsets."""
    return f"{channel_id}|{key.value}"


def continuity_offsets(
    shown: Snapshot, raw: Snapshot, *, invert: bool, previous: Mapping[str, float]
) -> dict[str, float]:
    """Offsets that keep every swapped counter at the value it shows when the invert option changes.

    After the change a counter reads from the other direction's register (``invert``: the new setting), so
    it would jump to that register's value; the offset makes it continue from what it shows now and grow
    only by what is measured from then on. Long-term statistics see no jump.
    """
    offsets = dict(previous)
    for channel_id, channel in shown.channels.items():
        source_values = raw.channels.get(channel_id)
        if source_values is None:
            continue
        for key, value in channel.values.items():
            partner = SWAPPED_ON_INVERT.get(key)
            if partner is None or key in ACCUMULATED_KEYS or not is_number(value):
                continue
            source = source_values.values.get(partner if invert else key)
            if is_number(source):
                offsets[offset_key(channel_id, key)] = round(float(value) - float(source), 6)
    return offsets


def apply_offsets(snapshot: Snapshot, offsets: Mapping[str, float]) -> Snapshot:
    """Add the continuity offsets to the counters they belong to."""
    if not offsets:
        return snapshot

    def continued(channel_id: str, values: Mapping[Key, Value]) -> dict[Key, Value]:
        shifted = dict(values)
        for key, value in values.items():
            offset = offsets.get(offset_key(channel_id, key))
            if offset is not None and is_number(value):
                shifted[key] = round(float(value) + offset, 6)
        return shifted

    return snapshot.map_values(continued)
