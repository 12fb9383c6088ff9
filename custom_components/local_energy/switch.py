"""Switches: relays, plugs and sockets a device declares as switch controls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.components.switch import SwitchDeviceClass, SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .controller.entities import controller_switches
from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator
from .descriptions import control_category
from .devices.keys import Key
from .devices.snapshot import Channel, ChannelKind, ControlKind
from .entity import LocalEnergyEntity, async_add_platform_entities
from .writes import write_control

# Commands to one device are sent one at a time.
PARALLEL_UPDATES = 1

_OUTLET = SwitchEntityDescription(key="relay", name=None, device_class=SwitchDeviceClass.OUTLET)
_RELAY = SwitchEntityDescription(key="relay", translation_key="relay", device_class=SwitchDeviceClass.SWITCH)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalEnergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch for every switch control, now and as channels appear."""
    async_add_platform_entities(entry, async_add_entities, _switches, controller=controller_switches)


def _switches(
    coordinator: LocalEnergyCoordinator, channel_id: str, channel: Channel
) -> Iterable[LocalEnergySwitch]:
    return [
        LocalEnergySwitch(coordinator, channel_id, _description(channel, control.key))
        for control in channel.controls
        if control.kind is ControlKind.SWITCH
    ]


def _description(channel: Channel, key: Key) -> SwitchEntityDescription:
    if key is not Key.RELAY:
        return SwitchEntityDescription(
            key=key.value, translation_key=key.value, entity_category=control_category(key)
        )
    return _OUTLET if channel.kind is ChannelKind.SOCKET else _RELAY


class LocalEnergySwitch(LocalEnergyEntity, SwitchEntity):
    """A relay; its state is what the device last reported."""

    @property
    def is_on(self) -> bool | None:
        """Whether the relay is closed."""
        value = self.raw_value
        return None if value is None else bool(value)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the relay."""
        await write_control(self.coordinator, self.channel_id, self.value_key, value=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the relay."""
        await write_control(self.coordinator, self.channel_id, self.value_key, value=False)
