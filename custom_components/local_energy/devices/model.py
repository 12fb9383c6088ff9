"""The data contract between device clients and Home Assistant.

Nothing here knows Home Assistant: a device client identifies itself, declares its timing and controls,
and yields snapshots of normalized measurements.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeGuard

type Value = float | int | str | bool


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
    THD_VOLTAGE_L1 = "thd_voltage_l1"
    THD_VOLTAGE_L2 = "thd_voltage_l2"
    THD_VOLTAGE_L3 = "thd_voltage_l3"
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
    COMMAND_SOURCE = "command_source"
    SYSTEM_STATUS = "system_status"
    AVAILABLE_BLOCKS = "available_blocks"


UNITS: Mapping[Key, Unit] = {
    **dict.fromkeys((Key.POWER, Key.POWER_AVERAGE, Key.POWER_L1, Key.POWER_L2, Key.POWER_L3), Unit.WATT),
    **dict.fromkeys(
        (Key.REACTIVE_POWER, Key.REACTIVE_POWER_L1, Key.REACTIVE_POWER_L2, Key.REACTIVE_POWER_L3),
        Unit.VAR,
    ),
    **dict.fromkeys(
        (Key.APPARENT_POWER, Key.APPARENT_POWER_L1, Key.APPARENT_POWER_L2, Key.APPARENT_POWER_L3),
        Unit.VOLT_AMPERE,
    ),
    **dict.fromkeys(
        (Key.POWER_FACTOR, Key.POWER_FACTOR_L1, Key.POWER_FACTOR_L2, Key.POWER_FACTOR_L3), Unit.NONE
    ),
    **dict.fromkeys(
        (
            Key.VOLTAGE,
            Key.VOLTAGE_L1,
            Key.VOLTAGE_L2,
            Key.VOLTAGE_L3,
            Key.VOLTAGE_L1_L2,
            Key.VOLTAGE_L2_L3,
            Key.VOLTAGE_L3_L1,
        ),
        Unit.VOLT,
    ),
    **dict.fromkeys(
        (Key.CURRENT, Key.CURRENT_L1, Key.CURRENT_L2, Key.CURRENT_L3, Key.CURRENT_N), Unit.AMPERE
    ),
    Key.FREQUENCY: Unit.HERTZ,
    **dict.fromkeys(
        (
            Key.ENERGY_IMPORT,
            Key.ENERGY_IMPORT_T1,
            Key.ENERGY_IMPORT_T2,
            Key.ENERGY_IMPORT_T3,
            Key.ENERGY_IMPORT_T4,
            Key.ENERGY_EXPORT,
            Key.ENERGY_EXPORT_T1,
            Key.ENERGY_EXPORT_T2,
            Key.ENERGY_EXPORT_T3,
            Key.ENERGY_EXPORT_T4,
            Key.ENERGY_IMPORT_L1,
            Key.ENERGY_IMPORT_L2,
            Key.ENERGY_IMPORT_L3,
            Key.ENERGY_EXPORT_L1,
            Key.ENERGY_EXPORT_L2,
            Key.ENERGY_EXPORT_L3,
            Key.NET_ENERGY_IMPORT,
            Key.NET_ENERGY_EXPORT,
        ),
        Unit.KILOWATT_HOUR,
    ),
    **dict.fromkeys((Key.REACTIVE_ENERGY_IMPORT, Key.REACTIVE_ENERGY_EXPORT), Unit.KILOVAR_HOUR),
    Key.ACTIVE_TARIFF: Unit.NONE,
    Key.GAS: Unit.CUBIC_METER,
    Key.STATE_OF_ENERGY: Unit.PERCENT,
    Key.WIFI_STRENGTH: Unit.PERCENT,
    Key.WIFI_RSSI: Unit.DECIBEL_MILLIWATT,
    Key.TEMPERATURE: Unit.CELSIUS,
    **dict.fromkeys(
        (
            Key.BATTERY_POWER,
            Key.PV_POWER,
            Key.AC_INPUT_POWER,
            Key.AC_OUTPUT_POWER,
            Key.FEED_IN_LIMIT,
            Key.MAX_OUTPUT_POWER,
            Key.BATTERY_SETPOINT,
        ),
        Unit.WATT,
    ),
    **dict.fromkeys(
        (
            Key.BATTERY_CHARGE_ENERGY,
            Key.BATTERY_DISCHARGE_ENERGY,
            Key.PV_ENERGY,
            Key.AC_INPUT_ENERGY,
            Key.AC_OUTPUT_ENERGY,
        ),
        Unit.KILOWATT_HOUR,
    ),
    Key.BATTERY_STATE: Unit.NONE,
    Key.OPERATING_MODE: Unit.NONE,
    Key.BACKUP_SOC: Unit.PERCENT,
    Key.GRID_CHARGING: Unit.NONE,
    Key.TEMPERATURE_INPUT: Unit.CELSIUS,
    Key.PULSE_ENERGY: Unit.KILOWATT_HOUR,
    **dict.fromkeys(
        (Key.POWER_ANGLE, Key.POWER_ANGLE_L1, Key.POWER_ANGLE_L2, Key.POWER_ANGLE_L3), Unit.DEGREE
    ),
    **dict.fromkeys(
        (
            Key.THD_VOLTAGE_L1,
            Key.THD_VOLTAGE_L2,
            Key.THD_VOLTAGE_L3,
            Key.THD_CURRENT_L1,
            Key.THD_CURRENT_L2,
            Key.THD_CURRENT_L3,
        ),
        Unit.PERCENT,
    ),
    **dict.fromkeys((Key.RESETTABLE_ENERGY_IMPORT, Key.RESETTABLE_ENERGY_EXPORT), Unit.KILOWATT_HOUR),
    Key.RELAY: Unit.NONE,
    Key.METER_CHANNEL: Unit.NONE,
    Key.TARGET_POWER: Unit.WATT,
    **dict.fromkeys(
        (Key.CHARGE_CURRENT, Key.CHARGE_CURRENT_L1, Key.CHARGE_CURRENT_L2, Key.CHARGE_CURRENT_L3), Unit.AMPERE
    ),
    Key.COMMAND_SOURCE: Unit.NONE,
    Key.SYSTEM_STATUS: Unit.NONE,
    Key.AVAILABLE_BLOCKS: Unit.NONE,
}

ACCUMULATED_KEYS = frozenset({Key.NET_ENERGY_IMPORT, Key.NET_ENERGY_EXPORT})
"""Counters that start at zero with the client; Home Assistant adds them to what it had before."""

CONTROL_KEYS = frozenset(
    {
        Key.RELAY,
        Key.TARGET_POWER,
        Key.CHARGE_CURRENT,
        Key.CHARGE_CURRENT_L1,
        Key.CHARGE_CURRENT_L2,
        Key.CHARGE_CURRENT_L3,
        Key.COMMAND_SOURCE,
        Key.OPERATING_MODE,
        Key.FEED_IN_LIMIT,
        Key.MAX_OUTPUT_POWER,
        Key.BACKUP_SOC,
        Key.GRID_CHARGING,
        Key.BATTERY_SETPOINT,
    }
)
"""Keys that are written as well as read: they appear as controls, not as sensors."""

SIGNED_KEYS = frozenset(
    {
        Key.POWER,
        Key.POWER_AVERAGE,
        Key.BATTERY_POWER,
        Key.POWER_L1,
        Key.POWER_L2,
        Key.POWER_L3,
        Key.REACTIVE_POWER,
        Key.REACTIVE_POWER_L1,
        Key.REACTIVE_POWER_L2,
        Key.REACTIVE_POWER_L3,
        Key.CURRENT,
        Key.CURRENT_L1,
        Key.CURRENT_L2,
        Key.CURRENT_L3,
    }
)
"""Keys whose sign follows the grid direction (currents carry their phase's sign); invert flips them."""

SWAPPED_ON_INVERT: Mapping[Key, Key] = {
    Key.ENERGY_IMPORT: Key.ENERGY_EXPORT,
    Key.ENERGY_EXPORT: Key.ENERGY_IMPORT,
    Key.NET_ENERGY_IMPORT: Key.NET_ENERGY_EXPORT,
    Key.NET_ENERGY_EXPORT: Key.NET_ENERGY_IMPORT,
    Key.RESETTABLE_ENERGY_IMPORT: Key.RESETTABLE_ENERGY_EXPORT,
    Key.RESETTABLE_ENERGY_EXPORT: Key.RESETTABLE_ENERGY_IMPORT,
    Key.ENERGY_IMPORT_L1: Key.ENERGY_EXPORT_L1,
    Key.ENERGY_EXPORT_L1: Key.ENERGY_IMPORT_L1,
    Key.ENERGY_IMPORT_L2: Key.ENERGY_EXPORT_L2,
    Key.ENERGY_EXPORT_L2: Key.ENERGY_IMPORT_L2,
    Key.ENERGY_IMPORT_L3: Key.ENERGY_EXPORT_L3,
    Key.ENERGY_EXPORT_L3: Key.ENERGY_IMPORT_L3,
    Key.REACTIVE_ENERGY_IMPORT: Key.REACTIVE_ENERGY_EXPORT,
    Key.REACTIVE_ENERGY_EXPORT: Key.REACTIVE_ENERGY_IMPORT,
}
"""Counters that trade places when a clamp is mounted the wrong way round."""


class ChannelKind(StrEnum):
    """What a channel is: the device itself or something behind it."""

    DEVICE = "device"
    METER = "meter"
    SOCKET = "socket"
    RELAY = "relay"


MAIN_CHANNEL = ""
"""The channel id of the device itself."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who a device is. The unique id comes from the serial (or MAC), never from the address."""

    vendor: str
    model: str
    serial: str
    firmware: str | None = None
    name: str | None = None
    mac: str | None = None


class ControlKind(StrEnum):
    """How a control is driven."""

    SWITCH = "switch"
    NUMBER = "number"
    SELECT = "select"


@dataclass(frozen=True, slots=True)
class Control:
    """A writable value a device declares, with the bounds checked before anything is sent."""

    key: Key
    kind: ControlKind
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Channel:
    """Values measured on one channel: the device itself or a meter, relay or socket behind it."""

    kind: ChannelKind
    values: Mapping[Key, Value]
    model: str | None = None
    serial: str | None = None
    name: str | None = None
    controls: tuple[Control, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a device reported at one moment, by channel id (MAIN_CHANNEL for the device)."""

    channels: Mapping[str, Channel]
    complete: bool = False
    """The channels are the full list the device keeps (a gateway's device list): one missing is gone."""

    def value(self, channel_id: str, key: Key) -> Value | None:
        """Return a value, or None when the channel or the key is absent."""
        channel = self.channels.get(channel_id)
        return None if channel is None else channel.values.get(key)


@dataclass(frozen=True, slots=True)
class Timing:
    """How often a device may be asked, in seconds, and whether it pushes on its own."""

    default_interval: float
    minimum_interval: float
    maximum_interval: float = 300.0
    push: bool = False


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
    settings: Mapping[str, float] = field(default_factory=dict)
    """Family-specific numbers the user set: a maximum current, a rated power, a minimum interval."""
    members: tuple[int, ...] = ()
    """Modbus addresses of the devices behind a gateway, where the protocol cannot list them."""


def is_number(raw: object) -> TypeGuard[float | int]:
    """A finite int or float from a payload (bool is not a number here)."""
    return isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw)


def invert_snapshot(snapshot: Snapshot) -> Snapshot:
    """Flip signed power and swap import/export counters on every channel."""
    return Snapshot(
        channels={
            channel_id: Channel(
                kind=channel.kind,
                values=_invert_values(channel.values),
                model=channel.model,
                serial=channel.serial,
                name=channel.name,
                controls=channel.controls,
            )
            for channel_id, channel in snapshot.channels.items()
        },
        complete=snapshot.complete,
    )


def _invert_values(values: Mapping[Key, Value]) -> dict[Key, Value]:
    inverted: dict[Key, Value] = {}
    for key, value in values.items():
        target = SWAPPED_ON_INVERT.get(key, key)
        if key in SIGNED_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
            inverted[target] = -value
        else:
            inverted[target] = value
    return inverted


class DeviceError(Exception):
    """Base of every error a device client raises."""


class CannotConnect(DeviceError):
    """The device could not be reached, timed out, or has gone silent."""


class AuthenticationFailed(DeviceError):
    """The device refused the credentials, or its API is disabled."""


class ApiDisabled(AuthenticationFailed):
    """The device's local API is switched off (in its app)."""


class AuthenticationRequired(AuthenticationFailed):
    """The device has authentication enabled and no credentials were given.

    It carries what the device told without credentials, so a flow can recognise the device first.
    """

    def __init__(self, message: str, identity: DeviceIdentity | None = None) -> None:
        super().__init__(message)
        self.identity = identity


class WrongDevice(DeviceError):
    """Another device answers at the configured address (for example after a DHCP lease moved)."""


class InvalidResponse(DeviceError):
    """The device answered with something that could not be parsed."""


class UnsupportedModel(DeviceError):
    """The device is reachable but not a model this family supports."""


class CommandRejected(DeviceError):
    """A write was refused, before sending (bounds, rate limit) or by the device.

    reason names the rule that refused it, so Home Assistant can say so in the user's language;
    placeholders fill that message.
    """

    def __init__(
        self, message: str, *, reason: str | None = None, placeholders: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.placeholders = dict(placeholders or {})
