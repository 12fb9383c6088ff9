"""Discovery by listening: a device heard broadcasting that no entry claims becomes a discovered flow."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, CONF_PORT, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import discovery_flow

from .const import CONF_FAMILY, CONF_PUSH_PORT, CONF_SERIAL, DOMAIN, LOGGER
from .devices import igen
from .devices.udp import Address
from .transports import shared_transports

IGEN_PORT = igen.PUSH_PORT


async def async_listen_for_devices(hass: HomeAssistant) -> None:
    """Listen on the IGEN broadcast port (passively: nothing is sent) until Home Assistant stops."""
    transports = shared_transports(hass)
    announced: set[str] = set()
    port = IGEN_PORT

    @callback
    def heard(datagram: bytes, address: Address) -> None:
        serial = igen.route(datagram)
        if serial is None or serial in announced:
            return
        announced.add(serial)
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_FAMILY: "igen",
                CONF_HOST: address[0],
                CONF_PORT: igen.DEFAULT_PORT,
                CONF_SERIAL: serial,
                CONF_PUSH_PORT: port,
            },
        )

    try:
        subscription = await transports.udp.subscribe(port, igen.route, None, heard)
    except OSError as err:
        LOGGER.warning("Cannot listen for IGEN broadcasts on UDP %s: %s", port, err)
        return

    @callback
    def stop(_event: Event) -> None:
        subscription.cancel()
        transports.udp.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
