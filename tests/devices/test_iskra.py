"""Iskra gateway over REST against its simulator: members, values, units, counters, Bicoms, auth."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import (
    AuthenticationFailed,
    AuthenticationRequired,
    CannotConnect,
    CommandRejected,
    EndpointMissing,
    InvalidResponse,
    UnsupportedModel,
)
from custom_components.local_energy.devices.iskra import (
    DEVICE_LIST_EVERY,
    IskraClient,
    Quantity,
    list_members,
    parse_bicoms,
    parse_counters,
    parse_measurements,
    quantity,
)
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import ChannelKind
from simulators.iskra import GATEWAY_SERIAL, IskraGatewaySimulator


@pytest.fixture
async def gateway() -> AsyncGenerator[IskraGatewaySimulator]:
    simulator = IskraGatewaySimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


def client_for(gateway: IskraGatewaySimulator, transports: Transports, **credentials: str) -> IskraClient:
    return IskraClient(ConnectionConfig(host="127.0.0.1", port=gateway.port, **credentials), transports)


async def test_identity(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    identity = await client_for(gateway, transports).identify()
    assert (identity.vendor, identity.model, identity.serial, identity.firmware) == (
        "Iskra", "SG-E1", GATEWAY_SERIAL, "2.1.0",
    )  # fmt: skip


async def test_meters_and_bicoms(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    snapshot = await client_for(gateway, transports).read()
    assert snapshot.complete
    assert sorted(snapshot.channels) == ["", "58000002", "79000001", "bicom0", "bicom32"]
    three = snapshot.channels["79000001"]
    assert (three.kind, three.model, three.serial) == (ChannelKind.METER, "IE38MD", "79000001")
    values = three.values
    assert values[Key.POWER] == pytest.approx(-380.0)  # kW on the wire, W here; signed
    assert values[Key.POWER_L2] == pytest.approx(-2310.0)
    assert values[Key.CURRENT_L1] == pytest.approx(6.609, abs=1e-3)  # "6.609 A" string form
    assert values[Key.REACTIVE_POWER] == pytest.approx(360.0)  # kvar -> var
    assert values[Key.THD_CURRENT_L3] == 7.4
    assert values[Key.POWER_ANGLE_L1] == -11.5
    assert values[Key.TEMPERATURE] == 31.5
    assert values[Key.ENERGY_IMPORT] == pytest.approx(12345.678)  # Wh -> kWh
    assert values[Key.REACTIVE_ENERGY_EXPORT] == pytest.approx(1234.5)  # varh -> kvarh
    assert values[Key.RESETTABLE_ENERGY_EXPORT] == 250.0
    single = snapshot.channels["58000002"].values
    assert single[Key.POWER_L1] == -850.0
    assert Key.POWER_L2 not in single
    assert snapshot.channels["bicom32"].values == {Key.RELAY: True}


async def test_requests_per_poll(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    client = client_for(gateway, transports)
    await client.read()
    assert len(gateway.requests) == 7  # list, status, 2 x (measurement + counter), bicoms
    gateway.requests.clear()
    await client.read()  # 2 measurements, bicoms
    assert gateway.requests == ["/api/measurement/0", "/api/measurement/1", "/api/bicoms"]


async def test_member_numbering_skips_right_ir_only() -> None:
    body = {
        "devices": [
            {"model": "IE38MD", "serial": "1", "interface": "Left IR"},
            {"model": "BI432", "serial": "2", "interface": "Right IR"},
            {"model": "Disabled", "serial": "3", "interface": "RS485 33"},
            {"model": "WM3", "serial": "4", "interface": "RS485 34"},
        ]
    }
    assert [(m.index, m.serial) for m in list_members(body)] == [(0, "1"), (2, "4")]
    with pytest.raises(InvalidResponse):
        list_members({"nope": 1})


async def test_meter_added_and_removed(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    client = client_for(gateway, transports)
    await client.read()
    gateway.meters[1].enabled = False
    client._polls = 0  # the next poll reads the device list
    assert "58000002" not in (await client.read()).channels


@pytest.mark.parametrize(
    ("raw", "measures", "expected"),
    [
        ({"value": 1.5, "unit": "kW"}, Quantity.POWER, 1500.0),
        ("230.1 V", Quantity.VOLTAGE, 230.1),
        (12, Quantity.POWER, 12.0),
        ("230", Quantity.VOLTAGE, 230.0),
        ("3 mA", Quantity.CURRENT, 0.003),
        ({"value": "7", "unit": "%"}, Quantity.PERCENT, 7.0),
        ({"value": 4.3, "unit": "kVA"}, Quantity.APPARENT, 4300.0),
        ({"value": 0.98}, Quantity.RATIO, 0.98),
    ],
)
def test_quantity(raw: object, measures: Quantity, expected: float) -> None:
    assert quantity(raw, "x", measures) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("raw", "measures"),
    [
        ({"value": 1, "unit": "furlong"}, Quantity.POWER),
        ("lots", Quantity.POWER),
        ({"value": None, "unit": "W"}, Quantity.POWER),
        ({"value": 4.3}, Quantity.APPARENT),  # no unit: neither VA nor kVA is guessed
        ({"value": 4.3, "unit": ""}, Quantity.APPARENT),
        ({"value": 230, "unit": "kW"}, Quantity.VOLTAGE),  # another quantity's unit
        ({"value": 10, "unit": ""}, Quantity.REACTIVE_ENERGY),
    ],
)
def test_quantity_rejects(raw: object, measures: Quantity) -> None:
    with pytest.raises(InvalidResponse):
        quantity(raw, "x", measures)


def test_a_value_without_its_unit_is_dropped_and_the_rest_stands() -> None:
    body = {
        "measurements": {
            "Phases": [{"U": {"value": 230.0, "unit": "V"}, "S": {"value": 4.3}}],
            "Total": {"S": {"value": 4.3}, "P": {"value": 1.2, "unit": "kW"}},
        }
    }
    values = parse_measurements(body)
    assert values[Key.VOLTAGE_L1] == 230.0
    assert values[Key.POWER] == 1200.0
    assert Key.APPARENT_POWER not in values
    assert Key.APPARENT_POWER_L1 not in values


def test_counters_without_an_energy_unit_are_not_shown() -> None:
    body = {
        "counters": {
            "non_resettable": [
                {"name": "Reactive", "value": 5, "unit": "", "direction": "import"},
                {"name": "Apparent", "value": 6, "unit": "VAh", "direction": "import"},
                {"name": "Active import", "value": 7000, "unit": "Wh", "direction": "import"},
                {"name": "Reactive export", "value": 9000, "unit": "varh", "direction": "export"},
            ]
        }
    }
    assert parse_counters(body) == {Key.ENERGY_IMPORT: 7.0, Key.REACTIVE_ENERGY_EXPORT: 9.0}


def test_malformed_answers() -> None:
    for parse in (parse_measurements, parse_counters, parse_bicoms):
        with pytest.raises(InvalidResponse):
            parse([])
    assert (
        parse_counters(
            {"counters": {"non_resettable": ["x", {"unit": "J", "value": 1, "direction": "import"}]}}
        )
        == {}
    )
    assert parse_bicoms({"bicoms": [{"addr": "x"}, {"addr": 1, "state": "?"}]})["bicom1"].values == {}


async def test_bicom_switch(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    client = client_for(gateway, transports)
    await client.write("bicom0", Key.RELAY, value=True)
    assert gateway.bicoms[0].on is True
    assert (await client.read()).channels["bicom0"].values[Key.RELAY] is True
    with pytest.raises(CommandRejected):
        await client.write("79000001", Key.RELAY, value=True)


async def test_authentication(transports: Transports) -> None:
    gateway = IskraGatewaySimulator(username="admin", password="iskra")
    await gateway.start()
    with pytest.raises(AuthenticationRequired):
        await client_for(gateway, transports).identify()
    with pytest.raises(AuthenticationFailed):
        await client_for(gateway, transports, username="admin", password="nope").identify()
    identity = await client_for(gateway, transports, username="admin", password="iskra").identify()
    assert identity.serial == GATEWAY_SERIAL
    await gateway.stop()


async def test_not_a_gateway(transports: Transports) -> None:
    gateway = IskraGatewaySimulator()
    gateway.gateway_model = "WM3"
    await gateway.start()
    with pytest.raises(UnsupportedModel):
        await client_for(gateway, transports).identify()
    await gateway.stop()


async def test_gateway_inputs_and_tariff(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    snapshot = await client_for(gateway, transports).read()
    assert snapshot.channels[""].values == {
        Key.TEMPERATURE_INPUT: 21.4,
        Key.PULSE_ENERGY: 0.256,
        Key.ACTIVE_TARIFF: 3,
    }
    assert snapshot.channels["79000001"].values[Key.ACTIVE_TARIFF] == 1
    gateway.temperature_input = "N/A °C"  # the input is not enabled
    client = client_for(gateway, transports)
    assert Key.TEMPERATURE_INPUT not in (await client.read()).channels[""].values


async def test_a_gateway_without_bicoms(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    gateway.missing.add("/api/bicoms")
    client = client_for(gateway, transports)
    snapshot = await client.read()
    assert snapshot.complete
    assert sorted(snapshot.channels) == ["", "58000002", "79000001"]  # meters, and no relays
    assert client.diagnostics()["missing_endpoints"] == ["/api/bicoms"]
    gateway.requests.clear()
    await client.read()
    assert "/api/bicoms" not in gateway.requests  # not asked every poll, only with the device list
    gateway.missing.clear()
    for _ in range(DEVICE_LIST_EVERY - 1):
        snapshot = await client.read()
    assert "bicom0" in snapshot.channels  # a firmware update brought them
    assert client.diagnostics()["missing_endpoints"] == []


async def test_meters_without_counters(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    gateway.missing.add("/api/counter")
    snapshot = await client_for(gateway, transports).read()
    values = snapshot.channels["79000001"].values
    assert values[Key.POWER] == pytest.approx(-380.0)
    assert Key.ENERGY_IMPORT not in values


@pytest.mark.parametrize("endpoint", ["/api/devices", "/api/measurement/0"])
async def test_required_endpoints_missing_fail(
    gateway: IskraGatewaySimulator, transports: Transports, endpoint: str
) -> None:
    gateway.missing.add(endpoint)
    with pytest.raises(EndpointMissing):
        await client_for(gateway, transports).read()


async def test_gone_and_back(gateway: IskraGatewaySimulator, transports: Transports) -> None:
    client = client_for(gateway, transports)
    before = await client.read()
    await gateway.stop()
    with pytest.raises(CannotConnect):
        await client.read()
    await gateway.start()
    assert (await client.read()).channels.keys() == before.channels.keys()
