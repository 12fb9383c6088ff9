"""HomeWizard P1 (API v1) against its simulator over HTTP."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import (
    ApiDisabled,
    AuthenticationFailed,
    CannotConnect,
    FirmwareTooOld,
    InvalidResponse,
    UnsupportedModel,
)
from custom_components.local_energy.devices.homewizard import (
    GAS_CHANNEL,
    HomeWizardClient,
    decode_hex_id,
    parse_data,
)
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from custom_components.local_energy.devices.websocket import Link
from simulators.homewizard import SERIAL, HomeWizardSimulator


def client_for(simulator: HomeWizardSimulator, transports: Transports) -> HomeWizardClient:
    return HomeWizardClient(ConnectionConfig(host="127.0.0.1", port=simulator.port), transports)


async def test_identity(homewizard_sim: HomeWizardSimulator, transports: Transports) -> None:
    client = client_for(homewizard_sim, transports)
    identity = await client.identify()
    assert (client.pushes, client.link) == (False, Link.NONE)  # API v1 is polled: no link to tell of
    assert identity.serial == SERIAL
    assert identity.model == "P1 Meter"
    assert identity.vendor == "HomeWizard"
    assert identity.firmware == "5.18"
    assert identity.mac == SERIAL


async def test_snapshot_values_units_and_sign(
    homewizard_sim: HomeWizardSimulator, transports: Transports
) -> None:
    snapshot = await client_for(homewizard_sim, transports).read()
    meter = snapshot.channels[MAIN_CHANNEL].values
    assert meter[Key.POWER] == pytest.approx(-543.0)  # exporting: negative
    assert meter[Key.POWER_L1] == pytest.approx(-676.0)
    assert meter[Key.POWER_L2] == pytest.approx(133.0)
    assert meter[Key.VOLTAGE_L2] == pytest.approx(231.2)
    assert meter[Key.ENERGY_IMPORT] == pytest.approx(13779.338)
    assert meter[Key.ENERGY_EXPORT_T1] == pytest.approx(1285.951)
    assert meter[Key.ACTIVE_TARIFF] == 2
    assert meter[Key.WIFI_STRENGTH] == 100
    gas = snapshot.channels[GAS_CHANNEL]
    assert gas.values[Key.GAS] == pytest.approx(2569.646)
    assert gas.serial == "NGLYD"  # hex-encoded ASCII id, decoded


async def test_values_follow_the_meter(homewizard_sim: HomeWizardSimulator, transports: Transports) -> None:
    client = client_for(homewizard_sim, transports)
    before = (await client.read()).value(MAIN_CHANNEL, Key.POWER)
    for _ in range(10):
        homewizard_sim.advance()
    after = (await client.read()).value(MAIN_CHANNEL, Key.POWER)
    assert after == pytest.approx(round(sum(homewizard_sim.state.powers), 1))
    assert after != before


def test_totals_summed_from_tariffs_when_absent() -> None:
    snapshot = parse_data(
        {"total_power_import_t1_kwh": 10.5, "total_power_import_t2_kwh": 2.25, "active_power_w": -678}
    )
    values = snapshot.channels[MAIN_CHANNEL].values
    assert values[Key.ENERGY_IMPORT] == pytest.approx(12.75)
    assert Key.ENERGY_EXPORT not in values
    assert GAS_CHANNEL not in snapshot.channels


def test_legacy_gas_field_and_odd_values() -> None:
    snapshot = parse_data(
        {
            "total_gas_m3": 5.5,
            "gas_unique_id": "zz",
            "active_tariff": 7,
            "active_power_w": True,
            "external": "x",
        }
    )
    assert snapshot.value(GAS_CHANNEL, Key.GAS) == 5.5
    assert snapshot.channels[GAS_CHANNEL].serial == "zz"
    values = snapshot.channels[MAIN_CHANNEL].values
    assert Key.ACTIVE_TARIFF not in values  # outside 1..4
    assert Key.POWER not in values  # a bool is not a number


@pytest.mark.parametrize(
    ("raw", "expected"), [("4E47475955", "NGGYU"), ("0001", "0001"), (None, None), ("", None)]
)
def test_decode_hex_id(raw: str | None, expected: str | None) -> None:
    assert decode_hex_id(raw) == expected


async def test_api_disabled(homewizard_sim: HomeWizardSimulator, transports: Transports) -> None:
    homewizard_sim.api_enabled = False
    with pytest.raises(ApiDisabled):
        await client_for(homewizard_sim, transports).read()


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationFailed), (404, InvalidResponse), (500, CannotConnect)],
)
async def test_device_endpoint_errors(
    homewizard_sim: HomeWizardSimulator, transports: Transports, status: int, error: type[Exception]
) -> None:
    """What /api answers when it is not the device's identity: each status its own typed error."""
    homewizard_sim.device_status = status
    with pytest.raises(error) as raised:
        await client_for(homewizard_sim, transports).identify()
    # Not one of the errors that tell the user something else (the API off, an old firmware, a model).
    assert not isinstance(raised.value, (ApiDisabled, FirmwareTooOld, UnsupportedModel))


async def test_malformed_body(homewizard_sim: HomeWizardSimulator, transports: Transports) -> None:
    homewizard_sim.malformed = True
    with pytest.raises(InvalidResponse):
        await client_for(homewizard_sim, transports).read()


async def test_unsupported_product(homewizard_sim: HomeWizardSimulator, transports: Transports) -> None:
    homewizard_sim.product_type = "HWE-SKT"
    with pytest.raises(UnsupportedModel):
        await client_for(homewizard_sim, transports).identify()


async def test_timeout(
    homewizard_sim: HomeWizardSimulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    homewizard_sim.delay = 0.5
    client = client_for(homewizard_sim, transports)
    client._v1._timeout = type(client._v1._timeout)(total=0.1)
    with pytest.raises(CannotConnect):
        await client.read()


async def test_device_gone(homewizard_sim: HomeWizardSimulator, transports: Transports) -> None:
    client = client_for(homewizard_sim, transports)
    await homewizard_sim.stop()
    with pytest.raises(CannotConnect):
        await client.read()
    await homewizard_sim.start()
    assert (await client.read()).value(MAIN_CHANNEL, Key.POWER) is not None


async def test_firmware_without_the_data_endpoint(
    homewizard_sim: HomeWizardSimulator, transports: Transports
) -> None:
    homewizard_sim.data_status = 404
    with pytest.raises(FirmwareTooOld, match="/api/v1/data"):
        await client_for(homewizard_sim, transports).read()
    homewizard_sim.data_status = 500  # a server error is no firmware matter: the device may recover
    with pytest.raises(CannotConnect):
        await client_for(homewizard_sim, transports).read()
