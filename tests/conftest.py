"""Shared fixtures: simulators on loopback sockets and Home Assistant config entries."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import ssl
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.local_energy import discovery
from custom_components.local_energy.const import (
    CONF_COMMAND_PORT,
    CONF_FAMILY,
    CONF_SERIAL,
    CONF_UNIT_ID,
    DOMAIN,
)
from custom_components.local_energy.coordinator import LocalEnergyConfigEntry
from custom_components.local_energy.devices import websocket
from custom_components.local_energy.devices.client import DeviceClient, Transports
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.snapshot import Snapshot
from custom_components.local_energy.devices.udp import UdpHub
from simulators.acuvim import AcuvimSimulator
from simulators.ecotracker import EcoTrackerSimulator
from simulators.enistic import CONTROLLER as ENISTIC_CONTROLLER
from simulators.enistic import EnisticSimulator
from simulators.homewizard import SERIAL as HOMEWIZARD_SERIAL
from simulators.homewizard import HomeWizardSimulator
from simulators.shelly import ShellySimulator
from simulators.smartme import SmartMeSimulator
from simulators.stromleser import StromleserSimulator

FIELD_CHOSEN = os.environ.get("LOCAL_ENERGY_FIELD")
"""LOCAL_ENERGY_FIELD set by whoever runs the suite holds for every test (off: loopback's terms)."""
FIELD_FOLDERS = frozenset({"devices", "control"})


@pytest.fixture(autouse=True)
def _network_conditions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulators answer as over Wi-Fi (segmented, sometimes chunked, late, closing connections).

    That is where it is the subject: the protocol library's tests (tests/devices, tests/control) and the
    end-to-end ones marked `field` (push, closed loop). The Home Assistant layer's own tests are about what
    it makes of snapshots and errors; they meet the simulators on loopback's terms.
    """
    in_field = request.node.get_closest_marker("field") is not None or (
        request.node.path.parent.name in FIELD_FOLDERS
    )
    monkeypatch.setenv("LOCAL_ENERGY_FIELD", FIELD_CHOSEN or ("wifi" if in_field else "off"))


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Allow real sockets; Home Assistant's test plugin still limits connections to 127.0.0.1."""


@pytest.fixture(autouse=True)
def _custom_integrations(
    socket_enabled: None, enable_custom_integrations: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Let Home Assistant load custom_components/local_energy; listen for broadcasts and CoIoT on free ports.

    An IGEN entry first listens 1.5 s for a broadcast before it asks over HTTP. Most tests freeze the
    clock, so those seconds would never pass: here the entry does not wait. The tests of that wait set it.
    """
    monkeypatch.setitem(discovery.LISTEN_PORTS, "igen", free_udp_port())
    monkeypatch.setitem(discovery.LISTEN_PORTS, "enistic", free_udp_port())
    monkeypatch.setattr("custom_components.local_energy.devices.igen.BROADCAST_WAIT", 0.0)
    monkeypatch.setattr("custom_components.local_energy.devices.shelly.COIOT_PORT", free_udp_port())


@pytest.fixture
def tls_handshakes_may_be_aborted(hass: HomeAssistant) -> Generator[None]:
    """Let the simulator's side of a handshake that our client aborts pass unreported.

    In debug mode, as the test plugin runs the loop, asyncio reports a client that drops the TLS handshake
    as an error of the server (Python 3.14). Our client aborts handshakes on purpose (a wrong certificate, a
    pairing given up): requested by the fixtures of the TLS simulators.
    """
    loop = hass.loop
    report = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        aborted = isinstance(context.get("exception"), ConnectionResetError | ssl.SSLError)
        if aborted and context.get("message") == "Error on transport creation for incoming connection":
            return
        if report is None:
            loop.default_exception_handler(context)
        else:
            report(loop, context)

    loop.set_exception_handler(handle)
    yield
    loop.set_exception_handler(report)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create the entities that are disabled by default too (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


def pushes_into(client: DeviceClient, snapshots: list[Snapshot]) -> Callable[[], None]:
    """A push listener keeping what the client holds at each announcement (read as the coordinator does)."""

    def heard() -> None:
        if (held := client.latest()) is not None:
            snapshots.append(held)

    return heard


def free_tcp_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _udp_ports_of_this_worker() -> Iterator[int]:
    """Below the ephemeral range, a thousand ports for each parallel test worker, in turn."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 20000 + 1000 * (int(worker) if worker.isdigit() else 0)
    return itertools.cycle(range(first, first + 1000))


_UDP_PORTS = _udp_ports_of_this_worker()


def free_udp_port() -> int:
    """A UDP port nothing listens on right now, never one another test worker is handed.

    Our UDP listeners bind with SO_REUSEPORT, as they share ports with other programs: two workers that
    had drawn the same ephemeral port would both bind it and split its datagrams between them.
    """
    for port in _UDP_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError("unreachable: the ports cycle")


@pytest.fixture
async def pico() -> AsyncGenerator[SmartMeSimulator]:
    """A smart-me Pico charging station (serial 7100042) on a free port."""
    simulator = SmartMeSimulator(pico=True, serial=7100042)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def homewizard_sim() -> AsyncGenerator[HomeWizardSimulator]:
    """A HomeWizard P1 meter on a free port."""
    simulator = HomeWizardSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def acuvim_sim() -> AsyncGenerator[AcuvimSimulator]:
    """An Acuvim II meter on a free port."""
    simulator = AcuvimSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def enistic_sim() -> AsyncGenerator[EnisticSimulator]:
    """An Enistic controller sending readings to a free port; commands on another free port."""
    simulator = EnisticSimulator(free_udp_port())
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def shelly_sim() -> AsyncGenerator[ShellySimulator]:
    """A Shelly Pro 3EM (triphase, no auth) on a free port."""
    simulator = ShellySimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def ecotracker_sim() -> AsyncGenerator[EcoTrackerSimulator]:
    """An EcoTracker on a free port."""
    simulator = EcoTrackerSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def stromleser_sim() -> AsyncGenerator[StromleserSimulator]:
    """A stromleser.one on a free port, rate limit on."""
    simulator = StromleserSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture(autouse=True)
def quick_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    """WebSockets reconnect within 0.1 s in tests (1 s and more on a real network)."""
    monkeypatch.setattr(websocket, "BACKOFF", (0.05, 0.1))


@pytest.fixture
async def transports() -> AsyncGenerator[Transports]:
    """The shared transports, outside Home Assistant."""
    async with aiohttp.ClientSession() as session:
        udp = UdpHub(bind_host="127.0.0.1")
        yield Transports(http=session, modbus=ModbusPool(), udp=udp)
        udp.close()


HOST = "127.0.0.1"


def homewizard_entry(
    simulator: HomeWizardSimulator, entry_id: str | None = None, **options: object
) -> MockConfigEntry:
    """A config entry for the HomeWizard simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="P1 Meter 3c39e7aabbcc",
        unique_id=HOMEWIZARD_SERIAL,
        data={
            CONF_FAMILY: "homewizard",
            CONF_HOST: HOST,
            CONF_PORT: simulator.port,
            CONF_SERIAL: HOMEWIZARD_SERIAL,
        },
        options=options,
    )


def acuvim_entry(
    simulator: AcuvimSimulator, entry_id: str | None = None, **options: object
) -> MockConfigEntry:
    """A config entry for the Acuvim simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="Acuvim II AV2-0001",
        unique_id="AV2-0001",
        data={
            CONF_FAMILY: "acuvim",
            CONF_HOST: HOST,
            CONF_PORT: simulator.port,
            CONF_UNIT_ID: 1,
            CONF_SERIAL: "AV2-0001",
        },
        options=options,
    )


def enistic_entry(
    simulator: EnisticSimulator, entry_id: str | None = None, **options: object
) -> MockConfigEntry:
    """A config entry for the Enistic simulator (readings port and command port of the simulator)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title=f"Smart Energy Controller {ENISTIC_CONTROLLER}",
        unique_id=ENISTIC_CONTROLLER,
        data={
            CONF_FAMILY: "enistic",
            CONF_HOST: HOST,
            CONF_PORT: simulator.target[1],
            CONF_SERIAL: ENISTIC_CONTROLLER,
            CONF_COMMAND_PORT: simulator.command_port,
        },
        options=options,
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def refresh(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 1.0) -> None:
    """Jump time by an interval and let the coordinators poll (or write what was pushed)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def until_next_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: LocalEnergyConfigEntry
) -> None:
    """Jump time to the entry's next poll (the first comes about an interval after setup's read)."""
    due = entry.runtime_data.coordinator.polls.due
    assert due is not None
    await refresh(hass, freezer, due - hass.loop.time())


async def wait_ticking(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, condition: Callable[[], bool], within: float = 30.0
) -> None:
    """Let frozen time pass a second at a time until a condition holds (a reconnect waits out its back-off).

    Each second also lets the real network deliver for a moment: in the field an answer takes real time,
    and a back-off begun meanwhile waits for the next tick.
    """
    deadline = time.clock_gettime(time.CLOCK_MONOTONIC) + within
    while not condition():
        if time.clock_gettime(time.CLOCK_MONOTONIC) > deadline:
            raise AssertionError(f"condition not met within {within:g} s")
        await refresh(hass, freezer)
        with contextlib.suppress(AssertionError):
            await wait_for(hass, condition, within=0.3)


async def setup_heard_enistic(
    hass: HomeAssistant,
    simulator: EnisticSimulator,
    freezer: FrozenDateTimeFactory,
    entry_id: str | None = None,
    **options: object,
) -> MockConfigEntry:
    """Set up the Enistic entry and let one broadcast of every meter reach Home Assistant."""
    entry = enistic_entry(simulator, entry_id=entry_id, **options)
    await setup_entry(hass, entry)
    await hear_enistic(hass, entry, simulator, freezer)
    return entry


async def hear_enistic(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: EnisticSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Broadcast one reading of every meter and let it reach Home Assistant's states."""
    client = entry.runtime_data.coordinator.client
    received = client.datagrams
    simulator.broadcast()
    await wait_for(hass, lambda: client.datagrams == received + len(simulator.meters))
    await refresh(hass, freezer)


async def until(condition: Callable[[], object], within: float = 20.0) -> None:
    """Let real sockets deliver until a condition holds (protocol tests, no Home Assistant).

    The limit only ends a test that would hang: a busy machine may be slow.
    """
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.005)


async def wait_for(hass: HomeAssistant, condition: Callable[[], bool], within: float = 30.0) -> None:
    """Let real sockets deliver (datagrams, connections) until a condition holds.

    Checked on every turn of the event loop. The limit is in real seconds, read from a clock that frozen
    test time leaves running (freezegun patches time.monotonic, not clock_gettime); it only ends a test
    that would hang, as a busy machine may be slow.
    """
    deadline = time.clock_gettime(time.CLOCK_MONOTONIC) + within
    while not condition():
        if time.clock_gettime(time.CLOCK_MONOTONIC) > deadline:
            raise AssertionError(f"condition not met within {within:g} s")
        await asyncio.sleep(0)
        await hass.async_block_till_done(wait_background_tasks=True)
