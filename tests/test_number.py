"""The generic number platform: any family that declares a number control gets a bounded setpoint.

No family of this release declares one yet (the smart-me Pico and the PowerPack will), so the test registers
a small setpoint device that speaks real Modbus to the register simulator.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, DOMAIN
from custom_components.local_energy.devices import families
from custom_components.local_energy.devices.client import DeviceClient
from custom_components.local_energy.devices.connection import Settings
from custom_components.local_energy.devices.errors import CommandRejected
from custom_components.local_energy.devices.family import Family, Timing, Transport
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.modbus import DataType, decode, encode
from custom_components.local_energy.devices.snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Snapshot,
    Value,
)
from simulators.modbus_server import ModbusSimulatorServer, RegisterMap
from tests.conftest import refresh, setup_entry

REGISTER = 100
TARGET = Control(Key.TARGET_POWER, ControlKind.NUMBER, minimum=-2000, maximum=2000, step=100)
ENTITY = "number.test_setpoint_device_target_power_charge_discharge"


class SetpointClient(DeviceClient):
    """A device with one int16 setpoint register, in W."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection = self.transports.modbus.acquire(self.config.modbus_link)

    async def identify(self) -> DeviceIdentity:
        return DeviceIdentity(vendor="Test", model="Setpoint device", serial="SP-1")

    async def fetch(self) -> Snapshot:
        block = await self.connection.read_holding(1, REGISTER, 1)
        value = decode(block.words, DataType.INT16)
        return Snapshot(
            {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, {Key.TARGET_POWER: value}, controls=(TARGET,))}
        )

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        if float(value) % 100:
            raise CommandRejected(f"{value} W is not a multiple of 100 W")
        await self.connection.write_registers(1, REGISTER, encode(int(float(value)), DataType.INT16))

    async def close(self) -> None:
        await self.transports.modbus.release(self.connection)


@pytest.fixture
async def device(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncGenerator[RegisterMap]:
    """A setpoint device; parametrized False, its family does not declare the setpoint."""
    registers = RegisterMap()
    registers.set_words(REGISTER, [encode(-500, DataType.INT16)[0]])
    registers.write_hook = lambda _address, words: 3 if decode(words, DataType.INT16) == 1500 else None  # type: ignore[assignment,return-value]
    server = ModbusSimulatorServer({1: registers})
    await server.start()
    registers.port = server.port  # type: ignore[attr-defined]
    family = Family(
        "setpoint",
        "Setpoint",
        SetpointClient,
        Transport.MODBUS,
        502,
        Timing(1.0, 1.0),
        Settings,
        controls=(Key.TARGET_POWER,) if getattr(request, "param", True) else (),
    )
    monkeypatch.setitem(families.BY_ID, "setpoint", family)  # type: ignore[index]
    yield registers
    await server.stop()


async def test_setpoint_written_and_read_back(
    hass: HomeAssistant, device: RegisterMap, freezer: FrozenDateTimeFactory
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="SP-1",
        data={CONF_FAMILY: "setpoint", CONF_HOST: "127.0.0.1", CONF_PORT: device.port, CONF_SERIAL: "SP-1"},  # type: ignore[attr-defined]
    )
    await setup_entry(hass, entry)
    state = hass.states.get(ENTITY)
    assert state is not None
    assert state.state == "-500.0"
    assert (state.attributes["min"], state.attributes["max"], state.attributes["step"]) == (-2000, 2000, 100)
    assert state.attributes["unit_of_measurement"] == "W"
    assert hass.states.get("sensor.test_setpoint_device_target_power") is None  # a control, not a sensor

    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: ENTITY, ATTR_VALUE: 800}, blocking=True
    )
    assert device.writes == [(REGISTER, [800])]
    await refresh(hass, freezer)
    assert hass.states.get(ENTITY).state == "800.0"

    # The guard rounds toward zero to the step before the client sees it: 850 -> 800, -1999 -> -1900.
    for asked in (850, -1999):
        await hass.services.async_call(
            NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: ENTITY, ATTR_VALUE: asked}, blocking=True
        )
    assert device.writes[-2:] == [(REGISTER, [800]), (REGISTER, encode(-1900, DataType.INT16))]
    device.writes.clear()
    with pytest.raises(ServiceValidationError, match="illegal data value"):
        await hass.services.async_call(
            NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: ENTITY, ATTR_VALUE: 1500}, blocking=True
        )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: ENTITY, ATTR_VALUE: 5000}, blocking=True
        )
    assert device.writes == []  # nothing refused was written


@pytest.mark.parametrize("device", [False], indirect=True)
async def test_a_control_its_family_does_not_declare_is_not_offered(
    hass: HomeAssistant, device: RegisterMap, caplog: pytest.LogCaptureFixture
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="SP-1",
        data={CONF_FAMILY: "setpoint", CONF_HOST: "127.0.0.1", CONF_PORT: device.port, CONF_SERIAL: "SP-1"},  # type: ignore[attr-defined]
    )
    await setup_entry(hass, entry)
    assert hass.states.get(ENTITY) is None
    assert sum("does not declare" in record.message for record in caplog.records) == 1
    with pytest.raises(CommandRejected):  # the guard refuses what the entities do not offer
        await entry.runtime_data.coordinator.client.write(MAIN_CHANNEL, Key.TARGET_POWER, 100.0)
    assert device.writes == []
