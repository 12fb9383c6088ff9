"""Base entity: device info per channel (children via the main device), unique ids, availability."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import (
    CONNECTION_NETWORK_MAC,
    DeviceEntryType,
    DeviceInfo,
    format_mac,
)
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator
from .devices.keys import Key
from .devices.snapshot import MAIN_CHANNEL, Channel, Value
from .value_listeners import LAYOUT, ValueContext

if TYPE_CHECKING:
    from .controller.runtime import ControllerRuntime
    from .emulated_meter import EmulatedMeterRuntime

type EntityFactory = Callable[[LocalEnergyCoordinator, str, Channel], Iterable[Entity]]


def async_add_platform_entities(
    entry: LocalEnergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    device: EntityFactory,
    *,
    controller: Callable[[ControllerRuntime], Iterable[Entity]] | None = None,
    served_meter: Callable[[EmulatedMeterRuntime], Iterable[Entity]] | None = None,
) -> None:
    """A platform's entities for what the entry runs.

    A device's per channel, now and as channels appear; a controller's or a served meter's where the
    platform has any.
    """
    data = entry.runtime_data
    if data.coordinator is not None:
        add_channel_entities(data.coordinator, async_add_entities, device)
    elif data.controller is not None and controller is not None:
        async_add_entities(controller(data.controller))
    elif data.served_meter is not None and served_meter is not None:
        async_add_entities(served_meter(data.served_meter))


class LocalEnergyEntity(CoordinatorEntity[LocalEnergyCoordinator]):
    """An entity bound to one key of one channel of a device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: LocalEnergyCoordinator,
        channel_id: str,
        description: EntityDescription,
    ) -> None:
        key = Key(description.key)
        # Called only when its own value changes, unless it reports each reading (a channel's power).
        super().__init__(
            coordinator, None if self.reports_every_reading(key) else ValueContext(channel_id, key)
        )
        self.entity_description = description
        self.channel_id = channel_id
        self.value_key = key
        self._attr_unique_id = unique_id_of(coordinator.identity.serial, channel_id, description.key)
        self._attr_device_info = device_info(coordinator, channel_id)

    @staticmethod
    def reports_every_reading(key: Key) -> bool:
        """Whether the entity of a key is told of every reading, not only of its value's changes."""
        del key
        return False

    @property
    def available(self) -> bool:
        """Available while the device answers and this channel still reports this key."""
        return self.available_with(self.raw_value)

    def available_with(self, raw: Value | None) -> bool:
        """Whether the entity is available when its key's value is raw (None: not reported)."""
        return raw is not None and self.coordinator.last_update_success

    @property
    def raw_value(self) -> Value | None:
        """The value of this entity's key in the latest snapshot."""
        return self.coordinator.data.value(self.channel_id, self.value_key)


class ServiceEntity(Entity):
    """An entity of an entry that is a service of this integration (a controller, a served meter)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: ConfigEntry[Any], key: str, model: str) -> None:
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Local Energy",
            model=model,
            entry_type=DeviceEntryType.SERVICE,
        )


def unique_id_of(serial: str, channel_id: str, key: str) -> str:
    """The unique id of a key's entity: serial, channel (none for the device itself) and key."""
    return "_".join(part for part in (serial, channel_id, key) if part)


def device_info(coordinator: LocalEnergyCoordinator, channel_id: str) -> DeviceInfo:
    """The device of a channel: the device itself, or a child (linked to it by register_child_device)."""
    identity = coordinator.identity
    if channel_id == MAIN_CHANNEL:
        info = DeviceInfo(
            identifiers={(DOMAIN, identity.serial)},
            manufacturer=identity.vendor,
            model=identity.model,
            name=identity.name or _default_name(identity.vendor, identity.model),
            serial_number=identity.serial,
            sw_version=identity.firmware,
        )
        if identity.mac:
            info["connections"] = {(CONNECTION_NETWORK_MAC, format_mac(identity.mac))}
        return info
    channel = coordinator.data.channels[channel_id]
    return DeviceInfo(
        identifiers={(DOMAIN, f"{identity.serial}_{channel_id}")},
        manufacturer=identity.vendor,
        model=channel.model,
        name=channel.name or channel_id,
        serial_number=channel.serial,
    )


def register_child_device(coordinator: LocalEnergyCoordinator, channel_id: str) -> None:
    """Register a channel's device and link it to the main device by its device id.

    Linking by id after the fact reads the same on every supported Home Assistant: older releases know
    no via_device_id in a device info, newer ones deprecate via_device.
    """
    registry = dr.async_get(coordinator.hass)
    entry_id = coordinator.config_entry.entry_id
    parent = registry.async_get_or_create(config_entry_id=entry_id, **device_info(coordinator, MAIN_CHANNEL))
    child = registry.async_get_or_create(config_entry_id=entry_id, **device_info(coordinator, channel_id))
    if child.via_device_id != parent.id:
        registry.async_update_device(child.id, via_device_id=parent.id)


def _default_name(vendor: str, model: str) -> str:
    return model if model.startswith(vendor) else f"{vendor} {model}"


def add_channel_entities(
    coordinator: LocalEnergyCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: EntityFactory,
) -> None:
    """Add entities for every channel now, and for channels or keys when they first appear.

    When a device lists its channels completely (a gateway), a channel that left is forgotten here, so its
    entities are created again if it comes back (its device was removed meanwhile, see __init__).
    """
    seen_keys: dict[str, frozenset[Key]] = {}
    added: dict[str, set[str]] = {}

    def add_new() -> None:
        snapshot = coordinator.data
        if snapshot.complete:
            for gone in set(seen_keys) - set(snapshot.channels):
                seen_keys.pop(gone)
                added.pop(gone, None)
        entities: list[Entity] = []
        for channel_id, channel in snapshot.channels.items():
            seen = seen_keys.get(channel_id, frozenset())
            if channel.values.keys() <= seen and all(control.key in seen for control in channel.controls):
                continue
            if channel_id != MAIN_CHANNEL and channel_id not in seen_keys:
                register_child_device(coordinator, channel_id)
            seen_keys[channel_id] = seen.union(channel.values, (control.key for control in channel.controls))
            known = added.setdefault(channel_id, set())
            for entity in factory(coordinator, channel_id, channel):
                if entity.unique_id not in known:
                    known.add(str(entity.unique_id))
                    entities.append(entity)
        if entities:
            async_add_entities(entities)

    add_new()
    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(add_new, LAYOUT))
