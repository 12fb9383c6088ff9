"""Modbus RTU: on a serial line (a pseudo-terminal pair standing in for RS-485) and over TCP."""

from __future__ import annotations

import asyncio
import os
import termios

import pytest

from custom_components.local_energy.devices.acuvim import AcuvimClient
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.links import Framing, Parity, SerialLine
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.powerpack import PowerPackClient
from custom_components.local_energy.devices.smartme import SmartMeClient
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.acuvim import AcuvimSimulator
from simulators.modbus_server import ModbusSimulatorServer, SerialModbusSimulatorServer
from simulators.powerpack import PowerPackSimulator
from simulators.smartme import SmartMeSimulator


def acuvim_on(
    address: str, port: int, framing: Framing, transports: Transports, unit: int = 1
) -> AcuvimClient:
    config = ConnectionConfig(host=address, port=port, unit_id=unit, serial=f"AV2-{unit}", framing=framing)
    return AcuvimClient(config, transports)


async def test_acuvim_over_a_serial_line(transports: Transports) -> None:
    meter = AcuvimSimulator(framing="serial")
    await meter.start()
    assert meter.serial_server is not None
    client = acuvim_on(meter.serial_server.path, 0, Framing.SERIAL, transports)
    identity = await client.identify()
    assert identity.serial == "AV2-1"
    snapshot = await client.read()
    assert snapshot.channels[MAIN_CHANNEL].values[Key.FREQUENCY] == pytest.approx(50.0, abs=0.5)
    await client.close()
    await meter.stop()


async def test_acuvim_rtu_over_tcp(transports: Transports) -> None:
    meter = AcuvimSimulator(framing="rtu_over_tcp")
    await meter.start()
    client = acuvim_on("127.0.0.1", meter.port, Framing.RTU_OVER_TCP, transports)
    snapshot = await client.read()
    assert Key.POWER in snapshot.channels[MAIN_CHANNEL].values
    await client.close()
    # The same server does not understand Modbus TCP's header: a wrong framing is an error, not a value.
    impatient = Transports(http=transports.http, modbus=ModbusPool(timeout=0.3), udp=transports.udp)
    wrong = acuvim_on("127.0.0.1", meter.port, Framing.TCP, impatient)
    with pytest.raises(CannotConnect, match=r"no answer within 0\.3 s"):
        await wrong.read()
    await wrong.close()
    await meter.stop()


async def test_two_meters_on_one_bus_share_one_client(transports: Transports) -> None:
    first, second = AcuvimSimulator(unit_id=1), AcuvimSimulator(unit_id=2)
    second.state.frequency = 49.9
    second.publish()
    bus = SerialModbusSimulatorServer({1: first.registers, 2: second.registers})
    await bus.start()
    clients = [acuvim_on(bus.path, 0, Framing.SERIAL, transports, unit) for unit in (1, 2)]
    assert len(transports.modbus) == 1  # one serial port, one client
    # Both poll at once: the requests take turns on the line instead of colliding.
    snapshots = await asyncio.gather(*(client.read() for client in clients for _ in range(3)))
    frequencies = {round(float(s.channels[MAIN_CHANNEL].values[Key.FREQUENCY]), 1) for s in snapshots}
    assert frequencies == {round(first.state.frequency, 1), 49.9}
    for client in clients:
        await client.close()
    assert len(transports.modbus) == 0
    await bus.stop()


def test_serial_line_text() -> None:
    assert str(SerialLine()) == "9600 8N1"
    assert str(SerialLine(19200, Parity.EVEN, 8, 1)) == "19200 8E1"


async def test_smartme_and_powerpack_behind_a_serial_to_ethernet_converter(transports: Transports) -> None:
    pico, battery = SmartMeSimulator(pico=True), PowerPackSimulator()
    converters = [
        ModbusSimulatorServer({1: pico.registers}, rtu=True),
        ModbusSimulatorServer({1: battery.registers}, rtu=True),
    ]
    for converter in converters:
        await converter.start()
    clients = [
        SmartMeClient(
            ConnectionConfig("127.0.0.1", converters[0].port, unit_id=1, framing=Framing.RTU_OVER_TCP),
            transports,
        ),
        PowerPackClient(
            ConnectionConfig(
                "127.0.0.1", converters[1].port, unit_id=1, serial="PP-1", framing=Framing.RTU_OVER_TCP
            ),
            transports,
        ),
    ]
    for client in clients:
        await client.identify()
        assert (await client.read()).channels[MAIN_CHANNEL].values
        await client.close()
    for converter in converters:
        await converter.stop()


async def test_a_port_that_refuses_a_line_setting(
    transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyserial raises termios.error, not an OSError, when the adapter refuses a setting."""
    controller, port = os.openpty()  # a terminal the client opens as its adapter

    def refuse(*_args: object) -> None:
        raise termios.error(22, "Invalid argument")

    monkeypatch.setattr(termios, "tcsetattr", refuse)  # the adapter's driver, not our code
    client = acuvim_on(os.ttyname(port), 0, Framing.SERIAL, transports)
    with pytest.raises(CannotConnect, match=r"refused the line settings 9600 8N1 \(.*Invalid argument"):
        await client.identify()
    await client.close()
    os.close(port)
    os.close(controller)
