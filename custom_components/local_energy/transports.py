"""The transports every entry shares, kept in hass.data, and entry data turned into a connection config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .const import (
    CONF_BAUDRATE,
    CONF_BYTESIZE,
    CONF_COMMAND_PORT,
    CONF_FRAMING,
    CONF_PARITY,
    CONF_PUSH_PORT,
    CONF_SERIAL,
    CONF_STOPBITS,
    CONF_TLS_PORT,
    CONF_UNIT_ID,
    DOMAIN,
)
from .devices.client import DeviceClient, Transports
from .devices.connection import ConnectionConfig
from .devices.family import Family
from .devices.links import Framing, Parity, SerialLine
from .devices.modbus import ModbusPool
from .devices.udp import UdpHub

DATA_TRANSPORTS: HassKey[Transports] = HassKey(f"{DOMAIN}_transports")


def shared_transports(hass: HomeAssistant) -> Transports:
    """Return the transports of this Home Assistant instance, creating them on first use."""
    if (transports := hass.data.get(DATA_TRANSPORTS)) is None:
        transports = Transports(http=lambda: async_get_clientsession(hass), modbus=ModbusPool(), udp=UdpHub())
        hass.data[DATA_TRANSPORTS] = transports
    return transports


def connection_config(family: Family[Any], data: Mapping[str, Any]) -> ConnectionConfig:
    """How to reach the device of an entry (or of a form): its address, credentials and Modbus link."""
    unit_id = data.get(CONF_UNIT_ID, family.default_unit_id)
    return ConnectionConfig(
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
        unit_id=None if unit_id is None else int(unit_id),
        serial=data.get(CONF_SERIAL),
        command_port=data.get(CONF_COMMAND_PORT),
        token=data.get(CONF_TOKEN),
        tls_port=data.get(CONF_TLS_PORT),
        push_port=data.get(CONF_PUSH_PORT),
        framing=Framing(data.get(CONF_FRAMING, Framing.TCP)),
        line=SerialLine(
            baudrate=int(data.get(CONF_BAUDRATE, 9600)),
            parity=Parity(data.get(CONF_PARITY, Parity.NONE)),
            bytesize=int(data.get(CONF_BYTESIZE, 8)),
            stopbits=int(data.get(CONF_STOPBITS, 1)),
        ),
    )


def make_client(
    hass: HomeAssistant,
    family: Family[Any],
    data: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
) -> DeviceClient:
    """A client for the device of an entry (or a form), with the family's typed settings from both."""
    return family.make_client(
        connection_config(family, data), shared_transports(hass), {**data, **(options or {})}
    )
