"""Enistic controller: readings over UDP from its simulator, socket commands back to it."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.local_energy.devices import clock, enistic
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.enistic import (
    EnisticClient,
    parse_datagram,
    parse_event,
    route,
    socket_command,
)
from custom_components.local_energy.devices.errors import CannotConnect, CommandRejected, InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import ChannelKind
from simulators.enistic import CONTROLLER, EnisticSimulator
from tests.conftest import until

SOCKET = "0021ED0000041319"
METER = "0021EE0000007001"


def client_for(
    simulator: EnisticSimulator, transports: Transports, serial: str | None = None
) -> EnisticClient:
    config = ConnectionConfig(
        host="127.0.0.1", port=simulator.target[1], serial=serial, command_port=simulator.command_port
    )
    return EnisticClient(config, transports)


def test_parse_reading() -> None:
    reading = parse_event(f"{CONTROLLER}:Reading:{SOCKET}:94031.992:1:1")
    assert reading is not None
    assert (reading.controller, reading.meter, reading.power, reading.channel) == (
        CONTROLLER,
        SOCKET,
        94031.992,
        1,
    )
    assert reading.socket_on is True
    assert parse_event(f"{CONTROLLER}:Status:whatever") is None


@pytest.mark.parametrize(
    "line",
    [
        f"{CONTROLLER}:Reading:{SOCKET}:12.5:1",
        f"{CONTROLLER}:Reading:{SOCKET}:abc:1:1",
        f"{CONTROLLER}:Reading:{SOCKET}:nan:1:1",
        f"{CONTROLLER}:Reading:not-hex:12:1:1",
        f"{CONTROLLER}:Reading:{SOCKET}:12:x:1",
    ],
)
def test_malformed_reading_is_invalid(line: str) -> None:
    with pytest.raises(InvalidResponse):
        parse_event(line)


def test_datagram_with_several_events_and_noise() -> None:
    datagram = (
        f"{CONTROLLER}:Reading:{SOCKET}:10:1:0\r{CONTROLLER}:Heartbeat\r\r"
        f"{CONTROLLER}:Reading:{METER}:-5.5:3:17\r{CONTROLLER}:Reading:broken\r"
    ).encode()
    readings, malformed = parse_datagram(datagram)
    assert [r.channel_id for r in readings] == [SOCKET, f"{METER}-3"]
    assert readings[0].socket_on is False
    assert malformed == 1
    assert parse_datagram(b"\xff\xfe") == ([], 1)


def test_route_and_command() -> None:
    assert route(f"{CONTROLLER.lower()}:Reading:x".encode()) == CONTROLLER
    assert route(b"hello:world") is None
    assert route(b"\xff\xff:") is None
    assert socket_command(CONTROLLER, SOCKET, on=True) == f"{CONTROLLER},1,{SOCKET};".encode()
    assert socket_command(CONTROLLER, SOCKET, on=False) == f"{CONTROLLER},0,{SOCKET};".encode()


async def test_identify_by_listening(enistic_sim: EnisticSimulator, transports: Transports) -> None:
    client = client_for(enistic_sim, transports)
    identify = asyncio.create_task(client.identify())
    await until(lambda: transports.udp.listening(enistic_sim.target[1]))
    enistic_sim.broadcast()
    identity = await identify
    assert identity.serial == CONTROLLER
    assert not transports.udp.listening(enistic_sim.target[1])  # the temporary listener is gone


async def test_identify_times_out(
    enistic_sim: EnisticSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enistic, "IDENTIFY_TIMEOUT", 0.05)
    with pytest.raises(CannotConnect):
        await client_for(enistic_sim, transports).identify()


async def test_channels_appear_with_their_readings(
    enistic_sim: EnisticSimulator, transports: Transports
) -> None:
    client = client_for(enistic_sim, transports, serial=CONTROLLER)
    pushes: list[None] = []
    with pytest.raises(CannotConnect):
        await client.read()  # not listening yet
    await client.start(lambda: pushes.append(None))
    assert (await client.read()).channels == {}  # listening, nothing heard yet
    enistic_sim.broadcast(per_datagram=2)
    await until(lambda: len(client.diagnostics()["channels"]) == 5)
    snapshot = await client.read()
    socket_channel = snapshot.channels[SOCKET]
    assert socket_channel.kind is ChannelKind.SOCKET
    assert socket_channel.values == {Key.POWER: 60.5, Key.RELAY: True, Key.INTEGRATED_ENERGY_IMPORT: 0.0}
    assert snapshot.channels["0021ED0000041320"].values[Key.RELAY] is False
    assert snapshot.channels[f"{METER}-3"].values[Key.POWER] == -1200.0
    assert snapshot.channels[METER].kind is ChannelKind.METER
    assert snapshot.channels[METER].controls == ()
    assert pushes
    await client.close()


async def test_other_controllers_are_not_mixed_in(
    enistic_sim: EnisticSimulator, transports: Transports
) -> None:
    client = client_for(enistic_sim, transports, serial=CONTROLLER)
    await client.start(lambda: None)
    enistic_sim.send_raw(f"0099AABBCC00:Reading:{SOCKET}:5:1:1\r".encode())
    enistic_sim.send_raw(b"garbage")
    enistic_sim.broadcast()
    await until(lambda: client.datagrams == 5)
    stats = transports.udp.stats(enistic_sim.target[1])
    assert stats is not None
    assert stats.unrouted == 2
    assert (await client.read()).value(SOCKET, Key.POWER) == 60.5
    await client.close()


async def test_switch_socket_reaches_the_controller(
    enistic_sim: EnisticSimulator, transports: Transports
) -> None:
    client = client_for(enistic_sim, transports, serial=CONTROLLER)
    await client.start(lambda: None)
    enistic_sim.broadcast()
    await until(lambda: client.datagrams == 5)
    await client.write(SOCKET, Key.RELAY, False)
    await until(lambda: bool(enistic_sim.commands))
    assert enistic_sim.commands == [f"{CONTROLLER},0,{SOCKET};".encode()]
    assert enistic_sim.socket(SOCKET).on is False
    enistic_sim.broadcast()
    await until(lambda: client.datagrams == 10)
    assert (await client.read()).value(SOCKET, Key.RELAY) is False
    with pytest.raises(CommandRejected):
        await client.write(METER, Key.RELAY, True)
    await client.close()


async def test_silent_controller_goes_stale(
    enistic_sim: EnisticSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    client = client_for(enistic_sim, transports, serial=CONTROLLER)
    await client.start(lambda: None)
    enistic_sim.broadcast()
    await until(lambda: client.datagrams == 5)
    now[0] += enistic.STALE_AFTER + 1
    with pytest.raises(CannotConnect):
        await client.read()
    await client.close()
