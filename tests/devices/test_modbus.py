"""The shared Modbus transport: decoding, read planning, one connection per host:port."""

from __future__ import annotations

import asyncio
import logging

import pytest

from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.links import Framing, ModbusLink
from custom_components.local_energy.devices.modbus import (
    DataType,
    ModbusConnection,
    ModbusPool,
    ModbusWriteRejected,
    RegisterBlock,
    Registers,
    decode,
    encode,
    plan_reads,
)
from simulators.modbus_server import ModbusSimulatorServer, RegisterMap


@pytest.mark.parametrize(
    ("words", "data_type", "low_first", "expected"),
    [
        ([0xFFFF], DataType.INT16, False, -1),
        ([0xFFFF], DataType.UINT16, False, 65535),
        ([0x0001, 0x0002], DataType.UINT32, False, 0x00010002),
        ([0x0002, 0x0001], DataType.UINT32, True, 0x00010002),
        ([0xFFFF, 0xFFFE], DataType.INT32, False, -2),
        ([0x4248, 0x0000], DataType.FLOAT32, False, 50.0),
        ([0x0000, 0x4248], DataType.FLOAT32, True, 50.0),
    ],
)
def test_decode(words: list[int], data_type: DataType, low_first: bool, expected: float) -> None:
    assert decode(words, data_type, low_word_first=low_first) == expected
    assert encode(expected, data_type, low_word_first=low_first) == words


def test_manual_example_frame() -> None:
    """The Acuvim manual's example answer: F = 50.00 Hz, V1 = 99.9 V, V2 = 100.1 V."""
    block = RegisterBlock(0x4000, (0x4248, 0x0000, 0x42C7, 0xCCCD, 0x42C8, 0x3333))
    assert block.read(0x4000, DataType.FLOAT32) == pytest.approx(50.0)
    assert block.read(0x4002, DataType.FLOAT32) == pytest.approx(99.9, abs=1e-4)
    assert block.read(0x4004, DataType.FLOAT32) == pytest.approx(100.1, abs=1e-4)
    with pytest.raises(KeyError):
        Registers((block,)).read(0x4006, DataType.FLOAT32)


def test_plan_reads() -> None:
    assert plan_reads([(10, 2), (12, 2), (20, 1)]) == [(10, 4), (20, 1)]
    assert plan_reads([(10, 2), (20, 1)], max_gap=8) == [(10, 11)]
    assert plan_reads([(0, 100), (100, 50)]) == [(0, 100), (100, 50)]  # 150 > 125 registers
    assert plan_reads([(5, 2), (0, 2), (1, 2)]) == [(0, 3), (5, 2)]
    assert plan_reads([]) == []


async def test_pool_shares_one_connection_per_host_port() -> None:
    pool = ModbusPool()
    first = pool.acquire(ModbusLink(Framing.TCP, "127.0.0.1", 1502))
    assert pool.acquire(ModbusLink(Framing.TCP, "127.0.0.1", 1502)) is first
    assert pool.acquire(ModbusLink(Framing.TCP, "127.0.0.1", 1503)) is not first
    assert len(pool) == 2
    await pool.release(first)
    assert len(pool) == 2
    await pool.release(first)
    await pool.release(first)  # released twice: ignored
    assert len(pool) == 1


async def test_concurrent_requests_are_serialized() -> None:
    registers = RegisterMap()
    registers.set_words(0, list(range(10)))
    other = RegisterMap()
    other.set_words(0, [7])
    server = ModbusSimulatorServer({1: registers, 2: other})
    await server.start()
    connection = ModbusConnection(ModbusLink(Framing.TCP, "127.0.0.1", server.port))
    results = await asyncio.gather(*(connection.read_holding(1 + i % 2, 0, 1) for i in range(20)))
    assert {block.words for block in results} == {(0,), (7,)}
    assert connection.requests == 20
    await connection.close()
    await server.stop()


async def test_writes_and_refusals() -> None:
    registers = RegisterMap()
    registers.set_words(100, [0, 0])
    registers.write_hook = lambda address, words: 3 if words[0] > 1000 else None  # type: ignore[assignment,return-value]
    server = ModbusSimulatorServer({1: registers})
    await server.start()
    connection = ModbusConnection(ModbusLink(Framing.TCP, "127.0.0.1", server.port))
    await connection.write_registers(1, 100, [42])
    await connection.write_registers(1, 100, [1, 2])
    assert registers.writes == [(100, [42]), (100, [1, 2])]
    with pytest.raises(ModbusWriteRejected) as caught:
        await connection.write_registers(1, 100, [5000])
    assert caught.value.code == 3
    with pytest.raises(ModbusWriteRejected):
        await connection.write_registers(1, 300, [1])
    await connection.close()
    await server.stop()


async def test_a_device_that_never_answers_says_so(caplog: pytest.LogCaptureFixture) -> None:
    """A timeout names its reason in one line of ours (pymodbus logs an error of its own for each)."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # takes the request, answers nothing
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = ModbusConnection(ModbusLink(Framing.TCP, "127.0.0.1", port), timeout=0.2)
    with pytest.raises(CannotConnect, match=r"unit 1: no answer within 0\.2 s$"):
        await connection.read_holding(1, 0, 2)
    assert not [r for r in caplog.records if r.name.startswith("pymodbus") and r.levelno >= logging.WARNING]
    await connection.close()
    server.close()
    await server.wait_closed()
