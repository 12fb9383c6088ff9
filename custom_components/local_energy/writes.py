"""Writing a control from an entity: errors become translated Home Assistant errors."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .coordinator import LocalEnergyCoordinator
from .devices.errors import CommandRejected, DeviceError
from .devices.keys import Key
from .devices.snapshot import Value


async def write_control(
    coordinator: LocalEnergyCoordinator, channel_id: str, key: Key, *, value: Value
) -> None:
    """Send a write, then ask for fresh data so the state follows within one poll."""
    try:
        await coordinator.client.write(channel_id, key, value)
    except CommandRejected as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=f"rejected_{err.reason}" if err.reason else "command_rejected",
            translation_placeholders={"error": str(err), **err.placeholders},
        ) from err
    except DeviceError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    await coordinator.async_refresh()  # a command is rare: show its effect now, not after a debounce
