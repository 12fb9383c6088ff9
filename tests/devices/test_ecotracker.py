"""EcoTracker: the documented payloads verbatim, then the client against its simulator."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.ecotracker import EcoTrackerClient, parse
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.ecotracker import SERIAL, EcoTrackerSimulator
from tests.documented import ECOTRACKER_CORE, ECOTRACKER_OFFICIAL


def test_the_official_example() -> None:
    values = parse(ECOTRACKER_OFFICIAL).channels[MAIN_CHANNEL].values
    assert values == {
        Key.POWER: 125.0,
        Key.POWER_AVERAGE: 100.0,
        Key.POWER_L1: 50.0,
        Key.POWER_L2: 50.0,
        Key.POWER_L3: 25.0,
        Key.ENERGY_IMPORT: 145.0,
        Key.ENERGY_IMPORT_T1: 100.0,
        Key.ENERGY_IMPORT_T2: 45.0,
        Key.ENERGY_EXPORT: 4.5,
    }  # fmt: skip  (Wh on the wire, kWh shown)


def test_a_device_without_an_export_counter_as_core_recorded_it() -> None:
    values = parse(ECOTRACKER_CORE).channels[MAIN_CHANNEL].values
    assert values[Key.ENERGY_IMPORT] == pytest.approx(77498.5623864, abs=1e-6)
    assert Key.ENERGY_EXPORT not in values  # absent, not 0
    assert (values[Key.POWER], values[Key.WIFI_RSSI]) == (594.54, -71.0)


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
