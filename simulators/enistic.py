"""An Enistic controller: broadcasts readings of its meters and sockets, obeys socket commands."""

from __future__ import annotations

import asyncio
import math
import socket
from dataclasses import dataclass

CONTROLLER = "004A3BB5B04"
SOCKET_ON, SOCKET_OFF = "1", "0"


@dataclass
class Meter:
    """A meter channel or a smart socket behind the controller."""

    serial: str
    power: float
    channel: int = 1
    socket: bool = False
    on: bool = True

    def reading(self, controller: str) -> str:
        """The reading event, CR-terminated."""
        state = ("1" if self.on else "0") if self.socket else "17"
        power = self.power if (self.on or not self.socket) else 0.0
        return f"{controller}:Reading:{self.serial}:{power:.3f}:{self.channel}:{state}\r"


class _CommandProtocol(asyncio.DatagramProtocol):
    def __init__(self, simulator: EnisticSimulator) -> None:
        self._simulator = simulator

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self._simulator.handle_command(data)


class EnisticSimulator:
    """Sends readings to target_host:target_port and listens for commands on command_port."""

    def __init__(
        self,
        target_port: int,
        command_port: int = 0,
        *,
        target_host: str = "127.0.0.1",
        controller: str = CONTROLLER,
    ) -> None:
        self.controller = controller
        self.target = (target_host, target_port)
        self.command_port = command_port
        self.meters = [
            Meter("0021ED0000041319", 60.5, socket=True),
            Meter("0021ED0000041320", 1250.0, socket=True, on=False),
            Meter("0021EE0000007001", 2300.0, channel=1),
            Meter("0021EE0000007001", 850.0, channel=2),
            Meter("0021EE0000007001", -1200.0, channel=3),
        ]
        self.commands: list[bytes] = []
        self.sent = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._commands: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None
        self._step = 0

    async def start(self, *, interval: float | None = None) -> None:
        """Open the sockets; with an interval, broadcast every meter's reading that often."""
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, family=socket.AF_INET, allow_broadcast=True
        )
        self._commands, _ = await loop.create_datagram_endpoint(
            lambda: _CommandProtocol(self), local_addr=("127.0.0.1", self.command_port), family=socket.AF_INET
        )
        self.command_port = self._commands.get_extra_info("sockname")[1]
        if interval is not None:
            self._task = asyncio.create_task(self._run(interval))

    async def stop(self) -> None:
        """Close everything."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for transport in (self._transport, self._commands):
            if transport is not None:
                transport.close()
        self._transport = self._commands = None

    def broadcast(self, *, per_datagram: int = 1) -> None:
        """Send one reading of every meter, per_datagram events in each datagram."""
        events = [meter.reading(self.controller) for meter in self.meters]
        for start in range(0, len(events), per_datagram):
            self.send_raw("".join(events[start : start + per_datagram]).encode("ascii"))

    def send_raw(self, payload: bytes) -> None:
        """Send any datagram, well-formed or not."""
        assert self._transport is not None
        self._transport.sendto(payload, self.target)
        self.sent += 1

    def handle_command(self, data: bytes) -> None:
        """Apply ``<controller>,<code>,<socket>;`` to a socket of this controller."""
        self.commands.append(data)
        try:
            controller, code, serial = data.decode("ascii").rstrip(";\r\n").split(",")
        except ValueError:
            return
        if controller.upper() not in (self.controller, "FFFFFFFFFFFF") or code not in (SOCKET_ON, SOCKET_OFF):
            return
        for meter in self.meters:
            if meter.socket and meter.serial == serial:
                meter.on = code == SOCKET_ON

    def socket(self, serial: str) -> Meter:
        """A socket by serial."""
        return next(m for m in self.meters if m.serial == serial and m.socket)

    async def _run(self, interval: float) -> None:
        while True:
            self._step += 1
            for meter in self.meters:
                if not meter.socket:
                    meter.power += 40.0 * math.sin(self._step / 5)
            self.broadcast()
            await asyncio.sleep(interval)
