"""The key table: one row per key, and the views and helpers derived from it agree with it."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices.keys import (
    KEYS,
    LINE_TO_LINE,
    PHASES,
    SWAPPED_ON_INVERT,
    Key,
    Phase,
    line_to_line,
    phases_of,
)


def test_every_key_has_one_row() -> None:
    assert set(KEYS) == set(Key)


def test_a_part_is_measured_like_its_whole() -> None:
    for key, spec in KEYS.items():
        if spec.of is None:
            assert (spec.phase, spec.tariff) == (None, None), key
            continue
        whole = KEYS[spec.of]
        assert (spec.unit, spec.quantity, spec.counter) == (whole.unit, whole.quantity, whole.counter), key
        assert (spec.phase is None) != (spec.tariff is None), key


def test_counters_swap_in_pairs_within_their_phase() -> None:
    for key, partner in SWAPPED_ON_INVERT.items():
        assert SWAPPED_ON_INVERT[partner] is key
        assert KEYS[key].phase == KEYS[partner].phase
        assert KEYS[key].counter
    tariffs = [key for key, spec in KEYS.items() if spec.tariff is not None]
    assert len(tariffs) == 8
    assert not set(tariffs) & set(SWAPPED_ON_INVERT), "a tariff register is wired to one direction"


@pytest.mark.parametrize(
    ("whole", "parts"),
    [
        (Key.POWER, (Key.POWER_L1, Key.POWER_L2, Key.POWER_L3)),
        (Key.ENERGY_EXPORT, (Key.ENERGY_EXPORT_L1, Key.ENERGY_EXPORT_L2, Key.ENERGY_EXPORT_L3)),
        (Key.THD_CURRENT, (Key.THD_CURRENT_L1, Key.THD_CURRENT_L2, Key.THD_CURRENT_L3)),
        (Key.CHARGE_CURRENT, (Key.CHARGE_CURRENT_L1, Key.CHARGE_CURRENT_L2, Key.CHARGE_CURRENT_L3)),
    ],
)
def test_phases_of_a_quantity(whole: Key, parts: tuple[Key, Key, Key]) -> None:
    assert phases_of(whole) == parts
    assert tuple(KEYS[part].phase for part in parts) == PHASES


def test_voltages_between_phases_and_the_neutral() -> None:
    assert line_to_line(Key.VOLTAGE) == (Key.VOLTAGE_L1_L2, Key.VOLTAGE_L2_L3, Key.VOLTAGE_L3_L1)
    assert tuple(KEYS[key].phase for key in line_to_line(Key.VOLTAGE)) == LINE_TO_LINE
    assert KEYS[Key.CURRENT_N].phase is Phase.NEUTRAL
    assert not KEYS[Key.CURRENT_N].signed, "the neutral's current has no grid direction"


def test_every_quantity_with_phases_has_all_three() -> None:
    wholes = {spec.of for spec in KEYS.values() if spec.phase in PHASES}
    assert len(wholes) >= 12
    for whole in wholes:
        assert whole is not None
        assert len(set(phases_of(whole))) == 3


def test_a_quantity_without_phases_has_none() -> None:
    with pytest.raises(KeyError):
        phases_of(Key.FREQUENCY)
