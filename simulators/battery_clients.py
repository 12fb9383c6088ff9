"""Batteries that read a meter, written from their public descriptions (shared/research/meter-emulation.md).

- Marstek (Venus, Jupiter, B2500): a UDP JSON-RPC request ``EM.GetStatus`` to the meter, one answer back.
- Hoymiles MS-A2: over HTTP on one kept-alive connection, the discovery calls (``/shelly``,
  ``Shelly.GetDeviceInfo``, ``EM.GetConfig``, ``Sys.GetStatus``, ``Shelly.GetStatus``), then
  ``EM.GetStatus?id=0`` at about 2 Hz.
- INDEVOLT: ``Shelly.GetStatus`` over HTTP every 2 s.
- EcoTracker readers (EcoFlow STREAM, Jackery): ``GET /v1/json`` on one kept-alive connection.

Each poll records how long the answer took and the power it carried (None when nothing was served).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

HOYMILES_DISCOVERY = (
    "/shelly",
    "/rpc/Shelly.GetDeviceInfo",
    "/rpc/EM.GetConfig?id=0",
    "/rpc/Sys.GetStatus",
    "/rpc/Shelly.GetStatus",
)


@dataclass
class Polls:
    """What one battery saw: each answer's latency (s) and the power it read."""

    latencies: list[float] = field(default_factory=list)
    powers: list[float | None] = field(default_factory=list)
    received: list[float] = field(default_factory=list)
    """time.monotonic() of each answer."""
    failures: int = 0


class BatteryClient:
    """One battery polling a meter every `period` seconds until stopped."""

    def __init__(self, host: str, port: int, period: float) -> None:
        self.host, self.port, self.period = host, port, period
        self.polls = Polls()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until stop is set."""
        await self.start()
        try:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    power = await self.poll()
                except (OSError, aiohttp.ClientError, TimeoutError, ValueError):
                    self.polls.failures += 1
                else:
                    self.polls.latencies.append(time.perf_counter() - started)
                    self.polls.powers.append(power)
                    self.polls.received.append(time.monotonic())
                await asyncio.sleep(max(0.0, self.period - (time.perf_counter() - started)))
        finally:
            await self.close()

    async def start(self) -> None:
        """Open what the battery keeps open."""

    async def poll(self) -> float | None:
        """One request; the power read (None when the meter served nothing)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close what start opened."""


class MarstekPoller(BatteryClient):
    """``EM.GetStatus`` over UDP, as Marstek batteries ask it."""

    def __init__(self, host: str, port: int, period: float = 1.0) -> None:
        super().__init__(host, port, period)
        self._socket: socket.socket | None = None
        self._id = 0

    async def start(self) -> None:
        """A socket of its own, as each battery has."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.settimeout(0.0)  # non-blocking, for the loop
        self._socket.bind(("127.0.0.1", 0))

    async def poll(self) -> float | None:
        """One datagram out; no answer within a second is a poll without a value."""
        assert self._socket is not None
        loop = asyncio.get_running_loop()
        self._id += 1
        request = {"id": self._id, "method": "EM.GetStatus", "params": {"id": 0}}
        await loop.sock_sendto(self._socket, json.dumps(request).encode(), (self.host, self.port))
        try:
            answer = json.loads(await asyncio.wait_for(loop.sock_recv(self._socket, 4096), 1.0))
        except TimeoutError:
            return None
        return float(answer["result"]["total_act_power"])

    async def close(self) -> None:
        """Close the socket."""
        if self._socket is not None:
            self._socket.close()


class HttpPoller(BatteryClient):
    """A battery asking over HTTP on one kept-alive connection."""

    path = "/rpc/EM.GetStatus?id=0"
    discovery: tuple[str, ...] = ()

    def __init__(self, host: str, port: int, period: float) -> None:
        super().__init__(host, port, period)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """One connection, kept alive; the discovery calls first."""
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        for path in self.discovery:
            await self._get(path)

    async def _get(self, path: str) -> tuple[int, Any]:
        assert self._session is not None
        url = f"http://{self.host}:{self.port}{path}"
        async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
            return response.status, await response.json(content_type=None)

    async def poll(self) -> float | None:
        """One GET; a 503 is a poll without a value."""
        status, body = await self._get(self.path)
        return None if status != 200 else self.power_of(body)

    @staticmethod
    def power_of(body: dict[str, Any]) -> float:
        """The total power in an answer."""
        return float(body["total_act_power"])

    async def close(self) -> None:
        """Close the connection."""
        if self._session is not None:
            await self._session.close()


class HoymilesPoller(HttpPoller):
    """Discovery calls, then ``EM.GetStatus?id=0`` at about 2 Hz."""

    discovery = HOYMILES_DISCOVERY

    def __init__(self, host: str, port: int, period: float = 0.5) -> None:
        super().__init__(host, port, period)


class IndevoltPoller(HttpPoller):
    """``Shelly.GetStatus`` every 2 s."""

    path = "/rpc/Shelly.GetStatus"

    def __init__(self, host: str, port: int, period: float = 2.0) -> None:
        super().__init__(host, port, period)

    @staticmethod
    def power_of(body: dict[str, Any]) -> float:
        """The Pro 3EM's total in the status."""
        return float(body["em:0"]["total_act_power"])


class EcoTrackerPoller(HttpPoller):
    """``GET /v1/json`` on one kept-alive connection (Jackery shows the meter offline without one)."""

    path = "/v1/json"

    def __init__(self, host: str, port: int, period: float = 1.0) -> None:
        super().__init__(host, port, period)

    @staticmethod
    def power_of(body: dict[str, Any]) -> float:
        """The reader's power."""
        return float(body["power"])
