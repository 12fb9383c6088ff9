"""Iskra smart gateways answer a UDP probe (their "UDP Discovery" setting): who is there, at which address.

The layout is the one Iskra's own library reads (pyiskra ``discovery.py``): the probe is the four bytes
``00 00 00 1A`` sent to port 33333; an answer has ``0x1B`` at byte 3 and fixed fields after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass

from .errors import InvalidResponse
from .family import (
    Found,
)
from .payload import total

PROBE = bytes([0x00, 0x00, 0x00, 0x1A])
PROBE_PORT = 33333
ANSWER_TAG = 0x1B
ANSWER_LENGTH = 137
"""Up to the Modbus address at byte 136; shorter answers are not answers."""
LISTEN_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class DiscoveredGateway:
    """A gateway that answered the probe."""

    host: str
    model: str
    serial: str
    mac: str
    description: str
    modbus_address: int

    @property
    def label(self) -> str:
        """How a form lists it."""
        return f"{self.host} ({self.model} {self.serial})"


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace").strip()


@total("Iskra discovery answer")
def parse_answer(datagram: bytes, host: str) -> DiscoveredGateway:
    """One answer to the probe; InvalidResponse for anything else (a probe echoed, a stranger's datagram)."""
    if len(datagram) < ANSWER_LENGTH or datagram[3] != ANSWER_TAG:
        raise InvalidResponse(f"not an Iskra discovery answer ({len(datagram)} bytes)")
    model, serial = _text(datagram[28:42]), _text(datagram[43:51])
    if not model.startswith("SG") or not serial.isalnum():
        raise InvalidResponse(f"the discovery answer names no gateway ({model!r}, {serial!r})")
    return DiscoveredGateway(
        host=host,
        model=model,
        serial=serial,
        mac=datagram[20:26].hex(":"),
        description=_text(datagram[55:94]),
        modbus_address=datagram[136],
    )


class _Collector(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.found: dict[str, DiscoveredGateway] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        host = str(addr[0])
        with contextlib.suppress(InvalidResponse):
            gateway = parse_answer(data, host)
            self.found[gateway.serial] = gateway


async def discover_gateways(
    address: str = "255.255.255.255", port: int = PROBE_PORT, within: float = LISTEN_SECONDS
) -> list[DiscoveredGateway]:
    """Send the probe and collect the answers for a while; one entry per gateway (by serial)."""
    loop = asyncio.get_running_loop()
    try:
        transport, collector = await loop.create_datagram_endpoint(
            _Collector, local_addr=("0.0.0.0", 0), family=socket.AF_INET, allow_broadcast=True
        )
    except OSError:
        return []
    try:
        transport.sendto(PROBE, (address, port))
        await asyncio.sleep(within)
    except OSError:
        return []
    finally:
        transport.close()
    return sorted(collector.found.values(), key=lambda gateway: gateway.host)


async def search(address: str) -> list[Found]:
    """The gateways that answer a probe sent to an address (a broadcast address, or one gateway's)."""
    gateways = await discover_gateways(address, PROBE_PORT, LISTEN_SECONDS)
    return [Found(gateway.host, gateway.label) for gateway in gateways]
