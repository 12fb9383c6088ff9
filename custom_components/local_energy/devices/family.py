"""A family of devices declared once: how it is reached, timed, set up, discovered and configured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    """How often a device may be asked, in seconds, and whether it pushes on its own."""

    default_interval: float
    minimum_interval: float
    maximum_interval: float = 300.0
    push: bool = False
