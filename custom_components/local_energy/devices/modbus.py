"""Modbus transport: one client per link (TCP, RTU over TCP, serial), requests serialized, blocks read."""

from __future__ import annotations

import asyncio
import logging
import struct
import termios
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ExceptionResponse, ModbusPDU

from .errors import CannotConnect, CommandRejected, InvalidResponse
from .links import Framing, ModbusLink

_LOGGER = logging.getLogger(__name__)


_TIMEOUT_SIGNS = ("timeout", "no response received")
"""How pymodbus words a request that got no answer in time."""


def _not_a_connect_failure(record: logging.LogRecord) -> bool:
    """Pymodbus logs every failed connect and unanswered request; we report an outage once (HA's rule)."""
    message = str(record.msg)
    return not message.startswith(("Failed to connect", "Repeating", "No response received"))


logging.getLogger("pymodbus.logging").addFilter(_not_a_connect_failure)

MAX_REGISTERS_PER_READ = 125
DEFAULT_TIMEOUT = 3.0

EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}


class ModbusExceptionResponse(InvalidResponse):
    """The device answered a request with a Modbus exception code."""

    def __init__(self, code: int, request: str) -> None:
        self.code = code
        self.code_name = EXCEPTION_NAMES.get(code, "unknown exception")
        super().__init__(f"{request}: exception 0x{code:02X} ({self.code_name})")


class ModbusWriteRejected(CommandRejected):
    """The device answered a write with a Modbus exception code."""

    def __init__(self, code: int, request: str) -> None:
        self.code = code
        self.code_name = EXCEPTION_NAMES.get(code, "unknown exception")
        super().__init__(
            f"{request}: exception 0x{code:02X} ({self.code_name})",
            reason=f"modbus_exception_{code}" if 1 <= code <= 4 else "modbus_exception",
            placeholders={"code": f"0x{code:02X}"},
        )


class DataType(StrEnum):
    """Register encodings; 32-bit values span two registers."""

    UINT16 = "uint16"
    INT16 = "int16"
    UINT32 = "uint32"
    INT32 = "int32"
    FLOAT32 = "float32"
    UINT64 = "uint64"

    @property
    def width(self) -> int:
        """Number of 16-bit registers a value occupies."""
        if self is DataType.UINT64:
            return 4
        return 1 if self in (DataType.UINT16, DataType.INT16) else 2


_STRUCT_FORMATS = {
    DataType.UINT16: ">H",
    DataType.INT16: ">h",
    DataType.UINT32: ">I",
    DataType.INT32: ">i",
    DataType.FLOAT32: ">f",
    DataType.UINT64: ">Q",
}


def decode(words: Sequence[int], data_type: DataType, *, low_word_first: bool = False) -> float | int:
    """Decode registers (each 0..65535) as one value; 32-bit values are high word first unless told."""
    ordered = list(reversed(words)) if low_word_first else list(words)
    raw = b"".join(word.to_bytes(2, "big") for word in ordered)
    value: float | int = struct.unpack(_STRUCT_FORMATS[data_type], raw)[0]
    return value


def encode(value: float | int, data_type: DataType, *, low_word_first: bool = False) -> list[int]:
    """Encode one value as registers, the inverse of decode."""
    raw = struct.pack(_STRUCT_FORMATS[data_type], value)
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return list(reversed(words)) if low_word_first else words


@dataclass(frozen=True, slots=True)
class RegisterBlock:
    """Registers read in one request, starting at a PDU address."""

    start: int
    words: tuple[int, ...]

    def covers(self, address: int, count: int) -> bool:
        """Tell whether the block holds the registers address..address+count-1."""
        return self.start <= address and address + count <= self.start + len(self.words)

    def read(self, address: int, data_type: DataType, *, low_word_first: bool = False) -> float | int:
        """Decode the value at an address."""
        offset = address - self.start
        return decode(self.words[offset : offset + data_type.width], data_type, low_word_first=low_word_first)


@dataclass(frozen=True, slots=True)
class Registers:
    """The blocks of one refresh, looked up by address."""

    blocks: tuple[RegisterBlock, ...]

    def read(self, address: int, data_type: DataType, *, low_word_first: bool = False) -> float | int:
        """Decode the value at an address from whichever block holds it."""
        for block in self.blocks:
            if block.covers(address, data_type.width):
                return block.read(address, data_type, low_word_first=low_word_first)
        raise KeyError(f"register {address} was not read")


def plan_reads(
    spans: Iterable[tuple[int, int]], *, max_gap: int = 0, max_count: int = MAX_REGISTERS_PER_READ
) -> list[tuple[int, int]]:
    """Merge (address, count) spans into as few (start, count) reads as the limits allow.

    Spans further apart than max_gap registers stay separate reads, so a device that rejects
    addresses it does not implement is never asked for them.
    """
    reads: list[tuple[int, int]] = []
    for address, count in sorted(spans):
        if reads:
            start, length = reads[-1]
            end = max(start + length, address + count)
            if address <= start + length + max_gap and end - start <= max_count:
                reads[-1] = (start, end - start)
                continue
        reads.append((address, count))
    return reads


class ModbusConnection:
    """One client on a link, shared by every unit on it (an RS-485 bus, a gateway); requests take turns."""

    def __init__(self, link: ModbusLink, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.link = link
        self._client = _client(link, timeout)
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self.requests = 0

    async def read_holding(self, unit: int, address: int, count: int) -> RegisterBlock:
        """Read count holding registers (function 03) from a PDU address."""
        return await self._read(unit, address, count, inputs=False)

    async def read_input(self, unit: int, address: int, count: int) -> RegisterBlock:
        """Read count input registers (function 04) from a PDU address."""
        return await self._read(unit, address, count, inputs=True)

    async def _read(self, unit: int, address: int, count: int, *, inputs: bool) -> RegisterBlock:
        kind = "input" if inputs else "holding"
        what = f"read {count} {kind} registers at {address} from {self.link} unit {unit}"
        read = self._client.read_input_registers if inputs else self._client.read_holding_registers
        response = await self._call(what, lambda: read(address, count=count, device_id=unit))
        if isinstance(response, ExceptionResponse) or response.isError():
            raise ModbusExceptionResponse(_exception_code(response), what)
        words = tuple(response.registers)
        if len(words) != count:
            raise InvalidResponse(f"{what}: got {len(words)} registers")
        return RegisterBlock(address, words)

    async def read_plan(
        self, unit: int, plan: Iterable[tuple[int, int]], *, inputs: bool = False
    ) -> Registers:
        """Read every (start, count) of a plan; other callers may interleave between reads."""
        return Registers(
            tuple([await self._read(unit, start, count, inputs=inputs) for start, count in plan])
        )

    async def write_registers(self, unit: int, address: int, words: Sequence[int]) -> None:
        """Write registers (function 16, or 06 for a single register)."""
        what = f"write {list(words)} at {address} to {self.link} unit {unit}"
        if len(words) == 1:
            response = await self._call(
                what, lambda: self._client.write_register(address, words[0], device_id=unit)
            )
        else:
            response = await self._call(
                what, lambda: self._client.write_registers(address, list(words), device_id=unit)
            )
        if isinstance(response, ExceptionResponse) or response.isError():
            raise ModbusWriteRejected(_exception_code(response), what)

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            self._client.close()

    async def _connect(self) -> bool:
        # The client's own connect() sleeps a fixed 100 ms after connecting; its protocol does not.
        return bool(await self._client.ctx.connect())

    async def _call(self, what: str, request: _Request) -> ModbusPDU:
        async with self._lock:
            self.requests += 1
            try:
                if not self._client.connected and not await self._connect():
                    raise CannotConnect(f"{what}: cannot connect")
                return await request()
            except (ModbusException, TimeoutError, OSError) as err:
                # The connection may be half-open after a device restart: start afresh next time.
                self._client.close()
                raise CannotConnect(f"{what}: {self._reason(err)}") from err
            except (termios.error, ValueError) as err:
                # pyserial raises these, not an OSError, when the port refuses a line setting.
                self._client.close()
                raise CannotConnect(
                    f"{what}: the serial port refused the line settings {self.link.line} ({_text(err)})"
                ) from err

    def _reason(self, err: BaseException) -> str:
        """Why a request failed, never empty: pymodbus's timeouts carry no text."""
        if isinstance(err, TimeoutError) or any(sign in str(err).lower() for sign in _TIMEOUT_SIGNS):
            return f"no answer within {self._timeout:g} s"
        return _text(err)


def _text(err: BaseException) -> str:
    """An exception's text, or its kind when it has none."""
    text = str(err).strip()
    return text if text and not text.endswith("]") else f"{type(err).__name__} {text}".strip()


type _Request = Callable[[], Awaitable[ModbusPDU]]


def _client(link: ModbusLink, timeout: float) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
    if link.framing is Framing.SERIAL:
        line = link.line
        return AsyncModbusSerialClient(
            link.address,
            framer=FramerType.RTU,
            baudrate=line.baudrate,
            parity=line.parity.letter,
            bytesize=line.bytesize,
            stopbits=line.stopbits,
            timeout=timeout,
            retries=0,
            reconnect_delay=0,
        )
    framer = FramerType.RTU if link.framing is Framing.RTU_OVER_TCP else FramerType.SOCKET
    return AsyncModbusTcpClient(
        link.address, port=link.port, framer=framer, timeout=timeout, retries=0, reconnect_delay=0
    )


def _exception_code(response: ModbusPDU) -> int:
    return int(getattr(response, "exception_code", 0))


class ModbusPool:
    """Hands out one shared connection per link and closes it when its last user releases it."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """timeout: how long each connection waits for an answer."""
        self._connections: dict[ModbusLink, tuple[ModbusConnection, int]] = {}
        self._timeout = timeout

    def acquire(self, link: ModbusLink) -> ModbusConnection:
        """Return the connection on a link, creating it on first use."""
        connection, users = self._connections.get(link, (None, 0))
        if connection is None:
            connection = ModbusConnection(link, timeout=self._timeout)
        self._connections[link] = (connection, users + 1)
        return connection

    async def release(self, connection: ModbusConnection) -> None:
        """Give a connection back; the last user closes it."""
        key = connection.link
        held, users = self._connections.get(key, (None, 0))
        if held is not connection:
            return
        if users > 1:
            self._connections[key] = (connection, users - 1)
            return
        del self._connections[key]
        await connection.close()

    def __len__(self) -> int:
        return len(self._connections)
