"""The entity table of the Acuvim II, read from its simulator (syrupy snapshots): no register block of a
real meter is on record. Families with documented payloads have their tables in test_entities.py."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from simulators.acuvim import AcuvimSimulator
from tests.conftest import acuvim_entry, setup_entry
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
