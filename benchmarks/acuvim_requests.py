"""Acuvim II: Modbus requests per refresh, ours (block reads) against one request per value.

Run: .venv/bin/python -m benchmarks.acuvim_requests
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from custom_components.local_energy.devices.acuvim import MEASUREMENTS, AcuvimClient
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.links import Framing, ModbusLink
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.udp import UdpHub
from simulators.acuvim import AcuvimSimulator

REFRESHES = 200


async def main() -> None:
    simulator = AcuvimSimulator()
    await simulator.start()
    async with aiohttp.ClientSession() as session:
        transports = Transports(http=session, modbus=ModbusPool(), udp=UdpHub())
        client = AcuvimClient(
            ConnectionConfig("127.0.0.1", simulator.port, unit_id=1, serial="bench"), transports
        )
        await client.fetch()  # settings, read once per connection
        connection = transports.modbus.acquire(ModbusLink(Framing.TCP, "127.0.0.1", simulator.port))
        before = connection.requests
        started = time.perf_counter()
        for _ in range(REFRESHES):
            await client.fetch()
        ours = time.perf_counter() - started
        ours_requests = (connection.requests - before) / REFRESHES

        before = connection.requests
        started = time.perf_counter()
        for _ in range(REFRESHES):
            for value in MEASUREMENTS:
                await connection.read_holding(1, value.address, value.data_type.width)
        naive = time.perf_counter() - started
        naive_requests = (connection.requests - before) / REFRESHES
        await transports.modbus.release(connection)
        await client.close()
    await simulator.stop()
    print(f"Acuvim II, {len(MEASUREMENTS)} values, {REFRESHES} refreshes on loopback")
    print(
        f"  requests per refresh: ours {ours_requests:.0f}, one per value {naive_requests:.0f} "
        f"({naive_requests / ours_requests:.0f}x fewer)"
    )
    print(
        f"  refresh time:         ours {ours / REFRESHES * 1000:.2f} ms, one per value "
        f"{naive / REFRESHES * 1000:.2f} ms ({naive / ours:.1f}x faster)"
    )


if __name__ == "__main__":
    asyncio.run(main())
