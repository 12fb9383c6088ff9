"""HomeWizard API v2 against its HTTPS simulator: detection, pairing, token, certificate name."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import (
    AuthenticationFailed,
    AuthenticationRequired,
    CannotConnect,
)
from custom_components.local_energy.devices.homewizard import CA_PEM, SYSTEM_EVERY, HomeWizardClient
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL
from simulators.homewizard import HomeWizardV2Simulator


@pytest.fixture
async def meter(
    monkeypatch: pytest.MonkeyPatch, tls_handshakes_may_be_aborted: None
) -> AsyncGenerator[HomeWizardV2Simulator]:
    simulator = HomeWizardV2Simulator()
    await simulator.start()
    # Trust the simulator's test CA in place of HomeWizard's, as a real meter is trusted through HomeWizard's.
    monkeypatch.setattr(HomeWizardClient, "ca_pem", simulator.ca_pem)
    yield simulator
    for client in CLIENTS:
        await client.close()  # each holds its own connections to the meter
    CLIENTS.clear()
    await simulator.stop()


CLIENTS: list[HomeWizardClient] = []


def client_for(meter: HomeWizardV2Simulator, transports: Transports, **config: str) -> HomeWizardClient:
    client = HomeWizardClient(
        ConnectionConfig(host="127.0.0.1", port=1, tls_port=meter.port, **config),
        transports,  # type: ignore[arg-type]
    )
    CLIENTS.append(client)
    return client


async def paired_token(meter: HomeWizardV2Simulator, transports: Transports) -> str:
    meter.press_button()
    granted = await client_for(meter, transports).pair()
    assert granted is not None
    return granted["token"]


async def test_a_v2_meter_asks_to_be_paired(meter: HomeWizardV2Simulator, transports: Transports) -> None:
    with pytest.raises(AuthenticationRequired, match="pair"):
        await client_for(meter, transports).identify()


async def test_pairing_needs_the_button(meter: HomeWizardV2Simulator, transports: Transports) -> None:
    client = client_for(meter, transports)
    assert await client.pair() is None  # 403 user:creation-not-enabled
    meter.press_button()
    granted = await client.pair()
    assert granted is not None
    assert len(granted["token"]) == 32
    assert meter.tokens == {"local/local_energy": granted["token"]}


async def test_identity_and_values_with_the_token(
    meter: HomeWizardV2Simulator, transports: Transports
) -> None:
    token = await paired_token(meter, transports)
    client = client_for(meter, transports, token=token)
    identity = await client.identify()
    assert (identity.serial, identity.firmware) == (meter.serial, "6.00")
    snapshot = await client.read()
    values = snapshot.channels[MAIN_CHANNEL].values
    assert values[Key.POWER] == pytest.approx(-543.0)
    assert values[Key.ENERGY_IMPORT_T1] == pytest.approx(10830.511)
    assert values[Key.CURRENT_L1] < 0  # signed, as v2 documents
    assert values[Key.WIFI_RSSI] == -77.0
    assert snapshot.value("gas", Key.GAS) == pytest.approx(2569.646)
    assert client.diagnostics()["api"] == 2
    assert token not in str(client.diagnostics())


async def test_one_request_per_poll(meter: HomeWizardV2Simulator, transports: Transports) -> None:
    client = client_for(meter, transports, token=await paired_token(meter, transports), serial=meter.serial)
    await client.read()  # measurement + system
    before = client.diagnostics()["http_requests"]
    for _ in range(SYSTEM_EVERY - 1):
        await client.read()
    assert client.diagnostics()["http_requests"] - before == SYSTEM_EVERY - 1


async def test_certificate_must_name_this_meter(meter: HomeWizardV2Simulator, transports: Transports) -> None:
    token = await paired_token(meter, transports)
    assert (await client_for(meter, transports, token=token, serial=meter.serial).read()).channels
    with pytest.raises(CannotConnect, match="certificate"):
        await client_for(meter, transports, token=token, serial="aabbccddeeff").read()


async def test_a_certificate_from_another_ca_is_refused(
    meter: HomeWizardV2Simulator, transports: Transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await paired_token(meter, transports)
    monkeypatch.setattr(HomeWizardClient, "ca_pem", CA_PEM)  # HomeWizard's own CA did not sign it
    with pytest.raises(CannotConnect, match="certificate"):
        await client_for(meter, transports, token=token).read()


async def test_revoked_token(meter: HomeWizardV2Simulator, transports: Transports) -> None:
    client = client_for(meter, transports, token=await paired_token(meter, transports))
    await client.read()
    meter.revoke_all()
    with pytest.raises(AuthenticationFailed):
        await client.read()


async def test_pairing_a_known_meter_checks_its_certificate_name(
    meter: HomeWizardV2Simulator, transports: Transports
) -> None:
    meter.press_button()
    assert await client_for(meter, transports, serial=meter.serial).pair() is not None  # reauth: serial known
    with pytest.raises(CannotConnect, match="certificate"):
        await client_for(meter, transports, serial="aabbccddeeff").pair()
