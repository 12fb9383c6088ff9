"""An Acuvim II meter on Modbus TCP: the manual's register map, secondary values behind 200/5 A CTs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .device import SimulatedDevice
from .modbus_server import ModbusSimulatorServer, RegisterMap, SerialModbusSimulatorServer

PT1, PT2 = 400, 400
CT1, CT2 = 200, 5


@dataclass
class AcuvimState:
    """The physical quantities the meter measures (primary side, W and kWh)."""

    frequency: float = 50.0
    voltages: tuple[float, float, float] = (230.1, 229.4, 231.2)
    currents: tuple[float, float, float] = (8.0, 4.0, 2.0)
    powers: tuple[float, float, float] = (1800.0, -900.0, 400.0)
    power_factors: tuple[float, float, float] = (0.98, -0.97, 0.95)
    import_kwh: float = 12345.6
    export_kwh: float = 2345.6
    step: int = field(default=0)

    @property
    def total_power(self) -> float:
        """Psum, signed."""
        return sum(self.powers)


class AcuvimSimulator(SimulatedDevice):
    """Serves an AcuvimState through the registers a real meter exposes."""

    tick = 0.5

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, unit_id: int = 1, *, framing: str = "tcp"
    ) -> None:
        """A meter on one link.

        framing: "tcp" (an AXM-NET module), "rtu_over_tcp" (a serial-to-Ethernet converter) or "serial"
        (RS-485 on a pseudo-terminal; serial_server.path names the port to open).
        """
        self.state = AcuvimState()
        self.registers = RegisterMap()
        self.unit_id = unit_id
        units = {unit_id: self.registers}
        server: ModbusSimulatorServer | SerialModbusSimulatorServer = (
            SerialModbusSimulatorServer(units)
            if framing == "serial"
            else ModbusSimulatorServer(units, host, port, rtu=framing == "rtu_over_tcp")
        )
        self.serial_server = server if isinstance(server, SerialModbusSimulatorServer) else None
        super().__init__(server)
        self._write_settings()
        self.publish()

    def advance(self) -> None:
        """Move to the next set of values: a cloud passes over the PV, the counters go on."""
        state = self.state
        state.step += 1
        swing = 1500.0 * math.sin(state.step / 10)
        state.powers = (1800.0 - swing, -900.0 - swing / 2, 400.0)
        state.currents = tuple(abs(p) / v for p, v in zip(state.powers, state.voltages, strict=True))  # type: ignore[assignment]
        state.frequency = 50.0 + 0.02 * math.sin(state.step)
        hours = 0.5 / 3600
        net_kw = state.total_power / 1000
        if net_kw >= 0:
            state.import_kwh += net_kw * hours
        else:
            state.export_kwh -= net_kw * hours
        self.publish()

    def publish(self) -> None:
        """Encode the state into registers, as secondary values the way the meter holds them."""
        pt, ct = PT1 / PT2, CT1 / CT2
        regs, state = self.registers, self.state
        regs.set_float(0x4000, state.frequency)
        for i, volts in enumerate(state.voltages):
            regs.set_float(0x4002 + 2 * i, volts / pt)
        regs.set_float(0x4008, sum(state.voltages) / 3 / pt)
        v1, v2, v3 = state.voltages
        for i, line in enumerate((v1 * math.sqrt(3), v2 * math.sqrt(3), v3 * math.sqrt(3))):
            regs.set_float(0x400A + 2 * i, line / pt)
        regs.set_float(0x4010, sum(state.voltages) * math.sqrt(3) / 3 / pt)
        for i, amps in enumerate(state.currents):
            regs.set_float(0x4012 + 2 * i, amps / ct)
        regs.set_float(0x4018, sum(state.currents) / 3 / ct)
        regs.set_float(0x401A, 0.3 / ct)
        apparent = [v * i for v, i in zip(state.voltages, state.currents, strict=True)]
        reactive = [
            math.copysign(math.sqrt(max(s * s - p * p, 0.0)), p)
            for s, p in zip(apparent, state.powers, strict=True)
        ]
        for base, per_phase in ((0x401C, state.powers), (0x4024, reactive), (0x402C, apparent)):
            for i, value in enumerate(per_phase):
                regs.set_float(base + 2 * i, value / pt / ct)
            regs.set_float(base + 6, sum(per_phase) / pt / ct)
        for i, pf in enumerate(state.power_factors):
            regs.set_float(0x4034 + 2 * i, pf)
        regs.set_float(0x403A, 0.97)
        for address in range(0x403C, 0x4048, 2):
            regs.set_float(address, 0.0)
        regs.set_float(0x4040, 82.0)
        regs.set_uint32(0x4048, round(state.import_kwh * 10))
        regs.set_uint32(0x404A, round(state.export_kwh * 10))
        regs.set_uint32(0x404C, 4321)
        regs.set_uint32(0x404E, 1234)

    def _write_settings(self) -> None:
        regs = self.registers
        for address in range(0x1000, 0x1046):
            regs.set_words(address, [0])
        regs.set_words(0x1001, [self.unit_id])
        regs.set_words(0x1003, [0])  # 3LN wiring
        regs.set_uint32(0x1005, PT1)
        regs.set_words(0x1007, [PT2, CT1, CT2])
        regs.set_words(0x1019, [0])  # energy in primary units: Rx / 10 kWh
        regs.set_words(0x101D, [0])  # real-time values are secondary: the CT/PT ratios apply
