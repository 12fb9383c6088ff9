"""Shared by the push benchmarks: a real Home Assistant core on loopback, percentiles, CPU share."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
from homeassistant import loader
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

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


async def cpu_ms_per_minute(seconds: float) -> float:
    """This process's CPU while it waits `seconds`, in ms a minute."""
    return await share_while_waiting(seconds) * 60_000


async def entries_cpu(hass: HomeAssistant, entries: list[MockConfigEntry], seconds: float) -> float:
    """CPU (ms a minute) with these entries loaded and settled; they are removed after."""
    for entry in entries:
        entry.add_to_hass(hass)
    await asyncio.gather(*(hass.config_entries.async_setup(entry.entry_id) for entry in entries))
    await hass.async_block_till_done()
    await asyncio.sleep(5)  # connected and settled
    used = await cpu_ms_per_minute(seconds)
    for entry in entries:
        await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    return used


type Devices = list[dict[str, Any]]
type EntriesOf = Callable[[str, Devices], list[MockConfigEntry]]
type WhyNot = Callable[[HomeAssistant, str], Awaitable[str]]


async def contenders_cpu(
    module: str,
    count: int,
    seconds: float,
    order: Sequence[str],
    entries_of: EntriesOf,
    why_not: WhyNot,
) -> tuple[list[str], dict[str, list[float]]]:
    """Each contender's CPU above idle, in ms per device and minute, one phase per label of `order`.

    The simulators run in a child process (`python -m module --serve count` prints them as JSON), so the
    CPU measured is Home Assistant's alone. A contender that cannot run here (why_not gives the reason)
    is left out, with a line that says why.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, "--serve", str(count), stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    devices = json.loads(await child.stdout.readline())
    lines: list[str] = []
    figures: dict[str, list[float]] = {}
    left_out: set[str] = set()
    try:
        async with AsyncExitStack() as stack:
            hass = await home_assistant(stack)
            idle = await cpu_ms_per_minute(seconds)
            lines.append(f"  idle Home Assistant: {idle:.0f} ms of CPU a minute")
            for label in order:
                if label in left_out:
                    continue
                if why := await why_not(hass, label):
                    lines.append(f"  {label}: {why}")
                    left_out.add(label)
                    continue
                used = await entries_cpu(hass, entries_of(label, devices), seconds)
                figures.setdefault(label, []).append((used - idle) / count)
            await hass.async_stop(force=True)
    finally:
        child.terminate()
        await child.wait()
    return lines, figures


def contenders_main(
    serve: Callable[[int], Awaitable[None]],
    run: Callable[[int, float], Awaitable[list[str]]],
    heading: Callable[[int, float], str],
) -> None:
    """A contender benchmark's command line: `--serve N` runs its simulators, else `[devices] [seconds]`."""
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve(int(sys.argv[2])))
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    print(heading(count, seconds))
    for line in asyncio.run(run(count, seconds)):
        print(line)
