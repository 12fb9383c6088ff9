"""smart-me meters and the Pico against the register simulator."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices import clock
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CommandRejected
from custom_components.local_energy.devices.family import settings_from
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.smartme import (
    ALL_PHASES,
    METER_PLAN,
    PER_PHASE,
    PicoSettings,
    SmartMeClient,
)
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.smartme import SmartMeSimulator


@pytest.fixture
async def meter() -> AsyncGenerator[SmartMeSimulator]:
    simulator = SmartMeSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


def client_for(simulator: SmartMeSimulator, transports: Transports, **settings: float) -> SmartMeClient:
    config = ConnectionConfig(host="127.0.0.1", port=simulator.port, unit_id=1)
    return SmartMeClient(config, transports, settings_from(PicoSettings, settings))


async def test_meter(meter: SmartMeSimulator, transports: Transports) -> None:
    client = client_for(meter, transports)
    identity = await client.identify()
    assert (identity.vendor, identity.model, identity.serial) == ("smart-me", "Meter", "6301587")
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == pytest.approx(3250.5)  # mW -> W
    assert values[Key.POWER_L2] == pytest.approx(-480.75)  # signed
    assert values[Key.VOLTAGE_L1] == pytest.approx(231.2)
    assert values[Key.CURRENT_L2] == pytest.approx(-2.09)
    assert values[Key.POWER_FACTOR_L3] == pytest.approx(0.97)
    assert values[Key.ACTIVE_TARIFF] == 2
    assert values[Key.ENERGY_IMPORT] == pytest.approx(15234.567891)  # mWh (uint64) -> kWh
    assert values[Key.ENERGY_EXPORT_T2] == pytest.approx(1000.0)
    assert Key.CHARGE_CURRENT not in values
    await client.close()


async def test_registers_are_read_one_below_their_number(
    meter: SmartMeSimulator, transports: Transports
) -> None:
    client = client_for(meter, transports)
    await client.read()
    meter.registers.reads.clear()
    await client.read()
    assert meter.registers.reads == [(0x1FFF, 60)]  # register 0x2000 .. 0x203B: one request
    assert METER_PLAN == [(0x1FFF, 60)]
    await client.close()


async def test_pico_current_for_all_phases(pico: SmartMeSimulator, transports: Transports) -> None:
    client = client_for(pico, transports, max_current=16)
    assert (await client.identify()).model == "Pico charging station"
    snapshot = await client.read()
    assert snapshot.value(MAIN_CHANNEL, Key.CHARGE_CURRENT) == 16.0
    controls = {c.key: c for c in snapshot.channels[MAIN_CHANNEL].controls}
    assert (controls[Key.CHARGE_CURRENT].minimum, controls[Key.CHARGE_CURRENT].maximum) == (0, 16)
    pico.registers.writes.clear()
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT, 10)
    assert pico.registers.writes == [(0x206D, [0x0000, 10000])]  # register 0x206E, int32 mA, high word first
    assert pico.current(PER_PHASE[2].register) == 10.0
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT, 0)  # pause
    assert pico.current(ALL_PHASES.register) == 0.0
    await client.close()


@pytest.mark.parametrize(
    ("amperes", "reason"), [(3, "current_gap"), (5.9, "current_gap"), (20, "above_maximum")]
)
async def test_refused_before_anything_is_written(
    pico: SmartMeSimulator, transports: Transports, amperes: float, reason: str
) -> None:
    client = client_for(pico, transports, max_current=16)
    await client.read()
    pico.registers.writes.clear()
    with pytest.raises(CommandRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L2, amperes)
    assert caught.value.reason == reason
    assert pico.registers.writes == []
    await client.close()


async def test_phase_changes_are_rate_limited(
    pico: SmartMeSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    client = client_for(pico, transports, max_current=16, phase_change_minutes=10)
    await client.read()  # charging on L1, L2, L3
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT, 12)  # same phases, other current: always allowed
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L1, 0)  # three phases -> two: a change
    await client.read()
    with pytest.raises(CommandRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L2, 0)  # another change 0 min later
    assert caught.value.reason == "phase_change_too_soon"
    assert caught.value.placeholders["remaining"] == "10.0"
    assert pico.current(PER_PHASE[1].register) == 12.0  # not written
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L2, 14)  # magnitude only: allowed
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT, 0)  # pausing is always allowed
    now[0] += 10 * 60
    await client.read()
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L3, 0)  # 10 min later: allowed
    assert pico.current(PER_PHASE[2].register) == 0.0
    await client.close()


async def test_meter_has_no_charging_current(meter: SmartMeSimulator, transports: Transports) -> None:
    client = client_for(meter, transports)
    await client.read()
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT, 8)
    await client.close()


async def test_phases_switch_at_once_as_one_guarded_change(
    pico: SmartMeSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    client = client_for(pico, transports, max_current=16, phase_change_minutes=10)
    snapshot = await client.read()  # charging 16 A on three phases
    assert snapshot.value(MAIN_CHANNEL, Key.CHARGE_PHASES) == "3"
    await client.write(MAIN_CHANNEL, Key.CHARGE_PHASES, "1")  # three -> one: one change, not two
    assert [pico.current(r.register) for r in PER_PHASE] == [16.0, 0.0, 0.0]
    assert (await client.read()).value(MAIN_CHANNEL, Key.CHARGE_PHASES) == "1"
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L1, 9)  # the current on its one phase
    with pytest.raises(CommandRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.CHARGE_PHASES, "3")  # back within ten minutes
    assert caught.value.reason == "phase_change_too_soon"
    assert [pico.current(r.register) for r in PER_PHASE] == [9.0, 0.0, 0.0]
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.CHARGE_PHASES, "2")  # not an option
    now[0] += 10 * 60
    await client.read()
    await client.write(MAIN_CHANNEL, Key.CHARGE_PHASES, "3")
    assert [pico.current(r.register) for r in PER_PHASE] == [9.0, 9.0, 9.0]
    await client.close()


async def test_a_current_right_after_a_phase_switch_is_not_refused(
    pico: SmartMeSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard judges phases by what the client last commanded, not by the last currents it read."""
    monkeypatch.setattr(clock, "now", lambda: 1000.0)
    client = client_for(pico, transports, max_current=16, phase_change_minutes=10)
    await client.read()  # charging on three phases
    await client.write(MAIN_CHANNEL, Key.CHARGE_PHASES, "1")
    await client.write(MAIN_CHANNEL, Key.CHARGE_CURRENT_L1, 8)  # no read in between
    assert [pico.current(r.register) for r in PER_PHASE] == [8.0, 0.0, 0.0]
    await client.close()
