"""Discovery by listening: a device heard broadcasting that no entry claims becomes a discovered flow.

Nothing is sent: IGEN devices broadcast their readings on UDP 8088 once UDP is on, Enistic controllers
theirs on 53005. Each device is announced once per run; one that has an entry is claimed by its entry's
subscription and never reaches these listeners (or, when it moved, its flow updates that entry's address).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, CONF_PORT, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import discovery_flow

from .const import CONF_FAMILY, CONF_PUSH_PORT, CONF_SERIAL, DOMAIN, LOGGER
from .devices import enistic, igen
from .devices.families import FAMILIES
from .devices.udp import Address, Router, Subscription
from .transports import shared_transports

IGEN_PORT = igen.PUSH_PORT
ENISTIC_PORT = enistic.DEFAULT_PORT


@dataclass(frozen=True, slots=True)
class _Broadcasts:
    """A family whose devices broadcast: where to listen, and what a discovered entry starts with."""

    family: str
    port: int
    router: Router
    data: Callable[[int], Mapping[str, Any]]
    """The entry data besides family, host and serial, given the port the device was heard on."""


def _listened() -> tuple[_Broadcasts, ...]:
    return (
        _Broadcasts(
            "igen", IGEN_PORT, igen.route, lambda port: {CONF_PORT: igen.DEFAULT_PORT, CONF_PUSH_PORT: port}
        ),
        _Broadcasts("enistic", ENISTIC_PORT, enistic.route, lambda port: {CONF_PORT: port}),
    )


async def async_listen_for_devices(hass: HomeAssistant) -> None:
    """Listen on every broadcast port until Home Assistant stops."""
    subscriptions = [
        subscription
        for broadcasts in _listened()
        if (subscription := await _async_listen(hass, broadcasts)) is not None
    ]
    transports = shared_transports(hass)

    @callback
    def stop(_event: Event) -> None:
        for subscription in subscriptions:
            subscription.cancel()
        transports.udp.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)


async def _async_listen(hass: HomeAssistant, broadcasts: _Broadcasts) -> Subscription | None:
    announced: set[str] = set()

    @callback
    def heard(datagram: bytes, address: Address) -> None:
        serial = broadcasts.router(datagram)
        if serial is None or serial in announced:
            return
        announced.add(serial)
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_FAMILY: broadcasts.family,
                CONF_HOST: address[0],
                CONF_SERIAL: serial,
                **broadcasts.data(broadcasts.port),
            },
        )

    try:
        return await shared_transports(hass).udp.subscribe(broadcasts.port, broadcasts.router, None, heard)
    except OSError as err:
        name = FAMILIES[broadcasts.family].name
        LOGGER.warning("Cannot listen for %s broadcasts on UDP %s: %s", name, broadcasts.port, err)
        return None
