"""The config flow, every branch: on the fake client, and end to end against the simulators where the
family's way of identifying is the subject (HTTP, Modbus framings, a serial line, a UDP broadcast)."""

from __future__ import annotations

import asyncio
import inspect
import os
import termios
from dataclasses import replace
from pathlib import Path

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData

from custom_components.local_energy import device_forms
from custom_components.local_energy.config_flow import LocalEnergyConfigFlow
from custom_components.local_energy.const import (
    CONF_FAMILY,
    CONF_FRAMING,
    CONF_INVERT,
    CONF_SERIAL,
    CONF_UNIT_ID,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
    EMULATED_METER,
)
from custom_components.local_energy.const import CONTROLLER as CONTROLLER_ENTRY
from custom_components.local_energy.device_forms import device_schema
from custom_components.local_energy.devices import enistic
from custom_components.local_energy.devices.errors import (
    ApiDisabled,
    AuthenticationFailed,
    CannotConnect,
    FirmwareTooOld,
    InvalidResponse,
    UnsupportedModel,
)
from custom_components.local_energy.devices.families import BY_ID, menu_steps
from custom_components.local_energy.devices.family import Field
from custom_components.local_energy.devices.modbus import ModbusPool
from custom_components.local_energy.devices.snapshot import DeviceIdentity
from custom_components.local_energy.family_steps import FamilySteps
from custom_components.local_energy.transports import shared_transports
from simulators.acuvim import AcuvimSimulator
from simulators.enistic import CONTROLLER, EnisticSimulator
from tests.conftest import HOST
from tests.fake_client import (
    P1_IDENTITY,
    documented_p1,
    entry_of,
    fake_acuvim,
    fake_powerpack,
    serving,
    set_up,
)


async def start_family(hass: HomeAssistant, family: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "shelly",
        "homewizard",
        "ecotracker",
        "stromleser",
        "igen",
        "indevolt",
        "smartme",
        "iskra",
        "enistic",
        "acuvim",
        "powerpack",
        "controller",
        "emulated_meter",
    ]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": family})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == family
    return result["flow_id"]


def test_every_step_of_the_menus_is_written_in_a_class() -> None:
    """Home Assistant calls async_step_<option>: each one is in a class body, none made at import."""
    written = {
        name for cls in LocalEnergyConfigFlow.__mro__ for name in vars(cls) if name.startswith("async_step_")
    }
    options = set(menu_steps()) | {"user", CONTROLLER_ENTRY, EMULATED_METER}
    assert {f"async_step_{option}" for option in options} <= written
    assert "async_step_iskra_search" in vars(FamilySteps)
    source = Path(inspect.getsourcefile(FamilySteps) or "").read_text(encoding="utf-8")
    assert all(f"async def async_step_{step_id}(" in source for step_id in menu_steps())


ANSWERED = {CONF_HOST: HOST, CONF_PORT: 80}
"""Where the user says the device is (the fake client answers whatever is typed)."""


async def test_homewizard(hass: HomeAssistant) -> None:
    meter = documented_p1()
    serial = meter.identity.serial
    with serving(meter):
        flow_id = await start_family(hass, "homewizard")
        result = await hass.config_entries.flow.async_configure(flow_id, ANSWERED)
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"P1 Meter {serial}"
    assert result["result"].unique_id == serial
    assert result["data"] == {CONF_FAMILY: "homewizard", **ANSWERED, CONF_SERIAL: serial}
    assert result["result"].state is ConfigEntryState.LOADED


async def start_acuvim(hass: HomeAssistant, connection: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "acuvim"})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["acuvim_network", "acuvim_serial"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": connection})
    assert result["step_id"] == connection
    return result["flow_id"]


async def test_acuvim(hass: HomeAssistant) -> None:
    with serving(fake_acuvim()):
        flow_id = await start_acuvim(hass, "acuvim_network")
        result = await hass.config_entries.flow.async_configure(
            flow_id, {**ANSWERED, CONF_UNIT_ID: 1, CONF_SERIAL: "AV2-0001"}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Acuvim II AV2-0001"
    assert result["data"][CONF_UNIT_ID] == 1
    assert result["data"][CONF_FRAMING] == "tcp"  # the form's default


async def test_acuvim_rtu_over_tcp(hass: HomeAssistant) -> None:
    shared_transports(hass).modbus = ModbusPool(timeout=0.3)  # the wrong framing gets no answer
    converter = AcuvimSimulator(framing="rtu_over_tcp")
    await converter.start()
    flow_id = await start_acuvim(hass, "acuvim_network")
    typed = {CONF_HOST: HOST, CONF_PORT: converter.port, CONF_UNIT_ID: 1, CONF_SERIAL: "AV2-0003"}
    result = await hass.config_entries.flow.async_configure(flow_id, {**typed, CONF_FRAMING: "tcp"})
    assert result["errors"] == {"base": "cannot_connect"}  # RTU frames do not parse as Modbus TCP
    result = await hass.config_entries.flow.async_configure(flow_id, {**typed, CONF_FRAMING: "rtu_over_tcp"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(result["result"].entry_id)
    await converter.stop()


async def test_acuvim_on_a_serial_port(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    meter = AcuvimSimulator(unit_id=3, framing="serial")
    await meter.start()
    assert meter.serial_server is not None
    path = meter.serial_server.path
    monkeypatch.setattr(device_forms, "serial_ports", lambda: ["/dev/ttyUSB0", path])
    flow_id = await start_acuvim(hass, "acuvim_serial")
    result = await hass.config_entries.flow.async_configure(flow_id)
    host_selector = next(value for key, value in result["data_schema"].schema.items() if key == CONF_HOST)
    offered = [option["value"] for option in host_selector.config["options"]]
    assert offered == ["/dev/ttyUSB0", path]  # the ports found ...
    assert host_selector.config["custom_value"] is True  # ... or a path typed in
    line = {"baudrate": "9600", "parity": "none", "bytesize": "8", "stopbits": "1"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: path, **line, CONF_UNIT_ID: 3, CONF_SERIAL: "AV2-0009"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_FAMILY: "acuvim_serial",
        CONF_HOST: path,
        CONF_PORT: 0,
        CONF_FRAMING: "serial",
        **line,
        CONF_UNIT_ID: 3,
        CONF_SERIAL: "AV2-0009",
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.accuenergy_acuvim_ii_frequency").state not in ("unavailable", "unknown")
    await hass.config_entries.async_unload(result["result"].entry_id)
    await meter.stop()


async def test_a_serial_port_that_does_not_answer(hass: HomeAssistant) -> None:
    flow_id = await start_acuvim(hass, "acuvim_serial")
    line = {"baudrate": "9600", "parity": "none", "bytesize": "8", "stopbits": "1"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: "/dev/ttyNOTHING", **line, CONF_UNIT_ID: 1, CONF_SERIAL: "AV2-0001"}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_a_serial_port_that_refuses_the_line_settings(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The adapter refuses a setting (pyserial raises termios.error): cannot connect, naming the setting."""
    controller, port = os.openpty()

    def refuse(*_args: object) -> None:
        raise termios.error(22, "Invalid argument")

    monkeypatch.setattr(termios, "tcsetattr", refuse)
    flow_id = await start_acuvim(hass, "acuvim_serial")
    line = {"baudrate": "19200", "parity": "even", "bytesize": "8", "stopbits": "1"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: os.ttyname(port), **line, CONF_UNIT_ID: 1, CONF_SERIAL: "AV2-0001"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert "refused the line settings 19200 8E1" in caplog.text
    os.close(port)
    os.close(controller)


async def test_enistic_identified_by_its_broadcast(
    hass: HomeAssistant, enistic_sim: EnisticSimulator
) -> None:
    flow_id = await start_family(hass, "enistic")

    async def broadcast_soon() -> None:
        for _ in range(100):
            await asyncio.sleep(0.02)
            enistic_sim.broadcast()

    broadcaster = asyncio.create_task(broadcast_soon())
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: enistic_sim.target[1]}
    )
    broadcaster.cancel()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == CONTROLLER
    assert result["data"][CONF_SERIAL] == CONTROLLER
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_enistic_silent(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enistic, "IDENTIFY_TIMEOUT", 0.05)
    flow_id = await start_family(hass, "enistic")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: enistic_sim.target[1]}
    )
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (ApiDisabled("the local API is switched off"), "api_not_enabled"),
        (UnsupportedModel("HWE-SKT is not a meter of this family"), "unsupported_model"),
        (FirmwareTooOld("no /api/v1/data"), "firmware_too_old"),
        (AuthenticationFailed("401 Unauthorized"), "invalid_auth"),
        (InvalidResponse("404 on /api"), "invalid_response"),
        (CannotConnect("500 Internal Server Error"), "cannot_connect"),
        (RuntimeError("a bug"), "unknown"),
    ],
)
async def test_errors_then_recovery(hass: HomeAssistant, failure: Exception, error: str) -> None:
    """What the client raises is said in the form; the same form then goes on once the device answers."""
    meter = documented_p1()
    meter.client.identify.side_effect = failure
    with serving(meter):
        flow_id = await start_family(hass, "homewizard")
        result = await hass.config_entries.flow.async_configure(flow_id, ANSWERED)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": error}
        meter.client.identify.side_effect = None
        result = await hass.config_entries.flow.async_configure(flow_id, ANSWERED)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["result"].unique_id == P1_IDENTITY.serial
        await hass.async_block_till_done()


async def test_duplicate_updates_host(hass: HomeAssistant) -> None:
    meter = documented_p1()
    entry = entry_of(meter)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "localhost"})
    with serving(meter):
        flow_id = await start_family(hass, "homewizard")
        result = await hass.config_entries.flow.async_configure(flow_id, ANSWERED)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == HOST


OTHER_P1 = DeviceIdentity(vendor="HomeWizard", model="P1 Meter", serial="5c2fafaabbcc")


async def test_reconfigure_to_another_device(hass: HomeAssistant) -> None:
    meter = documented_p1()
    entry = await set_up(hass, meter)
    meter.client.identify.return_value = OTHER_P1  # another meter answers at the new address
    with serving(meter):
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "192.0.2.7", CONF_PORT: 80}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert entry.data[CONF_HOST] == HOST


async def test_reauth_finds_another_device(hass: HomeAssistant) -> None:
    meter = documented_p1()
    entry = await set_up(hass, meter)
    meter.client.identify.return_value = OTHER_P1
    with serving(meter):
        result = await entry.start_reauth_flow(hass)
        assert result["step_id"] == "reauth_confirm"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


async def test_reconfigure(hass: HomeAssistant) -> None:
    meter = fake_acuvim()
    entry = await set_up(hass, meter, stored={CONF_UNIT_ID: 1})

    def identify() -> DeviceIdentity:  # the meter moved to another address, where it is unit 3
        if meter.made_with[CONF_UNIT_ID] != 3:
            raise InvalidResponse("Modbus exception 11: no unit 1 behind the gateway")
        return meter.identity

    meter.client.identify.side_effect = identify
    with serving(meter):
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        moved = {CONF_HOST: "192.0.2.8", CONF_PORT: 5020}
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {**moved, CONF_UNIT_ID: 1})
        assert result["errors"] == {"base": "invalid_response"}  # nothing at unit 1 there
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {**moved, CONF_UNIT_ID: 3})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
    assert (entry.data[CONF_HOST], entry.data[CONF_PORT], entry.data[CONF_UNIT_ID]) == ("192.0.2.8", 5020, 3)
    assert entry.state is ConfigEntryState.LOADED
    assert meter.made_with[CONF_PORT] == 5020  # the entry reloaded with the new address


async def test_options(hass: HomeAssistant) -> None:
    meter = documented_p1()
    entry = await set_up(hass, meter)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"minimum": "1", "default": "1"}
    assert entry.options == {}
    with serving(meter):  # the entry is reloaded with the new options
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_UPDATE_INTERVAL: 2.5, CONF_INVERT: True}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
    assert {k: entry.options[k] for k in (CONF_UPDATE_INTERVAL, CONF_INVERT)} == {
        CONF_UPDATE_INTERVAL: 2.5,
        CONF_INVERT: True,
    }
    assert "|energy_import" in entry.options["counter_offsets"]  # the counters continue across the change
    coordinator = entry.runtime_data.coordinator
    assert coordinator.polls.every is not None
    assert coordinator.polls.every.total_seconds() == 2.5
    assert coordinator.invert is True


async def test_options_refuse_an_interval_below_the_minimum(hass: HomeAssistant) -> None:
    entry = await set_up(hass, documented_p1())
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData, match="update_interval"):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_UPDATE_INTERVAL: 0.5, CONF_INVERT: False}
        )


def test_credential_fields_use_home_assistant_keys() -> None:
    """Families with authentication (Shelly, Iskra, IGEN) ask for username and a masked password."""
    schema = device_schema(BY_ID["homewizard"], (Field.USERNAME, Field.PASSWORD), with_host=False)
    assert [str(key) for key in schema.schema] == [CONF_USERNAME, CONF_PASSWORD]
    assert schema({CONF_USERNAME: "admin", CONF_PASSWORD: "pw"}) == {
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "pw",
    }


async def test_a_device_with_a_typed_serial_cannot_be_added_twice(hass: HomeAssistant) -> None:
    """The same host, port and unit id under another typed serial is the same device."""
    pack = fake_powerpack()
    # A PowerPack has no readable serial: its client says it is the one the user typed.
    pack.client.identify.side_effect = lambda: replace(pack.identity, serial=pack.made_with[CONF_SERIAL])
    typed = {**ANSWERED, CONF_UNIT_ID: 1, "rated_power": 50}
    with serving(pack):
        flow_id = await start_family(hass, "powerpack")
        result = await hass.config_entries.flow.async_configure(flow_id, {**typed, CONF_SERIAL: "PP-0001"})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        flow_id = await start_family(hass, "powerpack")
        result = await hass.config_entries.flow.async_configure(flow_id, {**typed, CONF_SERIAL: "PP-0002"})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        flow_id = await start_family(hass, "powerpack")
        other_unit = {**typed, CONF_UNIT_ID: 2, CONF_SERIAL: "PP-0003"}
        result = await hass.config_entries.flow.async_configure(flow_id, other_unit)
        assert result.get("reason") != "already_configured"  # another unit id is another device
        await hass.async_block_till_done()
