"""A served meter under five batteries at 2 Hz: answer latency, the age of what is served, and CPU.

Run: .venv/bin/python -m benchmarks.served_meter [seconds]   (default 30)

One Home Assistant with a served meter entry at its defaults (but on loopback and free ports), its source a
power sensor that changes every second. Five batteries poll it twice a second from a child process (so the
CPU measured is Home Assistant's alone): two Hoymiles-style HTTP pollers on kept-alive connections (after
their discovery calls), two Marstek-style UDP pollers and an EcoTracker reader. The source's value is the
system's monotonic clock (modulo 10,000 s, in W), so each battery can tell how old the value it read is.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from contextlib import AsyncExitStack
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.harness import home_assistant, p50_p99_ms
from custom_components.local_energy.const import (
    CONF_LISTEN_HOST,
    CONF_MAC,
    CONF_POWER_SENSOR,
    DOMAIN,
    EMULATED_METER,
)
from custom_components.local_energy.emulation.personas import PERSONAS
from tests.conftest import free_tcp_port, free_udp_port

SOURCE = "sensor.grid_power"
WRAP = 10_000.0
"""The source's value is the monotonic clock modulo this (s), served as W."""


def stamp() -> float:
    """The monotonic clock as a power value (0.1 W = 0.1 s)."""
    return round(time.monotonic() % WRAP, 1)


# --- the child: five batteries ------------------------------------------------------------------------


async def batteries(http_port: int, udp_port: int, eco_port: int, seconds: float) -> None:
    from simulators.battery_clients import EcoTrackerPoller, HoymilesPoller, MarstekPoller

    clients = [
        HoymilesPoller("127.0.0.1", http_port, 0.5),
        HoymilesPoller("127.0.0.1", http_port, 0.5),
        MarstekPoller("127.0.0.1", udp_port, 0.5),
        MarstekPoller("127.0.0.1", udp_port, 0.5),
        EcoTrackerPoller("127.0.0.1", eco_port, 0.5),
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client.run(stop)) for client in clients]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    ages = [
        at % WRAP - power
        for client in clients
        for at, power in zip(client.polls.received, client.polls.powers, strict=True)
        if power is not None
    ]
    result = {
        "latencies": [latency for client in clients for latency in client.polls.latencies],
        "unserved": sum(1 for client in clients for power in client.polls.powers if power is None),
        "failures": sum(client.polls.failures for client in clients),
        "polls": [len(client.polls.latencies) for client in clients],
        "max_age": max(ages, default=0.0),
    }
    print(json.dumps(result), flush=True)


# --- the parent: Home Assistant -----------------------------------------------------------------------


async def run(seconds: float) -> str:
    async with AsyncExitStack() as stack:
        hass = await home_assistant(stack)
        ports = {persona.option: 0 for persona in PERSONAS}
        http_port, udp_port, eco_port = free_tcp_port(), free_udp_port(), free_tcp_port()
        ports.update({"pro3em_port": http_port, "udp_port": udp_port, "ecotracker_port": eco_port})
        hass.states.async_set(SOURCE, str(stamp()), {ATTR_UNIT_OF_MEASUREMENT: "W", "device_class": "power"})
        entry = MockConfigEntry(
            domain=DOMAIN,
            data={"family": EMULATED_METER, CONF_MAC: "AABBCC000042"},
            options={CONF_POWER_SENSOR: SOURCE, CONF_LISTEN_HOST: "127.0.0.1", **ports},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        changing = asyncio.create_task(_source(hass))
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.served_meter", "--batteries",
            str(http_port), str(udp_port), str(eco_port), str(seconds),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        cpu, wall = time.process_time(), time.perf_counter()
        output, _ = await child.communicate()
        share = (time.process_time() - cpu) / (time.perf_counter() - wall) * 100
        changing.cancel()
        result = json.loads(output)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop(force=True)
    p50, p99 = p50_p99_ms(result["latencies"])
    return (
        f"  five batteries at 2 Hz for {seconds:.0f} s: {sum(result['polls'])} answers, "
        f"p50 {p50:.2f} ms p99 {p99:.2f} ms, {result['unserved']} without a value, "
        f"{result['failures']} failed; the oldest value served {result['max_age']:.1f} s old (the source"
        f" reports every 1 s); Home Assistant's CPU {share:.2f} % of one core"
    )


async def _source(hass: Any) -> None:
    """The source reports every second; its value says when."""
    attributes = {ATTR_UNIT_OF_MEASUREMENT: "W", "device_class": "power"}
    while True:
        hass.states.async_set(SOURCE, str(stamp()), attributes)
        await asyncio.sleep(1.0)


def main() -> None:
    if sys.argv[1:2] == ["--batteries"]:
        http_port, udp_port, eco_port = map(int, sys.argv[2:5])
        asyncio.run(batteries(http_port, udp_port, eco_port, float(sys.argv[5])))
        return
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print("A served meter (Shelly Pro 3EM over HTTP and UDP, EcoTracker), its source changing every second:")
    print(asyncio.run(run(seconds)))


if __name__ == "__main__":
    main()
