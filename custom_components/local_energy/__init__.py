"""Local Energy: local access to grid meters, readers, plugs, chargers and batteries."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import CONF_FAMILY, CONF_SERVED_METERS, CONTROLLER, DOMAIN, EMULATED_METER, LOGGER
from .controller.actuators import async_resolve_actuators
from .controller.runtime import ControllerRuntime
from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator, LocalEnergyData
from .devices.errors import DeviceError, WrongDevice
from .devices.families import BY_ID
from .devices.snapshot import MAIN_CHANNEL
from .discovery import async_listen_for_devices
from .emulated_meter import EmulatedMeterRuntime, async_resolve_served_meters
from .entity import device_info
from .issues import async_clear_errors, async_failure, async_remove_all
from .transports import make_client
from .value_listeners import LAYOUT

PLATFORMS = [Platform.NUMBER, Platform.SELECT, Platform.SENSOR, Platform.SWITCH]
CONTROLLER_PLATFORMS = [Platform.SELECT, Platform.SENSOR, Platform.SWITCH]
EMULATED_PLATFORMS = [Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start listening for devices that announce themselves by broadcasting."""
    await async_listen_for_devices(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: LocalEnergyConfigEntry) -> bool:
    """Identify the device, fetch its first snapshot, then set up the platforms."""
    if entry.data.get(CONF_FAMILY) == CONTROLLER:
        return await _async_setup_controller(hass, entry)
    if entry.data.get(CONF_FAMILY) == EMULATED_METER:
        return await _async_setup_emulated(hass, entry)
    family = BY_ID[entry.data[CONF_FAMILY]]
    client = make_client(hass, family, entry.data, entry.options)
    try:
        identity = await client.identify()
        if entry.unique_id is not None and identity.serial != entry.unique_id:
            raise WrongDevice(f"{entry.data[CONF_HOST]} answers as {identity.serial}, not {entry.unique_id}")
    except DeviceError as err:
        await client.close()
        raise async_failure(hass, entry, err, ConfigEntryNotReady) from err
    coordinator = LocalEnergyCoordinator(hass, entry, family, client, identity)
    entry.async_on_unload(coordinator.async_shutdown)
    coordinator.async_shutdown_on_stop()
    await coordinator.async_start_push()
    await coordinator.async_config_entry_first_refresh()
    if coordinator.push is None:  # a pushing device is read only while it is silent
        coordinator.polls.start()
    async_clear_errors(hass, entry)
    entry.runtime_data = LocalEnergyData(coordinator=coordinator)
    # Registered up front: a controller or gateway may have no entity of its own, only children.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **device_info(coordinator, MAIN_CHANNEL)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(coordinator.async_add_listener(lambda: _remove_stale_devices(hass, entry), LAYOUT))
    return True


async def _async_setup_controller(hass: HomeAssistant, entry: LocalEnergyConfigEntry) -> bool:
    """A control loop: its actuators must be loaded; on unload it hands them back first."""
    options = {**entry.data, **entry.options}
    batteries, charger = async_resolve_actuators(hass, options)
    meters = async_resolve_served_meters(hass, list(options.get(CONF_SERVED_METERS, [])))
    runtime = ControllerRuntime(hass, entry, batteries, charger, meters)
    entry.runtime_data = LocalEnergyData(controller=runtime)
    await runtime.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, CONTROLLER_PLATFORMS)
    return True


async def _async_setup_emulated(hass: HomeAssistant, entry: LocalEnergyConfigEntry) -> bool:
    """A served meter: its ports bound (or a repair issue and a retry), then its source followed."""
    runtime = EmulatedMeterRuntime(hass, entry)
    await runtime.async_start()
    entry.runtime_data = LocalEnergyData(served_meter=runtime)
    entry.async_on_unload(runtime.async_stop)
    await hass.config_entries.async_forward_entry_setups(entry, EMULATED_PLATFORMS)
    return True


@callback
def _remove_stale_devices(hass: HomeAssistant, entry: LocalEnergyConfigEntry) -> None:
    """Remove the devices of channels a gateway no longer lists (only from complete channel lists)."""
    coordinator = entry.runtime_data.coordinator
    if coordinator is None:
        return
    snapshot = coordinator.data
    if not snapshot.complete:
        return
    serial = coordinator.identity.serial
    current = {(DOMAIN, serial)} | {(DOMAIN, f"{serial}_{cid}") for cid in snapshot.channels if cid}
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & current:
            LOGGER.info("Removing %s: the gateway no longer lists it", device.name)
            registry.async_remove_device(device.id)


async def async_remove_entry(hass: HomeAssistant, entry: LocalEnergyConfigEntry) -> None:
    """A removed entry leaves no repair issue behind."""
    async_remove_all(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: LocalEnergyConfigEntry) -> bool:
    """Unload the platforms; the coordinator's shutdown releases the client's sockets.

    A controller first hands its devices back to their own mode.
    """
    data = entry.runtime_data
    if data.controller is not None:
        await data.controller.async_turn_off()
        return await hass.config_entries.async_unload_platforms(entry, CONTROLLER_PLATFORMS)
    if data.served_meter is not None:
        return await hass.config_entries.async_unload_platforms(entry, EMULATED_PLATFORMS)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
