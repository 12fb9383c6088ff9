"""smart-me meters and the smart-me Pico charging station over Modbus TCP.

The vendor numbers registers one higher than the Modbus address: every register below is read at
``register - 1`` (function 03), and the simulator stores them the same way. The meter block (serial,
power, voltage, current, power factor, tariff, energy) is one read. A Pico answers its charging-current
registers too; a meter answers them with "illegal data address", which is how the two are told apart.

Charging current (int32, mA, high word first; written with function 16):

- register 0x206E: all three phases at once;
- registers 0x2071 / 0x2073 / 0x2075: L1 / L2 / L3 each (firmware 0.0.53 and newer).

The vendor's modpoll example and its wiki both use 0x206E for all phases (modpoll's ``-r`` counts from 1,
so it names the register, not the address); 0x206C appears in one sentence of the vendor text and nowhere
else, so it is not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import clock
from .client import ModbusDeviceClient, Transports
from .connection import ConnectionConfig, Settings
from .errors import CommandRejected
from .family import (
    Asked,
    ChargerActuator,
    Family,
    Field,
    Timing,
    Transport,
    number_setting,
)
from .keys import Key, phases_of
from .modbus import DataType, ModbusExceptionResponse, Registers, encode, plan_reads
from .payload import total
from .snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Snapshot,
    Value,
)

VENDOR = "smart-me"
DEFAULT_PORT = 502
DEFAULT_UNIT_ID = 1
MINIMUM_CURRENT = 6.0
"""Amperes: the lowest charging current a Pico charges with; below it only 0 (pause) is possible."""
ILLEGAL_DATA_ADDRESS = 2


def address(register: int) -> int:
    """The Modbus (PDU) address of a smart-me register."""
    return register - 1


@dataclass(frozen=True, slots=True)
class Register:
    """A value in the vendor's register numbering, with its encoding and the factor to our unit."""

    key: Key | None
    register: int
    data_type: DataType
    factor: float = 1.0


SERIAL = Register(None, 0x2000, DataType.UINT32)
METER: tuple[Register, ...] = (
    Register(Key.POWER, 0x2004, DataType.INT32, 0.001),  # mW
    Register(Key.POWER_L1, 0x2006, DataType.INT32, 0.001),
    Register(Key.POWER_L2, 0x2008, DataType.INT32, 0.001),
    Register(Key.POWER_L3, 0x200A, DataType.INT32, 0.001),
    Register(Key.REACTIVE_POWER, 0x200C, DataType.INT32, 0.001),  # mvar
    Register(Key.VOLTAGE_L1, 0x2014, DataType.UINT32, 0.001),  # mV
    Register(Key.VOLTAGE_L2, 0x2016, DataType.UINT32, 0.001),
    Register(Key.VOLTAGE_L3, 0x2018, DataType.UINT32, 0.001),
    Register(Key.CURRENT_L1, 0x201A, DataType.INT32, 0.001),  # mA
    Register(Key.CURRENT_L2, 0x201C, DataType.INT32, 0.001),
    Register(Key.CURRENT_L3, 0x201E, DataType.INT32, 0.001),
    Register(Key.POWER_FACTOR_L1, 0x2020, DataType.UINT16, 0.001),
    Register(Key.POWER_FACTOR_L2, 0x2021, DataType.UINT16, 0.001),
    Register(Key.POWER_FACTOR_L3, 0x2022, DataType.UINT16, 0.001),
    Register(Key.ACTIVE_TARIFF, 0x2023, DataType.UINT16),
    Register(Key.ENERGY_IMPORT, 0x2024, DataType.UINT64, 1e-6),  # mWh
    Register(Key.ENERGY_EXPORT, 0x2028, DataType.UINT64, 1e-6),
    Register(Key.ENERGY_IMPORT_T1, 0x202C, DataType.UINT64, 1e-6),
    Register(Key.ENERGY_IMPORT_T2, 0x2030, DataType.UINT64, 1e-6),
    Register(Key.ENERGY_EXPORT_T1, 0x2034, DataType.UINT64, 1e-6),
    Register(Key.ENERGY_EXPORT_T2, 0x2038, DataType.UINT64, 1e-6),
)
ALL_PHASES = Register(Key.CHARGE_CURRENT, 0x206E, DataType.INT32, 0.001)
PER_PHASE: tuple[Register, ...] = (
    Register(Key.CHARGE_CURRENT_L1, 0x2071, DataType.INT32, 0.001),
    Register(Key.CHARGE_CURRENT_L2, 0x2073, DataType.INT32, 0.001),
    Register(Key.CHARGE_CURRENT_L3, 0x2075, DataType.INT32, 0.001),
)
CHARGING: tuple[Register, ...] = (ALL_PHASES, *PER_PHASE)
_SETPOINTS = {register.key: register for register in CHARGING}
PHASE_CHOICES = ("1", "3")
ONE_PHASE, THREE_PHASES = frozenset({1}), frozenset({1, 2, 3})


def _plan(registers: tuple[Register, ...], max_gap: int) -> list[tuple[int, int]]:
    return plan_reads(((address(r.register), r.data_type.width) for r in registers), max_gap=max_gap)


# Every register from 0x2000 to 0x205F is documented, so the meter block spans the ones we skip.
METER_PLAN = _plan((SERIAL, *METER), max_gap=8)
# 0x2070 is not documented: the charging currents are two reads rather than a read of an unknown register.
CHARGING_PLAN = _plan(CHARGING, max_gap=0)


@total("smart-me registers")
def decode(registers: Registers, values: tuple[Register, ...]) -> dict[Key, Value]:
    """Scale raw registers to the contract's units."""
    decoded: dict[Key, Value] = {}
    for value in values:
        raw = registers.read(address(value.register), value.data_type)
        if value.key is not None:
            decoded[value.key] = round(raw * value.factor, 6) if value.factor != 1.0 else int(raw)
    return decoded


@dataclass(frozen=True, slots=True)
class PicoSettings(Settings):
    """What the user allows a Pico to do (a meter ignores them)."""

    max_current: float = number_setting(16, 6, 80, "A")
    """The highest charging current per phase (the wiring's limit)."""
    phase_change_minutes: float = number_setting(10, 1, 120, "min", asked=Asked.OPTIONS)
    """The shortest time between two changes of the charging phases (contactor wear)."""


class SmartMeClient(ModbusDeviceClient):
    """A smart-me meter, or a Pico charging station (standalone, or the master of its group)."""

    settings: PicoSettings

    def __init__(
        self, config: ConnectionConfig, transports: Transports, settings: PicoSettings | None = None
    ) -> None:
        super().__init__(config, transports)
        self.settings = settings or PicoSettings()
        self._is_pico: bool | None = None
        self._currents: dict[Key, Value] = {}
        self._active_phases: frozenset[int] | None = None
        self._last_phase_change: float | None = None

    @property
    def maximum_current(self) -> float:
        """The highest charging current the user allows (A)."""
        return self.settings.max_current

    @property
    def phase_change_seconds(self) -> float:
        """The shortest time between two changes of the charging phases."""
        return self.settings.phase_change_minutes * 60

    async def identify(self) -> DeviceIdentity:
        """The serial from the meter block; a Pico is what answers the charging registers."""
        registers = await self._connection.read_plan(self._unit, METER_PLAN)
        serial = str(int(registers.read(address(SERIAL.register), SERIAL.data_type)))
        self._is_pico = await self._answers_charging_registers()
        model = "Pico charging station" if self._is_pico else "Meter"
        return DeviceIdentity(vendor=VENDOR, model=model, serial=serial)

    async def fetch(self) -> Snapshot:
        """One read of the meter block, and for a Pico the charging currents."""
        if self._is_pico is None:
            await self.identify()
        values = decode(await self._connection.read_plan(self._unit, METER_PLAN), METER)
        controls: tuple[Control, ...] = ()
        if self._is_pico:
            self._currents = decode(await self._connection.read_plan(self._unit, CHARGING_PLAN), CHARGING)
            values |= self._currents
            controls = charging_controls(self.maximum_current)
            if self._active_phases is None:
                self._active_phases = _active(self._currents)
            values[Key.CHARGE_PHASES] = "1" if self._active_phases == ONE_PHASE else "3"
        return Snapshot({MAIN_CHANNEL: Channel(ChannelKind.DEVICE, values, controls=controls)})

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Set a charging current in A, or the phases, after checking the Pico's rules."""
        if key is Key.CHARGE_PHASES and self._is_pico and channel_id == MAIN_CHANNEL:
            await self._switch_phases(str(value))
            return
        register = _SETPOINTS.get(key)
        if not self._is_pico or register is None or channel_id != MAIN_CHANNEL:
            raise CommandRejected(f"{key} cannot be written on this smart-me device")
        amperes = float(value)
        self._check_gap(amperes)
        phases = self._phases_after(key, amperes)
        changes_phases = bool(phases) and self._active_phases is not None and phases != self._active_phases
        if changes_phases:
            self._check_phase_change_allowed()
        await self._write_current(register, amperes)
        if changes_phases:
            self._last_phase_change = clock.now()
        if phases:
            self._active_phases = phases

    async def _switch_phases(self, choice: str) -> None:
        """One phase change (guarded once): all three phases, or phase 1 alone, at the current now."""
        wanted = ONE_PHASE if choice == "1" else THREE_PHASES
        if self._active_phases == wanted:
            return
        self._check_phase_change_allowed()
        now = max((float(self._currents.get(r.key, 0.0)) for r in PER_PHASE), default=0.0)  # type: ignore[arg-type]
        amperes = max(now, MINIMUM_CURRENT) if now > 0 else 0.0
        if wanted == ONE_PHASE:
            for register in PER_PHASE[1:]:
                await self._write_current(register, 0.0)
            await self._write_current(PER_PHASE[0], amperes)
        else:
            await self._write_current(ALL_PHASES, amperes)
        self._last_phase_change = clock.now()
        self._active_phases = wanted

    async def _write_current(self, register: Register, amperes: float) -> None:
        milliamperes = round(amperes * 1000)
        await self._connection.write_registers(
            self._unit, address(register.register), encode(milliamperes, DataType.INT32)
        )
        # What was just commanded is newer than the last read: the phase guard judges by it.
        for written in PER_PHASE if register is ALL_PHASES else (register,):
            self._currents[written.key] = amperes  # type: ignore[index]

    def diagnostics(self) -> dict[str, Any]:
        """Requests on the shared connection and what the device was taken for."""
        return {"modbus_requests": self._connection.requests, "pico": self._is_pico}

    async def _answers_charging_registers(self) -> bool:
        try:
            await self._connection.read_holding(self._unit, address(ALL_PHASES.register), 2)
        except ModbusExceptionResponse as err:
            if err.code == ILLEGAL_DATA_ADDRESS:
                return False
            raise
        return True

    def _check_gap(self, amperes: float) -> None:
        """A Pico pauses at 0 A or charges from 6 A: nothing between (its bounds the guard checked)."""
        if 0 < amperes < MINIMUM_CURRENT:
            limits = {"minimum": f"{MINIMUM_CURRENT:g}", "maximum": f"{self.maximum_current:g}"}
            raise CommandRejected(
                f"{amperes:g} A: a Pico charges with 0 (pause) or {MINIMUM_CURRENT:g} A and more",
                reason="current_gap",
                placeholders=limits,
            )

    def _phases_after(self, key: Key, amperes: float) -> frozenset[int]:
        if key is Key.CHARGE_CURRENT:
            return frozenset({1, 2, 3}) if amperes > 0 else frozenset()
        currents = {index: float(self._currents.get(r.key, 0.0)) for index, r in enumerate(PER_PHASE, 1)}  # type: ignore[arg-type]
        currents[PER_PHASE.index(_SETPOINTS[key]) + 1] = amperes
        return frozenset(index for index, current in currents.items() if current > 0)

    def _check_phase_change_allowed(self) -> None:
        if self._last_phase_change is None:
            return
        elapsed = clock.now() - self._last_phase_change
        if elapsed < self.phase_change_seconds:
            raise CommandRejected(
                f"the charging phases changed {elapsed / 60:.1f} min ago; the minimum is "
                f"{self.phase_change_seconds / 60:g} min",
                reason="phase_change_too_soon",
                placeholders={
                    "elapsed": f"{elapsed / 60:.1f}",
                    "remaining": f"{(self.phase_change_seconds - elapsed) / 60:.1f}",
                    "minimum": f"{self.phase_change_seconds / 60:g}",
                },
            )


def charging_controls(maximum_current: float) -> tuple[Control, ...]:
    """A Pico's setpoints: each charging current, from 0 to the user's maximum in whole A, and the phases."""
    return (
        *(
            Control(register.key, ControlKind.NUMBER, minimum=0, maximum=maximum_current, step=1)
            for register in CHARGING
            if register.key is not None
        ),
        Control(Key.CHARGE_PHASES, ControlKind.SELECT, options=PHASE_CHOICES),
    )


def _active(currents: Mapping[Key, Value]) -> frozenset[int] | None:
    phases = frozenset(
        index
        for index, r in enumerate(PER_PHASE, 1)
        if float(currents.get(r.key, 0.0)) > 0  # type: ignore[arg-type]
    )
    return phases or None


FAMILY = Family(
    id="smartme",
    name="smart-me",
    client=SmartMeClient,
    transport=Transport.MODBUS,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=2.0, minimum_interval=2.0),
    settings=PicoSettings,
    fields=(Field.PORT, Field.FRAMING, Field.UNIT_ID),
    default_unit_id=DEFAULT_UNIT_ID,
    controls=(Key.CHARGE_CURRENT, *phases_of(Key.CHARGE_CURRENT), Key.CHARGE_PHASES),
    charger=ChargerActuator(
        Key.CHARGE_CURRENT,
        phases=Key.CHARGE_PHASES,
        single_phase_current=phases_of(Key.CHARGE_CURRENT)[0],
        minimum_interval=5.0,
    ),
)
