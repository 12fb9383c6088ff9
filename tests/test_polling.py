"""Polled devices are read on a grid every entry shares: those due together are read in one instant."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.local_energy.const import CONF_UPDATE_INTERVAL
from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.snapshot import DeviceIdentity, Snapshot
from custom_components.local_energy.polling import FIRST_POLL_EARLY, MINIMUM_SLOTS, PollGrid, next_poll
from tests.conftest import refresh, setup_entry
from tests.documented import IGEN_P1_CAPTURE
from tests.fake_client import P1_IDENTITY, FakeDevice, documented_p1, entry_of, fake_device, serving, set_up


@pytest.mark.parametrize("interval", [1.0, 2.0, 2.5, 10.0])
@pytest.mark.parametrize("now", [0.0, 0.05, 0.2, 999.3, 1_796_534_951.542745])
def test_the_next_poll_is_on_the_grid_within_one_interval(now: float, interval: float) -> None:
    slot = 0.1625
    due = next_poll(now, interval, slot)
    assert now < due <= now + interval
    assert (due - slot) / interval == pytest.approx(round((due - slot) / interval))
    later = now + (due - now) / 2  # asked again before that instant: the very same instant
    assert next_poll(later, interval, slot) == due


@pytest.mark.parametrize(("entries", "slots"), [(1, MINIMUM_SLOTS), (52, 11), (156, 32)])
def test_the_slots_are_where_home_assistant_polls_and_grow_with_the_entries(entries: int, slots: int) -> None:
    grid = PollGrid()
    grid.entries.update(f"entry{number}" for number in range(entries))
    assert grid.slots == slots  # about POLLS_PER_INSTANT entries at each moment
    moments = {grid.slot_of(f"entry{number}") for number in range(500)}
    assert len(moments) == slots
    assert all(0.05 <= moment < 0.5 for moment in moments)
    assert grid.slot_of("entry1") == grid.slot_of("entry1")  # the same in every run


def entry_ids_in_slots() -> list[str]:
    """Two entry ids that share a moment of the second, then one at another (three entries: 8 slots)."""
    grid = PollGrid()
    ids = [f"entry{number}" for number in range(50)]
    first = ids[0]
    same = next(i for i in ids[1:] if grid.slot_of(i) == grid.slot_of(first))
    other = next(i for i in ids[1:] if grid.slot_of(i) != grid.slot_of(first))
    return [first, same, other]


async def test_entries_due_together_are_read_in_one_instant(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    devices: dict[str, FakeDevice] = {}
    for number, entry_id in enumerate(entry_ids_in_slots()):
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


async def test_a_timer_stopped_and_started_during_a_poll_keeps_one_chain_of_polls(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A push device that falls silent, pushes, and falls silent again while a poll is under way."""
    device = documented_p1()
    entry = await set_up(hass, device)
    polls = entry.runtime_data.coordinator.polls
    answered = asyncio.Event()

    async def slow_read() -> Snapshot:
        await answered.wait()
        return await device._read()

    device.client.read.side_effect = slow_read
    freezer.tick(1)
    async_fire_time_changed(hass)
    await asyncio.sleep(0)  # the poll is under way
    polls.stop()
    polls.start()
    answered.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    reads = device.client.read.call_count
    for _ in range(3):
        await refresh(hass, freezer, 1)
    assert device.client.read.call_count - reads == 3  # one a second, not two


@pytest.mark.parametrize("interval", [2, 10, 60])
async def test_the_first_poll_waits_an_interval_after_the_setup_read(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, interval: int
) -> None:
    """A device allowing one request per interval (stromleser.one) would refuse a poll right after setup."""
    device = documented_p1()
    entry = await set_up(hass, device, **{CONF_UPDATE_INTERVAL: interval})
    polls = entry.runtime_data.coordinator.polls
    assert polls.due is not None
    wait = polls.due - hass.loop.time()
    assert interval - FIRST_POLL_EARLY <= wait <= 2 * interval - FIRST_POLL_EARLY
    await refresh(hass, freezer, wait - 1)  # Home Assistant's test clock may move half a second on
    assert device.client.read.call_count == 1  # only the setup's read
    await refresh(hass, freezer, 1)
    assert device.client.read.call_count == 2


async def test_a_push_device_that_falls_silent_is_read_at_once_then_an_interval_later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The read when the silence is noticed is the interval's read: no poll of the grid right after it."""
    identity = DeviceIdentity(vendor=igen.VENDOR, model="MR3-D5-WR", serial="D850BD20A300129S")
    values = igen.parse_values(IGEN_P1_CAPTURE["data"])
    device = fake_device("igen", identity, igen.snapshot_of(values), pushes=True)
    entry = await set_up(hass, device, **{CONF_UPDATE_INTERVAL: 10})
    coordinator = entry.runtime_data.coordinator
    assert coordinator.polls.due is None  # it pushes: not polled
    await refresh(hass, freezer, igen.PUSH_FRESH + 1)  # no push: silent
    assert coordinator.silent
    assert device.client.read.call_count == 2  # setup's read, and one when the silence was noticed
    assert coordinator.polls.due is not None
    assert coordinator.polls.due - hass.loop.time() >= 10 - FIRST_POLL_EARLY
