"""HomeWizard API v2 through Home Assistant: pairing by button, zeroconf, token refused -> pair again.

One flow pairs end to end with the simulator (TLS, the button, the token); the rest is on a fake meter
whose button grants a token. The pairing protocol itself is tested in tests/devices/test_homewizard_v2.py.
"""

from __future__ import annotations

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
from custom_components.local_energy.devices.errors import AuthenticationFailed, CannotConnect
from custom_components.local_energy.devices.homewizard import HomeWizardClient
from simulators.homewizard import HomeWizardV2Simulator
from tests.conftest import HOST, setup_entry, until
from tests.fake_client import V2_IDENTITY, MeterButton, fake_v2_meter, serving
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
    yield simulator
    await simulator.stop()


async def press_when_asked(meter: HomeWizardV2Simulator) -> None:
    """The user presses the button once the flow has started asking."""
    await until(lambda: meter.pairing_requests > 0)
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
    await press_when_asked(meter)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == meter.serial
    assert entry.data[CONF_TOKEN] == meter.tokens["local/local_energy"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(POWER).state == "-543.0"


async def press(button: MeterButton) -> None:
    """The user presses the button once the flow has started asking."""
    await until(lambda: button.asked > 0)
    button.pressed = True


def announced(port: int = 443, serial: str | None = None) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(HOST),
        ip_addresses=[ip_address(HOST)],
        hostname="p1meter-AABBCC.local.",
        name="p1meter-AABBCC._homewizard._tcp.local.",
        port=port,
        type="_homewizard._tcp.local.",
        properties={"api_version": "2.0.0", "product_type": "HWE-P1"}
        | ({"serial": serial} if serial else {}),
    )


def v2_entry(
    token: str,
    entry_id: str | None = None,
    *,
    serial: str = V2_IDENTITY.serial,
    tls_port: int = 443,
) -> MockConfigEntry:
    """A meter paired before, with the token it granted (on the fake client its port is never used)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        unique_id=serial,
        title="P1 Meter",
        data={
            CONF_FAMILY: "homewizard",
            CONF_HOST: HOST,
            CONF_PORT: 80,
            CONF_TLS_PORT: tls_port,
            CONF_SERIAL: serial,
            CONF_TOKEN: token,
        },
    )


@pytest.fixture(autouse=True)
def quick_pairing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairing, "PAIRING_INTERVAL", 0.01)


async def test_nobody_presses_the_button(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    meter, button = fake_v2_meter()
    monkeypatch.setattr(pairing, "PAIRING_TIMEOUT", 0.05)
    with serving(meter):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced()
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
        await press(button)
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TLS_PORT] == 443  # the announced port
    assert result["data"][CONF_PORT] == 80
    assert result["data"][CONF_TOKEN] == button.tokens[-1]


async def test_zeroconf_of_a_configured_meter_asks_nothing(hass: HomeAssistant) -> None:
    meter, button = fake_v2_meter()
    v2_entry("A" * 32).add_to_hass(hass)
    with serving(meter):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(serial=V2_IDENTITY.serial)
        )
    assert result["reason"] == "already_configured"
    meter.client.identify.assert_not_called()
    assert button.asked == 0


async def test_refused_token_pairs_again(hass: HomeAssistant) -> None:
    meter, button = fake_v2_meter()
    button.tokens.append("A" * 32)
    entry = v2_entry("A" * 32)
    with serving(meter):
        await setup_entry(hass, entry)
    assert hass.states.get(POWER).state == "-543.0"
    button.tokens.clear()  # the meter was reset: the token is refused
    meter.failure = AuthenticationFailed("the meter refused the token (HTTP 401)")
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    with serving(meter):
        result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await press(button)
        meter.failure = None
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
        await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == button.tokens[-1] != "A" * 32
    assert entry.state is ConfigEntryState.LOADED
    assert meter.made_with[CONF_TOKEN] == button.tokens[-1]  # the entry reloaded with the new token


async def test_diagnostics_never_show_the_token(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    meter, button = fake_v2_meter()
    token = "C" * 32
    button.tokens.append(token)
    entry = v2_entry(token)
    with serving(meter):
        await setup_entry(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert token not in str(diagnostics)
    assert diagnostics["entry"]["data"][CONF_TOKEN] == "**REDACTED**"


async def test_meter_unreachable_while_pairing(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairing, "PAIRING_TIMEOUT", 0.2)
    meter, _button = fake_v2_meter()
    with serving(meter):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced()
        )
        # Asking for access now fails outright; the flow keeps trying until its time is up.
        meter.client.pair.side_effect = CannotConnect("connection refused")
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "pair_timeout"
    assert meter.client.pair.await_count > 1


@pytest.mark.parametrize("source", ["user", "reauth"])
async def test_access_withdrawn_before_the_flow_finishes(hass: HomeAssistant, source: str) -> None:
    meter, button = fake_v2_meter()
    with serving(meter):
        if source == "reauth":
            entry = v2_entry("B" * 32)
            entry.add_to_hass(hass)
            result = await entry.start_reauth_flow(hass)
        else:
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced()
            )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await press(button)
        await hass.async_block_till_done()
        button.tokens.clear()  # e.g. the meter was reset right after granting access
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_auth"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_and_recovery(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """The simulator's measurement (voltages, frequency and Wi-Fi besides core's dump), on the fake client."""
    simulated = HomeWizardV2Simulator(serial=V2_IDENTITY.serial)
    meter, button = fake_v2_meter(simulated.measurement(), float(simulated.system()["wifi_rssi_db"]))
    button.tokens.append("D" * 32)
    with patch("custom_components.local_energy.PLATFORMS", [Platform.SENSOR]), serving(meter):
        await setup_entry(hass, v2_entry("D" * 32, "homewizard_v2"))
    await snapshot_entities(hass, entity_registry, snapshot, "homewizard_v2")
    coordinator = hass.config_entries.async_get_entry("homewizard_v2").runtime_data.coordinator
    meter.failure = CannotConnect("the meter went away")
    await coordinator.async_refresh()
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    meter.failure = None
    await coordinator.async_refresh()
    assert hass.states.get(POWER).state == "-543.0"
