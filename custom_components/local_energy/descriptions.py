"""The catalogue: how each normalized measurement key appears in Home Assistant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    DEGREE,
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfReactivePower,
    UnitOfTemperature,
    UnitOfVolume,
)

from .devices.keys import CONTROL_KEYS, UNITS, Key, Unit

HA_UNITS: Mapping[Unit, str | None] = {
    Unit.WATT: UnitOfPower.WATT,
    Unit.KILOWATT_HOUR: UnitOfEnergy.KILO_WATT_HOUR,
    Unit.VOLT: UnitOfElectricPotential.VOLT,
    Unit.AMPERE: UnitOfElectricCurrent.AMPERE,
    Unit.HERTZ: UnitOfFrequency.HERTZ,
    Unit.PERCENT: PERCENTAGE,
    Unit.VAR: UnitOfReactivePower.VOLT_AMPERE_REACTIVE,
    Unit.VOLT_AMPERE: UnitOfApparentPower.VOLT_AMPERE,
    Unit.KILOVAR_HOUR: UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR,
    Unit.CUBIC_METER: UnitOfVolume.CUBIC_METERS,
    Unit.DECIBEL_MILLIWATT: SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    Unit.CELSIUS: UnitOfTemperature.CELSIUS,
    Unit.DEGREE: DEGREE,
    Unit.NONE: None,
}


@dataclass(frozen=True, kw_only=True)
class LocalEnergySensorDescription(SensorEntityDescription):
    """A sensor of one measurement key."""


@dataclass(frozen=True, slots=True)
class _Kind:
    device_class: SensorDeviceClass | None
    state_class: SensorStateClass | None
    precision: int | None
    category: EntityCategory | None = None
    enabled: bool = True


_MEASURED = SensorStateClass.MEASUREMENT
_COUNTER = SensorStateClass.TOTAL_INCREASING
_DIAGNOSTIC = EntityCategory.DIAGNOSTIC
_KINDS: Mapping[str, _Kind] = {
    "power": _Kind(SensorDeviceClass.POWER, _MEASURED, 0),
    "reactive_power": _Kind(SensorDeviceClass.REACTIVE_POWER, _MEASURED, 0, enabled=False),
    "apparent_power": _Kind(SensorDeviceClass.APPARENT_POWER, _MEASURED, 0, enabled=False),
    "power_factor": _Kind(SensorDeviceClass.POWER_FACTOR, _MEASURED, 2, enabled=False),
    "voltage": _Kind(SensorDeviceClass.VOLTAGE, _MEASURED, 1),
    "current": _Kind(SensorDeviceClass.CURRENT, _MEASURED, 2),
    "frequency": _Kind(SensorDeviceClass.FREQUENCY, _MEASURED, 2),
    "energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "reactive_energy": _Kind(SensorDeviceClass.REACTIVE_ENERGY, _COUNTER, 3, enabled=False),
    "gas": _Kind(SensorDeviceClass.GAS, _COUNTER, 3),
    "state_of_energy": _Kind(SensorDeviceClass.BATTERY, _MEASURED, 0),
    "wifi_strength": _Kind(None, _MEASURED, 0, _DIAGNOSTIC, enabled=False),
    "wifi_rssi": _Kind(SensorDeviceClass.SIGNAL_STRENGTH, _MEASURED, 0, _DIAGNOSTIC, enabled=False),
    "active_tariff": _Kind(None, None, None),
    "system_status": _Kind(None, None, None),
    "temperature": _Kind(SensorDeviceClass.TEMPERATURE, _MEASURED, 1),
    "battery_power": _Kind(SensorDeviceClass.POWER, _MEASURED, 0),
    "pv_power": _Kind(SensorDeviceClass.POWER, _MEASURED, 0),
    "ac_input_power": _Kind(SensorDeviceClass.POWER, _MEASURED, 0),
    "ac_output_power": _Kind(SensorDeviceClass.POWER, _MEASURED, 0),
    "battery_charge_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "battery_discharge_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "pv_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "ac_input_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "ac_output_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "battery_state": _Kind(None, None, None),
    "temperature_input": _Kind(SensorDeviceClass.TEMPERATURE, _MEASURED, 1),
    "pulse_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "power_angle": _Kind(None, _MEASURED, 1, enabled=False),
    "thd_voltage": _Kind(None, _MEASURED, 1, enabled=False),
    "thd_current": _Kind(None, _MEASURED, 1, enabled=False),
    "resettable_energy": _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    "available_blocks": _Kind(None, _MEASURED, 0),
    "meter_channel": _Kind(None, None, None, _DIAGNOSTIC, enabled=False),
}
_SUFFIXES = ("_l1_l2", "_l2_l3", "_l3_l1", "_l1", "_l2", "_l3", "_n", "_t1", "_t2", "_t3", "_t4")
_KIND_OF_TRANSLATION = {
    "voltage_phase_to_phase": "voltage",
    "power_average": "power",
    "energy_import": "energy",
    "energy_export": "energy",
    "resettable_energy_import": "resettable_energy",
    "resettable_energy_export": "resettable_energy",
    "net_energy_import": "energy",
    "net_energy_export": "energy",
    "integrated_energy_import": "energy",
    "integrated_energy_export": "energy",
    "energy_import_tariff": "energy",
    "energy_export_tariff": "energy",
    "reactive_energy_import": "reactive_energy",
    "reactive_energy_export": "reactive_energy",
    "current_neutral": "current",
}
SENSOR_KEYS = frozenset(UNITS) - CONTROL_KEYS


def split_key(key: Key) -> tuple[str, dict[str, str]]:
    """A key's translation key and placeholders: power_l2 -> ("power_phase", {"phase": "2"})."""
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            base = key.removesuffix(suffix)
            if suffix.startswith("_t"):
                return f"{base}_tariff", {"tariff": suffix[2:]}
            if suffix == "_n":
                return f"{base}_neutral", {}
            if suffix.count("_") == 2:
                return f"{base}_phase_to_phase", {"phases": suffix[1:].upper().replace("_", "-")}
            return f"{base}_phase", {"phase": suffix[2:]}
    return key.value, {}


def _kind(translation_key: str) -> _Kind:
    if translation_key in _KIND_OF_TRANSLATION:
        return _KINDS[_KIND_OF_TRANSLATION[translation_key]]
    base = translation_key.removesuffix("_phase")
    return _KINDS[_KIND_OF_TRANSLATION.get(base, base)]


def _description(key: Key) -> LocalEnergySensorDescription:
    translation_key, placeholders = split_key(key)
    kind = _kind(translation_key)
    return LocalEnergySensorDescription(
        key=key.value,
        translation_key=translation_key,
        translation_placeholders=placeholders or None,
        device_class=kind.device_class,
        state_class=kind.state_class,
        native_unit_of_measurement=HA_UNITS[UNITS[key]],
        suggested_display_precision=kind.precision,
        entity_category=kind.category,
        entity_registry_enabled_default=kind.enabled,
    )


SENSORS: Mapping[Key, LocalEnergySensorDescription] = {
    key: _description(key) for key in Key if key in SENSOR_KEYS
}
