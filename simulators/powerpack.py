"""A PowerPack battery on Modbus TCP: the five documented registers, in the block read from 2000."""

from __future__ import annotations

from custom_components.local_energy.devices.modbus import DataType, encode
from custom_components.local_energy.devices.powerpack import (
    REG_AVAILABLE_BLOCKS,
    REG_COMMAND_SOURCE,
    REG_STATE_OF_ENERGY,
    REG_STATUS,
    REG_TARGET_POWER,
    STATUS_READY,
)

from .device import SimulatedDevice
from .modbus_server import ModbusSimulatorServer, RegisterMap


class PowerPackSimulator(SimulatedDevice):
    """Ready, 62 % full, 4 inverter blocks; takes target power (int16 kW) and command source writes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.registers = RegisterMap()
        self.registers.set_words(REG_STATUS, [0] * (REG_AVAILABLE_BLOCKS - REG_STATUS + 1))
        self.registers.set_words(REG_STATUS, [STATUS_READY])
        self.registers.set_words(REG_TARGET_POWER, encode(-25, DataType.INT16))  # discharging 25 kW
        self.registers.set_words(REG_COMMAND_SOURCE, [2])
        self.registers.set_words(REG_STATE_OF_ENERGY, [62])
        self.registers.set_words(REG_AVAILABLE_BLOCKS, [4])
        super().__init__(ModbusSimulatorServer({1: self.registers}, host, port))

    def set_status(self, status: int) -> None:
        """Change the system status."""
        self.registers.set_words(REG_STATUS, [status])

    @property
    def target_kw(self) -> int:
        """The target power the battery holds, kW (positive = charge)."""
        raw = self.registers.registers[REG_TARGET_POWER]
        return raw - 0x10000 if raw & 0x8000 else raw
