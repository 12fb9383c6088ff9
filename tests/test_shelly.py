"""Shelly through Home Assistant: flows with and without a password, zeroconf, reauth, relays, recovery.

The flows run on a fake client (tests/fake_client.py); reauth, a foreign MAC on the socket, relays and
recovery run against the simulator, end to end.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
from ipaddress import ip_address
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy.const import CONF_EVERY_VALUE_FAST, CONF_FAMILY, CONF_SERIAL, DOMAIN
from custom_components.local_energy.devices import clock
from custom_components.local_energy.devices.errors import (
    CannotConnect,
)
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Value
from custom_components.local_energy.devices.websocket import Link
from simulators.shelly import ISSUE_MODELS, ShellySimulator
from tests.conftest import HOST, refresh, setup_entry, wait_for
from tests.documented import SHELLY_PLUG_S_GEN1_STATUS, SHELLY_PLUG_S_GEN3_SWITCH
from tests.fake_client import FakeDevice, entry_of, requiring_password, serving, set_up, with_value
from tests.registry import snapshot_entities
from tests.test_entities import gen1_info, gen2_info, shelly_device, shelly_pro_3em

MAC = "aabbccddeeff"
POWER = "sensor.shelly_pro_3em_power"


def shelly_entry(simulator: ShellySimulator, entry_id: str | None = None, **data: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title=f"Shelly {MAC}",
        unique_id=MAC,
        data={CONF_FAMILY: "shelly", CONF_HOST: HOST, CONF_PORT: simulator.port, CONF_SERIAL: MAC, **data},
    )


@pytest.fixture
async def secured() -> AsyncGenerator[ShellySimulator]:
    simulator = ShellySimulator("S3PL-00112EU", password="s3cret")
    await simulator.start()
    yield simulator
    await simulator.stop()


def secured_plug() -> FakeDevice:
    """A Plug S Gen3 with authentication on, its password s3cret (it tells who it is without it)."""
    plug = shelly_device(gen2_info("S3PL-00112EU", 3), {"switch:0": SHELLY_PLUG_S_GEN3_SWITCH})
    return requiring_password(plug, "s3cret")


def announced(device: FakeDevice, service: str = "_shelly._tcp.local.") -> ZeroconfServiceInfo:
    """What a Shelly announces: its name carries its MAC (the port is never asked: the client is fake)."""
    name = f"shelly-{device.identity.serial}"
    return ZeroconfServiceInfo(
        ip_address=ip_address(HOST),
        ip_addresses=[ip_address(HOST)],
        hostname=f"{name}.local.",
        name=f"{name}.{service}",
        port=8080,
        type=service,
        properties={"gen": "2"},
    )


async def shelly_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "shelly"})
    return str(result["flow_id"])


async def test_user_flow_without_password(hass: HomeAssistant) -> None:
    with serving(shelly_pro_3em()):
        flow_id = await shelly_form(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: HOST, CONF_PORT: 80})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Shelly Pro 3EM {MAC}"
    assert result["result"].unique_id == MAC
    assert CONF_PASSWORD not in result["data"]


async def test_password_asked_only_when_auth_is_on(hass: HomeAssistant) -> None:
    plug = secured_plug()
    with serving(plug):
        flow_id = await shelly_form(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: HOST, CONF_PORT: 80})
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["description_placeholders"] == {"name": f"Shelly Plug S Gen3 {plug.identity.serial}"}
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_USERNAME: "admin", CONF_PASSWORD: "nope"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_USERNAME: "admin"})
        assert result["errors"] == {"base": "invalid_auth"}  # no password at all
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_PASSWORD] == "s3cret"
        await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert hass.states.get("switch.shelly_plug_s_gen3_relay").state == "on"


async def test_zeroconf(hass: HomeAssistant) -> None:
    with serving(device := shelly_pro_3em()):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(device)
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "zeroconf_confirm_core"  # Home Assistant's shelly is offered it too
        assert result["description_placeholders"] == {
            "name": f"Shelly Pro 3EM {MAC}",
            "host": HOST,
            "core": "shelly",
        }
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == 8080  # the announced port


async def test_zeroconf_with_password(hass: HomeAssistant) -> None:
    with serving(plug := secured_plug()):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(plug, "_http._tcp.local.")
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["step_id"] == "credentials"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_zeroconf_known_device_moves(hass: HomeAssistant) -> None:
    device = shelly_pro_3em()
    entry = entry_of(device)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "localhost", CONF_PORT: 1})
    with serving(device):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(device)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert (entry.data[CONF_HOST], entry.data[CONF_PORT]) == (HOST, 8080)


async def test_zeroconf_aborts(hass: HomeAssistant) -> None:
    device = shelly_pro_3em()
    with serving(device):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(device, "_unknown._tcp.local.")
        )
        assert result["reason"] == "not_supported"
        device.client.identify.side_effect = CannotConnect("no answer")
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(device)
        )
    assert result["reason"] == "cannot_connect"


async def test_changed_password_leads_to_reauth(
    hass: HomeAssistant, secured: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = shelly_entry(secured, **{CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"})
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    secured.password = "changed"
    await secured.drop_sockets()  # a device drops its clients when its password changes
    await wait_for(hass, lambda: entry.runtime_data.coordinator.silent)
    await refresh(hass, freezer, 2)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {CONF_PASSWORD: "wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {CONF_PASSWORD: "changed"})
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "changed"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_another_device_at_the_address(
    hass: HomeAssistant, shelly_sim: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = shelly_entry(shelly_sim)
    await setup_entry(hass, entry)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    shelly_sim.mac = "112233445566"
    await shelly_sim.notify()  # the socket reports the other MAC: read over HTTP, which refuses it
    await wait_for(hass, lambda: entry.runtime_data.coordinator.silent)
    await refresh(hass, freezer, 2)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE  # never the other device's values
    shelly_sim.mac = MAC.upper()
    await refresh(hass, freezer, 2)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE


async def test_setup_refuses_another_device(hass: HomeAssistant) -> None:
    device = shelly_pro_3em()
    entry = entry_of(device)
    device.client.identify.return_value = replace(device.identity, serial="112233445566")
    with serving(device):
        await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "112233445566" in str(entry.reason)


async def test_relay_follows_within_one_poll(hass: HomeAssistant) -> None:
    """A Plug S (Gen1, aioshelly's status) that switches as told: the entity shows what it reads back."""
    plug = shelly_device(gen1_info("SHPLG-S"), SHELLY_PLUG_S_GEN1_STATUS)

    async def switches(channel_id: str, key: Key, value: Value) -> None:
        plug.answer = with_value(plug.answer, key, value, channel_id)

    plug.client.write.side_effect = switches
    await set_up(hass, plug)
    switch = "switch.shelly_plug_s_relay"
    assert hass.states.get(switch).state == "off"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True)
    plug.client.write.assert_awaited_with(MAIN_CHANNEL, Key.RELAY, True)
    assert hass.states.get(switch).state == "on"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True)
    assert hass.states.get(switch).state == "off"
    plug.client.write.side_effect = CannotConnect("GET /relay/0 failed: connection refused")
    with pytest.raises(HomeAssistantError, match="did not carry out the command"):
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
        )


async def test_offline_and_back(
    hass: HomeAssistant, shelly_sim: ShellySimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = shelly_entry(shelly_sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    await shelly_sim.stop()
    await wait_for(hass, lambda: entry.runtime_data.coordinator.silent)  # the socket closed: read over HTTP
    await refresh(hass, freezer, 2)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    await shelly_sim.start()
    await refresh(hass, freezer, 2)
    assert float(hass.states.get(POWER).state) == pytest.approx(sum(shelly_sim.state.powers), abs=0.01)


async def test_netted_energy_continues_after_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the fake client answering core's Pro 3EM dump, exporting 3.6 kW on one phase."""
    entity = "sensor.shelly_pro_3em_grid_energy_export_netted"
    mock_restore_cache_with_extra_data(
        hass, [(State(entity, "12.5"), {"native_value": 12.5, "native_unit_of_measurement": "kWh"})]
    )
    now = [100.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    device = shelly_pro_3em()
    for key, watts in (
        (Key.POWER, -3600.0),
        (Key.POWER_L1, 0.0),
        (Key.POWER_L2, -3600.0),
        (Key.POWER_L3, 0.0),
    ):
        device.answer = with_value(device.answer, key, watts)
    # Every change shown: this test follows the integration, not the 10 s rate of counters.
    await set_up(hass, device, **{CONF_EVERY_VALUE_FAST: True})
    assert hass.states.get(entity).state == "12.5"
    now[0] += 3.0
    await refresh(hass, freezer, 3)
    assert float(hass.states.get(entity).state) == pytest.approx(12.503)  # 3.6 kW for 3 s = 3 Wh
    assert hass.states.get("sensor.shelly_pro_3em_grid_energy_import_netted").state == "0.0"


RECORDED_MODELS = (
    *("SPEM-003CEBEU", "SPEM-003CEBEU400", "SPEM-003CEBEU63", "S3EM-003CXCEU63"),  # the Pro 3EM's status
    *("SPEM-002CEBEU50", "S3EM-002CXCEU"),  # the Pro EM's status
    *("SHEM", "SHEM-3", "SHPLG-S"),
)
"""Models whose whole status others recorded (or that of a model with the same RPC status): their tables
come from those (test_entities.py). The plugs' recorded statuses lack their frequency (the Plug S Gen3's also
its Wi-Fi part; none of the Outdoor Plug S Gen3 is on record): their tables come from the simulator."""


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("model", [model for model in ISSUE_MODELS if model not in RECORDED_MODELS])
async def test_entities_per_model(
    hass: HomeAssistant, model: str, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """On the fake client answering the simulator's device info and status (no socket is opened)."""
    simulated = ShellySimulator(model)
    device = shelly_device(simulated.device_info(), simulated.rpc_status())
    with patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]), serving(device):
        await setup_entry(hass, entry_of(device, f"shelly_{model}"))
    await snapshot_entities(hass, entity_registry, snapshot, f"shelly_{model}")
