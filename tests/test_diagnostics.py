"""Diagnostics show identity, counters and values, never credentials."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.conftest import setup_entry
from tests.fake_client import (
    documented_p1,
    enistic_controller,
    enistic_reading,
    entry_of,
    fake_pico,
    serving,
    set_up,
)

ENISTIC_READING = enistic_reading("0021ED0000041319", 60.5, state=1)


async def test_homewizard(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, snapshot: SnapshotAssertion
) -> None:
    p1 = documented_p1()
    p1.client.diagnostics.return_value = {"http_requests": 2}
    template = entry_of(p1)
    entry = MockConfigEntry(
        domain=template.domain,
        title=template.title,
        unique_id=template.unique_id,
        data={**template.data, "password": "s3cret", "username": "admin"},
        entry_id="homewizard_entry",
    )
    with serving(p1):
        await setup_entry(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["username"] == "**REDACTED**"
    assert "s3cret" not in str(diagnostics)
    assert diagnostics["client"]["http_requests"] == 2  # what the client counts is shown
    assert diagnostics == snapshot


async def test_a_family_with_settings_shows_them_typed(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    entry = await set_up(hass, fake_pico(), stored={"max_current": 16}, phase_change_minutes=5)
    family = (await get_diagnostics_for_config_entry(hass, hass_client, entry))["family"]
    assert family["settings"] == {"max_current": 16, "phase_change_minutes": 5}
    assert (family["transport"], family["polled_every"]) == ("modbus", 2.0)


async def test_a_push_entry_is_not_polled(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> None:
    device = enistic_controller(ENISTIC_READING)
    entry = await set_up(hass, device)
    family = (await get_diagnostics_for_config_entry(hass, hass_client, entry))["family"]
    assert family["polled_every"] is None
    assert family["pushes"]
    assert family["link"] == "none"  # broadcasts: only silence tells that they stopped
    assert family["timing"]["silent_after"] == 60.0
    assert not family["silent"]
