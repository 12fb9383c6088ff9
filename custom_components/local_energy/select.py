"""Selects: modes a device declares with a fixed list of options."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .controller.entities import controller_selects
from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator
from .descriptions import control_category
from .devices.snapshot import Channel, ControlKind
from .entity import LocalEnergyEntity, async_add_platform_entities
from .writes import write_control

# Commands to one device are sent one at a time.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalEnergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a select for every select control, now and as channels appear."""
    async_add_platform_entities(entry, async_add_entities, _selects, controller=controller_selects)


def _selects(
    coordinator: LocalEnergyCoordinator, channel_id: str, channel: Channel
) -> Iterable[LocalEnergySelect]:
    return [
        LocalEnergySelect(
            coordinator,
            channel_id,
            SelectEntityDescription(
                key=control.key.value,
                translation_key=control.key.value,
                options=list(control.options),
                entity_category=control_category(control.key),
            ),
        )
        for control in channel.controls
        if control.kind is ControlKind.SELECT
    ]


class LocalEnergySelect(LocalEnergyEntity, SelectEntity):
    """A mode; its value is what the device last reported (a raw value outside the list is shown too)."""

    @property
    def current_option(self) -> str | None:
        """The option the device reports."""
        value = self.raw_value
        return None if value is None else str(value)

    @property
    def options(self) -> list[str]:
        """The declared options, plus the reported one when the device uses a value we do not list."""
        declared = list(self.entity_description.options or [])
        current = self.current_option
        return declared if current is None or current in declared else [*declared, current]

    async def async_select_option(self, option: str) -> None:
        """Send the mode."""
        await write_control(self.coordinator, self.channel_id, self.value_key, value=option)
