"""An Enistic smart socket as a switch: the command the client is asked for, its reading shown after.

On the fake client; the datagram the command becomes, and the controller obeying it, are tested against
the simulator in tests/devices/test_enistic.py. Refused and failed commands: tests/test_commands.py.
"""

from __future__ import annotations

import pytest
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.local_energy.devices.keys import Key
from tests.fake_client import (
    ENISTIC_CONTROLLER,
    FakeDevice,
    enistic_controller,
    enistic_heard,
    enistic_reading,
    set_up,
)
from tests.registry import device_by_identifier

SOCKET = "0021ED0000041319"
SWITCH = "switch.socket_041319"


def reading(on: bool) -> str:
    """The socket's reading: 60.5 W while on, nothing while off (state 1 or 0)."""
    return enistic_reading(SOCKET, 60.5 if on else 0.0, state=int(on))


@pytest.fixture
async def controller(hass: HomeAssistant) -> FakeDevice:
    device = enistic_controller(reading(on=True))
    await set_up(hass, device)
    return device


async def test_turn_off_and_on(hass: HomeAssistant, controller: FakeDevice) -> None:
    assert hass.states.get(SWITCH).state == STATE_ON
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert controller.writes == [(SOCKET, Key.RELAY, False)]
    controller.push(enistic_heard(reading(on=False), 1.0))  # the next broadcast confirms it
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert hass.states.get("sensor.socket_041319_power").state == "0.0"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert controller.writes[-1] == (SOCKET, Key.RELAY, True)


async def test_socket_is_a_child_of_the_controller(
    hass: HomeAssistant,
    controller: FakeDevice,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entity = entity_registry.async_get(SWITCH)
    assert entity is not None
    assert entity.unique_id == f"{ENISTIC_CONTROLLER}_{SOCKET}_relay"
    socket_device = device_registry.async_get(entity.device_id)
    main = device_by_identifier(device_registry, entity.config_entry_id, ENISTIC_CONTROLLER)
    assert main is not None
    assert socket_device is not None
    assert socket_device.via_device_id == main.id
    assert (socket_device.model, socket_device.serial_number) == ("Smart Socket", SOCKET)
    assert main.manufacturer == "Enistic"
