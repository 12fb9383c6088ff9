"""Registry helpers that read the same on every supported Home Assistant version.

Entity snapshots hold what this integration decides (ids, names, classes, units, options, state and
attributes), not the registry's own storage format, which changes between Home Assistant releases.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.const import DOMAIN

ENTRY_FIELDS = (
    "entity_id",
    "unique_id",
    "translation_key",
    "original_name",
    "original_device_class",
    "original_icon",
    "entity_category",
    "disabled_by",
    "hidden_by",
    "has_entity_name",
    "unit_of_measurement",
    "supported_features",
    "capabilities",
    "options",
)


def plain(value: Any) -> Any:
    """A value with enums as their values, sets as sorted lists and mappings as sorted dicts."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): plain(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, set | frozenset):
        return sorted(plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def entry_view(entry: er.RegistryEntry) -> dict[str, Any]:
    """The fields of an entity registry entry that this integration sets."""
    view = {field: plain(getattr(entry, field)) for field in ENTRY_FIELDS}
    view["device"] = entry.device_id is not None
    return view


async def snapshot_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion, entry_id: str
) -> None:
    """Compare every entity of a config entry, registry view and state, with its snapshot."""
    entries = er.async_entries_for_config_entry(entity_registry, entry_id)
    assert entries, "the config entry has no entities"
    for entry in sorted(entries, key=lambda item: item.entity_id):
        assert entry_view(entry) == snapshot(name=f"{entry.entity_id}-entry")
        state = hass.states.get(entry.entity_id)
        if state is not None:
            view = {"state": state.state, "attributes": plain(state.attributes)}
            assert view == snapshot(name=f"{entry.entity_id}-state")


def device_by_identifier(
    device_registry: dr.DeviceRegistry, entry_id: str, identifier: str
) -> dr.DeviceEntry | None:
    """The device of a config entry that carries this integration's identifier, if any."""
    for device in dr.async_entries_for_config_entry(device_registry, entry_id):
        if (DOMAIN, identifier) in device.identifiers:
            return device
    return None
