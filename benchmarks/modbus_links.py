"""One Acuvim II refresh over each Modbus link: Modbus TCP, RTU over TCP, RTU on a 9600-baud serial line.

The serial line is a pseudo-terminal pair: it has no baud rate of its own, so the figure is the cost of the
RTU stack, and that two meters on one bus take turns (twice the time). On a real 9600-baud line the
80-register answer alone is 165 bytes, about 170 ms at 1.04 ms a byte (8N1).

Run: .venv/bin/python -m benchmarks.modbus_links
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from custom_components.local_energy.devices.acuvim import AcuvimClient
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.links import Framing
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.udp import UdpHub
from simulators.acuvim import AcuvimSimulator
from simulators.modbus_server import SerialModbusSimulatorServer

REFRESHES = 20


def _client(transports: Transports, host: str, port: int, framing: Framing, unit: int = 1) -> AcuvimClient:
    config = ConnectionConfig(host, port, unit_id=unit, serial=f"bench-{unit}", framing=framing)
    return AcuvimClient(config, transports)


async def _per_refresh(clients: list[AcuvimClient]) -> float:
    for client in clients:
        await client.fetch()  # settings, once per connection
    started = time.perf_counter()
    for _ in range(REFRESHES):
        await asyncio.gather(*(client.fetch() for client in clients))
    return (time.perf_counter() - started) / REFRESHES * 1000


async def main() -> None:
    tcp, rtu = AcuvimSimulator(), AcuvimSimulator(framing="rtu_over_tcp")
    first, second = AcuvimSimulator(unit_id=1), AcuvimSimulator(unit_id=2)
    bus = SerialModbusSimulatorServer({1: first.registers, 2: second.registers})
    for server in (tcp, rtu):
        await server.start()
    await bus.start()
    async with aiohttp.ClientSession() as session:
        transports = Transports(http=session, modbus=ModbusPool(), udp=UdpHub())
        cases = {
            "Modbus TCP": [_client(transports, "127.0.0.1", tcp.port, Framing.TCP)],
            "RTU over TCP": [_client(transports, "127.0.0.1", rtu.port, Framing.RTU_OVER_TCP)],
            "RTU, 9600 baud, 1 meter": [_client(transports, bus.path, 0, Framing.SERIAL)],
            "RTU, 9600 baud, 2 meters on one bus": [
                _client(transports, bus.path, 0, Framing.SERIAL, unit) for unit in (1, 2)
            ],
        }
        print(f"Acuvim II refresh (80 registers in one read), {REFRESHES} refreshes each")
        for label, clients in cases.items():
            milliseconds = await _per_refresh(clients)
            print(f"  {label:<36} {milliseconds:7.1f} ms per refresh of every meter")
            for client in clients:
                await client.close()
    await bus.stop()
    for server in (tcp, rtu):
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
