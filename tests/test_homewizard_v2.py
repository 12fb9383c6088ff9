"""HomeWizard API v2 through Home Assistant: pairing by button, zeroconf, token refused -> pair again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from ipaddress import ip_address
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.local_energy import pairing
from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, CONF_TLS_PORT, DOMAIN
from custom_components.local_energy.devices.homewizard import HomeWizardClient
from custom_components.local_energy.devices.websocket import Link
from simulators.homewizard import HomeWizardV2Simulator
from tests.conftest import HOST, setup_entry, wait_for
from tests.registry import snapshot_entities

POWER = "sensor.homewizard_p1_meter_power"


@pytest.fixture
async def meter(
    monkeypatch: pytest.MonkeyPatch, tls_handshakes_may_be_aborted: None
) -> AsyncGenerator[HomeWizardV2Simulator]:
    simulator = HomeWizardV2Simulator()
    await simulator.start()
    # Trust the simulator's test CA in place of HomeWizard's, as a real meter is trusted through HomeWizard's.
    monkeypatch.setattr(HomeWizardClient, "ca_pem", simulator.ca_pem)
    monkeypatch.setattr(pairing, "PAIRING_INTERVAL", 0.01)
    yield simulator
    await simulator.stop()


def paired_entry(meter: HomeWizardV2Simulator, token: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=meter.serial,
        title="P1 Meter",
        data={
            CONF_FAMILY: "homewizard",
            CONF_HOST: HOST,
            CONF_PORT: 80,
            CONF_TLS_PORT: meter.port,
            CONF_SERIAL: meter.serial,
            CONF_TOKEN: token,
        },
    )


async def press_when_asked(hass: HomeAssistant, meter: HomeWizardV2Simulator) -> None:
    """The user presses the button once the flow has started asking."""
    for _ in range(1000):
        if meter.pairing_requests:
            break
        await asyncio.sleep(0.005)
    meter.press_button()


async def test_user_flow_pairs_with_the_button(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.local_energy.devices.homewizard.V2_PORT", meter.port)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "homewizard"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: 1}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "pair"
    assert result["progress_action"] == "pair"
    await press_when_asked(hass, meter)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == meter.serial
    assert entry.data[CONF_TOKEN] == meter.tokens["local/local_energy"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(POWER).state == "-543.0"


async def test_nobody_presses_the_button(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pairing, "PAIRING_TIMEOUT", 0.05)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(meter)
    )
    assert result["step_id"] == "zeroconf_confirm_core"  # Home Assistant's homewizard is offered it too
    assert result["description_placeholders"] == {
        "name": f"HomeWizard {HOST}",
        "host": HOST,
        "core": "homewizard",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "pair_timeout"
    monkeypatch.setattr(pairing, "PAIRING_TIMEOUT", 60.0)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await press_when_asked(hass, meter)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TLS_PORT] == meter.port
    assert result["data"][CONF_PORT] == 80


def announced(meter: HomeWizardV2Simulator, serial: str | None = None) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(HOST),
        ip_addresses=[ip_address(HOST)],
        hostname="p1meter-AABBCC.local.",
        name="p1meter-AABBCC._homewizard._tcp.local.",
        port=meter.port,
        type="_homewizard._tcp.local.",
        properties={"api_version": "2.0.0", "product_type": "HWE-P1"}
        | ({"serial": serial} if serial else {}),
    )


async def test_zeroconf_of_a_configured_meter_asks_nothing(
    hass: HomeAssistant, meter: HomeWizardV2Simulator
) -> None:
    entry = paired_entry(meter, "A" * 32)
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(meter, serial=meter.serial)
    )
    assert result["reason"] == "already_configured"
    assert meter.pairing_requests == 0


async def test_refused_token_pairs_again(hass: HomeAssistant, meter: HomeWizardV2Simulator) -> None:
    meter.press_button()
    token = await granted_token(hass, meter)
    entry = paired_entry(meter, token)
    await setup_entry(hass, entry)
    assert hass.states.get(POWER).state == "-543.0"
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    meter.revoke_all()
    meter._pressed_at = None
    await meter.drop_sockets()  # a revoked token's sockets close; reconnecting, the token is refused
    await wait_for(hass, lambda: entry.runtime_data.coordinator.silent)
    await (
        entry.runtime_data.coordinator.async_refresh()
    )  # the next poll (real time: pairing below sleeps for real)
    await hass.async_block_till_done()
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await press_when_asked(hass, meter)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == meter.tokens["local/local_energy"] != token
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_diagnostics_never_show_the_token(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, meter: HomeWizardV2Simulator
) -> None:
    meter.press_button()
    token = await granted_token(hass, meter)
    entry = paired_entry(meter, token)
    await setup_entry(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert token not in str(diagnostics)
    assert diagnostics["entry"]["data"][CONF_TOKEN] == "**REDACTED**"
    assert diagnostics["client"]["api"] == 2


def _client(hass: HomeAssistant, meter: HomeWizardV2Simulator) -> HomeWizardClient:
    from custom_components.local_energy.devices.connection import ConnectionConfig
    from custom_components.local_energy.transports import shared_transports

    return HomeWizardClient(
        ConnectionConfig(host=HOST, port=80, tls_port=meter.port), shared_transports(hass)
    )


async def granted_token(hass: HomeAssistant, meter: HomeWizardV2Simulator) -> str:
    """A token the meter grants once its button is pressed (the pairing client closed after)."""
    client = _client(hass, meter)
    try:
        granted = await client.pair()
    finally:
        await client.close()
    assert granted is not None
    return granted["token"]


async def test_meter_unreachable_while_pairing(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pairing, "PAIRING_TIMEOUT", 0.2)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(meter)
    )
    await meter.stop()  # asking for access now fails outright; the flow keeps trying until its time is up
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "pair_timeout"
    await meter.start()


@pytest.mark.parametrize("source", ["user", "reauth"])
async def test_access_withdrawn_before_the_flow_finishes(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, source: str
) -> None:
    if source == "reauth":
        entry = paired_entry(meter, "B" * 32)
        entry.add_to_hass(hass)
        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    else:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(meter)
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await press_when_asked(hass, meter)
    await hass.async_block_till_done()
    meter.revoke_all()  # e.g. the meter was reset right after granting access
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_auth"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_and_recovery(
    hass: HomeAssistant,
    meter: HomeWizardV2Simulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    meter.press_button()
    token = await granted_token(hass, meter)
    entry = paired_entry(meter, token)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=entry.unique_id, data=entry.data, entry_id="homewizard_v2"
    )
    with patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, entry)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)
    await meter.stop()
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is not Link.UP)
    await entry.runtime_data.coordinator.async_refresh()
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    await meter.start()
    await entry.runtime_data.coordinator.async_refresh()
    assert hass.states.get(POWER).state == "-543.0"
