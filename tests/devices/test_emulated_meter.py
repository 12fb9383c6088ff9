"""Served meters on real sockets: our own Shelly and EcoTracker clients read them, a Marstek-style poller asks
over UDP, a stale source serves nothing, and bad requests are answered or dropped."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.ecotracker import EcoTrackerClient
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.shelly import ShellyClient
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Snapshot
from custom_components.local_energy.devices.websocket import Link
from custom_components.local_energy.emulation.feed import Feed, Reading
from custom_components.local_energy.emulation.servers import (
    BURST,
    MAX_CLIENTS,
    MAX_METHODS,
    RATE,
    Clients,
    ServedHttp,
    ecotracker_http,
    shelly_http,
    shelly_udp,
)
from custom_components.local_energy.emulation.shelly import ShellyIdentity, ShellyModel, ShellyPersona
from tests.conftest import pushes_into

READING = Reading(power=1234.0, phases=(1000.0, 300.0, -66.0), energy_in=5415.41419, energy_out=12.5)


class Clock:
    """Seconds the feed sees (its staleness is judged by it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feed(clock: Clock) -> Feed:
    served = Feed(stale_after=10.0, clock=clock)
    served.report(READING)
    return served


@pytest.fixture
async def pro3em(feed: Feed) -> AsyncGenerator[tuple[ServedHttp, ShellyPersona, Clients]]:
    persona = ShellyPersona(ShellyIdentity("AABBCCDDEE01"), feed)
    clients = Clients("served Pro 3EM")
    server = shelly_http(persona, clients, "127.0.0.1", 0)
    await server.start()
    yield server, persona, clients
    await server.stop()


def shelly_client(port: int, transports: Transports) -> ShellyClient:
    return ShellyClient(ConnectionConfig(host="127.0.0.1", port=port), transports)


async def test_our_shelly_client_reads_the_served_pro_3em(
    pro3em: tuple[ServedHttp, ShellyPersona, Clients], transports: Transports
) -> None:
    server, _persona, clients = pro3em
    client = shelly_client(server.port, transports)
    identity = await client.identify()
    assert (identity.model, identity.serial) == ("Shelly Pro 3EM", "aabbccddee01")
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == 1234.0
    assert (values[Key.POWER_L1], values[Key.POWER_L2], values[Key.POWER_L3]) == (1000.0, 300.0, -66.0)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(5415.41419, abs=1e-5)
    assert values[Key.ENERGY_EXPORT] == pytest.approx(12.5)
    assert clients.by_address["127.0.0.1"].requests >= 2
    await client.close()


async def test_pushes_over_the_rpc_socket(
    pro3em: tuple[ServedHttp, ShellyPersona, Clients], feed: Feed, transports: Transports
) -> None:
    server, _persona, _clients = pro3em
    client = shelly_client(server.port, transports)
    await client.identify()
    pushed: list[Snapshot | None] = []
    await client.start(pushes_into(client, pushed))
    async with asyncio.timeout(5):
        while client.link is not Link.UP:
            await asyncio.sleep(0.01)
    feed.report(Reading(power=-800.0, phases=(-800.0, 0.0, 0.0)))
    async with asyncio.timeout(5):
        while not pushed or pushed[-1] is None or pushed[-1].value(MAIN_CHANNEL, Key.POWER) != -800.0:
            await asyncio.sleep(0.01)
    await client.close()


async def test_our_shelly_client_reads_the_served_pro_em(feed: Feed, transports: Transports) -> None:
    persona = ShellyPersona(ShellyIdentity("AABBCCDDEE02", ShellyModel.PRO_EM), feed)
    server = shelly_http(persona, Clients("served Pro EM"), "127.0.0.1", 0)
    await server.start()
    client = shelly_client(server.port, transports)
    await client.identify()
    snapshot = await client.read()
    assert snapshot.value("em1:0", Key.POWER) == 1234.0  # one phase: what it serves is the whole
    await client.close()
    await server.stop()


async def test_our_ecotracker_client_reads_the_served_ecotracker(feed: Feed, transports: Transports) -> None:
    server = ecotracker_http(feed, "served-01", Clients("served EcoTracker"), "127.0.0.1", 0)
    await server.start()
    client = EcoTrackerClient(ConnectionConfig(host="127.0.0.1", port=server.port), transports)
    assert (await client.identify()).serial == "served-01"
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert (values[Key.POWER], values[Key.POWER_L3]) == (1234.0, -66.0)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(5415.4142, abs=1e-3)
    await client.close()
    await server.stop()


class Poller(asyncio.DatagramProtocol):
    """A battery asking over UDP as Marstek's do; keeps the raw answers."""

    def __init__(self) -> None:
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.answers.put_nowait(data)


async def ask_udp(port: int, payload: bytes) -> bytes | None:
    loop = asyncio.get_running_loop()
    transport, poller = await loop.create_datagram_endpoint(Poller, remote_addr=("127.0.0.1", port))
    transport.sendto(payload)
    try:
        async with asyncio.timeout(0.2):
            return await poller.answers.get()
    except TimeoutError:
        return None
    finally:
        transport.close()


async def test_marstek_style_udp_polls(feed: Feed, clock: Clock) -> None:
    feed.report(Reading(power=100.0))  # an integral value: it must still carry a decimal point
    persona = ShellyPersona(ShellyIdentity("AABBCCDDEE03"), feed)
    clients = Clients("served Pro 3EM (UDP)")
    transport, endpoint = await shelly_udp(persona, clients, "127.0.0.1", 0)
    port = transport.get_extra_info("sockname")[1]
    raw = await ask_udp(port, b'{"id":1,"method":"EM.GetStatus","params":{"id":0}}')
    assert raw is not None
    assert b'"total_act_power":100.0' in raw
    assert json.loads(raw)["result"]["a_act_power"] == 100.0
    em1 = await ask_udp(port, b'{"id":2,"method":"EM1.GetStatus","params":{"id":0}}')
    assert em1 is not None
    assert json.loads(em1)["result"]["act_power"] == 100.0
    assert await ask_udp(port, b"not json") is None  # dropped
    assert await ask_udp(port, b'{"method":"EM.GetStatus","pad":"' + b"x" * 10_000 + b'"}') is None
    clock.now = 11.0  # no report for longer than the feed's 10 s: nothing is served
    assert await ask_udp(port, b'{"id":3,"method":"EM.GetStatus","params":{"id":0}}') is None
    assert endpoint.dropped == 3
    transport.close()


async def test_a_stale_source_serves_nothing_over_http_until_it_reports(
    pro3em: tuple[ServedHttp, ShellyPersona, Clients], feed: Feed, clock: Clock
) -> None:
    server, _persona, _clients = pro3em
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{server.port}/rpc/EM.GetStatus?id=0"
        async with session.get(url) as answer:
            assert answer.status == 200
        clock.now = 11.0
        async with session.get(url) as answer:
            assert answer.status == 503
        async with session.get(f"http://127.0.0.1:{server.port}/shelly") as answer:
            assert answer.status == 200  # who it is stays known: the battery keeps it paired
        feed.report(READING)
        async with session.get(url) as answer:
            assert (await answer.json())["total_act_power"] == 1234.0


async def test_unknown_and_changing_methods_are_answered_and_change_nothing(
    pro3em: tuple[ServedHttp, ShellyPersona, Clients], caplog: pytest.LogCaptureFixture
) -> None:
    server, _persona, clients = pro3em
    base = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.post(f"{base}/rpc", json={"id": 7, "method": "Foo.Bar"}) as answer:
                assert (await answer.json())["error"]["code"] == 404
        async with session.post(f"{base}/rpc", json={"id": 8, "method": "Shelly.Reboot"}) as answer:
            assert (await answer.json())["result"] == {}
        async with session.get(f"{base}/rpc/EM.SetConfig?id=0") as answer:
            assert (await answer.json()) == {"restart_required": False}
        for bad in (b"{not json", b"123", b'{"method": 5}', b"[" * 1500 + b"]" * 1500):
            async with session.post(f"{base}/rpc", data=bad) as answer:
                assert answer.status == 400
        async with session.get(f"{base}/rpc/Shelly.GetStatus") as answer:
            status = await answer.json()
    assert status["cloud"] == {"connected": False}
    assert status["em:0"]["total_act_power"] == 1234.0
    assert caplog.text.count("Foo.Bar") == 1  # logged once for the client
    assert clients.by_address["127.0.0.1"].methods["Foo.Bar"] == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_reading_that_is_not_finite_is_not_served(feed: Feed, bad: float) -> None:
    feed.report(Reading(power=bad))
    assert feed.current() is None
    feed.report(Reading(power=100.0, phases=(bad, 0.0, 0.0)))
    assert feed.current() is None
    feed.report(READING)
    assert feed.current() == READING


async def test_a_taken_port_is_an_os_error_and_stopping_frees_it(feed: Feed) -> None:
    persona = ShellyPersona(ShellyIdentity("AABBCCDDEE04"), feed)
    first = shelly_http(persona, Clients("first"), "127.0.0.1", 0)
    await first.start()
    with pytest.raises(OSError):  # noqa: PT011 - which errno depends on the platform
        await ecotracker_http(feed, "x", Clients("second"), "127.0.0.1", first.port).start()
    port = first.port
    await first.stop()
    again = shelly_http(persona, Clients("again"), "127.0.0.1", port)
    await again.start()  # released on stop: a reload binds it again
    await again.stop()


async def test_a_flood_from_one_address_is_answered_at_its_rate_and_logged_once(
    feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    persona = ShellyPersona(ShellyIdentity("AABBCCDDEE04"), feed)
    clients = Clients("served Pro 3EM (UDP)")
    transport, endpoint = await shelly_udp(persona, clients, "127.0.0.1", 0)
    port = transport.get_extra_info("sockname")[1]
    loop = asyncio.get_running_loop()
    sender, poller = await loop.create_datagram_endpoint(Poller, remote_addr=("127.0.0.1", port))
    request = b'{"id":1,"method":"EM.GetStatus","params":{"id":0}}'
    for _ in range(1000):
        sender.sendto(request)
    await asyncio.sleep(0.3)
    sender.close()
    transport.close()
    answered = poller.answers.qsize()
    assert 0 < answered <= BURST + RATE * 1.0  # a burst, then its rate
    assert endpoint.dropped > answered  # the rest that reached it dropped (the kernel drops more)
    assert caplog.text.count("asks more than") == 1


async def test_a_flood_over_http_gets_429_and_the_table_of_clients_stays_bounded(
    pro3em: tuple[ServedHttp, ShellyPersona, Clients],
) -> None:
    server, _persona, clients = pro3em
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(60):
            async with session.get(f"http://127.0.0.1:{server.port}/rpc/EM.GetStatus?id=0") as answer:
                statuses.append(answer.status)
    assert statuses.count(200) >= BURST
    assert 429 in statuses
    for index in range(MAX_CLIENTS + 50):  # addresses a spoofing sender could make up
        clients.admit(f"10.1.{index // 256}.{index % 256}")
    assert len(clients.by_address) == MAX_CLIENTS


def test_a_client_that_makes_up_method_names_does_not_grow_its_table() -> None:
    clients = Clients("served Pro 3EM")
    for index in range(1000):
        clients.seen("10.0.0.9", f"Made.Up{index}")
    methods = clients.by_address["10.0.0.9"].methods
    assert len(methods) == MAX_METHODS + 1
    assert methods["other"] == 1000 - MAX_METHODS
    assert clients.diagnostics()["10.0.0.9"]["requests_per_minute"] == 0  # the whole minute is not over
