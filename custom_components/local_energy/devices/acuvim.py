"""Accuenergy Acuvim II power meter over Modbus TCP (function 03, PDU addresses as the manual prints them).

Two reads a refresh: the settings block once per connection (wiring ratios, primary/secondary modes) and the
real-time + energy block 0x4000..0x404F as one request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client import ModbusDeviceClient
from .connection import Settings
from .errors import CannotConnect, InvalidResponse
from .family import (
    Family,
    Field,
    Timing,
    Transport,
)
from .keys import Key
from .modbus import DataType, Registers, plan_reads
from .payload import total
from .snapshot import MAIN_CHANNEL, Channel, ChannelKind, DeviceIdentity, Snapshot, Value

VENDOR = "Accuenergy"
MODEL = "Acuvim II"
DEFAULT_PORT = 502
DEFAULT_UNIT_ID = 1

SETTINGS_START = 0x1003
SETTINGS_COUNT = 0x101D - SETTINGS_START + 1
REG_VOLTAGE_WIRING = 0x1003
REG_PT1 = 0x1005  # uint32, high word first
REG_PT2 = 0x1007
REG_CT1 = 0x1008
REG_CT2 = 0x1009
REG_ENERGY_DISPLAY = 0x1019  # 0 primary (Rx/10 kWh), 1 secondary (Rx/1000 kWh)
REG_PARAMETER_MODE = 0x101D  # 0 secondary (apply PT/CT ratios), 1 primary


class Scale:
    """What a raw value is multiplied by; the ratios come from the meter's own settings."""

    ONE = "one"
    VOLTAGE = "voltage"
    CURRENT = "current"
    POWER = "power"


@dataclass(frozen=True, slots=True)
class RegisterValue:
    """A measurement at a PDU address."""

    key: Key
    address: int
    data_type: DataType
    scale: str


def _floats(scale: str, *pairs: tuple[Key, int]) -> tuple[RegisterValue, ...]:
    return tuple(RegisterValue(key, address, DataType.FLOAT32, scale) for key, address in pairs)


REALTIME: tuple[RegisterValue, ...] = (
    *_floats(Scale.ONE, (Key.FREQUENCY, 0x4000)),
    *_floats(
        Scale.VOLTAGE,
        (Key.VOLTAGE_L1, 0x4002),
        (Key.VOLTAGE_L2, 0x4004),
        (Key.VOLTAGE_L3, 0x4006),
        (Key.VOLTAGE_L1_L2, 0x400A),
        (Key.VOLTAGE_L2_L3, 0x400C),
        (Key.VOLTAGE_L3_L1, 0x400E),
    ),
    *_floats(
        Scale.CURRENT,
        (Key.CURRENT_L1, 0x4012),
        (Key.CURRENT_L2, 0x4014),
        (Key.CURRENT_L3, 0x4016),
        (Key.CURRENT_N, 0x401A),
    ),
    *_floats(
        Scale.POWER,
        (Key.POWER_L1, 0x401C),
        (Key.POWER_L2, 0x401E),
        (Key.POWER_L3, 0x4020),
        (Key.POWER, 0x4022),
        (Key.REACTIVE_POWER_L1, 0x4024),
        (Key.REACTIVE_POWER_L2, 0x4026),
        (Key.REACTIVE_POWER_L3, 0x4028),
        (Key.REACTIVE_POWER, 0x402A),
        (Key.APPARENT_POWER_L1, 0x402C),
        (Key.APPARENT_POWER_L2, 0x402E),
        (Key.APPARENT_POWER_L3, 0x4030),
        (Key.APPARENT_POWER, 0x4032),
    ),
    *_floats(
        Scale.ONE,
        (Key.POWER_FACTOR_L1, 0x4034),
        (Key.POWER_FACTOR_L2, 0x4036),
        (Key.POWER_FACTOR_L3, 0x4038),
        (Key.POWER_FACTOR, 0x403A),
    ),
)
ENERGY: tuple[RegisterValue, ...] = (
    RegisterValue(Key.ENERGY_IMPORT, 0x4048, DataType.UINT32, Scale.ONE),
    RegisterValue(Key.ENERGY_EXPORT, 0x404A, DataType.UINT32, Scale.ONE),
    RegisterValue(Key.REACTIVE_ENERGY_IMPORT, 0x404C, DataType.UINT32, Scale.ONE),
    RegisterValue(Key.REACTIVE_ENERGY_EXPORT, 0x404E, DataType.UINT32, Scale.ONE),
)
MEASUREMENTS = REALTIME + ENERGY
# The registers between the blocks (unbalance, load type, demand) exist, so one read spans them.
MEASUREMENT_PLAN = plan_reads(((value.address, value.data_type.width) for value in MEASUREMENTS), max_gap=16)


@dataclass(frozen=True, slots=True)
class MeterSettings:
    """How the meter scales what it reports."""

    pt_ratio: float
    ct_ratio: float
    secondary_values: bool
    energy_divisor: float
    wiring: int

    @classmethod
    def from_registers(cls, registers: Registers) -> MeterSettings:
        """Decode the settings block; a zero denominator is an invalid response, not a division error."""
        pt1, pt2 = registers.read(REG_PT1, DataType.UINT32), registers.read(REG_PT2, DataType.UINT16)
        ct1, ct2 = registers.read(REG_CT1, DataType.UINT16), registers.read(REG_CT2, DataType.UINT16)
        if not pt2 or not ct2:
            raise InvalidResponse(f"Acuvim PT2={pt2} or CT2={ct2} is zero")
        return cls(
            pt_ratio=pt1 / pt2,
            ct_ratio=ct1 / ct2,
            secondary_values=registers.read(REG_PARAMETER_MODE, DataType.UINT16) == 0,
            energy_divisor=1000.0 if registers.read(REG_ENERGY_DISPLAY, DataType.UINT16) == 1 else 10.0,
            wiring=int(registers.read(REG_VOLTAGE_WIRING, DataType.UINT16)),
        )

    def factor(self, scale: str) -> float:
        """The multiplier of a real-time value in its fixed unit (power in W)."""
        if not self.secondary_values or scale == Scale.ONE:
            return 1.0
        return {
            Scale.VOLTAGE: self.pt_ratio,
            Scale.CURRENT: self.ct_ratio,
            Scale.POWER: self.pt_ratio * self.ct_ratio,
        }[scale]


class AcuvimClient(ModbusDeviceClient):
    """One Acuvim II behind a Modbus TCP module; it has no readable serial, the user gives it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._settings: MeterSettings | None = None

    async def identify(self) -> DeviceIdentity:
        """Read the settings block; a meter that answers it is an Acuvim II."""
        self._settings = await self._read_settings()
        serial = self.config.serial or f"unit{self._unit}"
        return DeviceIdentity(vendor=VENDOR, model=MODEL, serial=serial)

    async def fetch(self) -> Snapshot:
        """Read the measurement block (one request) after the settings, which are read once."""
        try:
            if self._settings is None:
                self._settings = await self._read_settings()
            registers = await self._connection.read_plan(self._unit, MEASUREMENT_PLAN)
        except CannotConnect:
            self._settings = None  # the meter may have been reconfigured while it was away
            raise
        return Snapshot(
            channels={
                MAIN_CHANNEL: Channel(
                    kind=ChannelKind.DEVICE, values=decode_measurements(registers, self._settings)
                )
            }
        )

    def diagnostics(self) -> dict[str, Any]:
        """Modbus requests sent on the shared connection, and the scaling in force."""
        return {
            "modbus_requests": self._connection.requests,
            "settings": None
            if self._settings is None
            else {
                "pt_ratio": self._settings.pt_ratio,
                "ct_ratio": self._settings.ct_ratio,
                "secondary_values": self._settings.secondary_values,
                "energy_divisor": self._settings.energy_divisor,
            },
        }

    async def _read_settings(self) -> MeterSettings:
        block = await self._connection.read_holding(self._unit, SETTINGS_START, SETTINGS_COUNT)
        return MeterSettings.from_registers(Registers((block,)))


@total("Acuvim II registers")
def decode_measurements(registers: Registers, settings: MeterSettings) -> Mapping[Key, Value]:
    """Scale every measurement to its fixed unit; NaN floats (unwired inputs) are left out."""
    values: dict[Key, Value] = {}
    for measurement in REALTIME:
        raw = float(registers.read(measurement.address, measurement.data_type))
        if not math.isnan(raw):
            values[measurement.key] = round(raw * settings.factor(measurement.scale), 4)
    for measurement in ENERGY:
        raw_count = registers.read(measurement.address, measurement.data_type)
        values[measurement.key] = round(raw_count / settings.energy_divisor, 3)
    return values


_TIMING = Timing(default_interval=1.0, minimum_interval=1.0)
FAMILY = Family(
    id="acuvim",
    name="Accuenergy Acuvim II",
    client=AcuvimClient,
    transport=Transport.MODBUS,
    default_port=DEFAULT_PORT,
    timing=_TIMING,
    settings=Settings,
    fields=(Field.PORT, Field.FRAMING, Field.UNIT_ID, Field.SERIAL),
    default_unit_id=DEFAULT_UNIT_ID,
    option="acuvim_network",
)
SERIAL_FAMILY = Family(
    id="acuvim_serial",
    name="Accuenergy Acuvim II (RS-485)",
    client=AcuvimClient,
    transport=Transport.SERIAL,
    default_port=0,
    timing=_TIMING,
    settings=Settings,
    fields=(Field.BAUDRATE, Field.PARITY, Field.BYTESIZE, Field.STOPBITS, Field.UNIT_ID, Field.SERIAL),
    default_unit_id=DEFAULT_UNIT_ID,
    variant_of="acuvim",
)
