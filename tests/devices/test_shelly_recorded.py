"""Shelly payloads recorded from real devices by others (tests/documented.py), read verbatim.

Each was answered by a device we do not have; the parser must make of it what the device measured: the sign
of power, Wh on the wire and kWh shown, a meter's channels, and a switch without power fields.
"""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices import shelly
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Snapshot
from tests.documented import (
    SHELLY_3EM_GEN1_STATUS,
    SHELLY_EM_GEN1_STATUS,
    SHELLY_PLUG_S_GEN3_SWITCH,
    SHELLY_PLUS_PLUG_S_INFO,
    SHELLY_PLUS_PLUG_S_SWITCH,
    SHELLY_PRO_EM_STATUS,
)


def gen1(model: str, status: dict[str, object]) -> Snapshot:
    info = shelly.parse_info(
        {"type": model, "mac": "AABBCCDDEEFF", "auth": False, "fw": "20230913-113421/v1.14.0"}
    )
    return shelly.parse_status(status, info)


def gen2(model: str, generation: int, status: dict[str, object]) -> Snapshot:
    body = {
        "model": model,
        "mac": "AABBCCDDEEFF",
        "gen": generation,
        "auth_en": False,
        "id": "x",
        "ver": "1.0",
    }
    return shelly.parse_status(status, shelly.parse_info(body))


def test_gen1_em_has_a_channel_per_clamp_one_feeding_in() -> None:
    snapshot = gen1("SHEM", SHELLY_EM_GEN1_STATUS)
    clamp = snapshot.channels["emeter0"].values
    assert clamp[Key.POWER] == -620.34  # fed in: negative, as the device says
    assert clamp[Key.ENERGY_IMPORT] == pytest.approx(401.4729)  # Wh -> kWh
    assert clamp[Key.ENERGY_EXPORT] == pytest.approx(653.6737)
    assert (clamp[Key.POWER_FACTOR], clamp[Key.REACTIVE_POWER]) == (-0.66, 714.48)
    assert snapshot.channels["emeter1"].values[Key.POWER] == 0.0
    assert snapshot.channels[MAIN_CHANNEL].values[Key.RELAY] is False


def test_gen1_3em_of_a_real_house() -> None:
    values = gen1("SHEM-3", SHELLY_3EM_GEN1_STATUS).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == pytest.approx(3269.48 + 147.60 + 193.11)
    assert values[Key.CURRENT_L1] == 14.35
    assert values[Key.ENERGY_EXPORT] == pytest.approx((17706.2 + 3188.7 + 943.7) / 1000)
    assert values[Key.RELAY] is False


def test_pro_em_has_a_channel_per_clamp_and_a_switch_without_power() -> None:
    snapshot = gen2("SPEM-002CEBEU50", 2, SHELLY_PRO_EM_STATUS)
    clamp = snapshot.channels["em1:1"].values
    assert (clamp[Key.POWER], clamp[Key.APPARENT_POWER], clamp[Key.CURRENT]) == (5080.3, 5142.4, 22.78)
    assert (clamp[Key.ENERGY_IMPORT], clamp[Key.ENERGY_EXPORT]) == (
        pytest.approx(6.6449),
        pytest.approx(2.59526),
    )
    main = snapshot.channels[MAIN_CHANNEL].values
    assert main[Key.RELAY] is True
    assert Key.POWER not in main  # the Pro EM's switch measures nothing


def test_plus_plug_s() -> None:
    snapshot = shelly.parse_status(
        {"switch:0": SHELLY_PLUS_PLUG_S_SWITCH}, shelly.parse_info(SHELLY_PLUS_PLUG_S_INFO)
    )
    values = snapshot.channels[MAIN_CHANNEL].values
    assert (values[Key.POWER], values[Key.ENERGY_IMPORT], values[Key.RELAY]) == (
        2.7,
        pytest.approx(7.258589),
        True,
    )


def test_plug_s_gen3_without_a_returned_energy_counter() -> None:
    values = gen2("S3PL-00112EU", 3, {"switch:0": SHELLY_PLUG_S_GEN3_SWITCH}).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == 399.2
    assert values[Key.ENERGY_IMPORT] == pytest.approx(2574.466629)
    assert (
        Key.ENERGY_EXPORT not in values
    )  # the plug counts one direction: export comes from power, if at all
