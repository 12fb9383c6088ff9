"""Every supported family: the registry. A new family is one line here (its module declares the rest)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from . import (
    acuvim,
    ecotracker,
    enistic,
    homewizard,
    igen,
    indevolt,
    iskra,
    iskra_modbus,
    powerpack,
    shelly,
    smartme,
    stromleser,
)
from .family import Announcement, Family

FAMILIES: tuple[Family[Any], ...] = (
    shelly.FAMILY,
    homewizard.FAMILY,
    ecotracker.FAMILY,
    stromleser.FAMILY,
    igen.FAMILY,
    indevolt.FAMILY,
    smartme.FAMILY,
    iskra.FAMILY,
    iskra_modbus.FAMILY,
    enistic.FAMILY,
    acuvim.FAMILY,
    acuvim.SERIAL_FAMILY,
    powerpack.FAMILY,
)
"""In the order the flow offers them (a variant follows the family it belongs to)."""

BY_ID: Mapping[str, Family[Any]] = {family.id: family for family in FAMILIES}

ANNOUNCEMENTS: tuple[tuple[Announcement, Family[Any]], ...] = tuple(
    (announcement, family) for family in FAMILIES for announcement in family.zeroconf
)
"""Every announced service and its family (the manifest lists the same)."""


def announced_family(service_type: str, name: str) -> tuple[Announcement, Family[Any]] | None:
    """The family of an announced service, if any."""
    return next(((a, f) for a, f in ANNOUNCEMENTS if a.matches(service_type, name)), None)


def variants(family: Family[Any]) -> tuple[Family[Any], ...]:
    """The ways to reach a family's devices: the family itself, then the variants declared of it."""
    return (family, *(other for other in FAMILIES if other.variant_of == family.id))


class MenuStep(StrEnum):
    """What an option of the family menu leads to (the value says it in words)."""

    WAYS = "the ways its devices are reached"
    SEARCH = "a search for the devices that answer"
    CONNECTION = "its address and settings"


def menu_steps() -> dict[str, tuple[MenuStep, Family[Any]]]:
    """Every step the family menu leads to, by its id (the menu option ids).

    A family reached in one way gets its connection form; one reached in several ways (or found by a
    search) gets a menu of them first.
    """
    steps: dict[str, tuple[MenuStep, Family[Any]]] = {}
    for family in FAMILIES:
        if family.variant_of is None and (family.probe or len(variants(family)) > 1):
            steps[family.id] = (MenuStep.WAYS, family)
        if family.probe:
            steps[f"{family.id}_search"] = (MenuStep.SEARCH, family)
        steps[family.choice] = (MenuStep.CONNECTION, family)
    return steps
