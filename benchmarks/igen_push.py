"""IGEN push path: datagrams parsed per second; 20 meters at 150 ms: datagram -> state latency and CPU share.

Run: .venv/bin/python -m benchmarks.igen_push
Everything runs on 127.0.0.1 inside a real Home Assistant core (the test harness's instance, no frontend).
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks import harness
from benchmarks.harness import home_assistant, p50_p99_ms
from custom_components.local_energy.const import CONF_PUSH_PORT, CONF_UPDATE_INTERVAL, DOMAIN
from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.igen import parse_packet, parse_values
from simulators.igen import IgenDevice, IgenSimulator
from tests.conftest import free_udp_port

METERS = 20
PERIOD = 0.15
SECONDS = 10.0
PARSES = 50_000


def serial(n: int) -> str:
    return f"D850BD20A3{n:06d}"


def parse_rate() -> float:
    datagram = IgenDevice("meter", serial(0)).broadcast()
    started = time.perf_counter()
    for _ in range(PARSES):
        parse_values(parse_packet(datagram)[1])
    return PARSES / (time.perf_counter() - started)


async def start(
    stack: AsyncExitStack, port: int, interval: float = igen.FAMILY.timing.minimum_interval
) -> tuple[HomeAssistant, IgenSimulator, list[MockConfigEntry]]:
    hass = await home_assistant(stack)
    simulator = IgenSimulator(port, [IgenDevice("meter", serial(n)) for n in range(METERS)])
    await simulator.start()
    entries = []
    for n in range(METERS):
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=serial(n),
            data={
                "family": "igen",
                "host": "127.0.0.1",
                "port": simulator.http_port,
                "serial": serial(n),
                CONF_PUSH_PORT: port,
            },
            options={CONF_UPDATE_INTERVAL: interval},
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        entries.append(entry)
    await hass.async_block_till_done()
    return hass, simulator, entries


async def latency() -> tuple[float, float, int]:
    """All 20 meters broadcast every 150 ms; meter 0's power changes each time: time to its state."""
    async with AsyncExitStack() as stack:
        hass, simulator, entries = await start(stack, free_udp_port())
        sent_at: dict[str, float] = {}
        delays: list[float] = []

        @callback  # on the loop: a plain function would run in an executor thread
        def on_change(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            if state is not None and state.entity_id.endswith("_power") and state.state in sent_at:
                delays.append(time.perf_counter() - sent_at.pop(state.state))

        unsubscribe = hass.bus.async_listen("state_changed", on_change)
        for step in range(int(SECONDS / PERIOD)):
            simulator.devices[0].power = 1000.0 + step
            sent_at[f"{1000.0 + step}"] = time.perf_counter()
            for device in simulator.devices:
                simulator.send(device)
            await asyncio.sleep(PERIOD)
        await asyncio.sleep(0.3)
        unsubscribe()
        for entry in entries:
            await hass.config_entries.async_unload(entry.entry_id)
        await simulator.stop()
        await hass.async_stop(force=True)
    return (*p50_p99_ms(delays[1:]), len(delays) - 1)


SENDER = """
import asyncio, sys
from simulators.igen import IgenDevice, IgenSimulator
async def main(port, meters, period, seconds):
    sim = IgenSimulator(port, [IgenDevice("meter", f"D850BD20A3{n:06d}") for n in range(meters)])
    await sim.start()
    loop = asyncio.get_running_loop()
    end, sent = loop.time() + seconds, 0
    while loop.time() < end:
        for device in sim.devices:
            sim.send(device); sent += 1
        await asyncio.sleep(period)
    print(sent)
port, meters, period, seconds = sys.argv[1:]
asyncio.run(main(int(port), int(meters), float(period), float(seconds)))
"""


async def cpu_share(interval: float) -> tuple[float, float, int, int]:
    async with AsyncExitStack() as stack:
        port = free_udp_port()
        hass, simulator, entries = await start(stack, port, interval)
        idle, busy, output = await harness.cpu_share(SENDER, port, METERS, PERIOD, SECONDS, quiet=SECONDS / 2)
        received = sum(entry.runtime_data.coordinator.client.datagrams for entry in entries)
        for entry in entries:
            await hass.config_entries.async_unload(entry.entry_id)
        await simulator.stop()
        await hass.async_stop(force=True)
    return idle, busy, int(output or 0), received


async def main() -> None:
    print(f"IGEN: parsing            {parse_rate():,.0f} datagrams/s (header + JSON + values, one core)")
    p50, p99, count = await latency()
    print(
        f"IGEN: {METERS} meters every {PERIOD * 1000:.0f} ms, entries at the 0.15 s minimum: "
        f"datagram -> state p50 {p50:.1f} ms, p99 {p99:.1f} ms ({count} samples)"
    )
    for interval in (igen.FAMILY.timing.minimum_interval, igen.FAMILY.timing.default_interval):
        idle, busy, sent, received = await cpu_share(interval)
        print(
            f"IGEN: {METERS} meters every {PERIOD * 1000:.0f} ms, entries at {interval:g} s "
            f"({sent / SECONDS:,.0f} datagrams/s, {received}/{sent} received): Home Assistant process "
            f"{busy:.1f}% of one core; {idle:.1f}% before the broadcasts started"
        )


if __name__ == "__main__":
    asyncio.run(main())
