"""Home Assistant core's device dumps (tests/fixtures/core) parse with the right values, signs and units."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.local_energy.devices import homewizard, igen, indevolt, shelly
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Value
from tests.documented import core_dump as dump


def main(snapshot: Any) -> dict[Key, Value]:
    return dict(snapshot.channels[MAIN_CHANNEL].values)


def test_homewizard_p1_api_v1() -> None:
    snapshot = homewizard.parse_data(dump("homewizard_p1_v1"))
    values = main(snapshot)
    assert values[Key.POWER] == -123  # exported: negative
    assert values[Key.POWER_L2] == 456
    assert values[Key.POWER_L3] == 123.456
    assert values[Key.ENERGY_IMPORT] == 13779.338
    assert values[Key.ENERGY_EXPORT] == 13086.777
    assert values[Key.VOLTAGE_L1] == 230.111
    assert values[Key.POWER_AVERAGE_15M] == 123.0
    assert values[Key.ACTIVE_TARIFF] == 2
    assert snapshot.channels[homewizard.GAS_CHANNEL].values[Key.GAS] == 1122.333


def test_homewizard_p1_api_v2() -> None:
    snapshot = homewizard.parse_measurement(dump("homewizard_p1_v2"))
    values = main(snapshot)
    assert values[Key.POWER] == -543
    assert values[Key.POWER_L1] == -676
    assert values[Key.CURRENT] == 6  # the total current
    assert values[Key.CURRENT_L2] == 2
    assert values[Key.POWER_AVERAGE_15M] == 123.0
    assert values[Key.ENERGY_IMPORT] == 13779.338
    assert values[Key.ENERGY_EXPORT] == 1234.567
    assert snapshot.channels[homewizard.GAS_CHANNEL].values[Key.GAS] == 2569.646  # not the water meter


def test_shelly_pro_3em() -> None:
    device = dump("shelly_pro_3em")
    info = shelly.parse_info(device["shelly"])
    assert (info.generation, info.mac) == (2, "aabbccddeeff")
    values = main(shelly.parse_status(device["status"], info))
    assert values[Key.POWER] == pytest.approx(2413.825)
    assert values[Key.POWER_L1] == pytest.approx(2166.2)
    assert values[Key.VOLTAGE_L3] == pytest.approx(230.2)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(5415.41419)  # Wh on the device
    assert values[Key.ENERGY_EXPORT] == 0.0


@pytest.mark.parametrize(
    ("name", "points", "expected"),
    [
        ("indevolt_gen1", indevolt.GEN1, {Key.STATE_OF_ENERGY: 92, Key.BATTERY_CHARGE_ENERGY: 277.16,
                                          Key.PV_ENERGY: 553.673, Key.BACKUP_SOC: 5, Key.BATTERY_POWER: 0.0}),
        ("indevolt_gen2", indevolt.GEN2, {Key.STATE_OF_ENERGY: 92, Key.BATTERY_DISCHARGE_ENERGY: 338.07,
                                          Key.FEED_IN_LIMIT: 52.3, Key.MAX_OUTPUT_POWER: 85,
                                          Key.GRID_CHARGING: True}),
    ],
)  # fmt: skip
def test_indevolt(name: str, points: indevolt.Points, expected: dict[Key, Value]) -> None:
    values = main(indevolt.parse_data(points, dump(name), 0.0))
    assert {key: values[key] for key in expected} == expected


def test_solarman_p1_reader_in_kw() -> None:
    values = igen.parse_values(dump("solarman_p1_data"))
    assert values[Key.POWER] == -2940.0  # 2.94 kW fed in
    assert values[Key.POWER_L1] == -2950.0  # phase A: 12 A at 237 V agrees with kW
    assert values[Key.ENERGY_IMPORT] == pytest.approx(63573.51)
    assert values[Key.ENERGY_EXPORT] == pytest.approx(63573.51)
    assert igen.GAS_CHANNEL not in igen.snapshot_of(values).channels  # a gas counter at 0: no gas meter


def test_solarman_plug_and_meter() -> None:
    plug = igen.parse_values(dump("solarman_plug_data"))
    assert plug[Key.POWER] == 1.217517
    assert plug[Key.VOLTAGE] == 230
    assert plug[Key.ENERGY_IMPORT] == 1.730654
    meter = igen.parse_values(dump("solarman_meter_data"))
    assert meter[Key.POWER] == 133.5
    assert meter[Key.POWER_FACTOR] == 0.63
    assert meter[Key.REACTIVE_POWER] == -29.8
    assert meter[Key.ENERGY_EXPORT] == 0.18


@pytest.mark.parametrize(
    ("name", "serial", "device_type"),
    [
        ("solarman_p1_config", "SN2345678901", "P1-2W"),  # under "device"
        ("solarman_plug_config", "SN1234567890", "SP-2W-EU"),  # flat
        ("solarman_meter_config", "SN3456789012", "gl meter"),  # flat
    ],
)
def test_igen_settings_in_both_shapes(name: str, serial: str, device_type: str) -> None:
    config = igen.config_of(dump(name))
    assert (config["sn"], config["type"]) == (serial, device_type)
