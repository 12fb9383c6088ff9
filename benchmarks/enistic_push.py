"""Enistic push path: datagrams parsed per second, datagram -> Home Assistant state latency, CPU share.

Run: .venv/bin/python -m benchmarks.enistic_push
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
from custom_components.local_energy.const import CONF_UPDATE_INTERVAL, DOMAIN
from custom_components.local_energy.devices import enistic
from custom_components.local_energy.devices.enistic import parse_datagram
from simulators.enistic import CONTROLLER, EnisticSimulator
from tests.conftest import enistic_entry, free_udp_port

PARSE_DATAGRAMS = 200_000
LATENCY_SAMPLES = 200
CPU_CONTROLLERS = 20
CPU_SECONDS = 10.0
CPU_PERIOD = 0.1  # each controller sends a reading of each of its 5 meters every 100 ms


def parse_rate() -> float:
    datagram = f"{CONTROLLER}:Reading:0021ED0000041319:1234.567:1:1\r".encode()
    started = time.perf_counter()
    for _ in range(PARSE_DATAGRAMS):
        parse_datagram(datagram)
    return PARSE_DATAGRAMS / (time.perf_counter() - started)


async def add_entry(
    hass: HomeAssistant, simulator: EnisticSimulator, interval: float, serial: str
) -> MockConfigEntry:
    entry = enistic_entry(simulator, **{CONF_UPDATE_INTERVAL: interval})
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=serial, data={**entry.data, "serial": serial}, options=entry.options
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def latency(period: float) -> tuple[float, float, int]:
    """Send a changing reading every period; time until the socket's power state shows it."""
    async with AsyncExitStack() as stack:
        hass = await home_assistant(stack)
        simulator = EnisticSimulator(free_udp_port())
        await simulator.start()
        entry = await add_entry(hass, simulator, enistic.FAMILY.timing.minimum_interval, CONTROLLER)
        simulator.meters = simulator.meters[:1]
        sent_at: dict[str, float] = {}
        delays: list[float] = []

        @callback  # on the loop: a plain function would run in an executor thread
        def on_change(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            if state is not None and state.entity_id.endswith("_power") and state.state in sent_at:
                delays.append(time.perf_counter() - sent_at.pop(state.state))

        unsubscribe = hass.bus.async_listen("state_changed", on_change)
        for sample in range(LATENCY_SAMPLES + 1):
            power = 100.0 + sample
            simulator.meters[0].power = power
            sent_at[str(power)] = time.perf_counter()
            simulator.broadcast()
            await asyncio.sleep(period)
        await asyncio.sleep(0.3)
        unsubscribe()
        await hass.config_entries.async_unload(entry.entry_id)
        await simulator.stop()
        await hass.async_stop(force=True)
    return (*p50_p99_ms(delays[1:]), len(delays) - 1)  # the first reading creates the entities


SENDER = """
import asyncio, sys
from simulators.enistic import EnisticSimulator
async def main(port, controllers, period, seconds):
    sims = [EnisticSimulator(port, controller=f"00AA{n:08X}") for n in range(controllers)]
    for sim in sims:
        await sim.start()
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        for sim in sims:
            sim.broadcast()
        await asyncio.sleep(period)
    print(sum(sim.sent for sim in sims))
port, controllers, period, seconds = sys.argv[1:]
asyncio.run(main(int(port), int(controllers), float(period), float(seconds)))
"""


async def cpu_share() -> tuple[float, float, int, int]:
    """CPU of the Home Assistant process while 20 controllers broadcast, against the same process idle."""
    async with AsyncExitStack() as stack:
        hass = await home_assistant(stack)
        port = free_udp_port()
        placeholder = EnisticSimulator(port)
        entries = [await add_entry(hass, placeholder, 1.0, f"00AA{n:08X}") for n in range(CPU_CONTROLLERS)]
        idle, busy, output = await harness.cpu_share(
            SENDER, port, CPU_CONTROLLERS, CPU_PERIOD, CPU_SECONDS, quiet=CPU_SECONDS / 2
        )
        received = sum(entry.runtime_data.coordinator.client.datagrams for entry in entries)
        for entry in entries:
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop(force=True)
    return idle, busy, int(output or 0), received


async def main() -> None:
    print(f"Enistic: parsing        {parse_rate():,.0f} datagrams/s (one reading each, one core)")
    for period in (0.15, 0.02):
        p50, p99, count = await latency(period)
        print(
            f"Enistic: datagram -> state, interval 0.1 s (minimum), a reading every {period * 1000:.0f} ms: "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms ({count} samples)"
        )
    idle, busy, sent, received = await cpu_share()
    print(
        f"Enistic: {CPU_CONTROLLERS} controllers x 5 meters every {CPU_PERIOD * 1000:.0f} ms "
        f"({sent / CPU_SECONDS:,.0f} datagrams/s, {received}/{sent} received): "
        f"Home Assistant process {busy:.1f}% of one core, {idle:.1f}% idle, "
        f"{busy - idle:.1f}% for the integration"
    )


if __name__ == "__main__":
    asyncio.run(main())
