"""The shape every device client has, and the transports Home Assistant lends them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import aiohttp

from .modbus import ModbusConnection, ModbusPool
from .model import CommandRejected, ConnectionConfig, DeviceIdentity, Key, Snapshot, Timing, Value
from .udp import UdpHub

type PushListener = Callable[[], None]


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

    timing: ClassVar[Timing]

    def __init__(self, config: ConnectionConfig, transports: Transports) -> None:
        self.config = config
        self.transports = transports

    @abstractmethod
    async def identify(self) -> DeviceIdentity:
        """Ask the device who it is; raises a DeviceError when it cannot tell."""

    @abstractmethod
    async def fetch(self) -> Snapshot:
        """Return the current values: one request for polled devices, the fresh pushed ones otherwise."""

    def latest(self) -> Snapshot | None:
        """For push devices: the values pushed lately, without any I/O (None when there are none)."""
        return None

    async def start(self, on_push: PushListener) -> None:  # noqa: B027 - polled devices need no start
        """Begin receiving pushed data; on_push is called whenever new values arrived."""

    async def pair(self) -> Mapping[str, str] | None:
        """Ask for access the user grants on the device (a button press).

        Returns what to store to use the access (a token), or None while the user has not granted it yet.
        Only families that pair implement it.
        """
        raise NotImplementedError

    async def write(self, channel_id: str, key: Key, value: Value) -> None:
        """Write a control; raises CommandRejected before sending when the value is not allowed."""
        raise CommandRejected(f"{key} on channel {channel_id!r} cannot be written")

    async def close(self) -> None:  # noqa: B027 - clients holding nothing need no close
        """Release sockets and subscriptions."""

    def diagnostics(self) -> dict[str, Any]:
        """Counters worth showing in diagnostics (never secrets)."""
        return {}


class ModbusDeviceClient(DeviceClient):
    """A device on the shared Modbus TCP connection to its host:port, at a unit id."""

    default_unit_id: ClassVar[int] = 1

    def __init__(self, config: ConnectionConfig, transports: Transports) -> None:
        super().__init__(config, transports)
        self._connection: ModbusConnection = transports.modbus.acquire(config.host, config.port)
        self._unit = config.unit_id if config.unit_id is not None else self.default_unit_id

    async def close(self) -> None:
        """Give the shared connection back."""
        await self.transports.modbus.release(self._connection)
