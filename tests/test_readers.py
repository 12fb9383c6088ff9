"""EcoTracker and stromleser.one through Home Assistant; zeroconf for every family that announces itself.

Their entity tables come from the documented payloads on the fake client (test_entities.py).
"""

from __future__ import annotations

import json
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
from custom_components.local_energy.devices import stromleser
from custom_components.local_energy.devices.families import ANNOUNCEMENTS
from simulators.ecotracker import SERIAL as ECOTRACKER_SERIAL
from simulators.ecotracker import EcoTrackerSimulator
from simulators.homewizard import SERIAL as HOMEWIZARD_SERIAL
from simulators.homewizard import HomeWizardSimulator
from simulators.stromleser import DEVICE_ID, StromleserSimulator
from tests.conftest import HOST, refresh, setup_entry, until_first_poll
from tests.documented import STROMLESER_OFFICIAL
from tests.fake_client import STROMLESER_IDENTITY, fake_device, set_up

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


@pytest.mark.parametrize(("family", "serial"), [("ecotracker", ECOTRACKER_SERIAL), ("stromleser", DEVICE_ID)])
async def test_user_flow(
    hass: HomeAssistant,
    ecotracker_sim: EcoTrackerSimulator,
    stromleser_sim: StromleserSimulator,
    family: str,
    serial: str,
) -> None:
    port = ecotracker_sim.port if family == "ecotracker" else stromleser_sim.port
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": family})
    assert result["step_id"] == family
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == serial
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("service", "name", "serial"),
    [
        ("_everhome._tcp.local.", "ecotracker-E80690E0F2B4", ECOTRACKER_SERIAL),
        ("_stromleser._tcp.local.", "strom-one-8529546829", DEVICE_ID),
        ("_hwenergy._tcp.local.", "p1meter-AABBCC", HOMEWIZARD_SERIAL),
    ],
)
async def test_zeroconf(
    hass: HomeAssistant,
    ecotracker_sim: EcoTrackerSimulator,
    stromleser_sim: StromleserSimulator,
    homewizard_sim: HomeWizardSimulator,
    service: str,
    name: str,
    serial: str,
) -> None:
    port = {"_everhome": ecotracker_sim, "_stromleser": stromleser_sim, "_hwenergy": homewizard_sim}[
        service.split(".")[0]
    ].port
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announced(service, port, name)
    )
    core = service.startswith("_hwenergy")  # Home Assistant's homewizard is offered it too
    assert result["step_id"] == ("zeroconf_confirm_core" if core else "zeroconf_confirm")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == serial
    await hass.async_block_till_done()


async def test_zeroconf_homewizard_with_api_off(
    hass: HomeAssistant, homewizard_sim: HomeWizardSimulator
) -> None:
    homewizard_sim.api_enabled = False
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=announced("_hwenergy._tcp.local.", homewizard_sim.port, "p1meter-AABBCC"),
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
    await until_first_poll(hass, freezer, entry)
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
