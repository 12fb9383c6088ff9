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

from .devices.keys import CONTROL_KEYS, KEYS, UNITS, Key, Phase, Quantity, Unit

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
_SHOWN: Mapping[Quantity, _Kind] = {
    Quantity.POWER: _Kind(SensorDeviceClass.POWER, _MEASURED, 0),
    Quantity.REACTIVE_POWER: _Kind(SensorDeviceClass.REACTIVE_POWER, _MEASURED, 0, enabled=False),
    Quantity.APPARENT_POWER: _Kind(SensorDeviceClass.APPARENT_POWER, _MEASURED, 0, enabled=False),
    Quantity.POWER_FACTOR: _Kind(SensorDeviceClass.POWER_FACTOR, _MEASURED, 2, enabled=False),
    Quantity.VOLTAGE: _Kind(SensorDeviceClass.VOLTAGE, _MEASURED, 1),
    Quantity.CURRENT: _Kind(SensorDeviceClass.CURRENT, _MEASURED, 2),
    Quantity.FREQUENCY: _Kind(SensorDeviceClass.FREQUENCY, _MEASURED, 2),
    Quantity.ENERGY: _Kind(SensorDeviceClass.ENERGY, _COUNTER, 3),
    Quantity.REACTIVE_ENERGY: _Kind(SensorDeviceClass.REACTIVE_ENERGY, _COUNTER, 3, enabled=False),
    Quantity.GAS: _Kind(SensorDeviceClass.GAS, _COUNTER, 3),
    Quantity.STATE_OF_ENERGY: _Kind(SensorDeviceClass.BATTERY, _MEASURED, 0),
    Quantity.SIGNAL_QUALITY: _Kind(None, _MEASURED, 0, _DIAGNOSTIC, enabled=False),
    Quantity.SIGNAL_STRENGTH: _Kind(
        SensorDeviceClass.SIGNAL_STRENGTH, _MEASURED, 0, _DIAGNOSTIC, enabled=False
    ),
    Quantity.TEMPERATURE: _Kind(SensorDeviceClass.TEMPERATURE, _MEASURED, 1),
    Quantity.ANGLE: _Kind(None, _MEASURED, 1, enabled=False),
    Quantity.DISTORTION: _Kind(None, _MEASURED, 1, enabled=False),
    Quantity.COUNT: _Kind(None, _MEASURED, 0),
    Quantity.CODE: _Kind(None, None, None),
    Quantity.IDENTIFIER: _Kind(None, None, None, _DIAGNOSTIC, enabled=False),
    Quantity.STATE: _Kind(None, None, None),
}
"""How Home Assistant shows each quantity."""
SENSOR_KEYS = frozenset(UNITS) - CONTROL_KEYS


def translation_of(key: Key) -> tuple[str, dict[str, str]]:
    """A key's translation key and placeholders, from its place in the key table.

    power_l2 -> ("power_phase", {"phase": "2"}); voltage_l1_l2 -> ("voltage_phase_to_phase",
    {"phases": "L1-L2"}); current_n -> ("current_neutral", {}); energy_import_t1 ->
    ("energy_import_tariff", {"tariff": "1"}).
    """
    spec = KEYS[key]
    if spec.of is None:
        return key.value, {}
    if spec.tariff is not None:
        return f"{spec.of.value}_tariff", {"tariff": str(spec.tariff)}
    if spec.phase is Phase.NEUTRAL:
        return f"{spec.of.value}_neutral", {}
    assert spec.phase is not None
    if spec.phase.between_phases:
        return f"{spec.of.value}_phase_to_phase", {"phases": spec.phase.value}
    return f"{spec.of.value}_phase", {"phase": spec.phase.value}


def control_category(key: Key) -> EntityCategory | None:
    """A control the user sets now and then (a limit, a reserve) belongs to the device's configuration."""
    return EntityCategory.CONFIG if KEYS[key].setting else None


def _description(key: Key) -> LocalEnergySensorDescription:
    translation_key, placeholders = translation_of(key)
    kind = _SHOWN[KEYS[key].quantity]
    if states := KEYS[key].states:
        return LocalEnergySensorDescription(
            key=key.value,
            translation_key=translation_key,
            device_class=SensorDeviceClass.ENUM,
            options=list(states),
        )
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
