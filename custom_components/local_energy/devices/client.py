"""The shape every device client has, and the transports Home Assistant lends them."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import aiohttp

from .connection import ConnectionConfig, Settings
from .contract import ValueGuard, guard_setpoint
from .errors import CommandRejected
from .keys import Key
from .modbus import ModbusConnection, ModbusPool
from .snapshot import Control, DeviceIdentity, Notice, Snapshot, Value
from .udp import UdpHub
from .websocket import Link, LinkListener

_LOGGER = logging.getLogger(__name__)

type PushListener = Callable[[], None]
"""Called when a client holds something new its device pushed; latest() decodes it when it is wanted
(once, however many pushes arrived meanwhile)."""


class Transports:
    """Shared I/O: the HTTP session (made on first use), the Modbus connection pool and the UDP hub."""

    def __init__(
        self,
        http: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession],
        modbus: ModbusPool,
        udp: UdpHub,
    ) -> None:
        self._http = http
        self.modbus = modbus
        self.udp = udp

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session; devices that speak only Modbus or UDP never create it."""
        if not isinstance(self._http, aiohttp.ClientSession):
            self._http = self._http()
        return self._http


class DeviceClient(ABC):
    """Talks to one device (or one gateway and what stands behind it)."""

    def __init__(
        self, config: ConnectionConfig, transports: Transports, settings: Settings | None = None
    ) -> None:
        """settings: the family's typed settings; a family that has some types them in its own __init__."""
        self.config = config
        self.settings: Settings = settings if settings is not None else Settings()
        self.transports = transports
        self.guard = ValueGuard(f"{type(self).__name__} at {config.host}")
        self.declared_controls: frozenset[Key] | None = None
        """The keys its family declares as controls (None: every control a snapshot offers is taken)."""
        self._declared_controls: dict[tuple[str, Key], Control] = {}
        self._refused_controls: set[Key] = set()
        self._push_listener: PushListener | None = None
        self._pushed_new = False
        self._pushed_snapshot: Snapshot | None = None

    async def read(self) -> Snapshot:
        """Fetch, then check every value against the data contract (what Home Assistant is given)."""
        return self._checked(await self.fetch())

    def check(self, snapshot: Snapshot) -> Snapshot:
        """A pushed snapshot (latest()) checked against the data contract, as read() checks a fetched one."""
        return self._checked(snapshot)

    async def write(self, channel_id: str, key: Key, value: Value) -> None:
        """Write a control after guarding the value by the control's declaration.

        A value that is not finite, out of bounds or not an option is refused before anything is sent;
        numbers are rounded toward zero to the control's step. The family then applies its own rules
        (a rate limit, a mode the device must be in) in apply(). Controls are learned from snapshots:
        before the first one, one is read.
        """
        if not self._declared_controls:
            await self.read()
        control = self._declared_controls.get((channel_id, key))
        if control is None:
            raise CommandRejected(f"{key} on channel {channel_id!r} is not a control of this device")
        await self.apply(channel_id, key, guard_setpoint(control, value))

    def integrates(self, channel_id: str) -> bool:
        """Whether a channel's netted import/export energy is integrated from its total power."""
        return False

    def may_export(self, channel_id: str) -> bool:
        """Whether a channel's power can be negative (fed in).

        Only then is export energy integrated for a channel without an export counter. Consumers (a plug
        that measures one direction) say no.
        """
        return True

    def _checked(self, snapshot: Snapshot) -> Snapshot:
        snapshot = self._declared_only(snapshot)
        for channel_id, channel in snapshot.channels.items():
            for control in channel.controls:
                self._declared_controls[(channel_id, control.key)] = control
        return self.guard.check(snapshot, self.integrates, self.may_export)

    def _declared_only(self, snapshot: Snapshot) -> Snapshot:
        """Controls the family does not declare are neither offered nor written (logged once each)."""
        declared = self.declared_controls
        offered = [control.key for channel in snapshot.channels.values() for control in channel.controls]
        if declared is None or all(key in declared for key in offered):
            return snapshot
        for key in set(offered) - declared - self._refused_controls:
            self._refused_controls.add(key)
            _LOGGER.warning(
                "%s offers %s, which its family does not declare: not offered", self.guard.device, key
            )
        channels = {
            channel_id: replace(channel, controls=tuple(c for c in channel.controls if c.key in declared))
            for channel_id, channel in snapshot.channels.items()
        }
        return replace(snapshot, channels=channels)

    @abstractmethod
    async def identify(self) -> DeviceIdentity:
        """Ask the device who it is; raises a DeviceError when it cannot tell."""

    @abstractmethod
    async def fetch(self) -> Snapshot:
        """Return the current values: one request for polled devices, the fresh pushed ones otherwise."""

    def latest(self) -> Snapshot | None:
        """For push devices: what was pushed lately, unchecked and without I/O, decoded once per push.

        None while nothing readable is held, or while the link is down (what it holds may be stale).
        """
        if self.link is Link.DOWN:
            return None
        if self._pushed_new:
            self._pushed_new = False
            self._pushed_snapshot = self.decode_pushed()
        return self._pushed_snapshot

    def decode_pushed(self) -> Snapshot | None:
        """The snapshot of what the device pushed last (None when it cannot be read)."""
        return None

    def announce_push(self) -> None:
        """Something new was pushed and is held: the listener is told, it is decoded when wanted."""
        self._pushed_new = True
        if self._push_listener is not None:
            self._push_listener()

    @property
    def pushes(self) -> bool:
        """Whether the device pushes its values (known once it is identified); it is polled otherwise."""
        return False

    @property
    def link(self) -> Link:
        """Whether what carries the pushes delivers them now (Link.NONE: nothing to tell but silence).

        Pushes that arrive while it is down are shown, but do not end reading the device another way.
        """
        return Link.NONE

    async def start(  # noqa: B027 - polled devices need no start
        self, on_push: PushListener, on_link: LinkListener | None = None
    ) -> None:
        """Begin receiving pushed data; on_push is told of each new push (latest() reads it).

        A client with a kept-open connection tells on_link when it goes down (read it another way) and up.
        """

    async def pair(self) -> Mapping[str, str] | None:
        """Ask for access the user grants on the device (a button press).

        Returns what to store to use the access (a token), or None while the user has not granted it yet.
        Only families that pair implement it.
        """
        raise NotImplementedError

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Send a value write() has guarded; raises CommandRejected when the device's own rules refuse it."""
        raise CommandRejected(f"{key} on channel {channel_id!r} cannot be written")

    async def close(self) -> None:  # noqa: B027 - clients holding nothing need no close
        """Release sockets and subscriptions."""

    def diagnostics(self) -> dict[str, Any]:
        """Counters worth showing in diagnostics (never secrets)."""
        return {}

    def notices(self) -> tuple[Notice, ...]:
        """What the user should act on while the device works (read after every update)."""
        return ()


class ModbusDeviceClient(DeviceClient):
    """A device on the shared Modbus TCP connection to its host:port, at a unit id."""

    def __init__(
        self, config: ConnectionConfig, transports: Transports, settings: Settings | None = None
    ) -> None:
        if config.unit_id is None:
            raise ValueError("a Modbus device needs a unit id (its family declares the default)")
        super().__init__(config, transports, settings)
        self._connection: ModbusConnection = transports.modbus.acquire(config.modbus_link)
        self._unit = config.unit_id

    async def close(self) -> None:
        """Give the shared connection back."""
        await self.transports.modbus.release(self._connection)
