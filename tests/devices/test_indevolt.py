"""INDEVOLT battery against its HTTP simulator: one request per poll, the battery sign, setpoints."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect, CommandRejected
from custom_components.local_energy.devices.indevolt import METER_CHANNEL, IndevoltClient, config_query
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.indevolt import SERIAL, IndevoltSimulator


@pytest.fixture
async def battery() -> AsyncGenerator[IndevoltSimulator]:
    simulator = IndevoltSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


def client_for(battery: IndevoltSimulator, transports: Transports) -> IndevoltClient:
    return IndevoltClient(ConnectionConfig(host="127.0.0.1", port=battery.port), transports)


def test_config_is_compact() -> None:
    assert config_query({"t": [1, 2]}) == "?config=%7B%22t%22%3A%5B1%2C2%5D%7D"


async def test_identity_from_point_zero(battery: IndevoltSimulator, transports: Transports) -> None:
    identity = await client_for(battery, transports).identify()
    assert (identity.vendor, identity.model, identity.serial, identity.mac) == (
        "INDEVOLT", "SolidFlex 2000", SERIAL, "7c3e82ef997f",
    )  # fmt: skip


async def test_values_and_sign(battery: IndevoltSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    snapshot = await client.read()
    values = snapshot.channels[MAIN_CHANNEL].values
    assert values[Key.BATTERY_POWER] == -350.0  # discharging: negative
    assert values[Key.BATTERY_STATE] == "discharging"
    assert values[Key.STATE_OF_ENERGY] == 64
    assert values[Key.PV_POWER] == 820
    assert values[Key.PV_ENERGY] == pytest.approx(401.234)  # Wh -> kWh
    assert values[Key.OPERATING_MODE] == "self_consumption"
    assert values[Key.GRID_CHARGING] is False
    assert snapshot.channels[METER_CHANNEL].values == {
        Key.POWER: -120.5,
        Key.INTEGRATED_ENERGY_IMPORT: 0.0,  # the meter counts nothing: energy comes from its power
        Key.INTEGRATED_ENERGY_EXPORT: 0.0,
    }
    assert client.diagnostics()["http_requests"] == 3  # config, serial, then one request per poll
    await client.read()
    assert client.diagnostics()["http_requests"] == 4


async def test_setpoints(battery: IndevoltSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    await client.read()
    with pytest.raises(CommandRejected) as caught:
        await client.write(MAIN_CHANNEL, Key.BATTERY_SETPOINT, 500)
    assert caught.value.reason == "not_real_time"
    await client.write(MAIN_CHANNEL, Key.OPERATING_MODE, "real_time_control")
    await client.write(MAIN_CHANNEL, Key.BATTERY_SETPOINT, 700)
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert values[Key.BATTERY_POWER] == 700.0  # charging: positive
    assert values[Key.BATTERY_SETPOINT] == 700
    await client.write(MAIN_CHANNEL, Key.BATTERY_SETPOINT, -400)
    await client.write(MAIN_CHANNEL, Key.FEED_IN_LIMIT, 600)
    await client.write(MAIN_CHANNEL, Key.GRID_CHARGING, value=True)
    await client.write(MAIN_CHANNEL, Key.BACKUP_SOC, 20)
    assert battery.writes == [(47005, [4]), (47015, [1, 700, 100]), (47015, [2, 400, 5]), (1146, [600]),
                              (1143, [1]), (1142, [20])]  # fmt: skip
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert (values[Key.FEED_IN_LIMIT], values[Key.GRID_CHARGING], values[Key.BACKUP_SOC]) == (600, True, 20)


async def test_refusals(battery: IndevoltSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    await client.read()
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.OPERATING_MODE, "outdoor_portable")  # BK1600 only
    with pytest.raises(CommandRejected):
        await client.write(METER_CHANNEL, Key.FEED_IN_LIMIT, 500)
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.STATE_OF_ENERGY, 5)
    battery.refuse_writes = True
    with pytest.raises(CommandRejected, match="refused"):
        await client.write(MAIN_CHANNEL, Key.FEED_IN_LIMIT, 500)


async def test_bk1600(transports: Transports) -> None:
    battery = IndevoltSimulator(device_type="CMS-BK1600")
    await battery.start()
    client = client_for(battery, transports)
    assert (await client.identify()).model == "BK1600"
    snapshot = await client.read()
    assert snapshot.channels[METER_CHANNEL].values[Key.POWER] == -120.5  # point 21028 on the BK1600
    controls = {c.key: c for c in snapshot.channels[MAIN_CHANNEL].controls}
    assert controls[Key.BATTERY_SETPOINT].maximum == 1200
    assert "outdoor_portable" in controls[Key.OPERATING_MODE].options
    await battery.stop()


@pytest.mark.parametrize(
    ("asked", "sent"), [(30, [0, 0, 5]), (-49, [0, 0, 5]), (50, [1, 50, 100]), (-59, [2, 50, 5])]
)
async def test_real_time_powers_follow_the_documented_range(
    battery: IndevoltSimulator, transports: Transports, asked: float, sent: list[int]
) -> None:
    """The vendor documents 50-2400 W: 1-49 W is sent as 0 W, never as itself."""
    client = client_for(battery, transports)
    await client.read()
    await client.write(MAIN_CHANNEL, Key.OPERATING_MODE, "real_time_control")
    await client.write(MAIN_CHANNEL, Key.BATTERY_SETPOINT, asked)
    assert battery.writes[-1] == (47015, sent)


async def test_gone_and_back(battery: IndevoltSimulator, transports: Transports) -> None:
    client = client_for(battery, transports)
    await client.read()
    await battery.stop()
    with pytest.raises(CannotConnect):
        await client.read()
    await battery.start()
    assert (await client.read()).value(MAIN_CHANNEL, Key.BATTERY_POWER) == -350.0
