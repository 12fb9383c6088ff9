"""Setting up, losing and finding devices again, and unloading without leaving anything behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy import discovery
from custom_components.local_energy.const import DOMAIN
from custom_components.local_energy.devices import clock, enistic, udp
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.transports import DATA_TRANSPORTS
from simulators.acuvim import AcuvimSimulator
from simulators.enistic import CONTROLLER as ENISTIC_CONTROLLER
from simulators.enistic import EnisticSimulator
from tests.conftest import (
    acuvim_entry,
    enistic_entry,
    free_udp_port,
    refresh,
    setup_entry,
    wait_for,
)
from tests.fake_client import (
    documented_p1,
    enistic_controller,
    enistic_heard,
    enistic_reading,
    set_up,
    with_value,
)
from tests.test_entities import ENISTIC_BROADCAST

POWER = "sensor.homewizard_p1_meter_power"
SOCKET_POWER = "sensor.socket_041319_power"
METER = "0021EE0000007001"


async def test_not_ready_while_the_device_is_away(hass: HomeAssistant) -> None:
    p1 = documented_p1()
    p1.client.identify.side_effect = CannotConnect("no route to the meter")
    entry = await set_up(hass, p1)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_not_ready_when_the_first_read_fails(hass: HomeAssistant) -> None:
    p1 = documented_p1()
    p1.failure = InvalidResponse("/api/v1/data is not JSON")
    entry = await set_up(hass, p1)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    p1.client.close.assert_awaited()  # nothing left open for the retry


async def test_values_follow_each_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    p1 = documented_p1()
    await set_up(hass, p1)
    for power in (250.0, -1200.5, 0.0):
        p1.answer = with_value(p1.answer, Key.POWER, power)
        await refresh(hass, freezer)
        assert float(hass.states.get(POWER).state) == power


async def test_invert_option(hass: HomeAssistant) -> None:
    p1 = documented_p1()
    await set_up(hass, p1, invert=True)
    assert hass.states.get(POWER).state == "123.0"  # the dump's -123 W, seen from the other side
    assert hass.states.get("sensor.homewizard_p1_meter_energy_import").state == "13086.777"  # its export


async def test_enistic_channels_appear_as_they_are_heard(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A controller is set up before all its meters were heard: each appears with its first reading."""
    controller = enistic_controller(enistic_reading(METER, 2300.0))
    await set_up(hass, controller)
    assert hass.states.get("sensor.meter_007001_power").state == "2300.0"
    assert hass.states.get(SOCKET_POWER) is None
    controller.push(enistic_heard(ENISTIC_BROADCAST, 1.0))
    await hass.async_block_till_done()
    assert hass.states.get(SOCKET_POWER).state == "60.5"
    assert hass.states.get("sensor.meter_007001_channel_3_power").state == "-1200.0"
    assert hass.states.get("switch.socket_041319").state == "on"
    assert hass.states.get("switch.socket_041320").state == "off"
    controller.push(enistic_heard(ENISTIC_BROADCAST + enistic_reading("0021ED0000049999", 5.0, state=1), 2.0))
    await refresh(hass, freezer)  # a push right after another is shown after the spacing
    assert hass.states.get("switch.socket_049999").state == "on"


async def test_enistic_push_is_coalesced_and_goes_stale(
    hass: HomeAssistant,
    enistic_sim: EnisticSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [5000.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    entry = enistic_entry(enistic_sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    enistic_sim.broadcast()
    await wait_for(hass, lambda: hass.states.get(SOCKET_POWER) is not None)
    writes = []
    coordinator.async_add_listener(lambda: writes.append(1))
    for power in (1.0, 2.0, 3.0):
        enistic_sim.meters[0].power = power
        enistic_sim.broadcast()
    await wait_for(hass, lambda: coordinator.client.datagrams >= 20)
    assert writes == []  # three bursts within the interval: held back
    await refresh(hass, freezer)
    assert hass.states.get(SOCKET_POWER).state == "3.0"
    assert len(writes) == 1  # and written once
    assert coordinator.polls.every is None  # push only: never polled
    now[0] += enistic.STALE_AFTER - 1
    await refresh(hass, freezer, enistic.STALE_AFTER - 1)
    assert hass.states.get(SOCKET_POWER).state == "3.0"  # quiet, not yet silent
    now[0] += 2
    await refresh(hass, freezer, 2)
    assert hass.states.get(SOCKET_POWER).state == STATE_UNAVAILABLE  # the watchdog
    assert coordinator.silent
    enistic_sim.broadcast()
    await wait_for(hass, lambda: coordinator.client.datagrams >= 25)
    await refresh(hass, freezer)
    assert hass.states.get(SOCKET_POWER).state == "3.0"


async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, acuvim_sim: AcuvimSimulator
) -> None:
    entries = [enistic_entry(enistic_sim), acuvim_entry(acuvim_sim)]
    for entry in entries:
        await setup_entry(hass, entry)
    transports = hass.data[DATA_TRANSPORTS]
    assert transports.udp.listening(enistic_sim.target[1])
    assert len(transports.modbus) == 1
    await hass.config_entries.async_unload(entries[0].entry_id)
    assert not transports.udp.listening(enistic_sim.target[1])
    assert len(transports.modbus) == 1  # the Acuvim entry still uses its connection
    await hass.config_entries.async_unload(entries[1].entry_id)
    await hass.async_block_till_done()
    assert len(transports.modbus) == 0
    assert all(entry.state is ConfigEntryState.NOT_LOADED for entry in entries)
    discovery_port = discovery.LISTEN_PORTS["igen"]
    assert transports.udp.listening(discovery_port)  # discovery listens as long as Home Assistant runs
    await hass.async_stop(force=True)
    assert not transports.udp.listening(discovery_port)


async def test_nothing_is_polled_faster_than_once_a_second(hass: HomeAssistant) -> None:
    """An interval stored under the minimum (0.5 s) is raised to it: Home Assistant polls once a second."""
    entry = await set_up(hass, documented_p1(), update_interval=0.5)
    assert entry.runtime_data.coordinator.polls.every == timedelta(seconds=1)


async def test_an_enistic_controller_heard_is_discovered(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_udp_port()
    monkeypatch.setitem(discovery.LISTEN_PORTS, "enistic", port)
    controller = EnisticSimulator(port)
    await controller.start()
    assert await async_setup_component(hass, DOMAIN, {})
    controller.broadcast()
    controller.broadcast()  # heard twice, announced once
    await wait_for(hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["integration_discovery"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == ENISTIC_CONTROLLER
    assert result["data"][CONF_HOST] == "127.0.0.1"
    assert result["data"][CONF_PORT] == port
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)
    await controller.stop()


async def test_adding_by_hand_takes_over_a_discovered_flow(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_udp_port()
    monkeypatch.setitem(discovery.LISTEN_PORTS, "enistic", port)
    controller = EnisticSimulator(port)
    await controller.start()
    assert await async_setup_component(hass, DOMAIN, {})
    controller.broadcast()
    await wait_for(hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "enistic"})
    sending = asyncio.create_task(keep_broadcasting(controller))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
    )
    sending.cancel()
    assert result["type"] is FlowResultType.CREATE_ENTRY  # not "already in progress"
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []  # the discovered one is gone
    await hass.config_entries.async_unload(result["result"].entry_id)
    await controller.stop()


async def keep_broadcasting(controller: EnisticSimulator) -> None:
    while True:
        controller.broadcast()
        await asyncio.sleep(0.05)


async def test_a_controller_that_moved_is_followed(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    seconds = [100.0]
    monkeypatch.setattr(clock, "now", lambda: seconds[0])
    port = free_udp_port()
    monkeypatch.setitem(discovery.LISTEN_PORTS, "enistic", port)
    controller = EnisticSimulator(port)
    await controller.start()
    assert await async_setup_component(hass, DOMAIN, {})
    entry = enistic_entry(controller)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=entry.unique_id, data={**entry.data, CONF_HOST: "127.0.0.2"}
    )
    await setup_entry(hass, entry)  # it was at 127.0.0.2; it now sends from 127.0.0.1
    controller.broadcast()
    await wait_for(hass, lambda: controller.sent > 0)
    assert entry.data[CONF_HOST] == "127.0.0.2"  # heard from elsewhere at once: a stranger's
    seconds[0] += udp.MOVED_AFTER + 1
    controller.broadcast()
    await wait_for(hass, lambda: entry.data[CONF_HOST] == "127.0.0.1")
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)
    await controller.stop()
