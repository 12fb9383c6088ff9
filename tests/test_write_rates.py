"""How often changes are shown: power at the entry's rate, slow quantities at most every 10 s.

On a fake client (tests/fake_client.py) answering HomeWizard's documented P1 payload: what is shown, and
when, is the Home Assistant layer's decision, whatever the device.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback

from custom_components.local_energy.const import CONF_EVERY_VALUE_FAST, CONF_UPDATE_INTERVAL
from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Value
from custom_components.local_energy.devices.websocket import Link
from custom_components.local_energy.push import PUSH_SPACING
from custom_components.local_energy.value_listeners import LAYOUT, ValueContext
from tests.conftest import refresh, until_next_poll
from tests.fake_client import FakeDevice, documented_p1, set_up, with_value

POWER = "sensor.homewizard_p1_meter_power"
VOLTAGE = "sensor.homewizard_p1_meter_voltage_phase_1"


@pytest.fixture
def p1() -> FakeDevice:
    return documented_p1()


@pytest.fixture
def pusher() -> FakeDevice:
    """The same meter pushing over a connection that is up (API v2's WebSocket)."""
    return documented_p1(link=Link.UP)


def answers(device: FakeDevice, key: Key, value: Value) -> None:
    """From now on the device answers this value."""
    device.answer = with_value(device.answer, key, value)


def state(hass: HomeAssistant, entity_id: str) -> float:
    found = hass.states.get(entity_id)
    assert found is not None
    return float(found.state)


def writes_of(hass: HomeAssistant, entity_id: str) -> list[str]:
    """Every state written for an entity from now on (also writes that change nothing)."""
    written: list[str] = []

    @callback
    def this_entity(data: Mapping[str, Any]) -> bool:
        return bool(data["entity_id"] == entity_id)

    @callback
    def record(event: Event[Any]) -> None:
        if (new := event.data["new_state"]) is not None:
            written.append(str(new.state))

    hass.bus.async_listen("state_changed", record, event_filter=this_entity)
    hass.bus.async_listen("state_reported", record, event_filter=this_entity)
    return written


async def test_power_follows_each_poll_and_voltage_every_ten_seconds(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, p1)
    voltages = writes_of(hass, VOLTAGE)
    for second in range(1, 10):
        answers(p1, Key.POWER, 100.0 + second)
        answers(p1, Key.VOLTAGE_L1, 230.0 + second / 10)
        await refresh(hass, freezer)
        assert state(hass, POWER) == 100.0 + second  # every second
    assert voltages == []  # within ten seconds of the value shown at setup: held
    await refresh(hass, freezer, 2)  # its time came: the newest held value, once
    assert voltages == ["230.9"]


async def test_a_held_change_is_shown_without_another_update(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, p1, **{CONF_UPDATE_INTERVAL: 60})
    answers(p1, Key.VOLTAGE_L1, 231.0)
    await until_next_poll(hass, freezer, entry)  # the poll shows it at once: nothing shown in the last 10 s
    assert state(hass, VOLTAGE) == 231.0
    answers(p1, Key.VOLTAGE_L1, 232.0)
    await entry.runtime_data.coordinator.async_refresh()  # an early read (after a command): held
    assert state(hass, VOLTAGE) == 231.0
    await refresh(hass, freezer, 10)  # its time has come, no poll due yet
    assert state(hass, VOLTAGE) == 232.0


async def test_a_held_change_is_shown_by_the_first_reading_after_its_time(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    """Held values go out with the reading that follows their time, not by a wake-up of their own."""
    entry = await set_up(hass, p1)
    coordinator = entry.runtime_data.coordinator
    coordinator.polls.stop()  # the readings come when this test says (every 3 s), not on the poll grid
    voltages = writes_of(hass, VOLTAGE)

    async def reading_after(seconds: float) -> None:
        freezer.tick(seconds)
        await coordinator.async_refresh()

    for second in (3, 6, 9):  # shown at setup (0 s): each change is held
        answers(p1, Key.VOLTAGE_L1, 230.0 + second / 10)
        await reading_after(3)
    await refresh(hass, freezer, 1)
    assert voltages == []  # 10 s: its earliest time, and no reading yet
    answers(p1, Key.VOLTAGE_L1, 231.2)
    await reading_after(2)
    assert voltages == ["231.2"]  # the reading at 12 s shows its own value, once


async def test_unchanged_values_are_not_written_but_power_is_reported(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, p1)
    powers, voltages = writes_of(hass, POWER), writes_of(hass, VOLTAGE)
    for _ in range(5):
        await refresh(hass, freezer)  # every reading the same
    assert voltages == []  # a slower quantity that holds: no state write at all
    # Power reports each reading (a state report, not a change): a control loop sees it hold, not go stale.
    assert powers == [hass.states.get(POWER).state] * 5  # type: ignore[union-attr]


async def test_the_option_shows_every_change_at_the_entry_rate(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, p1, **{CONF_EVERY_VALUE_FAST: True})
    for second in range(1, 4):
        answers(p1, Key.VOLTAGE_L1, 230.0 + second / 10)
        await refresh(hass, freezer)
        assert state(hass, VOLTAGE) == 230.0 + second / 10


async def test_an_entity_is_told_only_of_its_own_values_changes(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, p1)
    coordinator = entry.runtime_data.coordinator
    told: dict[Key, int] = {Key.POWER_L1: 0, Key.VOLTAGE_L1: 0}
    for key in told:

        @callback
        def count(key: Key = key) -> None:
            told[key] += 1

        coordinator.async_add_listener(count, ValueContext(MAIN_CHANNEL, key))
    await refresh(hass, freezer)  # the first reading it is told of: all of them
    told = dict.fromkeys(told, 0)
    for second in range(1, 6):
        answers(p1, Key.POWER_L1, 100.0 + second)
        await refresh(hass, freezer)
    assert told == {Key.POWER_L1: 5, Key.VOLTAGE_L1: 0}
    p1.failure = CannotConnect("gone")  # unavailable: every value's entity is told
    await refresh(hass, freezer)
    assert told[Key.VOLTAGE_L1] == 1


async def test_a_fast_pusher_re_reports_an_unchanged_power_once_a_second(
    hass: HomeAssistant, pusher: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, pusher)
    reports = writes_of(hass, POWER)
    for _ in range(4):  # the same reading four times within a second
        pusher.push(pusher.answer)
        await refresh(hass, freezer, 0.25)
    assert len(reports) <= 1  # a steady value is said once a second, not with every reading
    said = len(reports)
    await refresh(hass, freezer, 1.0)
    pusher.push(pusher.answer)
    await hass.async_block_till_done()
    assert len(reports) == said + 1  # but it is said: a control loop sees it hold


async def test_a_pushed_change_is_shown_at_once_however_fast_they_come(
    hass: HomeAssistant, pusher: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, pusher)
    powers = writes_of(hass, POWER)
    await refresh(hass, freezer, 5)  # a quiet spell
    pusher.push(with_value(pusher.answer, Key.POWER, 700.0))
    await hass.async_block_till_done()
    assert powers[-1:] == ["700.0"]  # after quiet: at once, no tick of the clock needed


async def test_a_burst_is_written_by_its_own_pushes_and_never_held_longer_than_the_spacing(
    hass: HomeAssistant, pusher: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    """A meter pushing every 0.16 s: each push after the spacing is written as it arrives (no timer)."""
    await set_up(hass, pusher)
    await refresh(hass, freezer, 5)  # a quiet spell
    shown = []
    for step in range(1, 7):
        pusher.push(with_value(pusher.answer, Key.POWER, 100.0 * step))
        shown.append(state(hass, POWER))  # at its arrival: no loop turn, no timer
        await hass.async_block_till_done()
        freezer.tick(0.16)
    assert shown == [100.0, 100.0, 300.0, 300.0, 500.0, 500.0]  # 0.16 s after a write: held
    await refresh(hass, freezer, PUSH_SPACING - 0.16)  # no push follows the last held one
    assert state(hass, POWER) == 600.0  # shown PUSH_SPACING after it arrived, at the latest


async def test_what_adds_entities_is_told_only_when_channels_or_keys_change(
    hass: HomeAssistant, p1: FakeDevice, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, p1)
    told = []
    entry.runtime_data.coordinator.async_add_listener(lambda: told.append(1), LAYOUT)
    await refresh(hass, freezer)  # the first reading it is told of
    told.clear()
    for second in range(1, 4):
        answers(p1, Key.POWER, 100.0 + second)  # values change, the layout does not
        await refresh(hass, freezer)
    assert told == []
    answers(p1, Key.CURRENT, 6.0)  # a key the meter did not report before (the total current)
    await refresh(hass, freezer)
    assert told == [1]
    assert hass.states.get("sensor.homewizard_p1_meter_current").state == "6.0"  # its entity came
