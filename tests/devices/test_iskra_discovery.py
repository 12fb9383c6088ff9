"""Iskra's UDP discovery: the answer's documented layout, and a probe answered over real sockets."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices.errors import InvalidResponse
from custom_components.local_energy.devices.iskra_discovery import discover_gateways, parse_answer
from simulators.iskra import PROBE, IskraDiscoveryResponder, discovery_answer


def test_the_documented_layout() -> None:
    answer = bytearray(137)
    answer[3] = 0x1B
    answer[20:26] = bytes.fromhex("0050C2123456")
    answer[28:33] = b"SG-W1"
    answer[43:51] = b"12345678"
    answer[55:62] = b"Garage\0"
    answer[136] = 34
    gateway = parse_answer(bytes(answer), "192.0.2.7")
    assert (gateway.model, gateway.serial, gateway.host) == ("SG-W1", "12345678", "192.0.2.7")
    assert gateway.mac == "00:50:c2:12:34:56"
    assert (gateway.description, gateway.modbus_address) == ("Garage", 34)
    assert gateway.label == "192.0.2.7 (SG-W1 12345678)"


@pytest.mark.parametrize(
    "datagram",
    [
        PROBE,  # our own probe, heard back
        b"\0" * 200,  # no answer tag
        bytes(discovery_answer("SG-E1", "SG000002"))[:100],  # cut short
        discovery_answer("MT174", "SG000002"),  # not a gateway
        discovery_answer("SG-E1", "SG 0002"),  # no serial
    ],
)
def test_what_is_not_an_answer(datagram: bytes) -> None:
    with pytest.raises(InvalidResponse):
        parse_answer(datagram, "127.0.0.1")


async def test_a_probe_is_answered() -> None:
    responder = IskraDiscoveryResponder(
        [discovery_answer("SG-E1", "SG000002"), discovery_answer("SG-E1", "SG000002"), b"garbage"]
    )
    await responder.start()
    found = await discover_gateways("127.0.0.1", responder.port, within=0.3)
    assert [(g.host, g.serial) for g in found] == [("127.0.0.1", "SG000002")]  # answered twice, one gateway
    assert responder.probes == 1
    await responder.stop()


async def test_nobody_answers() -> None:
    responder = IskraDiscoveryResponder([])
    await responder.start()
    assert await discover_gateways("127.0.0.1", responder.port, within=0.1) == []
    await responder.stop()
