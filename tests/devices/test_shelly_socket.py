"""Shelly Gen2+ over the RPC WebSocket, against the simulator on a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.shelly import ShellyClient
from custom_components.local_energy.devices.shelly_socket import FrameDigest, ShellySocket, merge
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Snapshot
from custom_components.local_energy.devices.websocket import Link
from simulators.shelly import ShellySimulator
from tests.conftest import pushes_into, until


class Recorder:
    """What a client hands over: snapshots and link changes."""

    def __init__(self) -> None:
        self.snapshots: list[Snapshot] = []
        self.links: list[Link] = []

    def power(self) -> object:
        return self.snapshots[-1].value(MAIN_CHANNEL, Key.POWER) if self.snapshots else None


@pytest.fixture
async def pro3em() -> AsyncGenerator[ShellySimulator]:
    simulator = ShellySimulator("SPEM-003CEBEU")
    await simulator.start()
    yield simulator
    await simulator.stop()


async def started_client(
    simulator: ShellySimulator, transports: Transports, password: str | None = None
) -> tuple[ShellyClient, Recorder]:
    config = ConnectionConfig(host="127.0.0.1", port=simulator.port, password=password)
    client = ShellyClient(config, transports)
    await client.identify()
    recorder = Recorder()
    await client.start(pushes_into(client, recorder.snapshots), recorder.links.append)
    return client, recorder


# --- the documented frames, verbatim -----------------------------------------------------------------

DOCUMENTED_SWITCH = json.loads("""{
"src": "shellypro4pm-f008d1d8b8b8",
"dst": "user_1",
"method": "NotifyStatus",
"params": {
"ts": 1631186545.04,
"switch:0": {
"id": 0,
"output": true,
"source": "button"
}
}
}""")
DOCUMENTED_CLOUD = json.loads("""{
"src": "shellypro4pm-f008d1d8b8b8",
"dst": "user_1",
"method": "NotifyStatus",
"params": {
"ts": 1624348482.25,
"cloud": {
"connected": false
}
}
}""")
DOCUMENTED_CHALLENGE = json.loads(
    '{"id":18,"src":"shellyplus2pm-485519992590","dst":"aios-139803755626272","error":{"code":401,'
    '"message":"{\\"auth_type\\": \\"digest\\", \\"nonce\\": 1725185413, \\"nc\\": 1, \\"realm\\": '
    '\\"shellyplus2pm-485519992590\\", \\"algorithm\\": \\"SHA-256\\"}"}}'
)


def test_documented_notifications_overlay_the_known_status() -> None:
    status: dict[str, Any] = {
        "switch:0": {"id": 0, "output": False, "source": "init", "apower": 12.5},
        "cloud": {"connected": True},
    }
    merge(status, DOCUMENTED_SWITCH["params"])
    merge(status, DOCUMENTED_CLOUD["params"])
    assert status["switch:0"] == {"id": 0, "output": True, "source": "button", "apower": 12.5}
    assert status["cloud"] == {"connected": False}


def test_a_key_notified_as_null_leaves_the_status() -> None:
    status: dict[str, Any] = {"switch:0": {"output": True, "overtemperature": True}, "ble": {}}
    merge(status, {"switch:0": {"overtemperature": None}, "ble": None})
    assert status == {"switch:0": {"output": True}}


def test_the_documented_challenge_is_answered() -> None:
    digest = FrameDigest.from_challenge(DOCUMENTED_CHALLENGE["error"]["message"], "secret")
    assert (digest.realm, digest.nonce, digest.nc) == ("shellyplus2pm-485519992590", 1725185413, 1)
    first, second = digest.auth(), digest.auth()
    assert (first["nc"], second["nc"]) == (1, 2)
    assert first["username"] == "admin"
    assert first["algorithm"] == "SHA-256"
    assert first["cnonce"] != second["cnonce"]


@pytest.mark.parametrize(
    "message", ["not json", "{}", '{"realm": "x"}', '{"realm":"x","nonce":1,"algorithm":"MD5"}']
)
def test_an_unreadable_challenge_is_an_invalid_response(message: str) -> None:
    from custom_components.local_energy.devices.errors import InvalidResponse

    with pytest.raises(InvalidResponse):
        FrameDigest.from_challenge(message, "secret")


# --- against the simulator -----------------------------------------------------------------------------


async def test_notifications_follow_the_device(pro3em: ShellySimulator, transports: Transports) -> None:
    client, recorder = await started_client(pro3em, transports)
    await until(lambda: client.link is Link.UP)
    assert recorder.links == [Link.UP]
    first = recorder.power()
    assert first == pytest.approx(sum(pro3em.state.powers), abs=0.01)
    requests = len(pro3em.requests)
    pro3em.state.powers[0] = 2500.0
    await pro3em.notify()
    await until(lambda: recorder.power() != first)
    assert recorder.power() == pytest.approx(sum(pro3em.state.powers), abs=0.01)
    assert len(pro3em.requests) == requests, "no HTTP request while the socket is up"
    assert [frame["method"] for frame in pro3em.frames] == ["Shelly.GetStatus"]
    assert (await client.read()).value(MAIN_CHANNEL, Key.POWER) == recorder.power()  # no I/O either
    assert len(pro3em.requests) == requests
    await client.close()


async def test_the_relay_is_switched_over_the_socket(transports: Transports) -> None:
    plug = ShellySimulator("S3PL-00112EU")
    await plug.start()
    client, recorder = await started_client(plug, transports)
    await until(lambda: client.link is Link.UP)
    await client.write(MAIN_CHANNEL, Key.RELAY, False)
    assert plug.state.relay is False
    assert [frame["method"] for frame in plug.frames] == ["Shelly.GetStatus", "Switch.Set"]
    assert "/rpc/Switch.Set" not in plug.requests
    await until(lambda: recorder.snapshots[-1].value(MAIN_CHANNEL, Key.RELAY) is False)
    await client.close()
    await plug.stop()


async def test_digest_over_the_socket(transports: Transports) -> None:
    device = ShellySimulator("SPEM-003CEBEU", password="s3cret")
    await device.start()
    client, recorder = await started_client(device, transports, password="s3cret")
    await until(lambda: client.link is Link.UP)
    assert "auth" not in device.frames[0]
    assert device.frames[1]["auth"]["username"] == "admin"
    assert recorder.snapshots
    await client.close()
    await device.stop()


async def test_a_refused_password_stops_the_socket(transports: Transports) -> None:
    device = ShellySimulator("SPEM-003CEBEU", password="s3cret")
    await device.start()
    client = ShellyClient(ConnectionConfig(host="127.0.0.1", port=device.port, password="s3cret"), transports)
    await client.identify()
    device.password = "changed on the device"
    recorder = Recorder()
    await client.start(pushes_into(client, recorder.snapshots), recorder.links.append)
    socket = client._socket
    assert socket is not None
    await until(lambda: socket.refused is not None)
    await asyncio.sleep(0.3)
    assert socket.connects == 1, "a refused credential is not retried"
    assert client.link is not Link.UP
    assert recorder.snapshots == []
    await client.close()
    await device.stop()


async def test_a_dropped_socket_comes_back(pro3em: ShellySimulator, transports: Transports) -> None:
    client, recorder = await started_client(pro3em, transports)
    await until(lambda: client.link is Link.UP)
    await pro3em.drop_sockets()
    await until(lambda: Link.DOWN in recorder.links)
    await until(lambda: client.link is Link.UP)
    assert recorder.links == [Link.UP, Link.DOWN, Link.UP]
    await client.close()


async def test_a_device_that_closes_after_the_handshake_is_retried_with_back_off(
    pro3em: ShellySimulator, transports: Transports
) -> None:
    pro3em.close_after_handshake = True
    client, _recorder = await started_client(pro3em, transports)
    socket = client._socket
    assert socket is not None
    await until(lambda: socket.connects >= 3)
    assert client.link is not Link.UP or socket.connects >= 3
    await client.close()
    connects = socket.connects
    await asyncio.sleep(0.3)
    assert socket.connects == connects, "closed: no more reconnects"


async def test_gen1_has_no_socket(transports: Transports) -> None:
    device = ShellySimulator("SHEM-3")
    await device.start()
    client, recorder = await started_client(device, transports)
    assert client.pushes  # by CoIoT datagrams (tests/devices/test_coiot.py)
    assert client._socket is None
    assert "/rpc" not in device.requests
    assert recorder.links == []
    await client.close()
    await device.stop()


ODD = [5, "x", float("nan"), 10**400, None, [], {}, True, [[[[]]]]]


@pytest.mark.parametrize("value", ODD)
async def test_odd_frames_give_no_exception(value: object, transports: Transports) -> None:
    """A number where an object belongs, text, NaN, a 400-digit integer: dropped, never raised."""
    from custom_components.local_energy.devices.homewizard import HomeWizardClient
    from custom_components.local_energy.devices.homewizard_socket import HomeWizardSocket
    from custom_components.local_energy.devices.shelly import parse_info

    client = ShellyClient(ConnectionConfig(host="127.0.0.1", port=80), transports)
    client._info = parse_info({"gen": 2, "model": "SPEM-003CEBEU", "mac": "AABBCCDDEEFF"})
    recorder = Recorder()
    client._listener = recorder.snapshots.append
    socket = ShellySocket(lambda: transports.http, "ws://127.0.0.1/rpc", None, client._on_status)
    for params in ({"sys": value}, {"em:0": value}, {"em:0": {"total_act_power": value}}, {"wifi": value}):
        socket.status = ShellySimulator("SPEM-003CEBEU").rpc_status()
        socket.on_frame({"method": "NotifyStatus", "params": params})
        socket.on_frame({"method": "NotifyFullStatus", "params": params})
        socket.on_frame({"id": value, "result": value})
        socket.on_frame({"method": value, "params": value})
    meter = HomeWizardClient(ConnectionConfig(host="127.0.0.1", port=80, token="T"), transports)
    meter._listener = recorder.snapshots.append
    hw = HomeWizardSocket(
        lambda: transports.http, "wss://x/api/ws", "T", meter._on_topic, tls=True, server_hostname=None
    )
    for data in (
        value,
        {"power_w": value},
        {"wifi_rssi_db": value},
        {"external": value},
        {"external": [value]},
    ):
        for kind in ("measurement", "system", "error", "authorized", value):
            hw.on_frame({"type": kind, "data": data})


def test_a_frame_that_is_not_json_is_counted_and_dropped() -> None:
    import aiohttp

    socket = ShellySocket(lambda: None, "ws://127.0.0.1/rpc", None, lambda _status: None)  # type: ignore[arg-type,return-value]
    for text in ("[" * 5000 + "]" * 5000, "1" * 400, "not json", '{"a": NaN}x'):
        frame = socket._decoded(aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, text, None))
        assert frame is None
    assert socket.malformed == 4


async def test_a_bug_in_a_protocol_does_not_end_the_reconnects(
    pro3em: ShellySimulator, transports: Transports, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_status: object) -> None:
        raise RuntimeError("a bug")

    socket = ShellySocket(lambda: transports.http, f"ws://127.0.0.1:{pro3em.port}/rpc", None, broken)
    socket.start(lambda _link: None)
    await until(lambda: socket.connects >= 3)
    await socket.close()
    assert sum("Unexpected error" in record.message for record in caplog.records) == 1


async def test_a_close_while_a_failed_handshake_unwinds_is_not_lost(
    pro3em: ShellySimulator, transports: Transports
) -> None:
    closing: list[asyncio.Task[None]] = []

    def broken(_status: object) -> None:
        # close() starts on the next turn of the loop, while the session waits for its reader to end.
        closing.append(asyncio.get_running_loop().create_task(socket.close()))
        raise RuntimeError("a bug")

    socket = ShellySocket(lambda: transports.http, f"ws://127.0.0.1:{pro3em.port}/rpc", None, broken)
    socket.start(lambda _link: None)
    await until(lambda: closing)
    async with asyncio.timeout(3):
        await closing[0]
    assert socket.connects == 1


async def test_a_full_status_without_sys_keeps_the_identity_checked(
    pro3em: ShellySimulator, transports: Transports
) -> None:
    client, recorder = await started_client(pro3em, transports)
    await until(lambda: client.link is Link.UP)
    status = pro3em.rpc_status()
    without_sys = {key: value for key, value in status.items() if key != "sys"}
    without_sys["em:0"] = {**status["em:0"], "total_act_power": 1234.5}
    await pro3em.notify_full(without_sys)
    await until(lambda: recorder.power() == 1234.5)
    assert client._socket is not None
    assert client._socket.status is not None
    assert client._socket.status["sys"]["mac"] == pro3em.mac  # kept from the handshake's full status
    foreign = {**without_sys, "sys": {**status["sys"], "mac": "0A0B0C0D0E0F"}}
    await pro3em.notify_full(foreign)
    await until(lambda: client.link is not Link.UP)  # another device's status is not taken
    assert recorder.power() == 1234.5
    await client.close()
