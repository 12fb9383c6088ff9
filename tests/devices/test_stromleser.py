"""stromleser.one: its documented payloads verbatim; against its simulator: units, rate limit, odd values."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices import clock, stromleser
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse, WrongDevice
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from custom_components.local_energy.devices.stromleser import StromleserClient, parse, parse_value
from simulators.stromleser import DEVICE_ID, StromleserSimulator
from tests.documented import STROMLESER_OFFICIAL, STROMLESER_VENDOR_FIXTURES


def test_the_official_example() -> None:
    values = parse(STROMLESER_OFFICIAL).channels[MAIN_CHANNEL].values
    assert values == {
        Key.POWER: 3.0,
        Key.POWER_L1: 0.0,
        Key.POWER_L2: 0.0,
        Key.POWER_L3: 3.0,
        Key.ENERGY_IMPORT: 22641.3328,
        Key.ENERGY_IMPORT_T1: 22641.3328,
        Key.ENERGY_EXPORT: 37307.8084,
        Key.ENERGY_EXPORT_T1: 37307.8084,
        Key.WIFI_RSSI: -54.0,
    }  # fmt: skip  (tariff 2 reads 0 Wh: a register the meter does not use, not shown)


def test_the_vendors_own_fixtures() -> None:
    three_phase, single_phase = (
        parse(body).channels[MAIN_CHANNEL].values for body in STROMLESER_VENDOR_FIXTURES
    )
    assert (three_phase[Key.ENERGY_IMPORT], three_phase[Key.WIFI_RSSI]) == (12.345, -51.0)  # rssi, no unit
    assert (single_phase[Key.POWER], single_phase[Key.ENERGY_EXPORT]) == (5.0, 19929.796)  # kWh
    assert Key.POWER_L1 not in single_phase


def client_for(simulator: StromleserSimulator, transports: Transports) -> StromleserClient:
    return StromleserClient(ConnectionConfig(host="127.0.0.1", port=simulator.port), transports)


async def test_identity_and_first_poll_share_one_request(
    stromleser_sim: StromleserSimulator, transports: Transports
) -> None:
    client = client_for(stromleser_sim, transports)
    identity = await client.identify()
    assert (identity.serial, identity.model) == (DEVICE_ID, "stromleser.one")
    values = (await client.read()).channels[MAIN_CHANNEL].values  # refused: within 8 s
    assert stromleser_sim.refused == 1
    known = StromleserClient(
        ConnectionConfig(host="127.0.0.1", port=stromleser_sim.port, serial=DEVICE_ID), transports
    )
    assert (await known.identify()).serial == DEVICE_ID  # no request spent
    assert (await known.fetch()).channels == {}  # refused right after start: no values yet, not gone
    assert stromleser_sim.refused == 2
    assert values[Key.POWER] == pytest.approx(-745.0)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(22641.3328)  # Wh -> kWh
    assert values[Key.ENERGY_EXPORT] == pytest.approx(37307.8084)
    assert Key.ENERGY_IMPORT_T2 not in values  # 0.000 Wh: the meter is not unlocked, not a zero counter
    assert values[Key.WIFI_RSSI] == -54.0


@pytest.mark.parametrize(("energy_unit", "power_unit"), [("kWh", "kW"), ("Wh", "W")])
async def test_units_are_converted(
    stromleser_sim: StromleserSimulator, transports: Transports, energy_unit: str, power_unit: str
) -> None:
    stromleser_sim.energy_unit, stromleser_sim.power_unit = energy_unit, power_unit
    values = (await client_for(stromleser_sim, transports).read()).channels[MAIN_CHANNEL].values
    assert values[Key.ENERGY_IMPORT] == pytest.approx(22641.3328, abs=1e-3)
    assert values[Key.POWER_L2] == pytest.approx(-1320.0)


async def test_unknown_unit_is_invalid(stromleser_sim: StromleserSimulator, transports: Transports) -> None:
    stromleser_sim.energy_unit = "BTU"
    with pytest.raises(InvalidResponse, match="BTU"):
        await client_for(stromleser_sim, transports).read()


async def test_rate_limit_keeps_the_last_reading_for_a_while(
    stromleser_sim: StromleserSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    client = client_for(stromleser_sim, transports)
    first = await client.read()
    now[0] = 30.0
    assert await client.read() == first  # refused, shown again
    now[0] = 30.0 + stromleser.KEEP_LAST_GOOD
    with pytest.raises(CannotConnect, match="keeps rejecting"):
        await client.read()
    assert client.diagnostics() == {"http_requests": 3, "rate_limited": 2}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("22.641 kWh", 22.641), ("3.000 W", None), ("5 kWh", 5.0), ("1.5 MWh", 1500.0), ("  7 Wh ", 0.007)],
)
def test_parse_value(raw: str, expected: float | None) -> None:
    factors = {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0}
    if expected is None:
        with pytest.raises(InvalidResponse):
            parse_value(raw, factors, "x")
    else:
        assert parse_value(raw, factors, "x") == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["12", "abc W", None, 12.0])
def test_parse_value_rejects(raw: object) -> None:
    with pytest.raises(InvalidResponse):
        parse_value(raw, {"W": 1.0}, "16.7.0")


def test_power_fallbacks_and_vendor_rssi() -> None:
    values = parse({"16.7": "5 W", "rssi": "-42"}).channels[MAIN_CHANNEL].values
    assert values == {Key.POWER: 5.0, Key.WIFI_RSSI: -42.0}
    values = parse({"1.7.0": "100 W", "2.7.0": "1.5 kW"}).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == -1400.0
    with pytest.raises(InvalidResponse):
        parse({"device_id": "x"})


async def test_another_device_at_the_address(
    stromleser_sim: StromleserSimulator, transports: Transports
) -> None:
    client = StromleserClient(
        ConnectionConfig(host="127.0.0.1", port=stromleser_sim.port, serial="STROM_ONE_1"), transports
    )
    with pytest.raises(WrongDevice, match=DEVICE_ID):
        await client.read()
    stromleser_sim.rate_limited = False
    await client_for(stromleser_sim, transports).read()
    body = stromleser_sim.payload()
    del body["device_id"]
    with pytest.raises(InvalidResponse):
        stromleser._device_id(body)
