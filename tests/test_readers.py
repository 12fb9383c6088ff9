"""EcoTracker and stromleser.one through Home Assistant; zeroconf for every family that announces itself.

The flows run on the fake client answering the documented payloads (whose entity tables are in
test_entities.py); the stromleser.one's one request per 10 s runs against its simulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from ipaddress import ip_address
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import (
    CONF_FAMILY,
    CONF_INVERT,
    CONF_SERIAL,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.local_energy.devices import ecotracker, stromleser
from custom_components.local_energy.devices.errors import ApiDisabled
from custom_components.local_energy.devices.families import ANNOUNCEMENTS
from simulators.stromleser import DEVICE_ID, StromleserSimulator
from tests.conftest import HOST, refresh, setup_entry, until_next_poll
from tests.documented import ECOTRACKER_OFFICIAL, STROMLESER_OFFICIAL
from tests.fake_client import (
    ECOTRACKER_IDENTITY,
    STROMLESER_IDENTITY,
    FakeDevice,
    documented_p1,
    fake_device,
    serving,
    set_up,
)

STROM_POWER = "sensor.nineti_stromleser_one_power"


def entry_for(family: str, port: int, serial: str, entry_id: str | None = None) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        unique_id=serial,
        data={CONF_FAMILY: family, CONF_HOST: HOST, CONF_PORT: port, CONF_SERIAL: serial},
    )


def announced(service: str, port: int, name: str) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(HOST),
        ip_addresses=[ip_address(HOST)],
        hostname=f"{name}.local.",
        name=f"{name}.{service}",
        port=port,
        type=service,
        properties={},
    )


def test_manifest_announces_what_the_families_discover() -> None:
    manifest = json.loads(
        (Path(__file__).parents[1] / "custom_components" / "local_energy" / "manifest.json").read_text()
    )
    listed = {(matcher["type"], matcher.get("name")) for matcher in manifest["zeroconf"]}
    assert listed == {(announcement.type, announcement.name) for announcement, _ in ANNOUNCEMENTS}


READERS: dict[str, Callable[[], FakeDevice]] = {
    "ecotracker": lambda: fake_device(
        "ecotracker", ECOTRACKER_IDENTITY, ecotracker.parse(ECOTRACKER_OFFICIAL)
    ),
    "stromleser": lambda: fake_device(
        "stromleser", STROMLESER_IDENTITY, stromleser.parse(STROMLESER_OFFICIAL)
    ),
    "homewizard": documented_p1,
}
"""Each reader answering its documented payload (on the fake client)."""


@pytest.mark.parametrize("family", ["ecotracker", "stromleser"])
async def test_user_flow(hass: HomeAssistant, family: str) -> None:
    with serving(device := READERS[family]()):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": family})
        assert result["step_id"] == family
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: 80}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == device.identity.serial
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("service", "name", "family"),
    [
        ("_everhome._tcp.local.", "ecotracker-E80690E0F2B4", "ecotracker"),
        ("_stromleser._tcp.local.", "strom-one-7211674295", "stromleser"),
        ("_hwenergy._tcp.local.", "p1meter-AABBCC", "homewizard"),
    ],
)
async def test_zeroconf(hass: HomeAssistant, service: str, name: str, family: str) -> None:
    with serving(device := READERS[family]()):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(service, 80, name)
        )
        core = service.startswith("_hwenergy")  # Home Assistant's homewizard is offered it too
        assert result["step_id"] == ("zeroconf_confirm_core" if core else "zeroconf_confirm")
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == device.identity.serial


async def test_zeroconf_homewizard_with_api_off(hass: HomeAssistant) -> None:
    meter = documented_p1()
    meter.client.identify.side_effect = ApiDisabled("/api answered 403 Forbidden: API not enabled")
    with serving(meter):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=announced("_hwenergy._tcp.local.", 80, "p1meter-AABBCC"),
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "api_not_enabled"


async def test_stromleser_is_read_every_ten_seconds(
    hass: HomeAssistant, stromleser_sim: StromleserSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = entry_for("stromleser", stromleser_sim.port, DEVICE_ID)
    await setup_entry(hass, entry)
    assert hass.states.get(STROM_POWER).state == "-745.0"
    assert entry.runtime_data.coordinator.polls.every.total_seconds() == 10
    await until_next_poll(hass, freezer, entry)
    for _ in range(3):
        stromleser_sim.power_w[0] += 100
        await refresh(hass, freezer, 10)
        assert float(hass.states.get(STROM_POWER).state) == pytest.approx(sum(stromleser_sim.power_w))
    # The entry knows the device id (setup spends no request on it) and the first poll waits its 10 s.
    assert stromleser_sim.refused == 0
    await stromleser_sim.stop()
    for _ in range(7):  # the last reading is kept for a minute of refusals, not for a device that is gone
        await refresh(hass, freezer, 10)
    assert hass.states.get(STROM_POWER).state == STATE_UNAVAILABLE
    await stromleser_sim.start()
    await refresh(hass, freezer, 10)
    assert hass.states.get(STROM_POWER).state != STATE_UNAVAILABLE


async def test_stromleser_options_refuse_faster_polling(hass: HomeAssistant) -> None:
    reader = fake_device("stromleser", STROMLESER_IDENTITY, stromleser.parse(STROMLESER_OFFICIAL))
    entry = await set_up(hass, reader)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["description_placeholders"] == {"minimum": "10", "default": "10"}
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_UPDATE_INTERVAL: 5, CONF_INVERT: False}
        )
