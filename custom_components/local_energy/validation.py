"""The schema library of the running Home Assistant, and the number field of our forms.

Newer Home Assistant validates with probatio, which keeps voluptuous's interface and also answers to the
name voluptuous; older releases use voluptuous itself. Forms are built with whichever is there, so the
type checker sees the same classes as the flow manager on either version.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    if sys.version_info >= (3, 14):
        import probatio as vol
    else:
        import voluptuous as vol
else:
    try:
        import probatio as vol
    except ImportError:
        import voluptuous as vol

from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode

__all__ = ["number_box", "vol"]


def number_box(low: float, high: float, step: float, unit: str | None = None) -> NumberSelector:
    """A number field typed in a box (a slider cannot hit a port or a watt figure)."""
    config = NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)
