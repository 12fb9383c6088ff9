"""PowerPack against the register simulator: block read, retries, the ready rule, exceptions, restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest
from pymodbus.constants import ExcCodes

from custom_components.local_energy.devices import powerpack
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect, CommandRejected
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.links import Framing, ModbusLink
from custom_components.local_energy.devices.modbus import ModbusExceptionResponse, ModbusWriteRejected
from custom_components.local_energy.devices.powerpack import (
    REG_TARGET_POWER,
    PowerPackClient,
    PowerPackSettings,
)
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.modbus_server import RegisterMap
from simulators.powerpack import PowerPackSimulator


@pytest.fixture
async def battery(monkeypatch: pytest.MonkeyPatch) -> AsyncGenerator[PowerPackSimulator]:
    monkeypatch.setattr(powerpack, "BACKOFF_SECONDS", 0.01)
    simulator = PowerPackSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


def client_for(battery: PowerPackSimulator, transports: Transports) -> PowerPackClient:
    config = ConnectionConfig(host="127.0.0.1", port=battery.port, unit_id=1, serial="PP-500-01")
    return PowerPackClient(config, transports, PowerPackSettings(rated_power=50))


async def test_values_in_one_request(battery: PowerPackSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    assert (await client.identify()).serial == "PP-500-01"
    battery.registers.reads.clear()
    snapshot = await client.read()
    assert battery.registers.reads == [(2000, 29)]
    values = snapshot.channels[MAIN_CHANNEL].values
    assert values == {
        Key.SYSTEM_STATUS: 1,
        Key.TARGET_POWER: -25000.0,  # discharging: negative, as in our sign convention
        Key.COMMAND_SOURCE: "2",
        Key.STATE_OF_ENERGY: 62,
        Key.AVAILABLE_BLOCKS: 4,
    }
    target = next(c for c in snapshot.channels[MAIN_CHANNEL].controls if c.key is Key.TARGET_POWER)
    assert (target.minimum, target.maximum, target.step) == (-50000, 50000, 1000)
    await client.close()


async def test_target_power_written_when_ready(battery: PowerPackSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 30000.0)  # charge 30 kW
    assert battery.registers.writes == [(REG_TARGET_POWER, [30])]
    await client.write(MAIN_CHANNEL, Key.TARGET_POWER, -12000.0)
    assert battery.target_kw == -12
    await client.write(MAIN_CHANNEL, Key.COMMAND_SOURCE, "3")
    assert (await client.read()).value(MAIN_CHANNEL, Key.COMMAND_SOURCE) == "3"
    await client.close()


async def test_not_ready_or_beyond_rating_is_refused(
    battery: PowerPackSimulator, transports: Transports
) -> None:
    client = client_for(battery, transports)
    with pytest.raises(CommandRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 60000.0)
    assert caught.value.reason == "above_maximum"
    battery.set_status(3)
    with pytest.raises(CommandRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 10000.0)
    assert (caught.value.reason, caught.value.placeholders) == ("not_ready", {"status": "3"})
    assert battery.registers.writes == []
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.STATE_OF_ENERGY, 5)
    await client.close()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(ExcCodes.ILLEGAL_FUNCTION, "modbus_exception_1"), (ExcCodes.ILLEGAL_ADDRESS, "modbus_exception_2"),
     (ExcCodes.ILLEGAL_VALUE, "modbus_exception_3"), (ExcCodes.DEVICE_FAILURE, "modbus_exception_4")],
)  # fmt: skip
async def test_write_exceptions_are_typed(
    battery: PowerPackSimulator, transports: Transports, code: ExcCodes, reason: str
) -> None:
    battery.registers.write_hook = lambda _address, _words: code
    client = client_for(battery, transports)
    with pytest.raises(ModbusWriteRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.COMMAND_SOURCE, "1")
    assert caught.value.reason == reason
    assert caught.value.placeholders == {"code": f"0x{int(code):02X}"}
    await client.close()


async def test_reads_retry_a_device_that_recovers(
    battery: PowerPackSimulator, transports: Transports
) -> None:
    battery.registers.fail_with, battery.registers.failures_left = ExcCodes.DEVICE_FAILURE, 2
    client = client_for(battery, transports)
    assert (await client.read()).value(MAIN_CHANNEL, Key.STATE_OF_ENERGY) == 62
    assert client.retries == 2
    battery.registers.fail_with = ExcCodes.ILLEGAL_ADDRESS  # not transient: no retry
    with pytest.raises(ModbusExceptionResponse):
        await client.read()
    assert client.retries == 2
    await client.close()


async def test_restart_reconnects(battery: PowerPackSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    await client.read()
    await battery.stop()
    with pytest.raises(CannotConnect):
        await client.read()
    assert client.retries == 2
    await battery.start()
    assert (await client.read()).value(MAIN_CHANNEL, Key.AVAILABLE_BLOCKS) == 4
    await client.close()


async def test_retries_do_not_hold_up_other_devices_on_the_connection(
    transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PowerPack and another unit behind the same gateway share one connection."""
    monkeypatch.setattr(powerpack, "BACKOFF_SECONDS", 0.2)
    battery = PowerPackSimulator()
    neighbour = RegisterMap()
    neighbour.set_words(0, [7])
    battery.server.units[2] = neighbour
    await battery.start()
    battery.registers.fail_with, battery.registers.failures_left = ExcCodes.DEVICE_FAILURE, 2
    client = client_for(battery, transports)
    connection = transports.modbus.acquire(ModbusLink(Framing.TCP, "127.0.0.1", battery.port))
    finished: list[str] = []

    async def battery_read() -> None:
        await client.read()  # fails twice, backs off 0.2 s then 0.4 s
        finished.append("battery")

    async def neighbour_read() -> None:
        await asyncio.sleep(0.05)  # while the battery is backing off
        assert (await connection.read_holding(2, 0, 1)).words == (7,)
        finished.append("neighbour")

    await asyncio.gather(battery_read(), neighbour_read())
    assert finished == ["neighbour", "battery"]
    await transports.modbus.release(connection)
    await client.close()
    await battery.stop()
