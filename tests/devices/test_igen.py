"""IGEN against its simulator: broadcasts parsed and routed, HTTP when UDP is off, P1 units, the plug."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.igen import IgenClient, parse_packet, parse_values, route
from custom_components.local_energy.devices.model import (
    MAIN_CHANNEL,
    CannotConnect,
    CommandRejected,
    ConnectionConfig,
    FirmwareTooOld,
    InvalidResponse,
    Key,
)
from simulators.igen import IgenDevice, IgenSimulator, packet
from tests.conftest import free_udp_port

SERIAL = "D850BD20A300129S"


@pytest.fixture
async def meter() -> AsyncGenerator[IgenSimulator]:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    yield simulator
    await simulator.stop()


def client_for(simulator: IgenSimulator, transports: Transports, **config: object) -> IgenClient:
    return IgenClient(
        ConnectionConfig(host="127.0.0.1", port=simulator.http_port, push_port=simulator.target[1], **config),  # type: ignore[arg-type]
        transports,
    )


async def until(condition: object) -> None:
    async with asyncio.timeout(2):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)


def test_the_vendors_capture_parses() -> None:
    capture = packet(
        SERIAL,
        {
            "id": 3398,
            "ts": 1750303145,
            "type": 4,
            "data": {
                "SN": "1SAG1100074120",
                "total_act_energy_LT": 139.68,
                "a_voltage": 233.1,
                "a_current": 0,
                "total_act_power": 0,
                "total_act_ret_power": 0,
            },
        },
    )
    assert capture[6:11] == b"PSC-D"
    assert capture[52] == 16
    assert route(capture) == SERIAL
    serial, data = parse_packet(capture)
    assert (serial, data["total_act_energy_LT"]) == (SERIAL, 139.68)


@pytest.mark.parametrize(
    "datagram",
    [b"short", b"\0" * 6 + b"XXXXX" + b"\0" * 80, packet(SERIAL, {"no": "data"})[:-30] + b"garbage"],
)
def test_malformed_broadcasts(datagram: bytes) -> None:
    with pytest.raises(InvalidResponse):
        parse_packet(datagram)


def test_p1_power_units() -> None:
    documented = {
        "a_voltage": 230,
        "a_current": 10,
        "total_act_power": 2.3,
        "total_act_ret_power": 0,
        "total_act_energy_LT": 1,
    }
    assert parse_values(documented)[Key.POWER] == pytest.approx(2300.0)  # kW, as documented
    in_watts = {
        "a_voltage": 230,
        "a_current": 10,
        "total_act_power": 0,
        "total_act_ret_power": 2300,
        "total_act_energy_LT": 1,
    }
    assert parse_values(in_watts)[Key.POWER] == pytest.approx(-2300.0)  # W, as some firmware sends; exporting
    with pytest.raises(InvalidResponse):
        parse_values({"nothing": 1})


async def test_broadcasts_are_routed_and_kept(meter: IgenSimulator, transports: Transports) -> None:
    client = client_for(meter, transports)
    identity = await client.identify()
    assert (identity.serial, identity.model) == (SERIAL, "gl meter")
    pushes: list[None] = []
    await client.start(lambda: pushes.append(None))
    meter.send()
    meter.send(raw=packet("OTHERREADER00001", {"data": {"voltage": 1}}))  # another reader: not ours
    meter.send(raw=meter.devices[0].broadcast()[:-40])  # cut short: malformed
    await until(lambda: client.datagrams == 2)
    assert client.malformed == 1
    meter.http_requests.clear()
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert meter.http_requests == []  # fresh broadcast: no HTTP
    assert values[Key.POWER] == 1250.0
    assert values[Key.POWER_FACTOR] == 0.98  # % -> fraction
    assert len(pushes) == 1
    await client.close()


async def test_http_when_udp_is_off(
    meter: IgenSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    meter.udp_enabled = False
    client = client_for(meter, transports, serial=SERIAL)
    await client.identify()
    await client.start(lambda: None)
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert meter.http_requests[-1] == "/rpc/Meter.JsonData"
    assert values[Key.POWER_L1] == 625.0
    assert client.diagnostics()["http_polls"] == 1
    await client.close()


async def test_identity_from_broadcasts_when_http_is_closed(transports: Transports) -> None:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    await simulator.server.stop()  # the HTTP API is not enabled
    client = client_for(simulator, transports)
    identify = asyncio.create_task(client.identify())
    await until(lambda: transports.udp.listening(simulator.target[1]))
    simulator.send()
    assert (await identify).serial == SERIAL
    silent = client_for(simulator, transports)
    silent._serial = None
    original = igen.PUSH_FRESH
    igen.PUSH_FRESH = 0.01
    try:
        with pytest.raises(CannotConnect):
            await silent.identify()
    finally:
        igen.PUSH_FRESH = original
    await simulator.stop()


async def test_plug(transports: Transports) -> None:
    simulator = IgenSimulator(free_udp_port(), [IgenDevice("plug", "D850BD20A3009999", power=60.0)])
    await simulator.start()
    client = client_for(simulator, transports)
    assert (await client.identify()).model == "SP-2W-EU"
    snapshot = await client.read()
    assert snapshot.value(MAIN_CHANNEL, Key.RELAY) is True
    await client.write(MAIN_CHANNEL, Key.RELAY, value=False)
    assert simulator.devices[0].relay is False
    assert (await client.read()).value(MAIN_CHANNEL, Key.RELAY) is False
    await simulator.stop()


async def test_meters_cannot_be_switched(meter: IgenSimulator, transports: Transports) -> None:
    client = client_for(meter, transports)
    await client.identify()
    with pytest.raises(CommandRejected):
        await client.write(MAIN_CHANNEL, Key.RELAY, value=True)


def test_ir_reader_and_single_phase_meter_payloads() -> None:
    ir_reader = {
        "SN": "3320730586",
        "SN2": "56197869",
        "Total Active Power": -30,
        "L3 Phase Voltage": 230.5,
        "Reactive Power": -20,
        "Full-Time Cumulative Grid-Connected Electric Energy": 9.55,
        "Accumulated Purchase Of Electric Energy In Full Time.": 56.21,
    }
    values = parse_values(ir_reader)
    assert (values[Key.POWER], values[Key.ENERGY_IMPORT], values[Key.ENERGY_EXPORT]) == (-30, 56.21, 9.55)
    single = {
        "SN": "3310500113",
        "voltage": 229.87,
        "current": 0.66,
        "active power": 133.5,
        "power factor": 0.63,
        "frequency": 50.03,
        "total_act_energy": 3.53,
        "total_act_ret_energy": 0.18,
    }
    values = parse_values(single)
    assert (values[Key.POWER], values[Key.VOLTAGE], values[Key.POWER_FACTOR]) == (133.5, 229.87, 0.63)


async def test_firmware_without_opendata(meter: IgenSimulator, transports: Transports) -> None:
    meter.opendata = False
    client = client_for(meter, transports, serial=SERIAL)
    await client.identify()
    with pytest.raises(FirmwareTooOld, match="predates the OpenData API"):
        await client.read()
    meter.devices = [IgenDevice("p1", SERIAL)]  # a type the document gives a minimum firmware for
    await client.identify()
    with pytest.raises(
        FirmwareTooOld, match=re.escape("needs firmware V1.3.0A_R003.001_MP12W_00000013 or newer")
    ):
        await client.read()


async def test_notice_after_a_minute_without_broadcasts(meter: IgenSimulator, transports: Transports) -> None:
    client = client_for(meter, transports, serial=SERIAL)
    await client.identify()
    assert client.notices() == ()  # not subscribed: nothing is expected
    await client.start(lambda: None)
    for _ in range(igen.POLLS_BEFORE_NOTICE):
        assert client.notices() == ()
        await client.read()
    (notice,) = client.notices()
    assert notice.key == "push_not_received"
    assert notice.placeholders == {"port": str(meter.target[1])}
    meter.send()
    await until(lambda: client.datagrams == 1)
    assert client.notices() == ()
    await client.close()
