"""How a device is reached: what the user entered, as one typed value."""

from __future__ import annotations

from dataclasses import dataclass, field

from .links import Framing, ModbusLink, SerialLine


@dataclass(frozen=True, slots=True)
class Settings:
    """A family's typed settings (a frozen dataclass of its own); a family without settings uses this one.

    family.py declares how each field is asked for and bounded.
    """


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
    framing: Framing = Framing.TCP
    """For Modbus devices: TCP, RTU over TCP, or RTU on the serial port named by host."""
    line: SerialLine = field(default_factory=SerialLine)
    """For a serial port: its settings."""

    @property
    def modbus_link(self) -> ModbusLink:
        """The Modbus bus this device is on."""
        return ModbusLink(self.framing, self.host, self.port, self.line)
