"""Numbers: setpoints a device declares (charge current, target power), bounded by the declaration."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator
from .descriptions import HA_UNITS, control_category, translation_of
from .devices.keys import KEYS, UNITS, Quantity
from .devices.snapshot import Channel, Control, ControlKind
from .entity import LocalEnergyEntity, async_add_platform_entities
from .writes import write_control

# Commands to one device are sent one at a time.
PARALLEL_UPDATES = 1

_DEVICE_CLASSES = {
    Quantity.POWER: NumberDeviceClass.POWER,
    Quantity.CURRENT: NumberDeviceClass.CURRENT,
    Quantity.STATE_OF_ENERGY: NumberDeviceClass.BATTERY,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalEnergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a number for every number control, now and as channels appear."""
    async_add_platform_entities(entry, async_add_entities, _numbers)


def _description(control: Control) -> NumberEntityDescription:
    translation_key, placeholders = translation_of(control.key)
    return NumberEntityDescription(
        key=control.key.value,
        translation_key=translation_key,
        translation_placeholders=placeholders or None,
        native_min_value=control.minimum if control.minimum is not None else 0.0,
        native_max_value=control.maximum if control.maximum is not None else 100.0,
        native_step=control.step if control.step is not None else 1.0,
        native_unit_of_measurement=HA_UNITS[UNITS[control.key]],
        device_class=_DEVICE_CLASSES.get(KEYS[control.key].quantity),
        entity_category=control_category(control.key),
        mode=NumberMode.BOX,
    )


def _numbers(
    coordinator: LocalEnergyCoordinator, channel_id: str, channel: Channel
) -> Iterable[LocalEnergyNumber]:
    return [
        LocalEnergyNumber(coordinator, channel_id, _description(control))
        for control in channel.controls
        if control.kind is ControlKind.NUMBER
    ]


class LocalEnergyNumber(LocalEnergyEntity, NumberEntity):
    """A setpoint; its value is what the device last reported."""

    @property
    def native_value(self) -> float | None:
        """The setpoint in the control's unit."""
        value = self.raw_value
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    async def async_set_native_value(self, value: float) -> None:
        """Send a new setpoint; the device's own rules are checked before anything is sent."""
        await write_control(self.coordinator, self.channel_id, self.value_key, value=value)
