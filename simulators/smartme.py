"""A smart-me meter or Pico on Modbus TCP, registers stored at ``register - 1`` as the vendor numbers them."""

from __future__ import annotations

from custom_components.local_energy.devices.modbus import DataType, encode
from custom_components.local_energy.devices.smartme import ALL_PHASES, METER, PER_PHASE, SERIAL, address

from .device import SimulatedDevice
from .modbus_server import ModbusSimulatorServer, RegisterMap

# Physical values: W, var, V, A, power factor, tariff, kWh.
METER_VALUES = {
    0x2004: 3250.5, 0x2006: 2100.25, 0x2008: -480.75, 0x200A: 1631.0, 0x200C: 310.0,
    0x2014: 231.2, 0x2016: 229.8, 0x2018: 230.5, 0x201A: 9.12, 0x201C: -2.09, 0x201E: 7.08,
    0x2020: 0.98, 0x2021: 0.95, 0x2022: 0.97, 0x2023: 2,
    0x2024: 15234.567891, 0x2028: 3021.123456, 0x202C: 10234.5, 0x2030: 5000.067891,
    0x2034: 2021.123456, 0x2038: 1000.0,
}  # fmt: skip


class SmartMeSimulator(SimulatedDevice):
    """Serves the documented register map; a Pico also takes charging currents (function 16)."""

    def __init__(
        self, *, pico: bool = False, serial: int = 6301587, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.pico = pico
        self.registers = RegisterMap()
        self.registers.set_words(address(SERIAL.register), encode(serial, DataType.UINT32))
        for register in range(0x2000, 0x2060):  # the whole documented meter range exists
            self.registers.registers.setdefault(address(register), 0)
        for value in METER:
            self.set_value(value.register, METER_VALUES[value.register])
        if pico:
            for register in range(0x206E, 0x2077):
                self.registers.registers.setdefault(address(register), 0)
            self.set_current(ALL_PHASES.register, 16.0)
            for phase in PER_PHASE:
                self.set_current(phase.register, 16.0)
            self.registers.write_hook = self._on_write
        super().__init__(ModbusSimulatorServer({1: self.registers}, host, port))

    def set_value(self, register: int, value: float) -> None:
        """Store a physical value in its register's encoding."""
        spec = next(v for v in (SERIAL, *METER) if v.register == register)
        raw = round(value / spec.factor) if spec.factor != 1.0 else int(value)
        self.registers.set_words(address(register), encode(raw, spec.data_type))

    def set_current(self, register: int, amperes: float) -> None:
        """Store a charging current (A) as mA."""
        self.registers.set_words(address(register), encode(round(amperes * 1000), DataType.INT32))

    def current(self, register: int) -> float:
        """A charging current as the Pico holds it, in A."""
        words = [self.registers.registers[address(register) + i] for i in range(2)]
        return int.from_bytes(b"".join(w.to_bytes(2, "big") for w in words), "big", signed=True) / 1000

    def _on_write(self, pdu_address: int, words: list[int]) -> None:
        # Writing all phases sets each phase to the same current, as the device applies it.
        if pdu_address == address(ALL_PHASES.register) and len(words) == 2:
            for phase in PER_PHASE:
                self.registers.set_words(address(phase.register), words)
