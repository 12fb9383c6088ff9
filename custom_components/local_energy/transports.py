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
    CONF_MEMBERS,
    CONF_PARITY,
    CONF_PUSH_PORT,
    CONF_SERIAL,
    CONF_STOPBITS,
    CONF_TLS_PORT,
    CONF_UNIT_ID,
    DOMAIN,
)
from .devices.client import Transports
from .devices.connection import ConnectionConfig
from .devices.links import Framing, Parity, SerialLine
from .devices.modbus import ModbusPool
from .devices.payload import finite
from .devices.udp import UdpHub

DATA_TRANSPORTS: HassKey[Transports] = HassKey(f"{DOMAIN}_transports")


def shared_transports(hass: HomeAssistant) -> Transports:
    """Return the transports of this Home Assistant instance, creating them on first use."""
    if (transports := hass.data.get(DATA_TRANSPORTS)) is None:
        transports = Transports(http=lambda: async_get_clientsession(hass), modbus=ModbusPool(), udp=UdpHub())
        hass.data[DATA_TRANSPORTS] = transports
    return transports


SETTINGS = ("max_current", "rated_power", "phase_change_minutes")


def connection_config(data: Mapping[str, Any], options: Mapping[str, Any] | None = None) -> ConnectionConfig:
    """The connection settings stored in an entry (or entered in a form), with its family settings."""
    merged = {**data, **(options or {})}
    return ConnectionConfig(
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
        unit_id=None if data.get(CONF_UNIT_ID) is None else int(data[CONF_UNIT_ID]),
        serial=data.get(CONF_SERIAL),
        command_port=data.get(CONF_COMMAND_PORT),
        token=data.get(CONF_TOKEN),
        tls_port=data.get(CONF_TLS_PORT),
        push_port=data.get(CONF_PUSH_PORT),
        # A stored setting that is not a finite number is left out: the family default applies.
        settings={name: value for name in SETTINGS if (value := finite(merged.get(name))) is not None},
        members=parse_addresses(str(data.get(CONF_MEMBERS, ""))),
        framing=Framing(data.get(CONF_FRAMING, Framing.TCP)),
        line=SerialLine(
            baudrate=int(data.get(CONF_BAUDRATE, 9600)),
            parity=Parity(data.get(CONF_PARITY, Parity.NONE)),
            bytesize=int(data.get(CONF_BYTESIZE, 8)),
            stopbits=int(data.get(CONF_STOPBITS, 1)),
        ),
    )


def parse_addresses(text: str) -> tuple[int, ...]:
    """'33, 35 36' -> (33, 35, 36); raises ValueError for anything that is not an address 1-247."""
    addresses = tuple(int(part) for part in text.replace(",", " ").split())
    if any(not 1 <= address <= 247 for address in addresses):
        raise ValueError(f"Modbus addresses are 1 to 247: {text!r}")
    return addresses
