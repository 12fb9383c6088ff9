"""Every supported family, declared once: what the user enters, which client talks to it, how often."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from . import (
    acuvim,
    ecotracker,
    enistic,
    homewizard,
    igen,
    indevolt,
    iskra,
    iskra_modbus,
    powerpack,
    shelly,
    smartme,
    stromleser,
)
from .client import DeviceClient


class Field(StrEnum):
    """What a family's form asks for, beyond the host."""

    PORT = "port"
    USERNAME = "username"
    PASSWORD = "password"  # noqa: S105 - a field name, not a secret
    UNIT_ID = "unit_id"
    SERIAL = "serial"
    MAX_CURRENT = "max_current"
    RATED_POWER = "rated_power"
    PHASE_CHANGE_MINUTES = "phase_change_minutes"
    MEMBERS = "members"
    FRAMING = "framing"
    BAUDRATE = "baudrate"
    PARITY = "parity"
    BYTESIZE = "bytesize"
    STOPBITS = "stopbits"


@dataclass(frozen=True, slots=True)
class Family:
    """One family of devices, as the config flow and the coordinator see it."""

    id: str
    name: str
    client: type[DeviceClient]
    default_port: int
    fields: tuple[Field, ...] = (Field.PORT,)
    default_unit_id: int | None = None
    credentials: tuple[Field, ...] = ()
    """Asked only when the device says it needs them, and again in reauth."""
    zeroconf: tuple[str, ...] = ()
    """Service types the family's devices announce."""
    zeroconf_tls: tuple[str, ...] = ()
    """Of those, the ones whose announced port is the TLS port (stored apart from the plain port)."""
    pairing: bool = False
    """Access is granted on the device itself (a button), instead of typed credentials."""
    options: tuple[Field, ...] = ()
    """Family-specific settings offered in the options flow, next to the interval and the sign."""
    cannot_connect_error: str = "cannot_connect"
    """The form error shown when the device does not answer (a family may explain more)."""
    variant_of: str | None = None
    """Another way to reach a family's devices (Iskra over Modbus): offered under that family's option."""
    serial_line: bool = False
    """Reached on a serial port of this machine (RS-485), named where other families have a host."""


FAMILIES: dict[str, Family] = {
    family.id: family
    for family in (
        Family(
            "shelly",
            "Shelly",
            shelly.ShellyClient,
            shelly.DEFAULT_PORT,
            credentials=(Field.USERNAME, Field.PASSWORD),
            zeroconf=("_shelly._tcp.local.", "_http._tcp.local."),
        ),
        Family(
            "homewizard",
            "HomeWizard",
            homewizard.HomeWizardClient,
            homewizard.DEFAULT_PORT,
            zeroconf=("_hwenergy._tcp.local.", "_homewizard._tcp.local."),
            zeroconf_tls=("_homewizard._tcp.local.",),
            pairing=True,
        ),
        Family(
            "ecotracker",
            "everHome EcoTracker",
            ecotracker.EcoTrackerClient,
            ecotracker.DEFAULT_PORT,
            zeroconf=("_everhome._tcp.local.",),
        ),
        Family(
            "stromleser",
            "stromleser.one",
            stromleser.StromleserClient,
            stromleser.DEFAULT_PORT,
            zeroconf=("_stromleser._tcp.local.",),
        ),
        Family("igen", "IGEN", igen.IgenClient, igen.DEFAULT_PORT, credentials=(Field.PASSWORD,)),
        Family("indevolt", "INDEVOLT", indevolt.IndevoltClient, indevolt.DEFAULT_PORT),
        Family(
            "smartme",
            "smart-me",
            smartme.SmartMeClient,
            smartme.DEFAULT_PORT,
            fields=(Field.PORT, Field.FRAMING, Field.UNIT_ID, Field.MAX_CURRENT),
            default_unit_id=smartme.DEFAULT_UNIT_ID,
            options=(Field.PHASE_CHANGE_MINUTES,),
            cannot_connect_error="smartme_cannot_connect",
        ),
        Family(
            "iskra",
            "Iskra",
            iskra.IskraClient,
            iskra.DEFAULT_PORT,
            credentials=(Field.USERNAME, Field.PASSWORD),
        ),
        Family(
            "iskra_modbus",
            "Iskra (Modbus TCP)",
            iskra_modbus.IskraModbusClient,
            iskra_modbus.DEFAULT_PORT,
            fields=(Field.PORT, Field.UNIT_ID, Field.MEMBERS),
            default_unit_id=iskra_modbus.DEFAULT_GATEWAY_ADDRESS,
            variant_of="iskra",
        ),
        Family("enistic", "Enistic", enistic.EnisticClient, enistic.DEFAULT_PORT),
        Family(
            "acuvim",
            "Accuenergy Acuvim II",
            acuvim.AcuvimClient,
            acuvim.DEFAULT_PORT,
            fields=(Field.PORT, Field.FRAMING, Field.UNIT_ID, Field.SERIAL),
            default_unit_id=acuvim.DEFAULT_UNIT_ID,
        ),
        Family(
            "acuvim_serial",
            "Accuenergy Acuvim II (RS-485)",
            acuvim.AcuvimClient,
            0,
            fields=(
                Field.BAUDRATE,
                Field.PARITY,
                Field.BYTESIZE,
                Field.STOPBITS,
                Field.UNIT_ID,
                Field.SERIAL,
            ),
            default_unit_id=acuvim.DEFAULT_UNIT_ID,
            variant_of="acuvim",
            serial_line=True,
        ),
        Family(
            "powerpack",
            "PowerPack",
            powerpack.PowerPackClient,
            powerpack.DEFAULT_PORT,
            fields=(Field.PORT, Field.FRAMING, Field.UNIT_ID, Field.SERIAL, Field.RATED_POWER),
            default_unit_id=powerpack.DEFAULT_UNIT_ID,
        ),
    )
}

ZEROCONF_FAMILIES: dict[str, str] = {
    service: family.id for family in FAMILIES.values() for service in family.zeroconf
}
"""Which family a zeroconf service type belongs to (the manifest lists the same types)."""
