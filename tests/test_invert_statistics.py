"""Changing the invert option keeps the import and export counters continuous in long-term statistics.

On a fake client answering HomeWizard's documented P1 payload, its counters moved by each reading.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.local_energy import discovery
from custom_components.local_energy.const import (
    CONF_COUNTER_OFFSETS,
    CONF_INVERT,
    CONF_INVERTED_BEFORE,
    CONF_UPDATE_INTERVAL,
)
from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from tests.conftest import free_udp_port
from tests.fake_client import FakeDevice, documented_p1, serving, set_up, with_value

IMPORT = "sensor.homewizard_p1_meter_energy_import"
EXPORT = "sensor.homewizard_p1_meter_energy_export"


@pytest.fixture(autouse=True)
def _custom_integrations(
    recorder_mock: Recorder,
    socket_enabled: None,
    enable_custom_integrations: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As in conftest, with the recorder set up before Home Assistant (it must come first)."""
    monkeypatch.setitem(discovery.LISTEN_PORTS, "igen", free_udp_port())


@pytest.fixture
def p1() -> Iterator[FakeDevice]:
    device = documented_p1()
    with serving(device):  # reloads too
        yield device


def advance(device: FakeDevice) -> None:
    """A second later: the meter counted 1 Wh more import and 0.5 Wh more export."""
    values = device.answer.channels[MAIN_CHANNEL].values
    for key, wh in ((Key.ENERGY_IMPORT, 1.0), (Key.ENERGY_EXPORT, 0.5)):
        device.answer = with_value(device.answer, key, float(values[key]) + wh / 1000)


async def run(hass: HomeAssistant, device: FakeDevice, entry: MockConfigEntry) -> None:
    for _ in range(5):
        advance(device)
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()


def five_minutes_ago() -> datetime:
    """The start of the 5-minute statistics period now runs in."""
    now = dt_util.utcnow()
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


async def invert(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Tick the invert option in the entry's options form."""
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_UPDATE_INTERVAL: 1.0, CONF_INVERT: True}
    )
    await hass.async_block_till_done()


async def assert_counters_grew_only_by_what_was_measured(
    recorder_mock: Recorder, hass: HomeAssistant, start: datetime
) -> None:
    """The long-term statistics of both counters grew by what a few seconds measure, no swap or jump."""
    for period in (start, start + timedelta(minutes=5)):  # the run may cross a 5-minute boundary
        do_adhoc_statistics(hass, start=period)
    await async_wait_recording_done(hass)
    stats = await recorder_mock.async_add_executor_job(
        statistics_during_period, hass, start, None, {IMPORT, EXPORT}, "5minute", None, {"sum", "state"}
    )
    for entity in (IMPORT, EXPORT):
        assert stats[entity], entity
        growth = stats[entity][-1]["sum"]
        assert 0 <= growth < 0.05, (entity, growth)


async def counters_after_a_run(
    hass: HomeAssistant, device: FakeDevice
) -> tuple[MockConfigEntry, dict[str, float]]:
    """The meter's entry after a few readings, and what its counters show then."""
    entry = await set_up(hass, device)
    await run(hass, device, entry)
    return entry, {entity: float(hass.states.get(entity).state) for entity in (IMPORT, EXPORT)}


async def test_invert_change_adds_nothing_to_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    p1: FakeDevice,
) -> None:
    start = five_minutes_ago()
    entry, shown = await counters_after_a_run(hass, p1)
    values = p1.answer.channels[MAIN_CHANNEL].values
    # The registers differ by far more than one run measures: a swap would show.
    assert abs(float(values[Key.ENERGY_IMPORT]) - float(values[Key.ENERGY_EXPORT])) > 100

    await invert(hass, entry)
    assert set(entry.options[CONF_COUNTER_OFFSETS]) >= {"|energy_import", "|energy_export"}
    for entity, before in shown.items():
        assert float(hass.states.get(entity).state) == pytest.approx(before, abs=0.01)  # no jump
    await run(hass, p1, entry)
    await assert_counters_grew_only_by_what_was_measured(recorder_mock, hass, start)


async def test_invert_changed_while_the_device_is_away(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    p1: FakeDevice,
) -> None:
    """The option changes while the entry waits for its device: counters continue when it is back."""
    start = five_minutes_ago()
    entry, shown = await counters_after_a_run(hass, p1)

    p1.client.identify.side_effect = CannotConnect("the meter is away")
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    await invert(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    p1.client.identify.side_effect = None
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert CONF_INVERTED_BEFORE not in entry.options  # the offsets are made and kept
    for entity, before in shown.items():
        assert float(hass.states.get(entity).state) == pytest.approx(before, abs=0.01)  # no swap
    await run(hass, p1, entry)
    await assert_counters_grew_only_by_what_was_measured(recorder_mock, hass, start)
