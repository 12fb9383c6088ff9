"""What Home Assistant makes of a command and of the device's answer to it, on a fake client.

The plug is a Shelly Plus Plug S as aioshelly's fixture records it (tests/documented.py); the protocol
of the command itself is tested against the simulators in tests/devices.
"""

from __future__ import annotations

import pytest
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from custom_components.local_energy.devices import shelly
from custom_components.local_energy.devices.errors import CannotConnect, CommandRejected
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, DeviceIdentity
from tests.documented import SHELLY_PLUS_PLUG_S_INFO, SHELLY_PLUS_PLUG_S_SWITCH
from tests.fake_client import FakeDevice, fake_device, set_up, with_value

RELAY = "switch.test_name_relay"


@pytest.fixture
async def plug(hass: HomeAssistant) -> FakeDevice:
    info = shelly.parse_info(SHELLY_PLUS_PLUG_S_INFO)
    identity = DeviceIdentity(vendor="Shelly", model=info.model.name, serial=info.mac, name=info.name)
    device = fake_device(
        "shelly", identity, shelly.parse_status({"switch:0": SHELLY_PLUS_PLUG_S_SWITCH}, info)
    )
    await set_up(hass, device)
    return device


async def turn(hass: HomeAssistant, service: str) -> None:
    await hass.services.async_call(SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: RELAY}, blocking=True)


async def test_a_command_is_written_and_its_read_back_shown(hass: HomeAssistant, plug: FakeDevice) -> None:
    assert hass.states.get(RELAY).state == STATE_ON
    plug.answer = with_value(plug.answer, Key.RELAY, False)  # what the device says after the command
    await turn(hass, SERVICE_TURN_OFF)
    assert plug.writes == [(MAIN_CHANNEL, Key.RELAY, False)]
    assert hass.states.get(RELAY).state == STATE_OFF


async def test_a_refused_command_says_why_and_changes_nothing(hass: HomeAssistant, plug: FakeDevice) -> None:
    plug.client.write.side_effect = CommandRejected("the relay is locked by a schedule")
    with pytest.raises(ServiceValidationError, match="locked by a schedule"):
        await turn(hass, SERVICE_TURN_OFF)
    assert hass.states.get(RELAY).state == STATE_ON


async def test_a_device_that_cannot_be_reached_fails_the_command(
    hass: HomeAssistant, plug: FakeDevice
) -> None:
    plug.client.write.side_effect = CannotConnect("network unreachable")
    with pytest.raises(HomeAssistantError, match="did not carry out the command"):
        await turn(hass, SERVICE_TURN_ON)
    assert hass.states.get(RELAY).state == STATE_ON
