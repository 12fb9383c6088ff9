"""Switching an Enistic socket from Home Assistant sends the right datagram; its next reading confirms."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.local_energy.devices.enistic import EnisticClient
from custom_components.local_energy.devices.errors import CannotConnect
from custom_components.local_energy.devices.snapshot import ChannelKind
from simulators.enistic import CONTROLLER, EnisticSimulator
from tests.conftest import refresh, setup_heard_enistic, wait_for
from tests.registry import device_by_identifier

SOCKET = "0021ED0000041319"
SWITCH = "switch.socket_041319"


@pytest.fixture
async def heard(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory
) -> EnisticClient:
    entry = await setup_heard_enistic(hass, enistic_sim, freezer)
    return entry.runtime_data.coordinator.client


async def test_turn_off_and_on(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, heard: EnisticClient, freezer: FrozenDateTimeFactory
) -> None:
    assert hass.states.get(SWITCH).state == "on"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await wait_for(hass, lambda: len(enistic_sim.commands) == 1)
    assert enistic_sim.commands == [f"{CONTROLLER},0,{SOCKET};".encode()]
    enistic_sim.broadcast()
    await wait_for(hass, lambda: heard.datagrams == 10)
    await refresh(hass, freezer)
    assert hass.states.get(SWITCH).state == "off"
    assert hass.states.get("sensor.socket_041319_power").state == "0.0"
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await wait_for(hass, lambda: len(enistic_sim.commands) == 2)
    assert enistic_sim.commands[-1] == f"{CONTROLLER},1,{SOCKET};".encode()


async def test_socket_is_a_child_of_the_controller(
    hass: HomeAssistant,
    heard: EnisticClient,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entity = entity_registry.async_get(SWITCH)
    assert entity is not None
    assert entity.unique_id == f"{CONTROLLER}_{SOCKET}_relay"
    socket_device = device_registry.async_get(entity.device_id)
    controller = device_by_identifier(device_registry, entity.config_entry_id, CONTROLLER)
    assert controller is not None
    assert socket_device is not None
    assert socket_device.via_device_id == controller.id
    assert (socket_device.model, socket_device.serial_number) == ("Smart Socket", SOCKET)
    assert controller.manufacturer == "Enistic"


async def test_rejected_and_failed_commands(
    hass: HomeAssistant, heard: EnisticClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The socket's channel is seen as a meter now: the client refuses before sending anything.
    channel, seen = heard._channels[SOCKET]
    heard._channels[SOCKET] = (type(channel)(kind=ChannelKind.METER, values=channel.values), seen)
    with pytest.raises(ServiceValidationError, match="not a smart socket"):
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    heard._channels[SOCKET] = (channel, seen)

    async def unreachable(*_args: object) -> None:
        raise CannotConnect("network unreachable")

    monkeypatch.setattr(heard.transports.udp, "send", unreachable)
    with pytest.raises(HomeAssistantError, match="did not carry out the command"):
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
