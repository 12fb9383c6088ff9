"""The devices a controller drives: this integration's own number entities, as ports of the runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import entity_registry as er

from ..const import CONF_BATTERIES, CONF_CHARGER, DOMAIN
from ..control.runner import Refused
from ..coordinator import LocalEnergyCoordinator
from ..devices.errors import DeviceError
from ..devices.family import BatteryActuator, ChargerActuator
from ..devices.keys import Key
from ..devices.snapshot import Channel, Control, is_number
from ..entity import unique_id_of


@dataclass(frozen=True, slots=True)
class Actuated:
    """One of our devices a loop drives: its coordinator, the channel and the control."""

    entity_id: str
    coordinator: LocalEnergyCoordinator
    channel_id: str
    control: Control

    def _channel(self) -> Channel | None:
        data = self.coordinator.data
        return None if data is None else data.channels.get(self.channel_id)

    def value(self, key: Key | None) -> float | None:
        """A number the device reported on the same channel, or None."""
        channel = self._channel()
        raw = None if channel is None or key is None else channel.values.get(key)
        return float(raw) if is_number(raw) else None

    def current_control(self) -> Control:
        """The control as the newest snapshot declares it (its bounds follow the device)."""
        channel = self._channel()
        controls = () if channel is None else channel.controls
        return next((c for c in controls if c.key is self.control.key), self.control)

    async def write(self, key: Key, value: float | str) -> None:
        """Through the client's guarded write (out-of-bounds values never leave), then read back.

        The device's entities show what it took at once (as after a command from an entity), not at its next
        poll. The read-back runs beside the loop, which does not wait for it: its next write (the hand-back's
        mode after 0 W, another battery) goes out at once. Writes are paced, so the read-backs are too.
        """
        coordinator = self.coordinator
        await coordinator.client.write(self.channel_id, key, value)
        coordinator.config_entry.async_create_background_task(
            coordinator.hass, coordinator.async_refresh(), f"{coordinator.name} read back"
        )


def resolve(hass: HomeAssistant, entity_id: str) -> Actuated | None:
    """The device behind one of our number entities, when its entry is loaded."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is None or entity.platform != DOMAIN or entity.config_entry_id is None:
        return None
    entry = hass.config_entries.async_get_entry(entity.config_entry_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    coordinator = entry.runtime_data.coordinator
    if coordinator is None or coordinator.data is None:
        return None
    serial = coordinator.identity.serial
    for channel_id, channel in coordinator.data.channels.items():
        for control in channel.controls:
            if unique_id_of(serial, channel_id, control.key.value) == entity.unique_id:
                return Actuated(entity_id, coordinator, channel_id, control)
    return None


def battery_of(actuated: Actuated) -> BatteryActuator | None:
    """The family's battery declaration, when the entity is its setpoint."""
    declared = actuated.coordinator.family.battery
    return declared if declared is not None and declared.setpoint is actuated.control.key else None


def charger_of(actuated: Actuated) -> ChargerActuator | None:
    """The family's charger declaration, when the entity is its charging current."""
    declared = actuated.coordinator.family.charger
    return declared if declared is not None and declared.current is actuated.control.key else None


async def _write(actuated: Actuated, key: Key, value: float | str) -> None:
    """One guarded write for the runner: what the device refuses is a Refused naming it."""
    try:
        await actuated.write(key, value)
    except DeviceError as err:
        raise Refused(f"{actuated.entity_id}: {key} = {value} failed: {err}") from err


@dataclass(frozen=True, slots=True)
class BatteryPort:
    """One of our batteries as the runner drives it: its setpoint and its mode, in its own signs."""

    actuated: Actuated
    declared: BatteryActuator

    async def set_discharge(self, watts: float) -> None:
        """Discharge W (> 0 feeds the house), in the device's own sign."""
        setpoint = -watts if self.declared.charge_positive else watts
        await _write(self.actuated, self.declared.setpoint, setpoint + 0.0)

    async def set_driven(self, driven: bool) -> None:
        """The mode a loop may drive, or the battery's own (nothing to switch when it has no mode)."""
        mode = self.declared.mode
        if mode is not None:
            await _write(self.actuated, mode.key, mode.controlled if driven else mode.own)


@dataclass(frozen=True, slots=True)
class ChargerPort:
    """Our charger as the runner drives it: its phases, and the current for the phases it charges on."""

    actuated: Actuated
    declared: ChargerActuator

    async def set_phases(self, phases: int) -> None:
        """Charge on one or three phases from now on."""
        if self.declared.phases is not None:
            await _write(self.actuated, self.declared.phases, str(phases))

    async def set_current(self, amperes: float, phases: int) -> None:
        """The current per phase, through the control for the phases the car charges on."""
        single = self.declared.single_phase_current
        await _write(self.actuated, single if phases == 1 and single else self.declared.current, amperes)


def async_resolve_actuators(
    hass: HomeAssistant, options: Mapping[str, Any]
) -> tuple[dict[str, tuple[Actuated, BatteryActuator]], tuple[Actuated, ChargerActuator] | None]:
    """The batteries and the charger an entry names; ConfigEntryNotReady while one is not loaded."""
    batteries = {
        entity_id: _declared(hass, entity_id, battery_of) for entity_id in options.get(CONF_BATTERIES, [])
    }
    charger_id = options.get(CONF_CHARGER)
    return batteries, _declared(hass, charger_id, charger_of) if charger_id else None


def _declared[D](
    hass: HomeAssistant, entity_id: str, declaration: Callable[[Actuated], D | None]
) -> tuple[Actuated, D]:
    actuated = resolve(hass, entity_id)
    declared = None if actuated is None else declaration(actuated)
    if actuated is None or declared is None:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="actuator_not_ready",
            translation_placeholders={"entity": entity_id},
        )
    return actuated, declared
