"""Poll round-trip per HTTP reader on loopback: HomeWizard v1 and v2 (HTTPS), EcoTracker, stromleser.one.

Run: .venv/bin/python -m benchmarks.http_readers
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp

from custom_components.local_energy.devices.client import DeviceClient, Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.ecotracker import EcoTrackerClient
from custom_components.local_energy.devices.homewizard import HomeWizardClient
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.stromleser import StromleserClient
from custom_components.local_energy.devices.udp import UdpHub
from simulators.ecotracker import EcoTrackerSimulator
from simulators.homewizard import HomeWizardSimulator, HomeWizardV2Simulator
from simulators.stromleser import StromleserSimulator

POLLS = 300


async def round_trips(fetch: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    await fetch()
    times = []
    for _ in range(POLLS):
        started = time.perf_counter()
        await fetch()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(POLLS * 0.99)] * 1000


async def main() -> None:
    print(f"HTTP readers, {POLLS} polls each on loopback (simulator in the same process)")
    async with aiohttp.ClientSession() as session:
        transports = Transports(http=session, modbus=ModbusPool(), udp=UdpHub())

        async def measure(label: str, client: DeviceClient, stop: Callable[[], Awaitable[None]]) -> None:
            p50, p99 = await round_trips(client.fetch)
            await stop()
            print(f"  {label:<38} p50 {p50:.2f} ms, p99 {p99:.2f} ms")

        v1 = HomeWizardSimulator()
        await v1.start()
        await measure(
            "HomeWizard P1, API v1 (HTTP)",
            HomeWizardClient(ConnectionConfig("127.0.0.1", v1.port), transports),
            v1.stop,
        )

        v2 = HomeWizardV2Simulator()
        await v2.start()
        HomeWizardClient.ca_pem = v2.ca_pem  # the simulator's test CA stands in for HomeWizard's
        v2.press_button()
        granted = await HomeWizardClient(
            ConnectionConfig("127.0.0.1", 80, tls_port=v2.port), transports
        ).pair()
        assert granted is not None
        config = ConnectionConfig("127.0.0.1", 80, tls_port=v2.port, token=granted["token"], serial=v2.serial)
        await measure("HomeWizard P1, API v2 (HTTPS, token)", HomeWizardClient(config, transports), v2.stop)

        eco = EcoTrackerSimulator()
        await eco.start()
        await measure(
            "EcoTracker", EcoTrackerClient(ConnectionConfig("127.0.0.1", eco.port), transports), eco.stop
        )

        strom = StromleserSimulator()
        strom.rate_limited = False  # measured without the device's 8 s limit, which a real poll respects
        await strom.start()
        await measure(
            "stromleser.one",
            StromleserClient(ConnectionConfig("127.0.0.1", strom.port), transports),
            strom.stop,
        )


if __name__ == "__main__":
    asyncio.run(main())
