"""Every supported family, declared once: what the user enters, which client talks to it, how often."""

from __future__ import annotations

import fnmatch
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
class Announcement:
    """A zeroconf service a family's devices announce, as the manifest lists it."""

    type: str
    name: str | None = None
    """A pattern the announced name must match (lower case, * for any text): one type, several vendors."""
    lowercase_serial: bool = True
    """Whether the TXT serial is the unique id in lower case (MAC-like ids), or as announced."""

    def matches(self, service_type: str, name: str) -> bool:
        """Whether an announced service is this one."""
        return service_type == self.type and (self.name is None or fnmatch.fnmatch(name.lower(), self.name))


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
    zeroconf: tuple[Announcement, ...] = ()
    """The services the family's devices announce."""
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
    discovery_asks_port: bool = False
    """A device heard broadcasting is confirmed with the HTTP port its entry assumes (it may differ)."""
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
            zeroconf=(Announcement("_shelly._tcp.local."), Announcement("_http._tcp.local.", "shelly*")),
        ),
        Family(
            "homewizard",
            "HomeWizard",
            homewizard.HomeWizardClient,
            homewizard.DEFAULT_PORT,
            zeroconf=(Announcement("_hwenergy._tcp.local."), Announcement("_homewizard._tcp.local.")),
            zeroconf_tls=("_homewizard._tcp.local.",),
            pairing=True,
        ),
        Family(
            "ecotracker",
            "everHome EcoTracker",
            ecotracker.EcoTrackerClient,
            ecotracker.DEFAULT_PORT,
            zeroconf=(Announcement("_everhome._tcp.local."),),
        ),
        Family(
            "stromleser",
            "stromleser.one",
            stromleser.StromleserClient,
            stromleser.DEFAULT_PORT,
            zeroconf=(Announcement("_stromleser._tcp.local."),),
        ),
        Family(
            "igen",
            "IGEN",
            igen.IgenClient,
            igen.DEFAULT_PORT,
            credentials=(Field.PASSWORD,),
            zeroconf=(Announcement("_solarman._tcp.local.", lowercase_serial=False),),
            discovery_asks_port=True,
        ),
        Family(
            "indevolt",
            "INDEVOLT",
            indevolt.IndevoltClient,
            indevolt.DEFAULT_PORT,
            zeroconf=(Announcement("_http._tcp.local.", "smd web server*"),),
        ),
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

ANNOUNCEMENTS: tuple[tuple[Announcement, Family], ...] = tuple(
    (announcement, family) for family in FAMILIES.values() for announcement in family.zeroconf
)
"""Every announced service and its family (the manifest lists the same)."""


def announced_family(service_type: str, name: str) -> tuple[Announcement, Family] | None:
    """The family of an announced service, if any."""
    return next(((a, f) for a, f in ANNOUNCEMENTS if a.matches(service_type, name)), None)
