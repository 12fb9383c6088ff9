"""Shelly: requests per poll per device and poll round-trip on loopback, per generation and with auth.

Run: .venv/bin/python -m benchmarks.shelly_poll
"""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.shelly import ShellyClient
from custom_components.local_energy.devices.udp import UdpHub
from simulators.shelly import ShellySimulator

POLLS = 300
CASES = [
    ("SHEM-3", None, "Gen1 3EM"),
    ("SHEM-3", "pw", "Gen1 3EM, basic auth"),
    ("SPEM-003CEBEU", None, "Pro 3EM (Gen2)"),
    ("SPEM-003CEBEU", "pw", "Pro 3EM (Gen2), digest auth"),
    ("S3PL-00112EU", "pw", "Plug S Gen3, digest auth"),
]


async def measure(
    session: aiohttp.ClientSession, model: str, password: str | None
) -> tuple[float, float, float]:
    simulator = ShellySimulator(model, password=password)
    await simulator.start()
    transports = Transports(http=session, modbus=ModbusPool(), udp=UdpHub())
    client = ShellyClient(ConnectionConfig("127.0.0.1", simulator.port, password=password), transports)
    await client.identify()
    await client.fetch()
    simulator.requests.clear()
    times = []
    for _ in range(POLLS):
        started = time.perf_counter()
        await client.fetch()
        times.append(time.perf_counter() - started)
    await simulator.stop()
    times.sort()
    return len(simulator.requests) / POLLS, statistics.median(times) * 1000, times[int(POLLS * 0.99)] * 1000


async def main() -> None:
    print(f"Shelly, {POLLS} polls per device on loopback (simulator in the same process)")
    async with aiohttp.ClientSession() as session:
        for model, password, label in CASES:
            requests, p50, p99 = await measure(session, model, password)
            per_poll = f"{requests:.2f} requests per poll"
            print(f"  {label:<30} {per_poll}, round-trip p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
