"""Shared fixtures: simulators on loopback sockets and Home Assistant config entries."""

from __future__ import annotations

import socket
from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.udp import UdpHub
from simulators.acuvim import AcuvimSimulator
from simulators.enistic import EnisticSimulator
from simulators.homewizard import HomeWizardSimulator


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Allow real sockets; Home Assistant's test plugin still limits connections to 127.0.0.1."""


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/local_energy."""


def free_udp_port() -> int:
    """A UDP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
async def transports() -> AsyncGenerator[Transports]:
    """The shared transports, outside Home Assistant."""
    async with aiohttp.ClientSession() as session:
        udp = UdpHub(bind_host="127.0.0.1")
        yield Transports(http=session, modbus=ModbusPool(), udp=udp)
        udp.close()
