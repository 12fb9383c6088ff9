"""The shared UDP hub: one listener per port, routing by key, sockets closed with the last subscriber."""

from __future__ import annotations

import asyncio
import socket

import pytest

from custom_components.local_energy.devices import clock, udp
from custom_components.local_energy.devices.udp import Address, UdpHub
from tests.conftest import free_udp_port


def router(data: bytes) -> str | None:
    head = data.split(b":", 1)[0]
    return head.decode() if head.isalnum() else None


async def test_routing_and_sharing() -> None:
    hub = UdpHub(bind_host="127.0.0.1")
    port = free_udp_port()
    got: dict[str, list[bytes]] = {"a": [], "b": [], "other": []}

    def collect(name: str):  # type: ignore[no-untyped-def]
        return lambda data, _address: got[name].append(data)

    sub_a = await hub.subscribe(port, router, "a", collect("a"))
    sub_b = await hub.subscribe(port, router, "b", collect("b"))
    sub_other = await hub.subscribe(port, router, None, collect("other"))
    with pytest.raises(ValueError, match="already routes"):
        await hub.subscribe(port, router, "a", collect("a"))
    for payload in (b"a:1", b"b:2", b"c:3", b"!!"):
        await hub.send("127.0.0.1", port, payload)
    async with asyncio.timeout(20):
        while sum(map(len, got.values())) < 4:
            await asyncio.sleep(0.005)
    assert got == {"a": [b"a:1"], "b": [b"b:2"], "other": [b"c:3", b"!!"]}
    stats = hub.stats(port)
    assert stats is not None
    assert (stats.received, stats.routed, stats.unrouted) == (4, 2, 2)
    sub_a.cancel()
    sub_a.cancel()  # twice is harmless
    sub_other.cancel()
    assert hub.listening(port)
    sub_b.cancel()
    assert not hub.listening(port)
    assert hub.stats(port) is None
    await asyncio.sleep(0)  # the transport closes its socket on the next loop iteration
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", port))  # free again
    hub.close()


async def test_close_releases_everything() -> None:
    hub = UdpHub(bind_host="127.0.0.1")
    port = free_udp_port()
    seen: list[Address] = []
    subscription = await hub.subscribe(port, router, "x", lambda _d, address: seen.append(address))
    await hub.send("127.0.0.1", port, b"x:1")
    async with asyncio.timeout(20):
        while not seen:
            await asyncio.sleep(0.005)
    assert seen[0][0] == "127.0.0.1"
    hub.close()
    assert not hub.listening(port)
    subscription.cancel()  # after close: nothing left to cancel


async def test_a_key_is_believed_only_from_its_source(caplog: pytest.LogCaptureFixture) -> None:
    hub = UdpHub(bind_host="127.0.0.1")
    port = free_udp_port()
    mine: list[bytes] = []
    unclaimed: list[bytes] = []
    subscription = await hub.subscribe(
        port, router, "x", lambda data, _a: mine.append(data), source_host="localhost", label="meter x"
    )
    await hub.subscribe(port, router, None, lambda data, _a: unclaimed.append(data))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.2", 0))
        for _ in range(3):
            stranger.sendto(b"x:forged", ("127.0.0.1", port))
    await hub.send("127.0.0.1", port, b"x:real")
    async with asyncio.timeout(20):
        while not mine:
            await asyncio.sleep(0.005)
    assert mine == [b"x:real"]
    assert unclaimed == []  # a forged datagram for a known key is not offered to discovery either
    assert subscription.foreign == 3
    stats = hub.stats(port)
    assert stats is not None
    assert stats.foreign == 3
    assert [r.message for r in caplog.records if "naming meter x" in r.message] == [
        "Ignoring datagrams naming meter x from 127.0.0.2: it is at 127.0.0.1"
    ]
    hub.close()


async def test_a_device_silent_at_its_address_may_be_heard_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    seconds = [100.0]
    monkeypatch.setattr(clock, "now", lambda: seconds[0])
    hub = UdpHub(bind_host="127.0.0.1")
    port = free_udp_port()
    mine: list[bytes] = []
    unclaimed: list[tuple[bytes, str]] = []
    await hub.subscribe(port, router, "x", lambda data, _a: mine.append(data), source_host="127.0.0.1")
    await hub.subscribe(port, router, None, lambda data, address: unclaimed.append((data, address[0])))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as moved:
        moved.bind(("127.0.0.2", 0))
        moved.sendto(b"x:1", ("127.0.0.1", port))
        await asyncio.sleep(0.05)
        assert unclaimed == []  # the device was heard lately (the route is new): a stranger's
        seconds[0] += udp.MOVED_AFTER + 1
        moved.sendto(b"x:2", ("127.0.0.1", port))
        async with asyncio.timeout(20):
            while not unclaimed:
                await asyncio.sleep(0.005)
    assert unclaimed == [(b"x:2", "127.0.0.2")]  # offered to discovery, never to the entry
    assert mine == []
    hub.close()
