"""An Iskra gateway's Modbus TCP side: the gateway's identity and the meters behind it, in Iskra's formats."""

from __future__ import annotations

import struct

from .device import SimulatedDevice
from .modbus_server import ModbusSimulatorServer, RegisterMap

GATEWAY_ADDRESS = 34


def t5_words(value: float, exponent: int = -3) -> list[int]:
    """Encode as T5/T6: 24-bit mantissa (two's complement if negative) and an 8-bit exponent."""
    mantissa = round(value / 10.0**exponent) & 0xFFFFFF
    raw = ((exponent & 0xFF) << 24) | mantissa
    return [raw >> 16, raw & 0xFFFF]


def t7_words(power_factor: float, *, export: bool = False) -> list[int]:
    """Encode as T7: the factor times 10000 in the low word, the export flag in the top byte."""
    return [(0x01 if export else 0) << 8, round(abs(power_factor) * 10000)]


def _text(text: str, registers: int) -> list[int]:
    raw = text.encode("ascii").ljust(registers * 2, b"\0")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def _float_words(value: float) -> list[int]:
    return list(struct.unpack(">HH", struct.pack(">f", value)))


class IskraMeterMap(RegisterMap):
    """One Iskra meter (or the gateway itself) at a Modbus address."""

    def __init__(
        self, model: str, serial: str, *, phases: int = 3, reversed_connection: bool = False
    ) -> None:
        super().__init__()
        self.model = model
        self.inputs.update(dict(enumerate([*_text(model, 8), *_text(serial, 4), 210, 0], start=1)))
        if model.startswith("SG"):
            return
        self.set_words(151, [2 if reversed_connection else 0])
        self.powers = [1520.0, -2310.0, 410.0][:phases]
        self.publish()
        self._counters()

    def publish(self) -> None:
        """Write the measurement block (input registers 100-190)."""
        block = dict.fromkeys(range(100, 191), 0)
        for index, word in enumerate(t5_words(50.01)):
            block[105 + index] = word
        for phase, power in enumerate(self.powers):
            for start, words in (
                (107, t5_words(230.1 + phase)),
                (126, t5_words(abs(power) / 230)),
                (142, t5_words(power)),
                (150, t5_words(120.5)),
                (158, t5_words(abs(power) * 1.02)),
                (166, t7_words(0.98, export=power < 0)),
            ):
                block[start + 2 * phase], block[start + 2 * phase + 1] = words
            block[173 + phase] = (-1150) & 0xFFFF
            block[182 + phase], block[188 + phase] = 210, 740
        for start, words in ((140, t5_words(sum(self.powers))), (164, t7_words(0.93))):
            block[start], block[start + 1] = words
        block[172], block[181] = (-1150) & 0xFFFF, 3150
        self.inputs.update(block)

    def _counters(self) -> None:
        # Settings: counters 0-3 = import Wh, export Wh, import varh, export varh (quadrants 6, 9, 12, 3).
        kinds = [(1, 6), (1, 9), (2, 12), (2, 3)]
        values_wh = [12_345_678.0, 2_345_678.0, 5_432_100.0, 1_234_500.0]
        if self.model.startswith("IE"):
            for n, ((unit, quadrant), value) in enumerate(zip(kinds, values_wh, strict=True)):
                self.set_words(421 + 4 * n, [unit, quadrant, 0, 0])
                self.inputs[2752 + 2 * n], self.inputs[2753 + 2 * n] = _float_words(value)
            return
        counts = dict.fromkeys(range(400, 464), 0)
        for n, ((unit, quadrant), value) in enumerate(zip(kinds, values_wh, strict=True)):
            self.set_words(421 + 10 * n, [unit, quadrant, *[0] * 8])
            counts[401 + n] = (-1) & 0xFFFF  # exponent -1: the count is in tenths of Wh
            mantissa = round(value * 10)
            counts[406 + 2 * n], counts[407 + 2 * n] = mantissa >> 16, mantissa & 0xFFFF
        self.inputs.update(counts)


class IskraModbusSimulator(SimulatedDevice):
    """The gateway at address 34, an IE38 three-phase meter at 33, a WM1 single-phase meter at 35."""

    def __init__(self, port: int = 0, *, reversed_wm1: bool = False) -> None:
        self.units = {
            GATEWAY_ADDRESS: IskraMeterMap("SG-E1", "SG000002"),
            33: IskraMeterMap("IE38MD", "79000001"),
            35: IskraMeterMap("WM1-6", "58000002", phases=1, reversed_connection=reversed_wm1),
        }
        super().__init__(ModbusSimulatorServer(dict(self.units), "127.0.0.1", port))
