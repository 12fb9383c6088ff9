"""EcoTracker against its simulator."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.ecotracker import EcoTrackerClient, parse
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.ecotracker import SERIAL, EcoTrackerSimulator


def client_for(simulator: EcoTrackerSimulator, transports: Transports) -> EcoTrackerClient:
    return EcoTrackerClient(ConnectionConfig(host="127.0.0.1", port=simulator.port), transports)


async def test_identity(ecotracker_sim: EcoTrackerSimulator, transports: Transports) -> None:
    identity = await client_for(ecotracker_sim, transports).identify()
    assert (identity.vendor, identity.model, identity.serial, identity.firmware) == (
        "everHome", "EcoTracker", SERIAL, "1.0.0",
    )  # fmt: skip


async def test_values(ecotracker_sim: EcoTrackerSimulator, transports: Transports) -> None:
    values = (await client_for(ecotracker_sim, transports).read()).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == pytest.approx(-308.55)  # exporting: negative, as the reader says
    assert values[Key.POWER_L2] == pytest.approx(-801.54)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(77498.5623864)  # Wh -> kWh
    assert values[Key.ENERGY_EXPORT] == pytest.approx(1254.8715)
    assert values[Key.POWER_AVERAGE] == 606.0
    assert values[Key.WIFI_RSSI] == -71.0


async def test_missing_export_counter_stays_missing(
    ecotracker_sim: EcoTrackerSimulator, transports: Transports
) -> None:
    ecotracker_sim.with_export = False
    values = (await client_for(ecotracker_sim, transports).read()).channels[MAIN_CHANNEL].values
    assert Key.ENERGY_EXPORT not in values


async def test_stale_reading_is_no_reading(
    ecotracker_sim: EcoTrackerSimulator, transports: Transports
) -> None:
    ecotracker_sim.age_ms = 45_000
    with pytest.raises(CannotConnect, match="45 s"):
        await client_for(ecotracker_sim, transports).read()


async def test_malformed(ecotracker_sim: EcoTrackerSimulator, transports: Transports) -> None:
    ecotracker_sim.malformed = True
    with pytest.raises(InvalidResponse):
        await client_for(ecotracker_sim, transports).read()
    with pytest.raises(InvalidResponse):
        parse({"powerAvg": 3})


async def test_no_serial(ecotracker_sim: EcoTrackerSimulator, transports: Transports) -> None:
    ecotracker_sim.serial = None  # an emulator without one: no identity from an IP address
    with pytest.raises(InvalidResponse, match="no serial"):
        await client_for(ecotracker_sim, transports).identify()
