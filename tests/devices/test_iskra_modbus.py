"""Iskra over Modbus TCP against the gateway simulator: number formats, blocks, counters, reverse flag."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse
from custom_components.local_energy.devices.iskra_modbus import (
    IskraModbusClient,
    IskraModbusSettings,
    decode_wm_counters,
    t5,
    t6,
    t7,
)
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.modbus import RegisterBlock
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.iskra_modbus import GATEWAY_ADDRESS, IskraModbusSimulator, t5_words, t7_words


@pytest.fixture
async def gateway() -> AsyncGenerator[IskraModbusSimulator]:
    simulator = IskraModbusSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


def client_for(
    gateway: IskraModbusSimulator,
    transports: Transports,
    unit: int = GATEWAY_ADDRESS,
    members: tuple[int, ...] = (33, 35),
) -> IskraModbusClient:
    config = ConnectionConfig(host="127.0.0.1", port=gateway.port, unit_id=unit)
    return IskraModbusClient(config, transports, IskraModbusSettings(members))


def test_number_formats() -> None:
    assert t5([0xFD03, 0x8270]) == pytest.approx(230.0)  # exponent -3, mantissa 230000
    assert t6(t5_words(-2310.0)) == pytest.approx(-2310.0)
    assert t6(t5_words(1520.0)) == pytest.approx(1520.0)
    assert t7(t7_words(0.98, export=True)) == pytest.approx(0.98)


async def test_gateway_and_its_meters(gateway: IskraModbusSimulator, transports: Transports) -> None:
    client = client_for(gateway, transports)
    identity = await client.identify()
    assert (identity.model, identity.serial, identity.firmware) == ("SG-E1", "SG000002", "2.10")
    snapshot = await client.read()
    assert sorted(snapshot.channels) == ["", "58000002", "79000001"]
    three = snapshot.channels["79000001"].values
    assert three[Key.POWER] == pytest.approx(-380.0)
    assert three[Key.POWER_L2] == pytest.approx(-2310.0)
    assert three[Key.VOLTAGE_L3] == pytest.approx(232.1)
    assert three[Key.POWER_ANGLE_L1] == -11.5
    assert three[Key.TEMPERATURE] == 31.5
    assert three[Key.THD_CURRENT_L2] == 7.4
    assert three[Key.ENERGY_IMPORT] == pytest.approx(12345.678)  # IMPACT float counter, Wh -> kWh
    assert three[Key.REACTIVE_ENERGY_EXPORT] == pytest.approx(1234.5)
    single = snapshot.channels["58000002"].values
    assert Key.POWER_L2 not in single
    assert single[Key.RESETTABLE_ENERGY_IMPORT] == pytest.approx(12345.678)  # WM1: resettable counters
    await client.close()


async def test_one_block_per_meter_per_poll(gateway: IskraModbusSimulator, transports: Transports) -> None:
    client = client_for(gateway, transports)
    await client.read()
    meter = gateway.units[33]
    meter.reads.clear()
    await client.read()
    assert meter.reads == [(100, 91)]
    await client.close()


async def test_reverse_connection_swaps_counters(transports: Transports) -> None:
    gateway = IskraModbusSimulator(reversed_wm1=True)
    await gateway.start()
    values = (await client_for(gateway, transports).read()).channels["58000002"].values
    assert values[Key.RESETTABLE_ENERGY_EXPORT] == pytest.approx(12345.678)
    await gateway.stop()


async def test_a_meter_addressed_directly(gateway: IskraModbusSimulator, transports: Transports) -> None:
    client = client_for(gateway, transports, unit=33, members=())
    assert (await client.identify()).model == "IE38MD"
    assert (await client.read()).value(MAIN_CHANNEL, Key.POWER) == pytest.approx(-380.0)
    await client.close()


async def test_missing_meters(gateway: IskraModbusSimulator, transports: Transports) -> None:
    client = client_for(gateway, transports, members=(33, 40))
    assert sorted((await client.read()).channels) == ["", "79000001"]  # nothing at 40: left out
    nobody = client_for(gateway, transports, members=(40,))
    with pytest.raises(CannotConnect):
        await nobody.fetch()
    with pytest.raises(InvalidResponse):
        await client_for(gateway, transports, unit=40).identify()
    await client.close()
    await nobody.close()


def wm_counter(exponent: int, mantissa: int) -> tuple[RegisterBlock, RegisterBlock]:
    """A counter block with one import counter (the fourth), in Wh, of a model that resets none."""
    counts = [0] * 64
    counts[401 - 400 + 3] = exponent & 0xFFFF
    counts[406 - 400 + 6], counts[407 - 400 + 6] = (mantissa >> 16) & 0xFFFF, mantissa & 0xFFFF
    settings = [0] * 36
    settings[30:32] = [1, 6]  # counter 4: Wh, quadrants 1+2 (import)
    return RegisterBlock(400, tuple(counts)), RegisterBlock(421, tuple(settings))


@pytest.mark.parametrize(("exponent", "expected"), [(0, 12.345), (-1, 1.2345), (2, 1234.5)])
def test_wm_counter_scaled_by_its_exponent(exponent: int, expected: float) -> None:
    assert decode_wm_counters(*wm_counter(exponent, 12345), "IE38") == {Key.ENERGY_IMPORT: expected}


@pytest.mark.parametrize("exponent", [0x7FFF, -0x8000, 10, 400])
def test_a_wm_counter_with_a_garbled_exponent_is_no_value(exponent: int) -> None:
    assert decode_wm_counters(*wm_counter(exponent, 12345), "IE38") == {}
