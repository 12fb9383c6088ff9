"""The key vocabulary: every normalized measurement key with its unit, sign, counter rule and plausible range.

One table says everything the rest of the code needs to know about a key; the views below it (units,
signed keys, counters, swaps on invert) are derived from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache


class Unit(StrEnum):
    """The fixed unit of every measurement key."""

    WATT = "W"
    KILOWATT_HOUR = "kWh"
    VOLT = "V"
    AMPERE = "A"
    HERTZ = "Hz"
    PERCENT = "%"
    VAR = "var"
    VOLT_AMPERE = "VA"
    KILOVAR_HOUR = "kvarh"
    CUBIC_METER = "m³"
    DECIBEL_MILLIWATT = "dBm"
    CELSIUS = "°C"
    DEGREE = "°"
    NONE = ""


class Key(StrEnum):
    """Normalized measurement keys. Power is signed: > 0 drawn from the grid, < 0 fed in."""

    POWER = "power"
    POWER_AVERAGE = "power_average"
    """Mean power over the last minute."""
    POWER_AVERAGE_15M = "power_average_15m"
    """Mean power over the running quarter hour (the demand a capacity tariff bills)."""
    POWER_L1 = "power_l1"
    POWER_L2 = "power_l2"
    POWER_L3 = "power_l3"
    REACTIVE_POWER = "reactive_power"
    REACTIVE_POWER_L1 = "reactive_power_l1"
    REACTIVE_POWER_L2 = "reactive_power_l2"
    REACTIVE_POWER_L3 = "reactive_power_l3"
    APPARENT_POWER = "apparent_power"
    APPARENT_POWER_L1 = "apparent_power_l1"
    APPARENT_POWER_L2 = "apparent_power_l2"
    APPARENT_POWER_L3 = "apparent_power_l3"
    POWER_FACTOR = "power_factor"
    POWER_FACTOR_L1 = "power_factor_l1"
    POWER_FACTOR_L2 = "power_factor_l2"
    POWER_FACTOR_L3 = "power_factor_l3"
    VOLTAGE = "voltage"
    VOLTAGE_L1 = "voltage_l1"
    VOLTAGE_L2 = "voltage_l2"
    VOLTAGE_L3 = "voltage_l3"
    VOLTAGE_L1_L2 = "voltage_l1_l2"
    VOLTAGE_L2_L3 = "voltage_l2_l3"
    VOLTAGE_L3_L1 = "voltage_l3_l1"
    CURRENT = "current"
    CURRENT_L1 = "current_l1"
    CURRENT_L2 = "current_l2"
    CURRENT_L3 = "current_l3"
    CURRENT_N = "current_n"
    FREQUENCY = "frequency"
    ENERGY_IMPORT = "energy_import"
    ENERGY_IMPORT_T1 = "energy_import_t1"
    ENERGY_IMPORT_T2 = "energy_import_t2"
    ENERGY_IMPORT_T3 = "energy_import_t3"
    ENERGY_IMPORT_T4 = "energy_import_t4"
    ENERGY_EXPORT = "energy_export"
    ENERGY_EXPORT_T1 = "energy_export_t1"
    ENERGY_EXPORT_T2 = "energy_export_t2"
    ENERGY_EXPORT_T3 = "energy_export_t3"
    ENERGY_EXPORT_T4 = "energy_export_t4"
    ENERGY_IMPORT_L1 = "energy_import_l1"
    ENERGY_IMPORT_L2 = "energy_import_l2"
    ENERGY_IMPORT_L3 = "energy_import_l3"
    ENERGY_EXPORT_L1 = "energy_export_l1"
    ENERGY_EXPORT_L2 = "energy_export_l2"
    ENERGY_EXPORT_L3 = "energy_export_l3"
    NET_ENERGY_IMPORT = "net_energy_import"
    """kWh drawn from the grid, integrated from signed total power since the client started."""
    NET_ENERGY_EXPORT = "net_energy_export"
    """kWh fed in, integrated from signed total power since the client started."""
    INTEGRATED_ENERGY_IMPORT = "integrated_energy_import"
    """kWh drawn, integrated from the power of a channel that has no import counter of its own."""
    INTEGRATED_ENERGY_EXPORT = "integrated_energy_export"
    """kWh fed in, integrated from the power of a channel that has no export counter of its own."""
    REACTIVE_ENERGY_IMPORT = "reactive_energy_import"
    REACTIVE_ENERGY_EXPORT = "reactive_energy_export"
    ACTIVE_TARIFF = "active_tariff"
    GAS = "gas"
    STATE_OF_ENERGY = "state_of_energy"
    WIFI_STRENGTH = "wifi_strength"
    WIFI_RSSI = "wifi_rssi"
    TEMPERATURE = "temperature"
    BATTERY_POWER = "battery_power"
    BATTERY_STATE = "battery_state"
    PV_POWER = "pv_power"
    AC_INPUT_POWER = "ac_input_power"
    AC_OUTPUT_POWER = "ac_output_power"
    BATTERY_CHARGE_ENERGY = "battery_charge_energy"
    BATTERY_DISCHARGE_ENERGY = "battery_discharge_energy"
    PV_ENERGY = "pv_energy"
    AC_INPUT_ENERGY = "ac_input_energy"
    AC_OUTPUT_ENERGY = "ac_output_energy"
    OPERATING_MODE = "operating_mode"
    FEED_IN_LIMIT = "feed_in_limit"
    MAX_OUTPUT_POWER = "max_output_power"
    BACKUP_SOC = "backup_soc"
    GRID_CHARGING = "grid_charging"
    BATTERY_SETPOINT = "battery_setpoint"
    TEMPERATURE_INPUT = "temperature_input"
    PULSE_ENERGY = "pulse_energy"
    POWER_ANGLE = "power_angle"
    POWER_ANGLE_L1 = "power_angle_l1"
    POWER_ANGLE_L2 = "power_angle_l2"
    POWER_ANGLE_L3 = "power_angle_l3"
    THD_VOLTAGE = "thd_voltage"
    THD_VOLTAGE_L1 = "thd_voltage_l1"
    THD_VOLTAGE_L2 = "thd_voltage_l2"
    THD_VOLTAGE_L3 = "thd_voltage_l3"
    THD_CURRENT = "thd_current"
    THD_CURRENT_L1 = "thd_current_l1"
    THD_CURRENT_L2 = "thd_current_l2"
    THD_CURRENT_L3 = "thd_current_l3"
    RESETTABLE_ENERGY_IMPORT = "resettable_energy_import"
    RESETTABLE_ENERGY_EXPORT = "resettable_energy_export"
    RELAY = "relay"
    METER_CHANNEL = "meter_channel"
    TARGET_POWER = "target_power"
    CHARGE_CURRENT = "charge_current"
    CHARGE_CURRENT_L1 = "charge_current_l1"
    CHARGE_CURRENT_L2 = "charge_current_l2"
    CHARGE_CURRENT_L3 = "charge_current_l3"
    CHARGE_PHASES = "charge_phases"
    """The phases a charger charges on ("1" or "3"), switched at once as one phase change."""
    COMMAND_SOURCE = "command_source"
    SYSTEM_STATUS = "system_status"
    AVAILABLE_BLOCKS = "available_blocks"


class ValueKind(StrEnum):
    """What type a key's value has."""

    NUMBER = "number"
    TEXT = "text"
    FLAG = "flag"


class Quantity(StrEnum):
    """What a key measures: Home Assistant shows each quantity its own way (class, precision, category)."""

    POWER = "power"
    REACTIVE_POWER = "reactive_power"
    APPARENT_POWER = "apparent_power"
    POWER_FACTOR = "power_factor"
    VOLTAGE = "voltage"
    CURRENT = "current"
    FREQUENCY = "frequency"
    ENERGY = "energy"
    REACTIVE_ENERGY = "reactive_energy"
    GAS = "gas"
    STATE_OF_ENERGY = "state_of_energy"
    SIGNAL_QUALITY = "signal_quality"
    """Wi-Fi quality in percent."""
    SIGNAL_STRENGTH = "signal_strength"
    TEMPERATURE = "temperature"
    ANGLE = "angle"
    DISTORTION = "distortion"
    COUNT = "count"
    """How many of something (available battery blocks)."""
    CODE = "code"
    """A number that names a state (a tariff, a status word): not a measurement."""
    IDENTIFIER = "identifier"
    """A number that says which input a channel is (diagnostic)."""
    STATE = "state"
    """Text or a flag: a mode, a relay."""


class Phase(StrEnum):
    """The conductor(s) a value belongs to."""

    L1 = "1"
    L2 = "2"
    L3 = "3"
    NEUTRAL = "N"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L1 = "L3-L1"

    @property
    def between_phases(self) -> bool:
        """A line-to-line value (a voltage between two phases)."""
        return "-" in self.value


PHASES = (Phase.L1, Phase.L2, Phase.L3)
LINE_TO_LINE = (Phase.L1_L2, Phase.L2_L3, Phase.L3_L1)


@dataclass(frozen=True, slots=True)
class KeySpec:
    """Everything about a key: its quantity and unit, where it belongs, how it is checked and inverted.

    ``low``/``high`` are the plausibility bounds: a value outside cannot be a real reading (NaN, 1e300 W,
    -5 kWh), whereas 0 V on a dead phase, 0 Hz without mains or a large export stay inside.
    ``counter`` marks energy-like totals that only grow (total_increasing); ``max_rate`` is the fastest
    a counter can grow, in its unit per hour. ``swaps_with`` is the counter of the other direction,
    exchanged when a clamp's sign is inverted. ``signed`` keys change sign on invert. ``of`` is the key a
    per-phase or per-tariff key is a part of (power_l2 is of power, energy_import_t1 of energy_import).
    """

    unit: Unit
    quantity: Quantity
    low: float = -math.inf
    high: float = math.inf
    kind: ValueKind = ValueKind.NUMBER
    signed: bool = False
    counter: bool = False
    max_rate: float = math.inf
    swaps_with: Key | None = None
    accumulated: bool = False
    """A counter the client integrates from zero; Home Assistant carries its total over restarts."""
    control: bool = False
    """Written as well as read: shown as a control, not as a sensor."""
    setting: bool = False
    """A control set now and then (a limit, a reserve), not driven: shown with the device's configuration."""
    states: tuple[str, ...] = ()
    """The words a state may take (every family uses these): shown as an enum, translated."""
    of: Key | None = None
    phase: Phase | None = None
    tariff: int | None = None
    every: float | None = None
    """The shortest time between two shown changes, in seconds (None: the quantity's, see WRITE_EVERY)."""

    @property
    def write_every(self) -> float:
        """Seconds a changed value may wait before it is shown (0: at once).

        A phase's part of a fast quantity waits PHASE_PART: a meter pushing 7 times a second writes its
        total each time, its phases twice a second.
        """
        if self.every is not None:
            return self.every
        every = WRITE_EVERY[self.quantity]
        return PHASE_PART if every == FAST and self.phase is not None else every


FAST = 0.0
"""Shown at once: what control loops and dashboards follow, and states (a relay)."""
PHASE_PART = 0.5
"""A phase's power or current: shown at once after a quieter spell, a faster burst every half second."""
SLOW = 10.0
"""Counters and slowly moving quantities: shown at most every 10 s."""
DIAGNOSTIC = 60.0
"""Wi-Fi and temperatures: shown at most once a minute."""
WRITE_EVERY: Mapping[Quantity, float] = {
    Quantity.POWER: FAST,
    Quantity.CURRENT: FAST,
    Quantity.STATE: FAST,
    Quantity.CODE: FAST,
    Quantity.REACTIVE_POWER: SLOW,
    Quantity.APPARENT_POWER: SLOW,
    Quantity.POWER_FACTOR: SLOW,
    Quantity.VOLTAGE: SLOW,
    Quantity.FREQUENCY: SLOW,
    Quantity.ENERGY: SLOW,
    Quantity.REACTIVE_ENERGY: SLOW,
    Quantity.GAS: SLOW,
    Quantity.STATE_OF_ENERGY: SLOW,
    Quantity.ANGLE: SLOW,
    Quantity.DISTORTION: SLOW,
    Quantity.COUNT: SLOW,
    Quantity.IDENTIFIER: DIAGNOSTIC,
    Quantity.SIGNAL_QUALITY: DIAGNOSTIC,
    Quantity.SIGNAL_STRENGTH: DIAGNOSTIC,
    Quantity.TEMPERATURE: DIAGNOSTIC,
}
"""How often a change of each quantity is shown (the state writes Home Assistant must handle)."""

MAX_POWER_W = 1e8
"""100 MW: above any building a meter of ours measures, far below a corrupt float."""
_MAX_ENERGY = 1e10
_ENERGY_RATE = MAX_POWER_W / 1000  # kWh per hour at the largest plausible power


def _power(*, signed: bool = False, control: bool = False) -> KeySpec:
    return KeySpec(Unit.WATT, Quantity.POWER, -MAX_POWER_W, MAX_POWER_W, signed=signed, control=control)


def _energy(
    swaps_with: Key | None = None,
    *,
    unit: Unit = Unit.KILOWATT_HOUR,
    quantity: Quantity = Quantity.ENERGY,
    accumulated: bool = False,
) -> KeySpec:
    return KeySpec(
        unit,
        quantity,
        0.0,
        _MAX_ENERGY,
        counter=True,
        max_rate=_ENERGY_RATE,
        swaps_with=swaps_with,
        accumulated=accumulated,
    )


def _ranged(
    unit: Unit, quantity: Quantity, low: float, high: float, *, signed: bool = False, control: bool = False
) -> KeySpec:
    return KeySpec(unit, quantity, low, high, signed=signed, control=control)


def _setting(spec: KeySpec) -> KeySpec:
    return replace(spec, setting=True)


BATTERY_STATES = ("standby", "charging", "discharging")
"""What a battery is doing."""


def _state(*, kind: ValueKind = ValueKind.TEXT, control: bool = False) -> KeySpec:
    return KeySpec(Unit.NONE, Quantity.STATE, kind=kind, control=control)


def _parts(whole: Key, spec: KeySpec, *parts: Key, phases: tuple[Phase, ...] = PHASES) -> dict[Key, KeySpec]:
    """A key and its per-phase keys, in the order of phases."""
    specs = {whole: spec}
    specs.update(
        {part: replace(spec, of=whole, phase=phase) for part, phase in zip(parts, phases, strict=True)}
    )
    return specs


def _tariffs(whole: Key, *tariffs: Key) -> dict[Key, KeySpec]:
    """Tariff counters keep their names on invert: a tariff register is wired to one direction."""
    return {key: replace(_energy(), of=whole, tariff=number) for number, key in enumerate(tariffs, start=1)}


def _pairs(*pairs: tuple[Key, Key]) -> dict[Key, KeySpec]:
    specs: dict[Key, KeySpec] = {}
    for importing, exporting in pairs:
        specs[importing] = _energy(exporting)
        specs[exporting] = _energy(importing)
    return specs


def _phase_pairs(whole: tuple[Key, Key], *pairs: tuple[Key, Key]) -> dict[Key, KeySpec]:
    """Per-phase import/export counters: each swaps with its phase's other direction."""
    specs: dict[Key, KeySpec] = {}
    for phase, (importing, exporting) in zip(PHASES, pairs, strict=True):
        specs[importing] = replace(_energy(exporting), of=whole[0], phase=phase)
        specs[exporting] = replace(_energy(importing), of=whole[1], phase=phase)
    return specs


_K = Key
_VOLTAGE = _ranged(Unit.VOLT, Quantity.VOLTAGE, 0.0, 1e6)
_CURRENT = _ranged(Unit.AMPERE, Quantity.CURRENT, -1e5, 1e5, signed=True)
_CHARGE_CURRENT = _ranged(Unit.AMPERE, Quantity.CURRENT, 0.0, 1000.0, control=True)
KEYS: Mapping[Key, KeySpec] = {
    **_parts(_K.POWER, _power(signed=True), _K.POWER_L1, _K.POWER_L2, _K.POWER_L3),
    _K.POWER_AVERAGE: _power(signed=True),
    _K.POWER_AVERAGE_15M: _power(signed=True),
    **_parts(
        _K.REACTIVE_POWER,
        KeySpec(Unit.VAR, Quantity.REACTIVE_POWER, -MAX_POWER_W, MAX_POWER_W, signed=True),
        _K.REACTIVE_POWER_L1,
        _K.REACTIVE_POWER_L2,
        _K.REACTIVE_POWER_L3,
    ),
    **_parts(
        _K.APPARENT_POWER,
        KeySpec(Unit.VOLT_AMPERE, Quantity.APPARENT_POWER, -MAX_POWER_W, MAX_POWER_W),
        _K.APPARENT_POWER_L1,
        _K.APPARENT_POWER_L2,
        _K.APPARENT_POWER_L3,
    ),
    **_parts(
        _K.POWER_FACTOR,
        _ranged(Unit.NONE, Quantity.POWER_FACTOR, -1.1, 1.1),
        _K.POWER_FACTOR_L1,
        _K.POWER_FACTOR_L2,
        _K.POWER_FACTOR_L3,
    ),
    **_parts(_K.VOLTAGE, _VOLTAGE, _K.VOLTAGE_L1, _K.VOLTAGE_L2, _K.VOLTAGE_L3),
    **_parts(_K.VOLTAGE, _VOLTAGE, _K.VOLTAGE_L1_L2, _K.VOLTAGE_L2_L3, _K.VOLTAGE_L3_L1, phases=LINE_TO_LINE),
    **_parts(_K.CURRENT, _CURRENT, _K.CURRENT_L1, _K.CURRENT_L2, _K.CURRENT_L3),
    _K.CURRENT_N: replace(_CURRENT, signed=False, of=_K.CURRENT, phase=Phase.NEUTRAL),
    _K.FREQUENCY: _ranged(Unit.HERTZ, Quantity.FREQUENCY, 0.0, 1000.0),
    **_pairs(
        (_K.ENERGY_IMPORT, _K.ENERGY_EXPORT), (_K.RESETTABLE_ENERGY_IMPORT, _K.RESETTABLE_ENERGY_EXPORT)
    ),
    **_phase_pairs(
        (_K.ENERGY_IMPORT, _K.ENERGY_EXPORT),
        (_K.ENERGY_IMPORT_L1, _K.ENERGY_EXPORT_L1),
        (_K.ENERGY_IMPORT_L2, _K.ENERGY_EXPORT_L2),
        (_K.ENERGY_IMPORT_L3, _K.ENERGY_EXPORT_L3),
    ),
    **_tariffs(
        _K.ENERGY_IMPORT, _K.ENERGY_IMPORT_T1, _K.ENERGY_IMPORT_T2, _K.ENERGY_IMPORT_T3, _K.ENERGY_IMPORT_T4
    ),
    **_tariffs(
        _K.ENERGY_EXPORT, _K.ENERGY_EXPORT_T1, _K.ENERGY_EXPORT_T2, _K.ENERGY_EXPORT_T3, _K.ENERGY_EXPORT_T4
    ),
    _K.NET_ENERGY_IMPORT: _energy(_K.NET_ENERGY_EXPORT, accumulated=True),
    _K.NET_ENERGY_EXPORT: _energy(_K.NET_ENERGY_IMPORT, accumulated=True),
    _K.INTEGRATED_ENERGY_IMPORT: _energy(_K.INTEGRATED_ENERGY_EXPORT, accumulated=True),
    _K.INTEGRATED_ENERGY_EXPORT: _energy(_K.INTEGRATED_ENERGY_IMPORT, accumulated=True),
    _K.REACTIVE_ENERGY_IMPORT: _energy(
        _K.REACTIVE_ENERGY_EXPORT, unit=Unit.KILOVAR_HOUR, quantity=Quantity.REACTIVE_ENERGY
    ),
    _K.REACTIVE_ENERGY_EXPORT: _energy(
        _K.REACTIVE_ENERGY_IMPORT, unit=Unit.KILOVAR_HOUR, quantity=Quantity.REACTIVE_ENERGY
    ),
    _K.ACTIVE_TARIFF: _ranged(Unit.NONE, Quantity.CODE, 0, 100),
    _K.GAS: _energy(unit=Unit.CUBIC_METER, quantity=Quantity.GAS),
    _K.STATE_OF_ENERGY: _ranged(Unit.PERCENT, Quantity.STATE_OF_ENERGY, 0.0, 100.0),
    _K.WIFI_STRENGTH: _ranged(Unit.PERCENT, Quantity.SIGNAL_QUALITY, 0.0, 100.0),
    _K.WIFI_RSSI: _ranged(Unit.DECIBEL_MILLIWATT, Quantity.SIGNAL_STRENGTH, -150.0, 20.0),
    _K.TEMPERATURE: _ranged(Unit.CELSIUS, Quantity.TEMPERATURE, -80.0, 250.0),
    _K.BATTERY_POWER: _power(signed=True),
    _K.BATTERY_STATE: replace(_state(), states=BATTERY_STATES),
    _K.PV_POWER: _power(),
    _K.AC_INPUT_POWER: _power(),
    _K.AC_OUTPUT_POWER: _power(),
    **dict.fromkeys(
        (
            _K.BATTERY_CHARGE_ENERGY,
            _K.BATTERY_DISCHARGE_ENERGY,
            _K.PV_ENERGY,
            _K.AC_INPUT_ENERGY,
            _K.AC_OUTPUT_ENERGY,
            _K.PULSE_ENERGY,
        ),
        _energy(),
    ),
    _K.OPERATING_MODE: _state(control=True),
    _K.FEED_IN_LIMIT: _setting(_power(control=True)),
    _K.MAX_OUTPUT_POWER: _setting(_power(control=True)),
    _K.BACKUP_SOC: _setting(_ranged(Unit.PERCENT, Quantity.STATE_OF_ENERGY, 0.0, 100.0, control=True)),
    _K.GRID_CHARGING: _setting(_state(kind=ValueKind.FLAG, control=True)),
    _K.BATTERY_SETPOINT: _power(control=True),
    _K.TEMPERATURE_INPUT: _ranged(Unit.CELSIUS, Quantity.TEMPERATURE, -80.0, 250.0),
    **_parts(
        _K.POWER_ANGLE,
        _ranged(Unit.DEGREE, Quantity.ANGLE, -360.0, 360.0),
        _K.POWER_ANGLE_L1,
        _K.POWER_ANGLE_L2,
        _K.POWER_ANGLE_L3,
    ),
    **_parts(
        _K.THD_VOLTAGE,
        _ranged(Unit.PERCENT, Quantity.DISTORTION, 0.0, 1000.0),
        _K.THD_VOLTAGE_L1,
        _K.THD_VOLTAGE_L2,
        _K.THD_VOLTAGE_L3,
    ),
    **_parts(
        _K.THD_CURRENT,
        _ranged(Unit.PERCENT, Quantity.DISTORTION, 0.0, 1000.0),
        _K.THD_CURRENT_L1,
        _K.THD_CURRENT_L2,
        _K.THD_CURRENT_L3,
    ),
    _K.RELAY: _state(kind=ValueKind.FLAG, control=True),
    _K.METER_CHANNEL: _ranged(Unit.NONE, Quantity.IDENTIFIER, 0, 1e4),
    _K.TARGET_POWER: _power(control=True),
    **_parts(
        _K.CHARGE_CURRENT, _CHARGE_CURRENT, _K.CHARGE_CURRENT_L1, _K.CHARGE_CURRENT_L2, _K.CHARGE_CURRENT_L3
    ),
    _K.COMMAND_SOURCE: _state(control=True),
    _K.CHARGE_PHASES: _state(control=True),
    _K.SYSTEM_STATUS: _ranged(Unit.NONE, Quantity.CODE, 0, 65535),
    _K.AVAILABLE_BLOCKS: _ranged(Unit.NONE, Quantity.COUNT, 0, 1e4),
}


@cache
def phases_of(whole: Key) -> tuple[Key, Key, Key]:
    """The keys of L1, L2 and L3 of a quantity: of Key.POWER, (POWER_L1, POWER_L2, POWER_L3)."""
    parts = {spec.phase: key for key, spec in KEYS.items() if spec.of is whole and spec.phase in PHASES}
    return parts[Phase.L1], parts[Phase.L2], parts[Phase.L3]


@cache
def line_to_line(whole: Key) -> tuple[Key, Key, Key]:
    """The keys of L1-L2, L2-L3 and L3-L1 of a quantity (voltages between phases)."""
    parts = {spec.phase: key for key, spec in KEYS.items() if spec.of is whole and spec.phase in LINE_TO_LINE}
    return parts[Phase.L1_L2], parts[Phase.L2_L3], parts[Phase.L3_L1]


UNITS: Mapping[Key, Unit] = {key: spec.unit for key, spec in KEYS.items()}
SIGNED_KEYS = frozenset(key for key, spec in KEYS.items() if spec.signed)
"""Keys whose sign follows the grid direction (currents carry their phase's sign); invert flips them."""
SWAPPED_ON_INVERT: Mapping[Key, Key] = {key: spec.swaps_with for key, spec in KEYS.items() if spec.swaps_with}
"""Counters that trade places when a clamp is mounted the wrong way round."""
ACCUMULATED_KEYS = frozenset(key for key, spec in KEYS.items() if spec.accumulated)
"""Counters that start at zero with the client; Home Assistant adds them to what it had before."""
CONTROL_KEYS = frozenset(key for key, spec in KEYS.items() if spec.control)
"""Keys that are written as well as read: they appear as controls, not as sensors."""
