"""Zeroconf for the families that announce themselves besides Shelly, HomeWizard and the IR readers."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
from ipaddress import ip_address

import pytest
from homeassistant.config_entries import SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, DOMAIN
from simulators.igen import IgenDevice, IgenSimulator
from simulators.indevolt import SERIAL as INDEVOLT_SERIAL
from simulators.indevolt import IndevoltSimulator
from tests.conftest import HOST, free_tcp_port, free_udp_port

IGEN_SERIAL = "D850BD20A3001300"


def announced(service: str, name: str, port: int, **properties: str) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(HOST),
        ip_addresses=[ip_address(HOST)],
        hostname="device.local.",
        name=f"{name}.{service}",
        port=port,
        type=service,
        properties=properties,
    )


@pytest.fixture
async def battery() -> AsyncGenerator[IndevoltSimulator]:
    simulator = IndevoltSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def p1_reader() -> AsyncGenerator[IgenSimulator]:
    simulator = IgenSimulator(free_udp_port(), [IgenDevice("p1", IGEN_SERIAL)])
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.mark.parametrize("name", ["SMD Web Server 2185S", "igen_fw_0123456789"])
async def test_indevolt_by_its_web_server(hass: HomeAssistant, battery: IndevoltSimulator, name: str) -> None:
    """By its web server's name, or by its firmware's, which Home Assistant's own integration matches."""
    info = announced("_http._tcp.local.", name, battery.port)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info)
    core = name.startswith("igen_fw")  # the name Home Assistant's indevolt matches
    assert result["step_id"] == ("zeroconf_confirm_core" if core else "zeroconf_confirm")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == INDEVOLT_SERIAL
    assert result["data"][CONF_FAMILY] == "indevolt"
    await hass.async_block_till_done()


async def test_another_http_service_is_not_ours(hass: HomeAssistant) -> None:
    info = announced("_http._tcp.local.", "printer", 80)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_igen_by_solarman_zeroconf(hass: HomeAssistant, p1_reader: IgenSimulator) -> None:
    info = announced(
        "_solarman._tcp.local.",
        "P1-2W",
        p1_reader.http_port,
        product_type="P1-2W",
        serial=IGEN_SERIAL,
        fw_version="V1.3.0A_R003.001_MP12W_00000013",
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info)
    assert result["step_id"] == "zeroconf_confirm_core"
    assert result["description_placeholders"]["core"] == "solarman"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == IGEN_SERIAL
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("service", "name", "family", "serial", "properties"),
    [
        ("_solarman._tcp.local.", "P1-2W", "igen", IGEN_SERIAL, {"serial": IGEN_SERIAL}),
        ("_http._tcp.local.", "SMD Web Server", "indevolt", INDEVOLT_SERIAL, {}),
    ],
)
async def test_a_known_device_that_moved_gets_its_new_address(
    hass: HomeAssistant,
    battery: IndevoltSimulator,
    p1_reader: IgenSimulator,
    service: str,
    name: str,
    family: str,
    serial: str,
    properties: dict[str, str],
) -> None:
    port = p1_reader.http_port if family == "igen" else battery.port
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=serial,
        data={CONF_FAMILY: family, CONF_HOST: "192.0.2.1", CONF_PORT: port, CONF_SERIAL: serial},
    )
    entry.add_to_hass(hass)
    info = announced(service, name, port, **properties)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == HOST


async def test_a_known_indevolt_is_recognised_by_its_host_name_before_it_is_asked(
    hass: HomeAssistant,
) -> None:
    """Its firmware announces igen_fw_… on {serial}.local. (as Home Assistant's indevolt reads it)."""
    known = MockConfigEntry(
        domain=DOMAIN,
        unique_id=INDEVOLT_SERIAL,
        data={CONF_FAMILY: "indevolt", "host": "192.0.2.1", "port": 8080, CONF_SERIAL: INDEVOLT_SERIAL},
    )
    known.add_to_hass(hass)
    info = announced("_http._tcp.local.", "igen_fw_0123456789", free_tcp_port())  # nothing listens there
    info = replace(info, hostname=f"{INDEVOLT_SERIAL}.local.")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")
    assert known.data["host"] == HOST  # and it is reached where it is now
