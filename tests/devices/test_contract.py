"""The value contract: what a repeated reading goes through."""

from __future__ import annotations

import math

from custom_components.local_energy.devices.contract import ValueGuard
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Snapshot,
    Value,
)


def snapshot(**values: Value) -> Snapshot:
    return Snapshot(
        {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, {Key(key): value for key, value in values.items()})}
    )


def shown(guard: ValueGuard, **values: Value) -> dict[Key, Value]:
    """What the guard lets through of the given keys (energy it integrates from power aside)."""
    kept = guard.check(snapshot(**values)).channels[MAIN_CHANNEL].values
    return {key: value for key, value in kept.items() if key in values}


def test_a_repeated_reading_is_judged_like_the_first() -> None:
    guard = ValueGuard("meter", clock=lambda: 0.0)
    assert shown(guard, power=120.0) == {Key.POWER: 120.0}
    assert shown(guard, power=120.0) == {Key.POWER: 120.0}  # accepted again
    assert shown(guard, power=math.nan) == {}
    assert shown(guard, power=math.nan) == {}  # dropped again, and counted again
    assert guard.dropped == {"/power: not finite": 2}


def test_the_same_number_as_another_type_is_checked_again() -> None:
    guard = ValueGuard("meter", clock=lambda: 0.0)
    assert shown(guard, power=1) == {Key.POWER: 1}
    assert shown(guard, power=True) == {}  # equal to 1, but a flag is not a power
    assert guard.dropped == {"/power: not a number": 1}


def test_a_repeated_counter_reading_still_follows_the_counter_rule() -> None:
    now = [0.0]
    guard = ValueGuard("meter", clock=lambda: now[0])
    assert shown(guard, energy_import=100.0) == {Key.ENERGY_IMPORT: 100.0}
    for _ in range(2):  # one bad reading, repeated: held back at the last good value
        now[0] += 1.0
        assert shown(guard, energy_import=1.0) == {Key.ENERGY_IMPORT: 100.0}
    assert guard.held == {"/energy_import": 2}
