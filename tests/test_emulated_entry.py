"""A served meter set up through the config flow: Home Assistant's grid sensor served on real sockets.

Our own Shelly client reads the Pro 3EM persona; a Marstek-style poller asks over UDP; the source's
changes, re-reports and unavailability reach what is served; a port that cannot be bound raises a repair
issue and the entry retries; unloading releases every port; the options keep the stored MAC.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncGenerator
from ipaddress import ip_address
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import pytest
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import (
    CONF_CLIENT_SHARES,
    CONF_FACTOR,
    CONF_GRID_SENSOR,
    CONF_LISTEN_HOST,
    CONF_MAC,
    CONF_OFFSET,
    CONF_PHASE_SENSORS,
    CONF_POWER_SENSOR,
    CONF_SERVED_METERS,
    CONF_STALE_AFTER,
    CONF_TARGET,
    CONTROLLER,
    DOMAIN,
    EMULATED_METER,
)
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.shelly import ShellyClient
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from custom_components.local_energy.diagnostics import async_get_config_entry_diagnostics
from custom_components.local_energy.emulation.personas import PERSONAS
from custom_components.local_energy.issues import PORT_ISSUE
from simulators.battery_clients import (
    BatteryClient,
    EcoTrackerPoller,
    HoymilesPoller,
    IndevoltPoller,
    MarstekPoller,
)

from .conftest import free_tcp_port, free_udp_port

CONF_PRO3EM_PORT, CONF_UDP_PORT, CONF_UDP_PORT_2, CONF_PROEM_PORT, CONF_ECOTRACKER_PORT = (
    persona.option for persona in PERSONAS
)
GRID = "sensor.grid_power"
WATT = {ATTR_UNIT_OF_MEASUREMENT: "W", "device_class": "power"}


def ports(**changes: int) -> dict[str, int]:
    """Every persona on a free loopback port (0: not served)."""
    return {
        CONF_PRO3EM_PORT: free_tcp_port(),
        CONF_UDP_PORT: free_udp_port(),
        CONF_UDP_PORT_2: 0,
        CONF_PROEM_PORT: 0,
        CONF_ECOTRACKER_PORT: free_tcp_port(),
        **changes,
    }


def form(**changes: Any) -> dict[str, Any]:
    return {CONF_POWER_SENSOR: GRID, CONF_LISTEN_HOST: "127.0.0.1", **ports(), **changes}


async def add_through_the_flow(hass: HomeAssistant, values: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    assert EMULATED_METER in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EMULATED_METER}
    )
    assert result["type"] is FlowResultType.FORM
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], values))


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


async def get_json(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, Any]:
    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.json(content_type=None)


async def ask_udp(port: int, request: dict[str, Any]) -> dict[str, Any] | None:
    """One Marstek-style request; None when nothing answers within half a second."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.bind(("127.0.0.1", 0))
        await loop.sock_sendto(sock, json.dumps(request).encode(), ("127.0.0.1", port))
        try:
            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), 0.5)
        except TimeoutError:
            return None
    return dict(json.loads(data))


async def test_a_grid_sensor_is_served_as_a_shelly_pro_3em_our_client_reads(
    hass: HomeAssistant, transports: Transports
) -> None:
    hass.states.async_set(GRID, "1234", WATT)
    values = form()
    result = await add_through_the_flow(hass, values)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    assert len(entry.data[CONF_MAC]) == 12
    client = ShellyClient(ConnectionConfig(host="127.0.0.1", port=values[CONF_PRO3EM_PORT]), transports)
    identity = await client.identify()
    assert identity.model == "Shelly Pro 3EM"
    assert identity.serial == entry.data[CONF_MAC].lower()
    assert (await client.read()).channels[MAIN_CHANNEL].values[Key.POWER] == 1234.0
    hass.states.async_set(GRID, "-480", WATT)  # the next answer carries the newest value
    assert (await client.read()).channels[MAIN_CHANNEL].values[Key.POWER] == -480.0
    await client.close()
    assert hass.states.get("sensor.served_meter_grid_power_served_power").state == "1234.0"


async def test_marstek_asks_over_udp_and_an_unavailable_source_is_not_served(
    hass: HomeAssistant, session: aiohttp.ClientSession
) -> None:
    hass.states.async_set(GRID, "0.75", {ATTR_UNIT_OF_MEASUREMENT: "kW", "device_class": "power"})
    values = form()
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    answer = await ask_udp(values[CONF_UDP_PORT], {"id": 1, "method": "EM.GetStatus", "params": {"id": 0}})
    assert answer is not None
    assert answer["result"]["total_act_power"] == 750.0
    status, body = await get_json(session, values[CONF_ECOTRACKER_PORT], "/v1/json")
    assert (status, body["power"]) == (200, 750.0)
    hass.states.async_set(GRID, STATE_UNAVAILABLE, {})
    assert (
        await ask_udp(values[CONF_UDP_PORT], {"id": 2, "method": "EM.GetStatus", "params": {"id": 0}}) is None
    )
    status, _ = await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/EM.GetStatus?id=0")
    assert status == 503
    hass.states.async_set(GRID, "0.1", {ATTR_UNIT_OF_MEASUREMENT: "kW", "device_class": "power"})
    status, body = await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/EM.GetStatus?id=0")
    assert (status, body["total_act_power"]) == (200, 100.0)


async def test_three_phase_sensors_offset_and_factor(
    hass: HomeAssistant, session: aiohttp.ClientSession
) -> None:
    phases = ["sensor.l1", "sensor.l2", "sensor.l3"]
    for entity_id, watts in zip(phases, ("100", "200", "-50"), strict=True):
        hass.states.async_set(entity_id, watts, WATT)
    values = form(**{CONF_POWER_SENSOR: None, CONF_PHASE_SENSORS: phases, CONF_OFFSET: 30, CONF_FACTOR: 2})
    del values[CONF_POWER_SENSOR]
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    _, body = await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/EM.GetStatus?id=0")
    assert (body["a_act_power"], body["b_act_power"], body["c_act_power"]) == (210.0, 410.0, -90.0)
    assert body["total_act_power"] == 530.0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({CONF_POWER_SENSOR: None}, {CONF_POWER_SENSOR: "no_source"}),
        ({CONF_POWER_SENSOR: None, CONF_PHASE_SENSORS: ["sensor.l1"]}, {CONF_PHASE_SENSORS: "three_phases"}),
        ({CONF_PROEM_PORT: 8080, CONF_ECOTRACKER_PORT: 8080}, {"base": "ports_clash"}),
        ({CONF_PRO3EM_PORT: 0, CONF_UDP_PORT: 0, CONF_ECOTRACKER_PORT: 0}, {"base": "nothing_served"}),
    ],
)
async def test_the_form_says_what_is_wrong(
    hass: HomeAssistant, changes: dict[str, Any], error: dict[str, str]
) -> None:
    hass.states.async_set(GRID, "10", WATT)
    values = {key: value for key, value in form(**changes).items() if value is not None}
    result = await add_through_the_flow(hass, values)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error


async def test_a_port_taken_raises_an_issue_and_the_entry_retries(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "10", WATT)
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    values = form(**{CONF_PRO3EM_PORT: port})
    entry = MockConfigEntry(
        domain=DOMAIN, data={"family": EMULATED_METER, CONF_MAC: "AABBCC000001"}, options=values
    )
    entry.add_to_hass(hass)
    try:
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_RETRY
        issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{entry.entry_id}_{PORT_ISSUE}")
        assert issue is not None
        assert issue.translation_placeholders is not None
        assert issue.translation_placeholders["port"] == str(port)
        # The UDP port bound before the taken one was released again: another entry may have it.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", values[CONF_UDP_PORT]))
    finally:
        taken.close()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_unload_releases_every_port_and_options_keep_the_mac(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "10", WATT)
    values = form()
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    mac = entry.data[CONF_MAC]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == EMULATED_METER
    result = await hass.config_entries.options.async_configure(result["flow_id"], {**values, CONF_OFFSET: 50})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    runtime = entry.runtime_data.served_meter
    assert runtime is not None
    assert runtime.source.offset == 50.0
    assert entry.data[CONF_MAC] == mac
    assert await hass.config_entries.async_unload(entry.entry_id)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", values[CONF_PRO3EM_PORT]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", values[CONF_UDP_PORT]))


async def test_diagnostics_name_each_client(hass: HomeAssistant, session: aiohttp.ClientSession) -> None:
    hass.states.async_set(GRID, "10", WATT)
    values = form()
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    await get_json(session, values[CONF_PRO3EM_PORT], "/shelly")
    await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/Shelly.GetStatus")
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    client = diagnostics["served_meter"]["clients"]["127.0.0.1"]
    assert client["requests"] == 2
    assert set(client["methods"]) == {"/shelly", "Shelly.GetStatus"}
    assert diagnostics["served_meter"]["serving"] is True


async def test_the_batteries_that_read_a_meter_read_the_served_one(hass: HomeAssistant) -> None:
    """Marstek over UDP, Hoymiles after its discovery calls, INDEVOLT and an EcoTracker reader over HTTP."""
    hass.states.async_set(GRID, "321", WATT)
    values = form()
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    http, udp, eco = values[CONF_PRO3EM_PORT], values[CONF_UDP_PORT], values[CONF_ECOTRACKER_PORT]
    batteries: list[BatteryClient] = [
        MarstekPoller("127.0.0.1", udp, 0.1),
        HoymilesPoller("127.0.0.1", http, 0.1),
        IndevoltPoller("127.0.0.1", http, 0.1),
        EcoTrackerPoller("127.0.0.1", eco, 0.1),
    ]  # all from one address here: within its rate of 20 a second
    stop = asyncio.Event()
    polling = [asyncio.create_task(battery.run(stop)) for battery in batteries]
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*polling)
    for battery in batteries:
        assert battery.polls.failures == 0, type(battery).__name__
        assert battery.polls.powers, type(battery).__name__
        assert set(battery.polls.powers) == {321.0}, type(battery).__name__
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    runtime = entry.runtime_data.served_meter
    assert runtime is not None
    assert set(runtime.clients.by_address["127.0.0.1"].methods) >= {
        "/shelly",
        "Shelly.GetDeviceInfo",
        "EM.GetConfig",
        "Sys.GetStatus",
        "Shelly.GetStatus",
        "EM.GetStatus",
        "/v1/json",
    }


async def test_the_personas_are_announced_through_home_assistants_zeroconf(
    hass: HomeAssistant, mock_async_zeroconf: MagicMock
) -> None:
    hass.config.components.add("zeroconf")
    hass.states.async_set(GRID, "10", WATT)
    values = form()
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    mac = entry.data[CONF_MAC].lower()
    registered = [call.args[0] for call in mock_async_zeroconf.async_register_service.call_args_list]
    by_type = {info.type: info for info in registered}
    assert set(by_type) == {"_shelly._tcp.local.", "_http._tcp.local.", "_everhome._tcp.local."}
    shelly = by_type["_shelly._tcp.local."]
    assert shelly.port == values[CONF_PRO3EM_PORT]
    assert shelly.properties[b"id"] == f"shellypro3em-{mac}".encode()
    assert shelly.properties[b"gen"] == b"2"
    assert shelly.parsed_addresses() == ["127.0.0.1"]
    everhome = by_type["_everhome._tcp.local."]
    assert (everhome.port, everhome.properties[b"serial"]) == (values[CONF_ECOTRACKER_PORT], mac.encode())
    assert await hass.config_entries.async_unload(entry.entry_id)
    withdrawn = [call.args[0] for call in mock_async_zeroconf.async_unregister_service.call_args_list]
    assert {info.type for info in withdrawn} == set(by_type)


async def test_our_own_discovery_does_not_offer_a_meter_we_serve(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "10", WATT)
    await add_through_the_flow(hass, form())
    await hass.async_block_till_done()
    mac = hass.config_entries.async_entries(DOMAIN)[0].data[CONF_MAC].lower()
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=ZeroconfServiceInfo(
            ip_address=ip_address("127.0.0.1"),
            ip_addresses=[ip_address("127.0.0.1")],
            hostname=f"shellypro3em-{mac}.local.",
            name=f"shellypro3em-{mac}._shelly._tcp.local.",
            port=80,
            type="_shelly._tcp.local.",
            properties={"gen": "2", "id": f"shellypro3em-{mac}"},
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "served_here"


async def test_several_batteries_on_one_meter_each_see_their_share(
    hass: HomeAssistant, session: aiohttp.ClientSession
) -> None:
    hass.states.async_set(GRID, "1000", WATT)
    values = form(**{CONF_CLIENT_SHARES: "127.0.0.1=40, 10.0.0.7=60"})
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    _, body = await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/EM.GetStatus?id=0")
    assert body["total_act_power"] == 400.0
    answer = await ask_udp(values[CONF_UDP_PORT], {"id": 1, "method": "EM.GetStatus", "params": {"id": 0}})
    assert answer is not None
    assert answer["result"]["total_act_power"] == 400.0
    _, body = await get_json(session, values[CONF_ECOTRACKER_PORT], "/v1/json")
    assert body["power"] == 400.0


@pytest.mark.parametrize(
    "shares", ["127.0.0.1", "127.0.0.1=0", "127.0.0.1=101", "host=50", "1.2.3.4=5,1.2.3.4=6"]
)
async def test_shares_that_do_not_parse_are_refused(hass: HomeAssistant, shares: str) -> None:
    hass.states.async_set(GRID, "10", WATT)
    result = await add_through_the_flow(hass, form(**{CONF_CLIENT_SHARES: shares}))
    assert result["errors"] == {CONF_CLIENT_SHARES: "shares_invalid"}


async def test_a_controller_steers_the_batteries_that_read_a_served_meter(
    hass: HomeAssistant, session: aiohttp.ClientSession
) -> None:
    """A target of -300 W (export allowed): what the battery reads is shifted by 300 W while on, not after."""
    hass.states.async_set(GRID, "100", WATT)
    values = form()
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    served = "sensor.served_meter_grid_power_served_power"
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": CONTROLLER})
    controller = {CONF_GRID_SENSOR: GRID, CONF_SERVED_METERS: [served], CONF_TARGET: -300}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], controller)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    switch = next(s.entity_id for s in hass.states.async_all("switch"))
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    for watts in ("110", "120", "130"):  # good data for a while: the loop takes over
        hass.states.async_set(GRID, watts, WATT)
        await hass.async_block_till_done()
    _, body = await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/EM.GetStatus?id=0")
    assert body["total_act_power"] == pytest.approx(130.0 + 300.0, abs=1.0)
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    await hass.async_block_till_done()
    _, body = await get_json(session, values[CONF_PRO3EM_PORT], "/rpc/EM.GetStatus?id=0")
    assert body["total_act_power"] == 130.0


async def test_a_controller_names_only_served_meters_to_steer(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "100", WATT)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": CONTROLLER})
    controller = {CONF_GRID_SENSOR: GRID, CONF_SERVED_METERS: [GRID]}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], controller)
    assert result["errors"] == {CONF_SERVED_METERS: "not_a_served_meter"}


async def test_a_silent_source_stops_being_served_and_a_re_report_serves_it_again(
    hass: HomeAssistant, session: aiohttp.ClientSession
) -> None:
    hass.states.async_set(GRID, "250", WATT)
    values = form(**{CONF_STALE_AFTER: 1})
    await add_through_the_flow(hass, values)
    await hass.async_block_till_done()
    url = "/rpc/EM.GetStatus?id=0"
    assert (await get_json(session, values[CONF_PRO3EM_PORT], url))[0] == 200
    await asyncio.sleep(1.2)  # the feed judges staleness by the monotonic clock, which no test freezes
    assert (await get_json(session, values[CONF_PRO3EM_PORT], url))[0] == 503
    hass.states.async_set(GRID, "250", WATT)  # the same value again: a report, not a change
    await hass.async_block_till_done()
    status, body = await get_json(session, values[CONF_PRO3EM_PORT], url)
    assert (status, body["total_act_power"]) == (200, 250.0)


async def test_a_served_meter_is_changed_in_its_options_not_reconfigured(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "10", WATT)
    await add_through_the_flow(hass, form())
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "served_meter_in_options")
