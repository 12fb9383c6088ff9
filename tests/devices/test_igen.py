"""IGEN against its simulator: broadcasts parsed and routed, HTTP when UDP is off, P1 units, the plug."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import (
    CannotConnect,
    CommandRejected,
    FirmwareTooOld,
    InvalidResponse,
)
from custom_components.local_energy.devices.igen import (
    GAS_CHANNEL,
    IgenClient,
    parse_packet,
    parse_values,
    route,
    snapshot_of,
)
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.igen import IgenDevice, IgenSimulator, packet
from tests.conftest import free_tcp_port, free_udp_port, until
from tests.documented import IGEN_P1_CAPTURE

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
    announced: list[None] = []
    await client.start(lambda: announced.append(None))
    meter.send()
    meter.send(raw=packet("OTHERREADER00001", {"data": {"voltage": 1}}))  # another reader: not ours
    await until(lambda: client.datagrams == 1)
    assert announced == [None]
    assert client.decoded == 0  # held undecoded: decoded when it is written
    assert client.latest() is not None
    meter.send(raw=meter.devices[0].broadcast()[:-40])  # cut short: malformed
    await until(lambda: client.datagrams == 2)
    meter.http_requests.clear()
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert client.malformed == 1  # found when asked for, and the broadcast before it kept
    assert meter.http_requests == []  # fresh broadcast: no HTTP
    assert values[Key.POWER] == 1250.0
    assert values[Key.POWER_FACTOR] == 0.98  # % -> fraction
    assert client.latest().channels[MAIN_CHANNEL].measured_at is not None  # type: ignore[union-attr]
    oversized = meter.devices[0].broadcast()
    meter.send(raw=oversized[:-1] + b" " * (igen.MAX_DATAGRAM + 1 - len(oversized)) + oversized[-1:])
    await until(lambda: client.datagrams == 3)
    assert (await client.read()).channels[MAIN_CHANNEL].values[Key.POWER] == 1250.0  # the one before
    assert client.malformed == 2  # checked once, when it was decoded
    await client.close()


async def test_only_the_broadcasts_written_are_decoded(meter: IgenSimulator, transports: Transports) -> None:
    client = client_for(meter, transports)
    await client.identify()
    await client.start(lambda: None)
    for _ in range(10):
        meter.send()
    await until(lambda: client.datagrams == 10)
    decoded = client.decoded
    assert client.latest() is not None
    assert client.latest() is not None
    assert client.decoded == decoded + 1  # the newest, once; the nine it superseded never
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


async def test_identity_from_broadcasts_when_http_is_closed(
    transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    port = simulator.http_port
    await simulator.server.stop()  # the HTTP API is not enabled
    with socket.socket() as closed:
        # Bound but not listening: connections are refused, and no server of a parallel test takes the port.
        closed.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        closed.bind(("127.0.0.1", port))
        client = client_for(simulator, transports)
        identify = asyncio.create_task(client.identify())
        await until(lambda: transports.udp.listening(simulator.target[1]))
        simulator.send()
        assert (await identify).serial == SERIAL
        monkeypatch.setattr(igen, "PUSH_FRESH", 0.01)
        with pytest.raises(CannotConnect):
            await client_for(simulator, transports).identify()
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


async def test_notice_after_a_minute_without_broadcasts(
    meter: IgenSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(igen, "POLLS_BEFORE_NOTICE", 6)  # a minute of 1 s polls, shortened
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


def test_the_whole_vendor_capture() -> None:
    _, data = parse_packet(packet(SERIAL, IGEN_P1_CAPTURE))
    values = parse_values(data)
    assert values[Key.VOLTAGE_L1] == 233.1
    assert (values[Key.ENERGY_IMPORT_T1], values[Key.ENERGY_IMPORT_T2]) == (139.68, 167.63)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(307.31)
    assert values[Key.ENERGY_EXPORT] == pytest.approx(3.83)
    assert values[Key.POWER] == 0
    assert set(snapshot_of(values).channels) == {MAIN_CHANNEL}  # a gas counter at 0: no gas meter


def document_p1(delivered_kw: float, received_kw: float) -> dict[str, object]:
    """P1.JsonData with the keys exactly as the OpenData document spells them (stray spaces included)."""
    return {
        "SN": "1SAG1100074120",
        "Device_Version ": "50213",
        "Device_Type": 3,
        "Electricity delivered to client_low tariff": 139.68,
        "Electricity delivered to client_normal tariff": 167.63,
        "Electricity delivered by client_low tariff": 2.73,
        "Electricity delivered by client_normal tariff": 1.10,
        "AC_Phase-A_Current ": 9.1,
        "AC_Phase-A_Voltage": 231.0,
        "AC_Phase-B_Voltage": 232.0,
        "AC_Phase-C_Voltage": 230.0,
        " Actual electricity power delivered +P ": delivered_kw,
        " Actual electricity power received -P ": received_kw,
        "Instantaneous active power L1 +P": delivered_kw,
        "Instantaneous active power L1 -P": received_kw,
        "Total Gas Consumption": 2569.646,
    }


def test_the_documents_p1_keys_map_as_the_broadcasts_do() -> None:
    values = parse_values(document_p1(2.1, 0))
    assert values[Key.POWER] == pytest.approx(2100.0)  # kW, as documented: 231 V x 9.1 A agrees
    assert values[Key.POWER_L1] == pytest.approx(2100.0)
    assert (values[Key.CURRENT_L1], values[Key.VOLTAGE_L1], values[Key.VOLTAGE_L3]) == (9.1, 231.0, 230.0)
    assert (values[Key.ENERGY_IMPORT_T1], values[Key.ENERGY_IMPORT_T2]) == (139.68, 167.63)
    assert (values[Key.ENERGY_EXPORT_T1], values[Key.ENERGY_EXPORT_T2]) == (2.73, 1.10)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(307.31)
    exporting = parse_values(document_p1(0, 2.1))
    assert exporting[Key.POWER] == pytest.approx(-2100.0)
    in_watts = parse_values(document_p1(2100, 0))  # the P1-2WR firmware that sends W
    assert in_watts[Key.POWER] == pytest.approx(2100.0)
    broadcast_keys = parse_values(
        {"a_voltage": 231.0, "a_current": 9.1, "total_act_power": 2.1, "total_act_ret_power": 0}
    )
    assert broadcast_keys[Key.POWER] == values[Key.POWER]


def test_gas_is_a_child_meter() -> None:
    snapshot = snapshot_of(parse_values(document_p1(2.1, 0)))
    gas = snapshot.channels[GAS_CHANNEL]
    assert gas.values == {Key.GAS: 2569.646}
    assert gas.model == "Gas meter"
    assert Key.GAS not in snapshot.channels[MAIN_CHANNEL].values


def test_the_documents_ir_reader_verbatim() -> None:
    ir_reader = {
        "SN": "3320730586",
        "SN2": "56197869",
        "Total Active Power": -30,
        "L3 Phase Voltage": 230.50,
        "L3 Phase Current": 0.17,
        "Reactive Power": -20,
        "L3 Phase Power": -30,
        "Full-Time Cumulative Grid-Connected Electric Energy": 9.55,
        "Accumulated Purchase Of Electric Energy In Full Time.": 56.21,
        "Installation Direction": "Vertical",
    }
    values = parse_values(ir_reader)
    assert (values[Key.VOLTAGE_L3], values[Key.CURRENT_L3], values[Key.POWER_L3]) == (230.5, 0.17, -30)
    assert values[Key.REACTIVE_POWER] == -20


async def test_p1_over_http_speaks_the_documents_keys(transports: Transports) -> None:
    simulator = IgenSimulator(free_udp_port(), [IgenDevice("p1", SERIAL)])
    await simulator.start()
    client = client_for(simulator, transports, serial=SERIAL)
    await client.identify()
    snapshot = await client.read()
    assert simulator.http_requests[-1] == "/rpc/P1.JsonData"
    assert snapshot.channels[MAIN_CHANNEL].values[Key.POWER] == pytest.approx(1250.0)
    assert snapshot.channels[GAS_CHANNEL].values[Key.GAS] == 2569.646
    await simulator.stop()


async def test_an_entry_sets_up_from_a_broadcast_without_http(
    transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(igen, "BROADCAST_WAIT", 1.5)
    simulator = IgenSimulator(free_udp_port(), [IgenDevice("p1", SERIAL)])
    await simulator.start(broadcasting=True)
    unreachable = IgenClient(
        ConnectionConfig(
            host="127.0.0.1", port=free_tcp_port(), push_port=simulator.target[1], serial=SERIAL
        ),
        transports,
    )
    identity = await unreachable.identify()
    assert (identity.serial, identity.model) == (SERIAL, "P1 reader")
    snapshot = await unreachable.read()
    assert snapshot.channels[MAIN_CHANNEL].values[Key.POWER] != 0
    assert snapshot.channels[GAS_CHANNEL].values[Key.GAS] == 2569.646
    assert simulator.http_requests == []
    assert unreachable.diagnostics()["http_polls"] == 0
    await unreachable.close()
    await simulator.stop()


async def test_without_a_fresh_broadcast_an_entry_asks_over_http(
    meter: IgenSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(igen, "BROADCAST_WAIT", 0.2)
    client = client_for(meter, transports, serial=SERIAL)
    identity = await client.identify()  # the simulator is not broadcasting
    assert identity.model == "gl meter"
    assert meter.http_requests == ["/rpc/Sys.GetConfig"]
    await client.close()


def test_a_p1_reader_that_sends_only_its_import_power() -> None:
    only_import = {
        " Actual electricity power delivered +P ": 2.1,
        "AC_Phase-A_Voltage": 231.0,
        "AC_Phase-A_Current ": 9.1,
    }
    assert parse_values(only_import)[Key.POWER] == pytest.approx(2100.0)


def test_p1_powers_in_kw_with_only_phase_a_current() -> None:
    """P1.JsonData's documented words: 3 kW drawn on L2 and L3, and only phase A's current is read."""
    data = {
        "AC_Phase-A_Current ": 1.0,
        "AC_Phase-A_Voltage": 230.0, "AC_Phase-B_Voltage": 230.0, "AC_Phase-C_Voltage": 230.0,
        " Actual electricity power delivered +P ": 3.2, " Actual electricity power received -P ": 0.0,
        "Instantaneous active power L1 +P": 0.2, "Instantaneous active power L1 -P": 0.0,
        "Instantaneous active power L2 +P": 1.5, "Instantaneous active power L3 +P": 1.5,
    }  # fmt: skip
    values = igen.parse_values(data)
    assert values[Key.POWER] == 3200.0
    assert values[Key.POWER_L1] == 200.0
    assert values[Key.POWER_L2] == 1500.0


def test_p1_powers_in_w_netted_across_phases() -> None:
    """Firmware that reports W: 5 kW drawn on L1 and 4.99 kW fed in on L2 net to 10 W."""
    data = {
        "a_voltage": 230.0, "b_voltage": 230.0, "c_voltage": 230.0,
        "a_current": 22.0, "b_current": 22.0, "c_current": 0.0,
        "total_act_power": 10.0, "total_act_ret_power": 0.0,
        "a_act_power": 5000.0, "a_act_ret_power": 0.0, "b_act_power": 0.0, "b_act_ret_power": 4990.0,
        "total_act_energy_lt": 100.0,
    }  # fmt: skip
    values = igen.parse_values(data)
    assert values[Key.POWER] == 10.0
    assert values[Key.POWER_L1] == 5000.0
    assert values[Key.POWER_L2] == -4990.0
