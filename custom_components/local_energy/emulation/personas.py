"""The meters a served meter can be, each on its own port: what the HA layer offers, declared once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from .feed import Feed
from .servers import Clients, ServedHttp, ecotracker_http, shelly_http, shelly_udp
from .shelly import FIRMWARE_ID, ShellyIdentity, ShellyModel, ShellyPersona

type Stop = Callable[[], Awaitable[None]]


class Protocol(StrEnum):
    """How a persona is asked: two personas of one protocol cannot share a port."""

    HTTP = "http"
    UDP = "udp"


@dataclass(frozen=True, slots=True)
class Served:
    """What every persona of one served meter answers from."""

    feed: Feed
    clients: Clients
    mac: str
    """12 hex digits, made once and stored: batteries that paired find the meter again."""
    host: str
    """The address listened on."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """One mDNS service a persona is found by: its type, instance name and TXT properties."""

    service_type: str
    name: str
    properties: dict[str, str]


@dataclass(frozen=True, slots=True)
class Persona:
    """One meter a battery may read: the option holding its port, and how it is opened."""

    option: str
    name: str
    default_port: int
    """0: not served unless the user gives it a port."""
    protocol: Protocol
    open: Callable[[Served, int], Awaitable[tuple[int, Stop]]]
    """Listen on a port (0: any free one); the port bound and what stops it. OSError when it cannot."""
    announce: Callable[[Served, str], tuple[Announcement, ...]] = lambda _served, _address: ()
    """The mDNS services that make it found, given the address announced (UDP personas have none)."""


def _shelly_services(model: ShellyModel) -> Callable[[Served, str], tuple[Announcement, ...]]:
    """``_shelly._tcp`` and ``_http._tcp``, named by the device id, with gen, id, fw_id and arch."""

    def services(served: Served, _address: str) -> tuple[Announcement, ...]:
        device_id = ShellyIdentity(served.mac, model).device_id
        properties = {"gen": "2", "id": device_id, "fw_id": FIRMWARE_ID, "arch": "esp8266"}
        return tuple(
            Announcement(service_type, f"{device_id}.{service_type}", properties)
            for service_type in ("_shelly._tcp.local.", "_http._tcp.local.")
        )

    return services


def _everhome_service(served: Served, address: str) -> tuple[Announcement, ...]:
    """``_everhome._tcp`` with ip, serial and productid, as EcoFlow STREAM looks for it."""
    serial = served.mac.lower()
    properties = {"ip": address, "serial": serial, "productid": ECOTRACKER_PRODUCT_ID}
    return (Announcement("_everhome._tcp.local.", f"ecotracker-{serial}._everhome._tcp.local.", properties),)


ECOTRACKER_PRODUCT_ID = "1137"
"""The product id EcoFlow STREAM expects in the announcement."""


def _shelly_over_http(model: ShellyModel) -> Callable[[Served, int], Awaitable[tuple[int, Stop]]]:
    async def open_http(served: Served, port: int) -> tuple[int, Stop]:
        persona = ShellyPersona(ShellyIdentity(served.mac, model), served.feed)
        return await _started(shelly_http(persona, served.clients, served.host, port))

    return open_http


async def _shelly_over_udp(served: Served, port: int) -> tuple[int, Stop]:
    persona = ShellyPersona(ShellyIdentity(served.mac, ShellyModel.PRO_3EM), served.feed)
    transport, _ = await shelly_udp(persona, served.clients, served.host, port)

    async def stop() -> None:
        transport.close()

    return int(transport.get_extra_info("sockname")[1]), stop


async def _ecotracker(served: Served, port: int) -> tuple[int, Stop]:
    return await _started(ecotracker_http(served.feed, served.mac.lower(), served.clients, served.host, port))


async def _started(server: ServedHttp) -> tuple[int, Stop]:
    await server.start()
    return server.port, server.stop


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "pro3em_port",
        "Shelly Pro 3EM (HTTP)",
        80,
        Protocol.HTTP,
        _shelly_over_http(ShellyModel.PRO_3EM),
        _shelly_services(ShellyModel.PRO_3EM),
    ),
    Persona("udp_port", "Shelly Pro 3EM (UDP)", 1010, Protocol.UDP, _shelly_over_udp),
    Persona("udp_port_2", "Shelly Pro 3EM (UDP)", 2220, Protocol.UDP, _shelly_over_udp),
    Persona(
        "proem_port",
        "Shelly Pro EM (HTTP)",
        0,
        Protocol.HTTP,
        _shelly_over_http(ShellyModel.PRO_EM),
        _shelly_services(ShellyModel.PRO_EM),
    ),
    Persona("ecotracker_port", "EcoTracker (HTTP)", 0, Protocol.HTTP, _ecotracker, _everhome_service),
)
"""Batteries ask a Shelly on HTTP port 80 (Hoymiles, Growatt, INDEVOLT) or over UDP on 1010 and 2220
(Marstek Venus, Jupiter, B2500); the Pro EM (one phase) and the EcoTracker (EcoFlow, Jackery) are off
until given a port: they would take port 80 from the Pro 3EM."""
