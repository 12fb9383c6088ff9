"""Push sources count only from their own device's address; one controller's channels are capped."""

from __future__ import annotations

import logging
import socket

import pytest

from custom_components.local_energy.devices import enistic
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.enistic import EnisticClient
from custom_components.local_energy.devices.igen import IgenClient
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.enistic import CONTROLLER, EnisticSimulator
from simulators.igen import IgenDevice, IgenSimulator
from tests.conftest import free_udp_port, until

STRANGER = "127.0.0.2"  # another address on loopback: the stranger on the LAN


def send_from(source: str, target: tuple[str, int], payload: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind((source, 0))
        sender.sendto(payload, target)


async def test_enistic_reading_from_another_address_is_ignored(
    transports: Transports, caplog: pytest.LogCaptureFixture
) -> None:
    simulator = EnisticSimulator(free_udp_port())
    await simulator.start()
    client = EnisticClient(
        ConnectionConfig(host="127.0.0.1", port=simulator.target[1], serial=CONTROLLER), transports
    )
    await client.start(lambda: None)
    forged = f"{CONTROLLER}:Reading:0021EE0000007001:99999.000:1:17\r".encode()
    for _ in range(5):
        send_from(STRANGER, simulator.target, forged)
    await until(lambda: client.foreign == 5)
    assert client.latest() is None  # nothing taken
    simulator.broadcast()
    await until(lambda: client.datagrams == len(simulator.meters))
    channels = (await client.read()).channels
    assert all(channel.values[Key.POWER] != 99999.0 for channel in channels.values())
    assert (
        sum("Ignoring datagrams naming Enistic controller" in r.message for r in caplog.records) == 1
    )  # once a minute
    await client.close()
    await simulator.stop()


async def test_enistic_channels_are_capped(transports: Transports) -> None:
    simulator = EnisticSimulator(free_udp_port())
    await simulator.start()
    client = EnisticClient(
        ConnectionConfig(host="127.0.0.1", port=simulator.target[1], serial=CONTROLLER), transports
    )
    await client.start(lambda: None)
    for meter in range(200):
        simulator.send_raw(f"{CONTROLLER}:Reading:0021EE{meter:010d}:5.000:1:17\r".encode())
    await until(lambda: client.datagrams == 200)
    assert len((await client.read()).channels) == enistic.MAX_CHANNELS
    assert client.over_cap == 200 - enistic.MAX_CHANNELS
    await client.close()
    await simulator.stop()


async def test_igen_broadcast_from_another_address_is_ignored(
    transports: Transports, caplog: pytest.LogCaptureFixture
) -> None:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    device = simulator.devices[0]
    client = IgenClient(
        ConnectionConfig(host="127.0.0.1", port=simulator.http_port, push_port=simulator.target[1]),
        transports,
    )
    await client.identify()
    await client.start(lambda: None)
    forged = IgenDevice(device.kind, device.serial, power=-99_000.0)
    send_from(STRANGER, simulator.target, forged.broadcast())
    await until(lambda: client.foreign == 1)
    assert client.latest() is None
    caplog.set_level(logging.INFO)
    for sent in range(1, 4):
        simulator.send(raw=device.broadcast()[:-60])  # cut short: malformed, from the device itself
        await until(lambda sent=sent: client.datagrams == sent)
        assert client.latest() is None  # decoded when written: malformed, and nothing before it
    assert client.malformed == 3
    simulator.send()
    await until(lambda: client.datagrams == 4)
    assert (await client.read()).channels[MAIN_CHANNEL].values[Key.POWER] == device.power
    assert sum("malformed datagram from the IGEN device" in r.message for r in caplog.records) == 1
    assert not any(r.exc_info for r in caplog.records)
    await client.close()
    await simulator.stop()
