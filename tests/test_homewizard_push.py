"""HomeWizard API v2 by push over its WebSocket: measurements follow the meter, HTTP only while it is down."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from custom_components.local_energy.const import DOMAIN
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.homewizard import HomeWizardClient
from custom_components.local_energy.devices.homewizard_socket import HomeWizardSocket, error_code
from custom_components.local_energy.devices.websocket import Link
from custom_components.local_energy.transports import shared_transports
from simulators.homewizard import HomeWizardV2Simulator
from tests.conftest import HOST, refresh, setup_entry, wait_for, wait_ticking
from tests.test_homewizard_v2 import POWER, v2_entry

pytestmark = pytest.mark.field  # end to end: the pushes cross a network


@pytest.fixture
async def meter(
    monkeypatch: pytest.MonkeyPatch, tls_handshakes_may_be_aborted: None
) -> AsyncGenerator[HomeWizardV2Simulator]:
    """One v2 meter; its test CA is trusted in place of HomeWizard's."""
    simulator = HomeWizardV2Simulator()
    await simulator.start()
    monkeypatch.setattr(HomeWizardClient, "ca_pem", simulator.ca_pem)
    yield simulator
    await simulator.stop()


async def granted_token(hass: HomeAssistant, meter: HomeWizardV2Simulator) -> str:
    """A token the meter grants once its button is pressed (the pairing client closed after)."""
    client = HomeWizardClient(
        ConnectionConfig(host=HOST, port=80, tls_port=meter.port), shared_transports(hass)
    )
    try:
        granted = await client.pair()
    finally:
        await client.close()
    assert granted is not None
    return granted["token"]


async def loaded(hass: HomeAssistant, meter: HomeWizardV2Simulator) -> object:
    meter.press_button()
    entry = v2_entry(await granted_token(hass, meter), serial=meter.serial, tls_port=meter.port)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)
    return entry


def power(hass: HomeAssistant) -> float:
    state = hass.states.get(POWER)
    assert state is not None
    return float(state.state)


DOCUMENTED_HANDSHAKE = [
    {"type": "authorization_requested", "data": {"api_version": "2.0.0"}},
    {"type": "authorized"},
]


def test_the_documented_frames() -> None:
    """The greeting is ignored and "authorized" settles the handshake; an error names its code."""
    socket = HomeWizardSocket(
        lambda: None, "wss://x/api/ws", "T", lambda _t, _d: None, tls=True, server_hostname=None
    )  # type: ignore[arg-type,return-value]
    for frame in DOCUMENTED_HANDSHAKE:
        socket.on_frame(frame)
    assert error_code({"type": "error", "data": {"message": "user:unauthorized"}}) == "user:unauthorized"
    assert (
        error_code({"type": "error", "data": "request:unknown-subscription"})
        == "request:unknown-subscription"
    )


async def test_measurements_follow_pushes_without_requests(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await loaded(hass, meter)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
    assert coordinator.polls.every is None
    await wait_for(hass, lambda: len(meter.received) == 3)
    assert [frame["type"] for frame in meter.received] == ["authorization", "subscribe", "subscribe"]
    asked = len(meter.requests)
    socket = coordinator.client._socket
    for watts in (-800.0, 2500.0, 40.0):
        meter.state.powers = [watts, 0.0, 0.0]
        heard = socket.messages
        await meter.push()
        await wait_for(hass, lambda heard=heard: socket.messages > heard)
        await refresh(hass, freezer, 1)
        assert power(hass) == watts
    assert len(meter.requests) == asked  # not one HTTP request while the socket is up
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


async def test_a_dropped_socket_falls_back_to_polling_and_comes_back(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await loaded(hass, meter)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
    meter.websocket_enabled = False
    await meter.drop_sockets()
    await wait_for(hass, lambda: coordinator.silent)
    await hass.async_block_till_done(wait_background_tasks=True)  # the read made when it fell silent
    meter.state.powers = [1234.0, 0.0, 0.0]
    await refresh(hass, freezer, 1)
    assert power(hass) == 1234.0  # polled at the 1 s interval
    assert "/api/measurement" in meter.requests
    meter.websocket_enabled = True
    await wait_ticking(hass, freezer, lambda: not coordinator.silent)  # the reconnect's back-off passes
    assert coordinator.polls.every is None
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


async def test_a_refused_token_opens_reauth(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await loaded(hass, meter)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
    meter.revoke_all()
    await meter.drop_sockets()
    await wait_for(hass, lambda: coordinator.silent)
    await refresh(hass, freezer, 1)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


async def test_a_meter_that_closes_after_the_handshake_is_still_read(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, freezer: FrozenDateTimeFactory
) -> None:
    meter.close_after_handshake = True
    meter.press_button()
    token = await granted_token(hass, meter)
    entry = v2_entry(token, serial=meter.serial, tls_port=meter.port)
    await setup_entry(hass, entry)
    meter.state.powers = [555.0, 0.0, 0.0]
    for _ in range(10):
        await refresh(hass, freezer, 1)
        if power(hass) == 555.0:
            break
    assert power(hass) == 555.0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_home_assistant_stops_with_the_socket_open_and_nothing_after(
    hass: HomeAssistant, meter: HomeWizardV2Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await loaded(hass, meter)
    requests = len(meter.requests)
    await hass.async_stop()
    assert entry.runtime_data.coordinator.client.link is not Link.UP  # type: ignore[attr-defined]
    assert len(meter.requests) == requests
    ours = [record for record in caplog.records if record.name.startswith("custom_components.local_energy")]
    assert not [record for record in ours if record.levelno >= logging.INFO]


def connections_to(port: int) -> int:
    """This process's open TCP connections to a port on loopback (the client's ends, not the server's)."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            if (link := str(fd.readlink())).startswith("socket:["):
                inodes.add(link[8:-1])
    open_states = {"01", "02", "03", "08"}  # established, syn sent, syn received, close wait
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            count += remote_port == port and fields[3] in open_states and fields[9] in inodes
    return count


async def test_an_unload_closes_everything_before_it_returns(
    hass: HomeAssistant, meter: HomeWizardV2Simulator
) -> None:
    """After 50 reloads, 96 sockets stayed open for about a minute (kept alive in the shared pool)."""
    entry = await loaded(hass, meter)
    for _ in range(5):
        await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]
        assert connections_to(meter.port) == 0  # the WebSocket and every HTTPS connection
        await hass.config_entries.async_setup(entry.entry_id)  # type: ignore[attr-defined]
        await wait_for(hass, lambda: entry.runtime_data.coordinator.client.link is Link.UP)  # type: ignore[attr-defined]
        assert connections_to(meter.port) >= 1
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]
