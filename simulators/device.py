"""What every simulated device has: a server on a real socket, and values that may move on a timer."""

from __future__ import annotations

from typing import ClassVar, Protocol

from .ticker import Ticker


class Server(Protocol):
    """An HTTP or Modbus server of the simulators."""

    port: int

    async def start(self) -> None:
        """Listen."""

    async def stop(self) -> None:
        """Stop listening."""


class SimulatedDevice:
    """A device behind a server; with start(changing=True) its values move every `tick` seconds."""

    tick: ClassVar[float] = 1.0

    def __init__(self, server: Server) -> None:
        self.server = server
        self._ticker = Ticker(self.advance, self.tick)

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return self.server.port

    async def start(self, *, changing: bool = False) -> None:
        """Listen; with changing=True the values move on the device's tick."""
        await self.server.start()
        if changing:
            self._ticker.start()

    async def stop(self) -> None:
        """Stop changing and listening (connections close, as when a device restarts)."""
        await self._ticker.stop()
        await self.server.stop()

    def advance(self) -> None:
        """Move the values one tick on (devices whose values change override this)."""
