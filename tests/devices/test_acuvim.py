"""Acuvim II against its Modbus simulator: the real register map, scaling by the meter's own settings."""

from __future__ import annotations

import pytest
from pymodbus.constants import ExcCodes

from custom_components.local_energy.devices.acuvim import MEASUREMENT_PLAN, AcuvimClient, MeterSettings
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.modbus import ModbusExceptionResponse, RegisterBlock, Registers
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.acuvim import AcuvimSimulator


def client_for(simulator: AcuvimSimulator, transports: Transports, unit_id: int = 1) -> AcuvimClient:
    config = ConnectionConfig(host="127.0.0.1", port=simulator.port, unit_id=unit_id, serial="AV2-0001")
    return AcuvimClient(config, transports)


async def test_identity_uses_the_given_serial(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    client = client_for(acuvim_sim, transports)
    identity = await client.identify()
    assert (identity.vendor, identity.model, identity.serial) == ("Accuenergy", "Acuvim II", "AV2-0001")
    await client.close()
    assert len(transports.modbus) == 0


async def test_snapshot_scaled_to_primary_units(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    client = client_for(acuvim_sim, transports)
    values = (await client.read()).channels[MAIN_CHANNEL].values
    state = acuvim_sim.state
    assert values[Key.FREQUENCY] == pytest.approx(50.0)
    assert values[Key.VOLTAGE_L1] == pytest.approx(230.1, abs=1e-3)
    assert values[Key.CURRENT_L1] == pytest.approx(8.0, abs=1e-3)  # 0.2 A secondary x 200/5
    assert values[Key.POWER_L2] == pytest.approx(-900.0, abs=0.01)  # signed: phase 2 exports
    assert values[Key.POWER] == pytest.approx(state.total_power, abs=0.01)
    assert values[Key.POWER_FACTOR_L1] == pytest.approx(0.98, abs=1e-4)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(12345.6)
    assert values[Key.ENERGY_EXPORT] == pytest.approx(2345.6)
    await client.close()


async def test_one_request_per_refresh(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    client = client_for(acuvim_sim, transports)
    await client.read()  # settings + measurements
    acuvim_sim.registers.reads.clear()
    await client.read()
    assert acuvim_sim.registers.reads == [(0x4000, 80)]
    assert len(MEASUREMENT_PLAN) == 1
    diagnostics = client.diagnostics()  # what an entry's diagnostics show of the client
    assert diagnostics["modbus_requests"] == 3  # the settings once, then one block a read
    assert diagnostics["settings"]["ct_ratio"] == 40.0
    await client.close()


async def test_secondary_energy_display(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    acuvim_sim.registers.set_words(0x1019, [1])  # energy in secondary units: Rx / 1000
    acuvim_sim.registers.set_words(0x101D, [1])  # real-time values are primary already
    client = client_for(acuvim_sim, transports)
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert values[Key.ENERGY_IMPORT] == pytest.approx(123.456)
    assert values[Key.CURRENT_L1] == pytest.approx(0.2, abs=1e-4)  # taken as it is
    await client.close()


async def test_unwired_input_left_out(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    acuvim_sim.registers.set_float(0x4006, float("nan"))
    client = client_for(acuvim_sim, transports)
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert Key.VOLTAGE_L3 not in values
    assert Key.VOLTAGE_L2 in values
    await client.close()


def test_zero_ratio_is_invalid() -> None:
    words = [0] * 27
    registers = Registers((RegisterBlock(0x1003, tuple(words)),))
    with pytest.raises(InvalidResponse):
        MeterSettings.from_registers(registers)


async def test_exception_response_is_typed(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    acuvim_sim.registers.fail_with = ExcCodes.DEVICE_FAILURE
    client = client_for(acuvim_sim, transports)
    with pytest.raises(ModbusExceptionResponse) as caught:
        await client.read()
    assert caught.value.code == 4
    assert "server device failure" in str(caught.value)
    await client.close()


async def test_wrong_unit_id(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    client = client_for(acuvim_sim, transports, unit_id=9)
    with pytest.raises(InvalidResponse):
        await client.identify()
    await client.close()


async def test_reconnects_after_restart(acuvim_sim: AcuvimSimulator, transports: Transports) -> None:
    client = client_for(acuvim_sim, transports)
    await client.read()
    await acuvim_sim.stop()
    with pytest.raises(CannotConnect):
        await client.read()
    await acuvim_sim.start()
    acuvim_sim.advance()
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == pytest.approx(acuvim_sim.state.total_power, abs=0.01)
    await client.close()


async def test_nothing_listening(transports: Transports) -> None:
    client = AcuvimClient(ConnectionConfig(host="127.0.0.1", port=1, unit_id=1), transports)
    with pytest.raises(CannotConnect):
        await client.identify()
    await client.close()
