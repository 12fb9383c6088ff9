"""How often changes are shown: power at the entry's rate, slow quantities at most every 10 s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback

from custom_components.local_energy.const import CONF_EVERY_VALUE_FAST
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from custom_components.local_energy.value_listeners import ValueContext
from simulators.enistic import EnisticSimulator
from simulators.homewizard import HomeWizardSimulator
from tests.conftest import homewizard_entry, refresh, setup_entry, setup_heard_enistic, wait_for

POWER = "sensor.homewizard_p1_meter_power"
VOLTAGE = "sensor.homewizard_p1_meter_voltage_phase_1"
ENISTIC_POWER = "sensor.socket_041319_power"


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
    hass: HomeAssistant, homewizard_sim: HomeWizardSimulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, homewizard_entry(homewizard_sim))
    voltages = writes_of(hass, VOLTAGE)
    for second in range(1, 10):
        homewizard_sim.state.powers[0] = 100.0 + second
        homewizard_sim.state.voltages[0] = 230.0 + second / 10
        await refresh(hass, freezer)
        assert state(hass, POWER) == sum(homewizard_sim.state.powers)  # every second
    assert voltages == []  # within ten seconds of the value shown at setup: held
    await refresh(hass, freezer, 2)  # its time came: the newest held value, once
    assert voltages == ["230.9"]


async def test_a_held_change_is_shown_without_another_update(
    hass: HomeAssistant, homewizard_sim: HomeWizardSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = homewizard_entry(homewizard_sim, update_interval=60)
    await setup_entry(hass, entry)
    homewizard_sim.state.voltages[0] = 231.0
    await refresh(hass, freezer, 60)  # the poll shows it at once: nothing shown in the last 10 s
    assert state(hass, VOLTAGE) == 231.0
    homewizard_sim.state.voltages[0] = 232.0
    await entry.runtime_data.coordinator.async_refresh()  # an early read (after a command): held
    assert state(hass, VOLTAGE) == 231.0
    await refresh(hass, freezer, 10)  # its time has come, no poll due yet
    assert state(hass, VOLTAGE) == 232.0


async def test_unchanged_values_are_not_written_but_power_is_reported(
    hass: HomeAssistant, homewizard_sim: HomeWizardSimulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, homewizard_entry(homewizard_sim))
    powers, voltages = writes_of(hass, POWER), writes_of(hass, VOLTAGE)
    for _ in range(5):
        await refresh(hass, freezer)  # every reading the same
    assert voltages == []  # a slower quantity that holds: no state write at all
    # Power reports each reading (a state report, not a change): a control loop sees it hold, not go stale.
    assert powers == [hass.states.get(POWER).state] * 5  # type: ignore[union-attr]


async def test_the_option_shows_every_change_at_the_entry_rate(
    hass: HomeAssistant, homewizard_sim: HomeWizardSimulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, homewizard_entry(homewizard_sim, **{CONF_EVERY_VALUE_FAST: True}))
    for second in range(1, 4):
        homewizard_sim.state.voltages[0] = 230.0 + second / 10
        await refresh(hass, freezer)
        assert state(hass, VOLTAGE) == 230.0 + second / 10


async def test_an_entity_is_told_only_of_its_own_values_changes(
    hass: HomeAssistant, homewizard_sim: HomeWizardSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = homewizard_entry(homewizard_sim)
    await setup_entry(hass, entry)
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
        homewizard_sim.state.powers[0] = 100.0 + second
        await refresh(hass, freezer)
    assert told == {Key.POWER_L1: 5, Key.VOLTAGE_L1: 0}
    await homewizard_sim.stop()  # unavailable: every value's entity is told
    await refresh(hass, freezer)
    assert told[Key.VOLTAGE_L1] == 1


async def test_a_fast_pusher_re_reports_an_unchanged_power_once_a_second(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_heard_enistic(hass, enistic_sim, freezer)
    client = entry.runtime_data.coordinator.client
    reports = writes_of(hass, ENISTIC_POWER)
    for _ in range(4):  # the same reading four times within a second
        heard = client.datagrams
        enistic_sim.broadcast()
        await wait_for(hass, lambda heard=heard: client.datagrams >= heard + len(enistic_sim.meters))
        await refresh(hass, freezer, 0.25)
    assert len(reports) <= 1  # a steady value is said once a second, not with every reading
    said = len(reports)
    await refresh(hass, freezer, 1.0)
    heard = client.datagrams
    enistic_sim.broadcast()
    await wait_for(hass, lambda: client.datagrams >= heard + len(enistic_sim.meters))
    assert len(reports) == said + 1  # but it is said: a control loop sees it hold
