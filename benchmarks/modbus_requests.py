"""Modbus requests per refresh for every Modbus device, counted on the simulator's side.

Run: .venv/bin/python -m benchmarks.modbus_requests
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from custom_components.local_energy.devices.acuvim import AcuvimClient
from custom_components.local_energy.devices.client import DeviceClient, Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.powerpack import PowerPackClient
from custom_components.local_energy.devices.smartme import SmartMeClient
from custom_components.local_energy.devices.udp import UdpHub
from simulators.acuvim import AcuvimSimulator
from simulators.modbus_server import RegisterMap
from simulators.powerpack import PowerPackSimulator
from simulators.smartme import SmartMeSimulator

REFRESHES = 100


async def measure(label: str, client: DeviceClient, registers: RegisterMap, values: int) -> None:
    await client.fetch()  # identification and one-time reads are not counted
    registers.reads.clear()
    started = time.perf_counter()
    for _ in range(REFRESHES):
        await client.fetch()
    elapsed = (time.perf_counter() - started) / REFRESHES * 1000
    per_refresh = len(registers.reads) / REFRESHES
    figures = f"{per_refresh:.0f} request(s) per refresh for {values} values, {elapsed:.2f} ms a refresh"
    print(f"  {label:<26} {figures}")
    await client.close()


async def main() -> None:
    print(f"Modbus requests per refresh, {REFRESHES} refreshes on loopback")
    async with aiohttp.ClientSession() as session:
        transports = Transports(http=session, modbus=ModbusPool(), udp=UdpHub())
        acuvim = AcuvimSimulator()
        meter, pico, battery = SmartMeSimulator(), SmartMeSimulator(pico=True), PowerPackSimulator()
        for simulator in (acuvim, meter, pico, battery):
            await simulator.start()

        def config(port: int, **extra: object) -> ConnectionConfig:
            return ConnectionConfig("127.0.0.1", port, unit_id=1, **extra)  # type: ignore[arg-type]

        await measure(
            "Acuvim II", AcuvimClient(config(acuvim.port, serial="x"), transports), acuvim.registers, 31
        )
        await measure("smart-me meter", SmartMeClient(config(meter.port), transports), meter.registers, 21)
        await measure("smart-me Pico", SmartMeClient(config(pico.port), transports), pico.registers, 25)
        await measure(
            "PowerPack", PowerPackClient(config(battery.port, serial="x"), transports), battery.registers, 5
        )
        for simulator in (acuvim, meter, pico, battery):
            await simulator.stop()


if __name__ == "__main__":
    asyncio.run(main())
