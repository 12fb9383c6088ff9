"""Iskra gateway with 18 devices behind it: REST requests per refresh, and the time a refresh takes.

Run: .venv/bin/python -m benchmarks.iskra_gateway
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from custom_components.local_energy.devices import iskra
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.iskra import IskraClient
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.udp import UdpHub
from simulators.iskra import IskraGatewaySimulator, Meter

REFRESHES = 60  # a whole number of device-list and counter cycles


async def main() -> None:
    gateway = IskraGatewaySimulator()
    gateway.meters = [
        Meter("IE38MD", f"7900{n:04d}", "Left IR" if n == 0 else f"RS485 {33 + n}") for n in range(18)
    ]
    await gateway.start()
    async with aiohttp.ClientSession() as session:
        client = IskraClient(
            ConnectionConfig("127.0.0.1", gateway.port), Transports(session, ModbusPool(), UdpHub())
        )
        await client.fetch()
        gateway.requests.clear()
        started = time.perf_counter()
        for _ in range(REFRESHES):
            await client.fetch()
        elapsed = (time.perf_counter() - started) / REFRESHES * 1000
    await gateway.stop()
    per_refresh = len(gateway.requests) / REFRESHES
    every_time = 18 * 2 + 2  # measurement + counter per meter, device list, Bicoms
    print("Iskra gateway, 18 meters + 2 Bicoms, loopback")
    print(
        f"  REST requests per refresh: {per_refresh:.1f} on average "
        f"(measurements every refresh, counters every {iskra.COUNTERS_EVERY}, device list every "
        f"{iskra.DEVICE_LIST_EVERY}); reading everything every time: {every_time} "
        f"({every_time / per_refresh:.1f}x)"
    )
    print(f"  refresh time: {elapsed:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
