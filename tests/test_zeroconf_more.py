"""Zeroconf for the families that announce themselves besides Shelly, HomeWizard and the IR readers.

On the fake client: what is tested is how an announcement becomes (or finds) an entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from ipaddress import ip_address

import pytest
from homeassistant.config_entries import SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, DOMAIN
from custom_components.local_energy.devices import igen, indevolt
from custom_components.local_energy.devices.snapshot import DeviceIdentity
from tests.conftest import HOST, free_tcp_port
from tests.documented import IGEN_P1_CAPTURE
from tests.fake_client import FakeDevice, entry_of, fake_device, serving
from tests.test_entities import indevolt_dump

INDEVOLT_SERIAL = "A673AI2HIX02185S"

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


def battery() -> FakeDevice:
    """A SolidFlex 2000 answering core's dump (its serial in the host name it announces)."""
    return indevolt_dump("gen2", indevolt.GEN2, "SolidFlex 2000")


def p1_reader() -> FakeDevice:
    """An IGEN P1 reader heard broadcasting the vendor's capture."""
    identity = DeviceIdentity(vendor=igen.VENDOR, model="P1-2W", serial=IGEN_SERIAL)
    values = igen.parse_values(IGEN_P1_CAPTURE["data"])
    return fake_device("igen", identity, igen.snapshot_of(values), pushes=True)


@pytest.mark.parametrize("name", ["SMD Web Server 2185S", "igen_fw_0123456789"])
async def test_indevolt_by_its_web_server(hass: HomeAssistant, name: str) -> None:
    """By its web server's name, or by its firmware's, which Home Assistant's own integration matches."""
    info = announced("_http._tcp.local.", name, 8080)
    with serving(device := battery()):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
        core = name.startswith("igen_fw")  # the name Home Assistant's indevolt matches
        assert result["step_id"] == ("zeroconf_confirm_core" if core else "zeroconf_confirm")
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == device.identity.serial
    assert result["data"][CONF_FAMILY] == "indevolt"


async def test_another_http_service_is_not_ours(hass: HomeAssistant) -> None:
    info = announced("_http._tcp.local.", "printer", 80)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_igen_by_solarman_zeroconf(hass: HomeAssistant) -> None:
    info = announced(
        "_solarman._tcp.local.",
        "P1-2W",
        8080,
        product_type="P1-2W",
        serial=IGEN_SERIAL,
        fw_version="V1.3.0A_R003.001_MP12W_00000013",
    )
    with serving(p1_reader()):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
        assert result["step_id"] == "zeroconf_confirm_core"
        assert result["description_placeholders"]["core"] == "solarman"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == IGEN_SERIAL


@pytest.mark.parametrize(
    ("service", "name", "made", "properties"),
    [
        ("_solarman._tcp.local.", "P1-2W", p1_reader, {"serial": IGEN_SERIAL}),
        ("_http._tcp.local.", "SMD Web Server", battery, {}),
    ],
)
async def test_a_known_device_that_moved_gets_its_new_address(
    hass: HomeAssistant,
    service: str,
    name: str,
    made: Callable[[], FakeDevice],
    properties: dict[str, str],
) -> None:
    device = made()
    entry = entry_of(device)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "192.0.2.1"})
    info = announced(service, name, 8080, **properties)
    with serving(device):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
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
