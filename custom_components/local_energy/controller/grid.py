"""What a grid sensor's state means to a controller and a served meter: watts drawn, or nothing."""

from __future__ import annotations

import math

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfPower
from homeassistant.core import State


def grid_watts(state: State | None, *, invert: bool) -> float | None:
    """A grid power state in W (> 0 drawn), or None when it has no number in W or kW."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if unit == UnitOfPower.KILO_WATT:
        value *= 1000
    elif unit != UnitOfPower.WATT:
        return None
    if not math.isfinite(value):
        return None
    return -value if invert else value


def not_power(state: State | None) -> bool:
    """A state with a number, but not in W or kW (one without a number yet may still become one)."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return False
    return grid_watts(state, invert=False) is None
