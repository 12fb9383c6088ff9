"""Discovery by listening: a device heard broadcasting that no entry claims becomes a discovered flow.

Nothing is sent. Every family that declares a broadcast is listened for on its port. Each device is
announced once per run; one that has an entry is claimed by its entry's subscription and never reaches
these listeners (or, when it moved, its flow updates that entry's address).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, CONF_PORT, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import discovery_flow

from .const import CONF_FAMILY, CONF_PUSH_PORT, CONF_SERIAL, DOMAIN, LOGGER
from .devices.families import FAMILIES
from .devices.family import Broadcast, Family
from .devices.udp import Address, Subscription
from .transports import shared_transports

LISTEN_PORTS: dict[str, int] = {
    family.id: family.broadcast.port for family in FAMILIES if family.broadcast is not None
}
"""Where each broadcasting family is listened for, by family id (its declared port)."""


def _entry_data(broadcast: Broadcast, port: int) -> Mapping[str, Any]:
    """What an entry made from a broadcast starts with, besides family, host and serial."""
    if broadcast.http_port is None:
        return {CONF_PORT: port}
    return {CONF_PORT: broadcast.http_port, CONF_PUSH_PORT: port}


async def async_listen_for_devices(hass: HomeAssistant) -> None:
    """Listen on every broadcast port until Home Assistant stops."""
    subscriptions = [
        subscription
        for family in FAMILIES
        if family.broadcast is not None
        and (subscription := await _async_listen(hass, family, family.broadcast)) is not None
    ]
    transports = shared_transports(hass)

    @callback
    def stop(_event: Event) -> None:
        for subscription in subscriptions:
            subscription.cancel()
        transports.udp.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)


async def _async_listen(
    hass: HomeAssistant, family: Family[Any], broadcast: Broadcast
) -> Subscription | None:
    announced: set[str] = set()
    port = LISTEN_PORTS[family.id]

    @callback
    def heard(datagram: bytes, address: Address) -> None:
        serial = broadcast.router(datagram)
        if serial is None or serial in announced:
            return
        announced.add(serial)
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_FAMILY: family.id,
                CONF_HOST: address[0],
                CONF_SERIAL: serial,
                **_entry_data(broadcast, port),
            },
        )

    try:
        return await shared_transports(hass).udp.subscribe(port, broadcast.router, None, heard)
    except OSError as err:
        LOGGER.warning("Cannot listen for %s broadcasts on UDP %s: %s", family.name, port, err)
        return None
