"""How a Modbus device is reached: Modbus TCP, RTU frames over TCP, or RTU on a serial line (RS-485)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Framing(StrEnum):
    """The Modbus framing on a link."""

    TCP = "tcp"
    """Modbus TCP (MBAP header), as Ethernet modules and gateways speak it."""
    RTU_OVER_TCP = "rtu_over_tcp"
    """RTU frames (with CRC) over a TCP socket: serial-to-Ethernet converters in transparent mode."""
    SERIAL = "serial"
    """RTU on a serial port: an RS-485 adapter on this machine."""


class Parity(StrEnum):
    """Serial parity, named as forms show it; pyserial's letter is its first one, upper case."""

    NONE = "none"
    EVEN = "even"
    ODD = "odd"

    @property
    def letter(self) -> str:
        """N, E or O."""
        return self.value[0].upper()


BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True, slots=True)
class SerialLine:
    """The settings of a serial line; 9600 8N1 unless the meter is set otherwise."""

    baudrate: int = 9600
    parity: Parity = Parity.NONE
    bytesize: int = 8
    stopbits: int = 1

    def __str__(self) -> str:
        return f"{self.baudrate} {self.bytesize}{self.parity.letter}{self.stopbits}"


@dataclass(frozen=True, slots=True)
class ModbusLink:
    """One Modbus bus: every unit id on it shares its client, and its requests take turns."""

    framing: Framing
    address: str
    """The host, or the serial port's path."""
    port: int = 502
    line: SerialLine = field(default_factory=SerialLine)

    def __str__(self) -> str:
        if self.framing is Framing.SERIAL:
            return f"{self.address} ({self.line})"
        return f"{self.address}:{self.port}" + (" (RTU)" if self.framing is Framing.RTU_OVER_TCP else "")
