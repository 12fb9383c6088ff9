"""A controller's own entities: the switch that enables it, its priority, and what it is doing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.select import SelectEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_ON, EntityCategory, UnitOfElectricCurrent, UnitOfPower
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.helpers.typing import StateType

from ..control.controller import Decision, Mode, Priority, Reason
from ..control.surplus import ChargeState
from ..entity import ServiceEntity
from .runtime import ControllerRuntime

OFF = "off"
"""The mode sensor's state while the controller is switched off."""


class ControllerEntity(ServiceEntity):
    """Bound to one controller entry; updated after each of its decisions."""

    def __init__(self, runtime: ControllerRuntime, key: str) -> None:
        super().__init__(runtime.entry, key, "Controller")
        self.runtime = runtime

    async def async_added_to_hass(self) -> None:
        """Follow the controller's decisions."""
        self.async_on_remove(self.runtime.async_add_listener(self.async_write_ha_state))


class ControllerSwitch(ControllerEntity, SwitchEntity, RestoreEntity):
    """Enables the controller; off hands every device back to its own mode. Restored after a restart."""

    def __init__(self, runtime: ControllerRuntime) -> None:
        super().__init__(runtime, "controller_enabled")

    async def async_added_to_hass(self) -> None:
        """Follow the controller, and switch it on again when it was on before the restart."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state == STATE_ON:
            await self.runtime.async_turn_on()

    @property
    def is_on(self) -> bool:
        """Whether the loops run."""
        return self.runtime.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start the loops."""
        await self.runtime.async_turn_on()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the loops and hand the devices back."""
        await self.runtime.async_turn_off()


class PrioritySelect(ControllerEntity, SelectEntity, RestoreEntity):
    """Who takes the surplus first: the batteries or the car."""

    _attr_options = [priority.value for priority in Priority]

    def __init__(self, runtime: ControllerRuntime) -> None:
        super().__init__(runtime, "priority")

    async def async_added_to_hass(self) -> None:
        """Follow the controller; restore the choice."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state in self._attr_options:
            await self.runtime.async_set_priority(Priority(last.state))

    @property
    def current_option(self) -> str:
        """The priority in effect."""
        return self.runtime.priority.value

    async def async_select_option(self, option: str) -> None:
        """Change who takes the surplus first."""
        await self.runtime.async_set_priority(Priority(option))


def _decided[T](value: Callable[[Decision], T | None]) -> Callable[[ControllerRuntime], T | None]:
    """A value of the last decision, or None while the controller is off or has not decided."""
    return (
        lambda runtime: None if runtime.decision is None or not runtime.enabled else value(runtime.decision)
    )


def _mode(runtime: ControllerRuntime) -> str:
    if not runtime.enabled:
        return OFF
    return Mode.SAFE.value if runtime.decision is None else runtime.decision.mode.value


@dataclass(frozen=True, kw_only=True)
class ControllerSensorDescription(SensorEntityDescription):
    """A controller sensor, and how its value comes from the controller."""

    value_fn: Callable[[ControllerRuntime], StateType]


MODE = ControllerSensorDescription(
    key="controller_mode",
    device_class=SensorDeviceClass.ENUM,
    options=[OFF, *(mode.value for mode in Mode)],
    value_fn=_mode,
)
REASON = ControllerSensorDescription(
    key="controller_reason",
    device_class=SensorDeviceClass.ENUM,
    options=[reason.value for reason in Reason],
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=_decided(lambda decision: decision.reason.value),
)
BATTERY_SENSORS = (
    ControllerSensorDescription(
        key="battery_setpoint_total",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=_decided(lambda decision: decision.total),  # discharge > 0, as the grid sees it
    ),
    ControllerSensorDescription(
        key="grid_error",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=_decided(lambda decision: decision.error),  # the grid minus its target
    ),
)
CHARGER_SENSORS = (
    ControllerSensorDescription(
        key="charging_current_sent",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        value_fn=lambda runtime: runtime.controller.charging_current if runtime.enabled else None,
    ),
    ControllerSensorDescription(
        key="charge_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ChargeState],
        value_fn=_decided(
            lambda decision: None if decision.charge_state is None else decision.charge_state.value
        ),
    ),
)


class ControllerSensor(ControllerEntity, SensorEntity):
    """What the controller is doing: its mode, why it holds, what it sends and what it measures."""

    entity_description: ControllerSensorDescription

    def __init__(self, runtime: ControllerRuntime, description: ControllerSensorDescription) -> None:
        super().__init__(runtime, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """The value the description takes from the controller."""
        return self.entity_description.value_fn(self.runtime)


def controller_sensors(runtime: ControllerRuntime) -> list[SensorEntity]:
    """The sensors of a controller entry."""
    descriptions = [MODE, REASON]
    if runtime.batteries:
        descriptions += BATTERY_SENSORS
    if runtime.charger is not None:
        descriptions += CHARGER_SENSORS
    return [ControllerSensor(runtime, description) for description in descriptions]


def controller_selects(runtime: ControllerRuntime) -> list[SelectEntity]:
    """The priority, when there is a car and a battery to choose between."""
    return [PrioritySelect(runtime)] if runtime.charger is not None and runtime.batteries else []


def controller_switches(runtime: ControllerRuntime) -> list[SwitchEntity]:
    """The switch that enables the controller."""
    return [ControllerSwitch(runtime)]
