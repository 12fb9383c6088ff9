"""Every entity of the families without a documented dump, read from their simulators (syrupy snapshots).

HomeWizard and Shelly tables come from core's device dumps on the fake client (test_entities.py).
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from simulators.acuvim import AcuvimSimulator
from simulators.enistic import EnisticSimulator
from tests.conftest import acuvim_entry, setup_entry, setup_heard_enistic
from tests.registry import snapshot_entities

pytestmark = [pytest.mark.usefixtures("entity_registry_enabled_by_default")]


@pytest.fixture(autouse=True)
def _only_sensors() -> object:
    with patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]):
        yield


async def test_acuvim(
    hass: HomeAssistant,
    acuvim_sim: AcuvimSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    entry = acuvim_entry(acuvim_sim, entry_id="acuvim_entry")
    await setup_entry(hass, entry)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


async def test_enistic(
    hass: HomeAssistant,
    enistic_sim: EnisticSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await setup_heard_enistic(hass, enistic_sim, freezer, entry_id="enistic_entry")
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)
