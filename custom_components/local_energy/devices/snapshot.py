"""What a device reports: its identity, and snapshots of its channels' values and controls."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeGuard

from .keys import Key

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
    smallest: float = 0.0
    """The smallest magnitude besides 0 the device documents: anything between is sent as 0."""
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

    A snapshot read after every datagram repeats the channels that datagram did not carry: their time
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


def is_number(raw: object) -> TypeGuard[float | int]:
    """A finite int or float from a payload (bool is not a number here)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return False
    try:
        return math.isfinite(raw)
    except OverflowError:  # an integer too large for a float
        return False
