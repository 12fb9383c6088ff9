"""Polled devices are read on a grid every entry shares: those due together are read in one instant."""

from __future__ import annotations

from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from custom_components.local_energy.polling import POLL_SLOTS, next_poll, slot_of
from tests.conftest import refresh, setup_entry
from tests.fake_client import P1_IDENTITY, FakeDevice, documented_p1, entry_of, serving


@pytest.mark.parametrize("interval", [1.0, 2.0, 2.5, 10.0])
@pytest.mark.parametrize("now", [0.0, 0.05, 0.2, 999.3, 1_796_534_951.542745])
def test_the_next_poll_is_on_the_grid_within_one_interval(now: float, interval: float) -> None:
    slot = 0.1625
    due = next_poll(now, interval, slot)
    assert now < due <= now + interval
    assert (due - slot) / interval == pytest.approx(round((due - slot) / interval))
    later = now + (due - now) / 2  # asked again before that instant: the very same instant
    assert next_poll(later, interval, slot) == due


def test_the_slots_are_where_home_assistant_polls() -> None:
    slots = {slot_of(f"entry{number}") for number in range(200)}
    assert len(slots) == POLL_SLOTS
    assert all(0.05 <= slot < 0.5 for slot in slots)
    assert slot_of("entry1") == slot_of("entry1")  # the same in every run


def entry_ids_in(slots: int) -> list[str]:
    """Two entry ids that share a slot, then one in another."""
    ids = [f"entry{number}" for number in range(50)]
    first = ids[0]
    same = next(i for i in ids[1:] if slot_of(i) == slot_of(first))
    other = next(i for i in ids[1:] if slot_of(i) != slot_of(first))
    return [first, same, other][:slots]


async def test_entries_due_together_are_read_in_one_instant(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    devices: dict[str, FakeDevice] = {}
    for number, entry_id in enumerate(entry_ids_in(3)):
        device = documented_p1()
        device.identity = replace(P1_IDENTITY, serial=f"3c39e7aabb{number:02x}")
        device.client.identify.return_value = device.identity
        with serving(device):
            await setup_entry(hass, entry_of(device, entry_id))
        devices[entry_id] = device
    entries = [hass.config_entries.async_get_entry(entry_id) for entry_id in devices]
    for _ in range(3):
        first, same, other = (entry.runtime_data.coordinator.polls.due for entry in entries)
        assert first is not None
        assert first == same  # one instant: one wake-up for both
        assert other != first  # another slot: another instant
        assert hass.loop.time() < first <= hass.loop.time() + 1
        await refresh(hass, freezer, 1)
    assert all(device.client.read.call_count == 1 + 3 for device in devices.values())  # polled each second
