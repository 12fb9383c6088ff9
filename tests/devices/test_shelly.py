"""Shelly, every supported model, against its simulator over HTTP (Gen1 REST and Gen2+ RPC)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices import clock
from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import (
    AuthenticationFailed,
    AuthenticationRequired,
    CommandRejected,
    InvalidResponse,
    UnsupportedModel,
    WrongDevice,
)
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.shelly import MODELS, ShellyClient, parse_info
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.shelly import ISSUE_MODELS, ShellySimulator

MAC = "aabbccddeeff"


@pytest.fixture
async def started() -> AsyncGenerator[list[ShellySimulator]]:
    simulators: list[ShellySimulator] = []
    yield simulators
    for simulator in simulators:
        await simulator.stop()


async def play(started: list[ShellySimulator], model: str, **kwargs: object) -> ShellySimulator:
    simulator = ShellySimulator(model, **kwargs)  # type: ignore[arg-type]
    await simulator.start()
    started.append(simulator)
    return simulator


def client_for(simulator: ShellySimulator, transports: Transports, **kwargs: str) -> ShellyClient:
    return ShellyClient(ConnectionConfig(host="127.0.0.1", port=simulator.port, **kwargs), transports)


def test_twelve_models_are_supported() -> None:
    assert len(ISSUE_MODELS) == 12
    assert all(model in MODELS for model in ISSUE_MODELS)


@pytest.mark.parametrize("model", ISSUE_MODELS)
async def test_every_model_reads_in_one_request(
    model: str, started: list[ShellySimulator], transports: Transports
) -> None:
    simulator = await play(started, model)
    client = client_for(simulator, transports)
    identity = await client.identify()
    assert identity.model == MODELS[model].name
    assert identity.serial == MAC
    simulator.requests.clear()
    snapshot = await client.read()
    assert simulator.requests == ["/status" if simulator.generation == 1 else "/rpc/Shelly.GetStatus"]
    main = snapshot.channels[MAIN_CHANNEL].values
    assert main[Key.WIFI_RSSI] in (-60.0, -61.0)


@pytest.mark.parametrize("model", ["SPEM-003CEBEU", "SHEM-3", "S3EM-003CXCEU63"])
async def test_three_phase_values_signs_and_units(
    model: str, started: list[ShellySimulator], transports: Transports
) -> None:
    simulator = await play(started, model)
    values = (await client_for(simulator, transports).read()).channels[MAIN_CHANNEL].values
    state = simulator.state
    assert values[Key.POWER] == pytest.approx(sum(state.powers), abs=0.01)
    assert values[Key.POWER_L2] == pytest.approx(-2100.0)  # PV phase exports: negative
    assert values[Key.CURRENT_L2] < 0  # follows the power (the Gen1 3EM reports it unsigned)
    assert values[Key.VOLTAGE_L1] == pytest.approx(229.0)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(sum(state.imported_wh) / 1000, abs=1e-3)  # Wh -> kWh
    assert values[Key.ENERGY_EXPORT_L2] == pytest.approx(940.0407, abs=1e-3)
    assert values[Key.NET_ENERGY_IMPORT] == 0.0  # integrated from the first sample on
    assert Key.RELAY in values if model == "SHEM-3" else Key.RELAY not in values


async def test_netted_energy_is_integrated_from_total_power(
    started: list[ShellySimulator], transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator = await play(started, "SPEM-003CEBEU")
    client = client_for(simulator, transports)
    now = [0.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    simulator.state.powers = [1000.0, -3000.0, 500.0]  # the house exports 1.5 kW net
    await client.read()
    now[0] = 3.6
    values = (await client.read()).channels[MAIN_CHANNEL].values
    assert values[Key.NET_ENERGY_EXPORT] == pytest.approx(0.0015)
    assert values[Key.NET_ENERGY_IMPORT] == 0.0
    assert values[Key.ENERGY_IMPORT] > 2500  # the per-phase counters import all the while


async def test_monophase_profile_gives_three_channels(
    started: list[ShellySimulator], transports: Transports
) -> None:
    simulator = await play(started, "S3EM-003CXCEU63", monophase=True)
    snapshot = await client_for(simulator, transports).read()
    assert sorted(snapshot.channels) == ["", "em1:0", "em1:1", "em1:2"]
    channel = snapshot.channels["em1:1"]
    assert channel.name == "Shelly 3EM-63 Gen3 channel 2"
    assert channel.values[Key.POWER] == pytest.approx(-2100.0)
    assert channel.values[Key.ENERGY_EXPORT] == pytest.approx(940.0407, abs=1e-3)


@pytest.mark.parametrize(
    ("model", "channels"), [("SPEM-002CEBEU50", ["em1:0", "em1:1"]), ("SHEM", ["emeter0", "emeter1"])]
)
async def test_two_channel_meters(
    model: str, channels: list[str], started: list[ShellySimulator], transports: Transports
) -> None:
    simulator = await play(started, model)
    snapshot = await client_for(simulator, transports).read()
    assert [c for c in snapshot.channels if c] == channels
    assert snapshot.channels[channels[1]].values[Key.POWER] == pytest.approx(-2100.0)
    assert snapshot.channels[MAIN_CHANNEL].values[Key.RELAY] is True


@pytest.mark.parametrize(
    ("model", "power", "imported", "exported"),
    [
        ("SHPLG-S", 1200.0, 2034616.71 / 1000, None),  # Gen1: watt-minutes in, kWh out
        ("SNPL-00112EU", 1200.0, 2034616.71 / 1000, None),
        ("S3PL-00112EU", 1200.0, 2034616.71 / 1000, None),
        ("S3PL-20112EU", 1200.0, 2034616.71 / 1000, 1.0),  # aenergy holds both directions
    ],
)
async def test_plugs(
    model: str,
    power: float,
    imported: float,
    exported: float | None,
    started: list[ShellySimulator],
    transports: Transports,
) -> None:
    simulator = await play(started, model)
    values = (await client_for(simulator, transports).read()).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == pytest.approx(power)
    assert values[Key.ENERGY_IMPORT] == pytest.approx(imported, abs=1e-3)
    assert values.get(Key.ENERGY_EXPORT) == (None if exported is None else pytest.approx(exported))


@pytest.mark.parametrize(
    ("model", "signed"), [("SNPL-00112EU", False), ("S3PL-00112EU", True), ("SHPLG-S", False)]
)
async def test_plug_power_sign(
    model: str, signed: bool, started: list[ShellySimulator], transports: Transports
) -> None:
    simulator = await play(started, model)
    simulator.state.powers[0] = -300.0  # a micro-inverter behind the plug
    values = (await client_for(simulator, transports).read()).channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == (-300.0 if signed else 300.0)


@pytest.mark.parametrize("model", ["SHPLG-S", "S3PL-00112EU", "SPEM-002CEBEU50", "SHEM-3"])
async def test_relay(model: str, started: list[ShellySimulator], transports: Transports) -> None:
    simulator = await play(started, model)
    client = client_for(simulator, transports)
    await client.write(MAIN_CHANNEL, Key.RELAY, value=False)
    assert simulator.state.relay is False
    assert (await client.read()).value(MAIN_CHANNEL, Key.RELAY) is False
    await client.write(MAIN_CHANNEL, Key.RELAY, value=True)
    assert simulator.state.relay is True


async def test_pro_3em_has_no_relay(shelly_sim: ShellySimulator, transports: Transports) -> None:
    with pytest.raises(CommandRejected):
        await client_for(shelly_sim, transports).write(MAIN_CHANNEL, Key.RELAY, value=True)


@pytest.mark.parametrize("model", ["SPEM-003CEBEU", "SHEM-3", "S3PL-00112EU", "SHPLG-S"])
async def test_authentication(model: str, started: list[ShellySimulator], transports: Transports) -> None:
    simulator = await play(started, model, password="s3cret")
    with pytest.raises(AuthenticationRequired):
        await client_for(simulator, transports).identify()
    with pytest.raises(AuthenticationFailed):
        await client_for(simulator, transports, password="wrong").identify()
    client = client_for(simulator, transports, password="s3cret")
    assert (await client.identify()).serial == MAC
    simulator.requests.clear()
    await client.read()
    await client.read()
    if simulator.generation >= 2:
        # The nonce is reused: after the first challenge, every poll is one request.
        assert simulator.requests == ["/rpc/Shelly.GetStatus"] * 2
    await client.write(MAIN_CHANNEL, Key.RELAY, value=False) if model != "SPEM-003CEBEU" else None


async def test_another_device_at_the_address(shelly_sim: ShellySimulator, transports: Transports) -> None:
    client = client_for(shelly_sim, transports, serial=MAC)
    await client.read()
    shelly_sim.mac = "112233445566"  # the DHCP lease went to another Shelly
    with pytest.raises(WrongDevice, match="112233445566"):
        await client.read()


@pytest.mark.parametrize("model", ["SPEM-003CEBEU", "SHEM-3"])
async def test_malformed_status(model: str, started: list[ShellySimulator], transports: Transports) -> None:
    simulator = await play(started, model)
    simulator.malformed = True
    with pytest.raises(InvalidResponse):
        await client_for(simulator, transports).read()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], InvalidResponse),
        ({"gen": 2, "model": "", "mac": "AABBCCDDEEFF"}, UnsupportedModel),
        ({"gen": 2, "model": "SNSW-102P16EU", "mac": "AABBCCDDEEFF"}, UnsupportedModel),
        ({"type": "SHEM", "mac": "short"}, InvalidResponse),
    ],
)
def test_parse_info_rejects(body: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_info(body)


def test_parse_info_generations() -> None:
    gen1 = parse_info({"type": "SHPLG-S", "mac": "AABBCCDDEEFF", "auth": True, "fw": "v1.14.0"})
    assert (gen1.generation, gen1.auth_required, gen1.firmware) == (1, True, "v1.14.0")
    gen2 = parse_info({"gen": 2, "model": "SPEM-003CEBEU", "mac": "AABBCCDDEEFF", "auth_en": False,
                       "profile": "monophase", "ver": "1.1.0"})  # fmt: skip
    assert (gen2.generation, gen2.monophase, gen2.firmware) == (2, True, "1.1.0")
