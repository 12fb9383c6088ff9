"""Shelly Gen2+ through Home Assistant by push: values follow NotifyStatus, the socket's fallback is HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_PASSWORD,
    CONF_USERNAME,
    SERVICE_TURN_OFF,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.local_energy.const import CONF_PUSH_PORT, DOMAIN
from custom_components.local_energy.devices.websocket import Link
from custom_components.local_energy.push import PUSH_SPACING
from simulators.shelly import ShellySimulator
from tests.conftest import HOST, free_udp_port, refresh, setup_entry, until_next_poll, wait_for
from tests.test_shelly import POWER, shelly_entry

pytestmark = pytest.mark.field  # end to end: the pushes cross a network


@pytest.fixture
async def pro3em() -> AsyncGenerator[ShellySimulator]:
    simulator = ShellySimulator("SPEM-003CEBEU")
    await simulator.start()
    yield simulator
    await simulator.stop()


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def pushing(hass: HomeAssistant, device: ShellySimulator) -> MockConfigEntry:
    """The device's entry, set up with its WebSocket up."""
    entry = shelly_entry(device)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    return entry


async def test_values_follow_pushes_without_requests(
    hass: HomeAssistant, pro3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await pushing(hass, pro3em)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.polls.every is None  # pushed, not polled
    requests = len(pro3em.requests)
    socket = coordinator.client._socket
    for power in (100.0, 2000.0, -500.0):
        pro3em.state.powers[0] = power
        heard = socket.notifications
        await pro3em.notify()
        await wait_for(hass, lambda heard=heard: socket.notifications > heard)
        await refresh(hass, freezer, 2)  # one write per interval: the newest
        assert float(state_of(hass, POWER)) == pytest.approx(sum(pro3em.state.powers), abs=0.01)
    assert len(pro3em.requests) == requests  # not one HTTP request
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_dropped_socket_falls_back_to_polling_and_comes_back(
    hass: HomeAssistant, pro3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await pushing(hass, pro3em)
    coordinator = entry.runtime_data.coordinator
    pro3em.websocket_enabled = False
    await pro3em.drop_sockets()
    await wait_for(hass, lambda: coordinator.silent)
    assert coordinator.polls.every is not None  # polled while the socket is down
    await hass.async_block_till_done(wait_background_tasks=True)  # the read made when it fell silent
    pro3em.state.powers[0] = 777.0
    await until_next_poll(hass, freezer, entry)
    assert float(state_of(hass, POWER)) == pytest.approx(sum(pro3em.state.powers), abs=0.01)
    assert "/rpc/Shelly.GetStatus" in pro3em.requests
    pro3em.websocket_enabled = True
    await wait_for(hass, lambda: not coordinator.silent)
    assert coordinator.polls.every is None  # pushed again
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_relay_is_switched_over_the_socket(hass: HomeAssistant) -> None:
    plug = ShellySimulator("S3PL-00112EU")
    await plug.start()
    entry = shelly_entry(plug)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    switch = "switch.shelly_plug_s_gen3_relay"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True)
    assert plug.state.relay is False
    assert "/rpc/Switch.Set" not in plug.requests
    await wait_for(hass, lambda: state_of(hass, switch) == "off")
    await hass.config_entries.async_unload(entry.entry_id)
    await plug.stop()


async def test_a_password_changed_on_the_device_opens_reauth(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    device = ShellySimulator("SPEM-003CEBEU", password="s3cret")
    await device.start()
    entry = shelly_entry(device, **{CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"})
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.client.link is Link.UP)
    device.password = "changed"
    await device.drop_sockets()  # the device drops its clients when its password changes
    await wait_for(hass, lambda: coordinator.silent)
    await refresh(hass, freezer, 2)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    await hass.config_entries.async_unload(entry.entry_id)
    await device.stop()


async def test_a_device_that_closes_after_the_handshake_is_still_read(
    hass: HomeAssistant, pro3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    pro3em.close_after_handshake = True
    entry = shelly_entry(pro3em)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.silent)
    pro3em.state.powers[0] = 321.0
    expected = round(sum(pro3em.state.powers), 1)
    for _ in range(10):  # read within a few intervals, whether by poll or by the next handshake
        await refresh(hass, freezer, 2)
        if round(float(state_of(hass, POWER)), 1) == expected:
            break
    assert round(float(state_of(hass, POWER)), 1) == expected
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture
async def gen1_3em() -> AsyncGenerator[ShellySimulator]:
    simulator = ShellySimulator("SHEM-3")
    simulator.coiot_target = (HOST, free_udp_port())
    simulator.coiot_validity = 3.0
    await simulator.start()
    yield simulator
    await simulator.stop()


def gen1_entry(simulator: ShellySimulator) -> MockConfigEntry:
    assert simulator.coiot_target is not None
    return shelly_entry(simulator, **{CONF_PUSH_PORT: simulator.coiot_target[1]})  # type: ignore[arg-type]


def datagrams(entry: MockConfigEntry) -> int:
    return int(entry.runtime_data.coordinator.client.diagnostics()["coiot"]["datagrams"])


async def publish(
    hass: HomeAssistant, simulator: ShellySimulator, entry: MockConfigEntry, power: float
) -> None:
    """One CoIoT status with phase 1 at power, heard by the entry."""
    simulator.state.powers[0] = power
    heard = datagrams(entry)
    await simulator.publish_coiot()
    await wait_for(hass, lambda: datagrams(entry) > heard)
    await hass.async_block_till_done()


async def test_gen1_follows_coiot_without_polling(
    hass: HomeAssistant, gen1_3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = gen1_entry(gen1_3em)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    requests = len(gen1_3em.requests)
    for power in (100.0, 2000.0, -500.0):
        await publish(hass, gen1_3em, entry, power)
        await wait_for(hass, lambda: coordinator.client.link is Link.UP)
        await refresh(hass, freezer, 2)  # within the 3 s validity: one write per interval, the newest
        assert coordinator.polls.every is None  # followed by CoIoT, not polled
        expected = round(sum(round(power, 2) for power in gen1_3em.state.powers), 2)
        assert float(state_of(hass, "sensor.shelly_3em_power")) == pytest.approx(expected, abs=0.01)
    assert len(gen1_3em.requests) == requests  # not one HTTP request
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_change_after_a_re_report_is_shown_at_once(
    hass: HomeAssistant, gen1_3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """CoIoT re-reports the unchanged state; the change that follows it is not held for the interval."""
    entry = gen1_entry(gen1_3em)
    await setup_entry(hass, entry)
    await publish(hass, gen1_3em, entry, 100.0)
    freezer.tick(0.5)
    async_fire_time_changed(hass)  # a phase's change within half a second of the last: shown now
    await hass.async_block_till_done()
    freezer.tick(2.5)
    await publish(hass, gen1_3em, entry, 100.0)  # the same values again: a re-report
    freezer.tick(0.3)
    await publish(hass, gen1_3em, entry, 2500.0)  # no time passes after it arrives
    assert float(state_of(hass, "sensor.shelly_3em_power_phase_1")) == 2500.0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_gen1_without_coiot_is_polled(
    hass: HomeAssistant, gen1_3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = gen1_entry(gen1_3em)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await refresh(hass, freezer, 4)  # no datagram within silent_after
    assert coordinator.silent
    assert coordinator.polls.every is not None
    gen1_3em.state.powers[0] = 640.0
    await until_next_poll(hass, freezer, entry)
    assert float(state_of(hass, "sensor.shelly_3em_power_phase_1")) == 640.0
    assert gen1_3em.requests.count("/status") >= 2
    await hass.config_entries.async_unload(entry.entry_id)


async def test_gen1_coiot_that_stops_falls_back_to_polling_and_comes_back(
    hass: HomeAssistant, gen1_3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = gen1_entry(gen1_3em)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await publish(hass, gen1_3em, entry, 300.0)
    assert coordinator.client.link is Link.UP
    await refresh(hass, freezer, 4.6)  # the validity (3 s) and its grace have passed: the feed is down
    assert coordinator.client.link is not Link.UP
    assert coordinator.silent
    assert coordinator.polls.every is not None
    await publish(hass, gen1_3em, entry, 400.0)
    assert not coordinator.silent
    assert coordinator.polls.every is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_gen1_with_seldom_coiot_shows_it_and_keeps_polling(
    hass: HomeAssistant, gen1_3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    gen1_3em.coiot_validity = 15.0  # the default CoIoT period: too seldom to follow alone
    entry = gen1_entry(gen1_3em)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await refresh(hass, freezer, 4)
    assert coordinator.silent
    await publish(hass, gen1_3em, entry, 1500.0)
    assert float(state_of(hass, "sensor.shelly_3em_power_phase_1")) == 1500.0  # shown at once
    assert coordinator.silent
    assert coordinator.polls.every is not None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_home_assistant_stops_with_the_socket_open_and_nothing_after(
    hass: HomeAssistant, pro3em: ShellySimulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await pushing(hass, pro3em)
    requests = len(pro3em.requests)
    await hass.async_stop()
    assert entry.runtime_data.coordinator.client.link is not Link.UP  # closed at the stop, not by the session
    assert len(pro3em.requests) == requests  # not read again over HTTP
    ours = [record for record in caplog.records if record.name.startswith("custom_components.local_energy")]
    assert not [record for record in ours if record.levelno >= logging.INFO]


async def push(hass: HomeAssistant, pro3em: ShellySimulator, socket: Any, power: float) -> None:
    """One NotifyStatus with phase 1 at power, taken by the entry (no time passes)."""
    pro3em.state.powers[0] = power
    heard = socket.notifications
    await pro3em.notify()
    await wait_for(hass, lambda: socket.notifications > heard)


async def test_a_pushed_change_is_shown_at_once_at_the_default_interval(
    hass: HomeAssistant, pro3em: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The family's 2 s interval holds no push back; only a faster burst is coalesced, to its newest."""
    entry = await pushing(hass, pro3em)
    coordinator = entry.runtime_data.coordinator
    socket = coordinator.client._socket
    freezer.tick(1.0)
    await push(hass, pro3em, socket, 1000.0)
    assert float(state_of(hass, POWER)) == pytest.approx(sum(pro3em.state.powers), abs=0.01)
    freezer.tick(0.5)  # a quarter of the interval later: still shown at once
    await push(hass, pro3em, socket, 1500.0)
    assert float(state_of(hass, POWER)) == pytest.approx(sum(pro3em.state.powers), abs=0.01)
    await push(hass, pro3em, socket, 1600.0)  # a burst: within the spacing of the last write
    await push(hass, pro3em, socket, 1700.0)
    assert float(state_of(hass, POWER)) == pytest.approx(sum(pro3em.state.powers) - 200.0, abs=0.01)
    await refresh(hass, freezer, PUSH_SPACING)  # never held longer than the spacing
    assert float(state_of(hass, POWER)) == pytest.approx(sum(pro3em.state.powers), abs=0.01)  # the newest
    await hass.config_entries.async_unload(entry.entry_id)
