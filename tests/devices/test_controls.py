"""Controls: a setpoint guarded before any family sees it, and only the controls a family declares.

A small device with one int16 setpoint register, in W, speaks real Modbus to the register simulator.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from custom_components.local_energy.devices.client import DeviceClient, Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.contract import guard_setpoint
from custom_components.local_energy.devices.errors import CommandRejected
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.modbus import DataType, decode, encode
from custom_components.local_energy.devices.snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Snapshot,
    Value,
)
from simulators.modbus_server import ModbusSimulatorServer, RegisterMap

REGISTER = 100
TARGET = Control(Key.TARGET_POWER, ControlKind.NUMBER, minimum=-2000, maximum=2000, step=100)
MODE = Control(Key.OPERATING_MODE, ControlKind.SELECT, options=("auto", "manual"))
RELAY = Control(Key.RELAY, ControlKind.SWITCH)


class SetpointClient(DeviceClient):
    """A device with one int16 setpoint register, in W."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection = self.transports.modbus.acquire(self.config.modbus_link)
        self.applied: list[Value] = []

    async def identify(self) -> DeviceIdentity:
        return DeviceIdentity(vendor="Test", model="Setpoint device", serial="SP-1")

    async def fetch(self) -> Snapshot:
        block = await self.connection.read_holding(1, REGISTER, 1)
        value = decode(block.words, DataType.INT16)
        return Snapshot(
            {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, {Key.TARGET_POWER: value}, controls=(TARGET,))}
        )

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        self.applied.append(value)
        await self.connection.write_registers(1, REGISTER, encode(int(float(value)), DataType.INT16))

    async def close(self) -> None:
        await self.transports.modbus.release(self.connection)


@pytest.fixture
async def registers() -> AsyncGenerator[RegisterMap]:
    """The device's registers: -500 W set; writing 1500 W is answered with exception 3."""
    registers = RegisterMap()
    registers.set_words(REGISTER, [encode(-500, DataType.INT16)[0]])
    registers.write_hook = lambda _address, words: 3 if decode(words, DataType.INT16) == 1500 else None  # type: ignore[assignment,return-value]
    server = ModbusSimulatorServer({1: registers})
    await server.start()
    registers.port = server.port  # type: ignore[attr-defined]
    yield registers
    await server.stop()


def client_for(registers: RegisterMap, transports: Transports, *, declared: bool) -> SetpointClient:
    """The device's client, as an entry makes it: told which controls its family declares."""
    client = SetpointClient(ConnectionConfig(host="127.0.0.1", port=registers.port), transports)  # type: ignore[attr-defined]
    client.declared_controls = frozenset({Key.TARGET_POWER} if declared else ())
    return client


@pytest.mark.parametrize(
    ("asked", "sent"), [(800, 800.0), (850, 800.0), (-1999, -1900.0), (0.3, 0.0), (2000, 2000.0)]
)
def test_a_number_is_rounded_toward_zero_to_its_step(asked: float, sent: float) -> None:
    assert guard_setpoint(TARGET, asked) == sent


@pytest.mark.parametrize(
    ("asked", "reason"),
    [(math.nan, "not_finite"), (math.inf, "not_finite"), (True, "not_finite"), ("800", "not_finite"),
     (2001, "above_maximum"), (-5000, "below_minimum")],
)  # fmt: skip
def test_a_number_that_is_not_finite_or_out_of_bounds_is_refused(asked: Value, reason: str) -> None:
    with pytest.raises(CommandRejected) as refused:
        guard_setpoint(TARGET, asked)
    assert refused.value.reason == reason


def test_switches_take_a_flag_and_selects_one_of_their_options() -> None:
    assert guard_setpoint(RELAY, False) is False
    assert guard_setpoint(MODE, "manual") == "manual"
    with pytest.raises(CommandRejected):
        guard_setpoint(RELAY, 1)
    with pytest.raises(CommandRejected) as refused:
        guard_setpoint(MODE, "turbo")
    assert refused.value.reason == "not_an_option"


async def test_a_setpoint_is_guarded_before_the_family_sends_it(
    registers: RegisterMap, transports: Transports
) -> None:
    client = client_for(registers, transports, declared=True)
    await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 850)
    assert client.applied == [800.0]
    assert registers.writes == [(REGISTER, [800])]
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 5000)
    with pytest.raises(CommandRejected, match="illegal data value"):  # the device's own refusal
        await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 1500)
    assert client.applied == [800.0, 1500.0]  # nothing out of bounds reached the family
    assert (await client.read()).value(MAIN_CHANNEL, Key.TARGET_POWER) == 800
    await client.close()


async def test_a_control_its_family_does_not_declare_is_neither_offered_nor_written(
    registers: RegisterMap, transports: Transports, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(registers, transports, declared=False)
    for _ in range(2):
        assert (await client.read()).channels[MAIN_CHANNEL].controls == ()
    assert sum("does not declare" in record.message for record in caplog.records) == 1
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.TARGET_POWER, 100.0)
    assert registers.writes == []
    await client.close()
