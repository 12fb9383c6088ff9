"""Repair issues: raised where only the user can help, gone once the device answers as it should."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import DOMAIN
from custom_components.local_energy.devices.errors import (
    ApiDisabled,
    CannotConnect,
    FirmwareTooOld,
    InvalidResponse,
)
from custom_components.local_energy.devices.snapshot import Notice
from tests.conftest import HOST, refresh
from tests.fake_client import P1_IDENTITY, FakeDevice, documented_p1, serving, set_up

POWER = "sensor.homewizard_p1_meter_power"


def issue_keys(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, ir.IssueSeverity]:
    """The translation keys and severities of the issues raised for an entry."""
    return {
        issue.translation_key or "": issue.severity
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith(entry.entry_id)
    }


def issue(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> ir.IssueEntry:
    found = ir.async_get(hass).async_get_issue(DOMAIN, f"{entry.entry_id}_{key}")
    assert found is not None
    return found


async def retry_setup(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let a config entry in setup-retry try again (its first back-off is a few seconds)."""
    await refresh(hass, freezer, seconds=90)


@pytest.fixture
def p1() -> Iterator[FakeDevice]:
    device = documented_p1()
    with serving(device):  # the retries too
        yield device


async def test_api_switched_off_at_setup(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    p1.client.identify.side_effect = ApiDisabled("GET /api answered 403: the local API is switched off")
    entry = await set_up(hass, p1)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert issue_keys(hass, entry) == {"api_disabled": ir.IssueSeverity.ERROR}
    raised = issue(hass, entry, "api_disabled")
    assert raised.translation_placeholders is not None
    assert raised.translation_placeholders["name"] == entry.title
    assert raised.translation_placeholders["host"] == HOST
    assert "403" in raised.translation_placeholders["error"]
    assert not raised.is_fixable
    # Switched on in the app: the next retry loads the entry, and the issue goes without a click.
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    p1.client.identify.side_effect = None
    await retry_setup(hass, freezer)
    assert entry.state is ConfigEntryState.LOADED
    assert issue_keys(hass, entry) == {}


async def test_api_switched_off_while_running(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, p1)
    p1.failure = ApiDisabled("GET /api/v1/data answered 403")
    await refresh(hass, freezer)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    assert issue_keys(hass, entry) == {"api_disabled": ir.IssueSeverity.ERROR}
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    p1.failure = None
    await refresh(hass, freezer)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert issue_keys(hass, entry) == {}


async def test_address_answered_by_another_device(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    p1.client.identify.return_value = replace(P1_IDENTITY, serial="5c2fafaabbcc")
    entry = await set_up(hass, p1)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert issue_keys(hass, entry) == {"wrong_device": ir.IssueSeverity.ERROR}
    placeholders = issue(hass, entry, "wrong_device").translation_placeholders
    assert placeholders is not None
    assert "5c2fafaabbcc" in placeholders["error"]
    p1.client.identify.return_value = P1_IDENTITY
    await retry_setup(hass, freezer)
    assert entry.state is ConfigEntryState.LOADED
    assert issue_keys(hass, entry) == {}


@pytest.mark.parametrize("when", ["identify", "read"])
async def test_firmware_without_the_data_endpoint(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory, when: str
) -> None:
    refused = getattr(p1.client, when)
    refused.side_effect = FirmwareTooOld("GET /api/v1/data answered 404: update the firmware")
    entry = await set_up(hass, p1)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert issue_keys(hass, entry) == {"firmware_too_old": ir.IssueSeverity.ERROR}
    placeholders = issue(hass, entry, "firmware_too_old").translation_placeholders
    assert placeholders is not None
    assert "update the firmware" in placeholders["error"]
    refused.side_effect = None if when == "identify" else p1._read
    await retry_setup(hass, freezer)
    assert entry.state is ConfigEntryState.LOADED
    assert issue_keys(hass, entry) == {}


async def test_other_failures_raise_no_issue(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, p1)
    for failure in (InvalidResponse("not JSON"), CannotConnect("unreachable")):
        p1.failure = failure
        await refresh(hass, freezer)
        assert hass.states.get(POWER).state == STATE_UNAVAILABLE
        assert issue_keys(hass, entry) == {}


async def test_removed_entry_leaves_no_issue(hass: HomeAssistant, p1: FakeDevice) -> None:
    p1.client.identify.side_effect = ApiDisabled("GET /api answered 403")
    entry = await set_up(hass, p1)
    assert issue_keys(hass, entry)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_keys(hass, entry) == {}


async def test_a_notice_of_the_client_is_a_repair_issue_until_it_goes(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    """What the device's client notices (an IGEN meter whose broadcasts are off) is said while it lasts."""
    entry = await set_up(hass, p1)
    p1.client.notices.return_value = (Notice("push_not_received", {"port": "8088"}),)
    await refresh(hass, freezer)
    assert issue_keys(hass, entry) == {"push_not_received": ir.IssueSeverity.WARNING}
    placeholders = issue(hass, entry, "push_not_received").translation_placeholders
    assert placeholders == {"port": "8088", "name": entry.title, "host": HOST}
    p1.client.notices.return_value = ()  # switched on in the vendor's app: the next reading clears it
    await refresh(hass, freezer)
    assert issue_keys(hass, entry) == {}
