"""Modbus servers holding sparse register maps at PDU addresses, recording what is written to them.

Over TCP (Modbus TCP, or RTU frames over TCP as a serial-to-Ethernet converter passes them), or on a serial
line: RTU on one end of a pair of pseudo-terminals, whose other end a client opens like an RS-485 adapter.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

from .serial_line import PseudoSerialLine

type WriteHook = Callable[[int, list[int]], ExcCodes | None]
"""Called before a write lands; may refuse it with an exception code."""


class RegisterMap:
    """Holding registers by PDU address; reading an address that is not mapped is an illegal address.

    No pymodbus datastore class underneath: their interface changed between the releases Home Assistant
    pins (3.11 asks a device context, 3.13 the server context); Units speaks both.
    """

    def __init__(self) -> None:
        self.registers: dict[int, int] = {}
        self.inputs: dict[int, int] = {}
        """Input registers (function 04), apart from the holding registers."""
        self.writes: list[tuple[int, list[int]]] = []
        self.reads: list[tuple[int, int]] = []
        self.write_hook: WriteHook | None = None
        self.fail_with: ExcCodes | None = None
        self.failures_left = 0
        """With fail_with set and this above 0, only that many requests fail (a device that recovers)."""

    def set_words(self, address: int, words: list[int]) -> None:
        """Store registers from an address on."""
        for offset, word in enumerate(words):
            self.registers[address + offset] = word & 0xFFFF

    def set_float(self, address: int, value: float) -> None:
        """Store an IEEE-754 float, high word first."""
        self.set_words(address, list(struct.unpack(">HH", struct.pack(">f", value))))

    def set_uint32(self, address: int, value: int) -> None:
        """Store an unsigned 32-bit integer, high word first."""
        self.set_words(address, [(value >> 16) & 0xFFFF, value & 0xFFFF])

    def getValues(self, func_code: int, address: int, count: int = 1) -> list[int] | ExcCodes:  # noqa: N802
        """Answer a read, or the exception the simulator was told to give."""
        if self.fail_with is not None:
            code = self.fail_with
            if self.failures_left:
                self.failures_left -= 1
                if not self.failures_left:
                    self.fail_with = None
            return code
        if func_code not in (3, 4, 6, 16):
            return ExcCodes.ILLEGAL_FUNCTION
        table = self.inputs if func_code == 4 else self.registers
        span = range(address, address + count)
        if any(register not in table for register in span):
            return ExcCodes.ILLEGAL_ADDRESS
        if func_code in (3, 4):
            self.reads.append((address, count))
        return [table[register] for register in span]

    def setValues(  # noqa: N802
        self, func_code: int, address: int, values: list[int] | list[bool]
    ) -> ExcCodes | None:
        """Take a write unless the hook refuses it."""
        words = [int(v) for v in values]
        if any(register not in self.registers for register in range(address, address + len(words))):
            return ExcCodes.ILLEGAL_ADDRESS
        if self.write_hook is not None and (refusal := self.write_hook(address, words)) is not None:
            return refusal
        self.writes.append((address, words))
        self.set_words(address, words)
        return None


class Units(ModbusServerContext):
    """The register maps by unit id, answering as pymodbus 3.11 and 3.13 servers ask."""

    def __init__(self, units: dict[int, RegisterMap]) -> None:
        self._units = units
        self.simdevices: list[Any] = []
        """Empty: pymodbus 3.13 then asks this context itself, not simulated devices of its own making."""

    def device_ids(self) -> list[int]:
        """The unit ids served."""
        return list(self._units)

    def __getitem__(self, unit: int) -> _DeviceContext:
        """One unit's registers (how pymodbus 3.11 asks)."""
        return _DeviceContext(self._map(unit))

    def __contains__(self, unit: object) -> bool:
        return unit in self._units

    async def async_getValues(  # noqa: N802
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        """Answer a read of one unit (how pymodbus 3.13 asks)."""
        return self._map(device_id).getValues(func_code, address, count)

    async def async_setValues(  # noqa: N802
        self, device_id: int, func_code: int, address: int, values: list[int] | list[bool]
    ) -> None | ExcCodes:
        """Take a write to one unit (how pymodbus 3.13 asks)."""
        return self._map(device_id).setValues(func_code, address, values)

    def _map(self, unit: int) -> RegisterMap:
        if unit not in self._units:
            raise NoSuchIdException(f"no unit {unit}")  # type: ignore[no-untyped-call,unused-ignore]
        return self._units[unit]


class _DeviceContext:
    """One unit as pymodbus 3.11 asks it: reads and writes without the unit id."""

    def __init__(self, registers: RegisterMap) -> None:
        self._registers = registers

    async def async_getValues(self, func_code: int, address: int, count: int = 1) -> list[int] | ExcCodes:  # noqa: N802
        """Answer a read."""
        return self._registers.getValues(func_code, address, count)

    async def async_setValues(  # noqa: N802
        self, func_code: int, address: int, values: list[int] | list[bool]
    ) -> ExcCodes | None:
        """Take a write."""
        return self._registers.setValues(func_code, address, values)


class ModbusSimulatorServer:
    """A pymodbus TCP server on host:port (port 0 picks a free one) serving register maps per unit id.

    rtu=True sends and expects RTU frames (with CRC) instead of Modbus TCP's header.
    """

    def __init__(
        self, units: dict[int, RegisterMap], host: str = "127.0.0.1", port: int = 0, *, rtu: bool = False
    ) -> None:
        self.units = units
        self.host = host
        self.port = port
        self.rtu = rtu
        self._server: ModbusTcpServer | None = None

    async def start(self) -> None:
        """Listen; after this, port holds the bound port."""
        context = Units(self.units)
        framer = FramerType.RTU if self.rtu else FramerType.SOCKET
        self._server = ModbusTcpServer(context, framer=framer, address=(self.host, self.port))
        await self._server.serve_forever(background=True)
        listener: asyncio.Server = self._server.transport  # type: ignore[assignment]
        self.port = listener.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every open connection (as a device that restarts would)."""
        if self._server is not None:
            for connection in list(self._server.active_connections.values()):
                if isinstance(connection.transport, asyncio.Transport):
                    connection.transport.abort()
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
            for _ in range(10):  # let peers see the connection close, as after a real restart
                await asyncio.sleep(0)


class SerialModbusSimulatorServer:
    """RTU on a simulated RS-485 bus: every unit on it answers; clients open `path` at 9600 8N1."""

    port = 0

    def __init__(self, units: dict[int, RegisterMap], baudrate: int = 9600) -> None:
        self.units = units
        self.baudrate = baudrate
        self._line = PseudoSerialLine()
        self._server: ModbusSerialServer | None = None

    @property
    def path(self) -> str:
        """The serial port a client opens."""
        return self._line.client_path

    async def start(self) -> None:
        """Open the line and answer on it."""
        self._line.open()
        context = Units(self.units)
        self._server = ModbusSerialServer(
            context, framer=FramerType.RTU, port=self._line.device_path, baudrate=self.baudrate
        )
        await self._server.serve_forever(background=True)

    async def stop(self) -> None:
        """Stop answering and close the line."""
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
        self._line.close()
