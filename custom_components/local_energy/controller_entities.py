"""A controller's own entities: the switch that enables it, its priority, and what it is doing."""

from __future__ import annotations

from typing import Any

from homeassistant.components.select import SelectEntity
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_ON, EntityCategory, UnitOfElectricCurrent, UnitOfPower
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.restore_state import RestoreEntity

from .const import DOMAIN
from .control.controller import Mode, Priority, Reason
from .control.surplus import ChargeState
from .controller import ControllerRuntime

OFF = "off"
"""The mode sensor's state while the controller is switched off."""


class ControllerEntity(Entity):
    """Bound to one controller entry; updated after each of its decisions."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: ControllerRuntime, key: str) -> None:
        self.runtime = runtime
        entry = runtime.entry
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Local Energy",
            model="Controller",
            entry_type=DeviceEntryType.SERVICE,
        )

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


class ModeSensor(ControllerEntity, SensorEntity):
    """What the controller is doing: off, controlling, safe (stale grid data) or refused (too slow)."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = [OFF, *(mode.value for mode in Mode)]

    def __init__(self, runtime: ControllerRuntime) -> None:
        super().__init__(runtime, "controller_mode")

    @property
    def native_value(self) -> str:
        """The mode."""
        decision = self.runtime.decision
        if not self.runtime.enabled:
            return OFF
        return Mode.SAFE.value if decision is None else decision.mode.value


class ReasonSensor(ControllerEntity, SensorEntity):
    """Why it holds, or why it is safe (none while it follows the target)."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = [reason.value for reason in Reason]
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, runtime: ControllerRuntime) -> None:
        super().__init__(runtime, "controller_reason")

    @property
    def native_value(self) -> str | None:
        """The reason of the last decision."""
        decision = self.runtime.decision
        return None if decision is None or not self.runtime.enabled else decision.reason.value


class PowerSensor(ControllerEntity, SensorEntity):
    """A power the controller knows: the batteries' setpoint in effect, or the error it measures."""

    _attr_device_class = SensorDeviceClass.POWER
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfPower.WATT
    _attr_suggested_display_precision = 0

    def __init__(self, runtime: ControllerRuntime, key: str) -> None:
        super().__init__(runtime, key)
        self._key = key

    @property
    def native_value(self) -> float | None:
        """The setpoint in effect (discharge > 0, as the grid sees it) or the grid minus its target."""
        decision = self.runtime.decision
        if decision is None or not self.runtime.enabled:
            return None
        return decision.total if self._key == "battery_setpoint_total" else decision.error


class ChargingCurrentSensor(ControllerEntity, SensorEntity):
    """The charging current the controller last sent."""

    _attr_device_class = SensorDeviceClass.CURRENT
    _attr_native_unit_of_measurement = UnitOfElectricCurrent.AMPERE

    def __init__(self, runtime: ControllerRuntime) -> None:
        super().__init__(runtime, "charging_current_sent")

    @property
    def native_value(self) -> float | None:
        """Amperes, or None before anything was sent."""
        return self.runtime.controller.charger_pacer.sent if self.runtime.enabled else None


class ChargeStateSensor(ControllerEntity, SensorEntity):
    """Where surplus charging is: paused, waiting, charging, short."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = [state.value for state in ChargeState]

    def __init__(self, runtime: ControllerRuntime) -> None:
        super().__init__(runtime, "charge_state")

    @property
    def native_value(self) -> str | None:
        """The state of the surplus loop."""
        decision = self.runtime.decision
        if decision is None or decision.charge_state is None or not self.runtime.enabled:
            return None
        return decision.charge_state.value


def controller_sensors(runtime: ControllerRuntime) -> list[SensorEntity]:
    """The sensors of a controller entry."""
    sensors: list[SensorEntity] = [ModeSensor(runtime), ReasonSensor(runtime)]
    if runtime.batteries:
        sensors += [PowerSensor(runtime, "battery_setpoint_total"), PowerSensor(runtime, "grid_error")]
    if runtime.charger is not None:
        sensors += [ChargingCurrentSensor(runtime), ChargeStateSensor(runtime)]
    return sensors


def controller_selects(runtime: ControllerRuntime) -> list[SelectEntity]:
    """The priority, when there is a car and a battery to choose between."""
    return [PrioritySelect(runtime)] if runtime.charger is not None and runtime.batteries else []


def controller_switches(runtime: ControllerRuntime) -> list[SwitchEntity]:
    """The switch that enables the controller."""
    return [ControllerSwitch(runtime)]
