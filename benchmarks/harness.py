"""Shared by the push benchmarks: a real Home Assistant core on loopback, percentiles, CPU share."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from contextlib import AsyncExitStack

import aiohttp
from homeassistant import loader
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_test_home_assistant

from custom_components.local_energy import discovery
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.udp import UdpHub
from custom_components.local_energy.transports import DATA_TRANSPORTS
from tests.conftest import free_udp_port


async def home_assistant(stack: AsyncExitStack) -> HomeAssistant:
    """The test harness's Home Assistant (no frontend) with Local Energy loadable.

    It gets a plain HTTP session (the bare harness has no network stack for Home Assistant's own) and
    listens for IGEN discovery on a free port rather than 8088.
    """
    discovery.LISTEN_PORTS["igen"] = free_udp_port()
    hass = await stack.enter_async_context(async_test_home_assistant())
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
    session = await stack.enter_async_context(aiohttp.ClientSession())
    hass.data[DATA_TRANSPORTS] = Transports(http=session, modbus=ModbusPool(), udp=UdpHub())
    return hass


def p50_p99_ms(seconds: list[float]) -> tuple[float, float]:
    """Median and 99th percentile, in ms."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def share_while_waiting(seconds: float) -> float:
    """The share of one core (1.0: all of it) this process used while it waited `seconds`."""
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def cpu_share(sender: str, *args: object, quiet: float) -> tuple[float, float, str]:
    """This process's CPU (% of one core) for `quiet` seconds, then while a sender script runs elsewhere."""
    idle = await share_while_waiting(quiet)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", sender, *map(str, args), stdout=subprocess.PIPE
    )
    cpu, wall = time.process_time(), time.perf_counter()
    output, _ = await process.communicate()
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return idle * 100, busy * 100, output.decode().strip()
