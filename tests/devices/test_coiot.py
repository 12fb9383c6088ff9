"""Shelly Gen1 CoIoT: the documented frame and descriptions, then the client and its simulator over UDP."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import AsyncGenerator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.coiot import (
    EMETER_FIELDS,
    PLUG_ENERGY,
    PLUG_POWER,
    RELAY_OUTPUT,
    decode,
    device_key,
    emeter_sensor,
    status_of,
    validity_seconds,
)
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.shelly import ShellyClient
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Snapshot
from custom_components.local_energy.devices.websocket import Link
from simulators.shelly import ShellySimulator, coiot_validity
from tests.conftest import free_udp_port, pushes_into, until

FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

# The published descriptions (/cit/d) of firmware 1.8+, verbatim.
DESCRIPTION_3EM = '{"blk":[{"I":1,"D":"relay_0"},{"I":2,"D":"emeter_0"},{"I":3,"D":"emeter_1"},{"I":4,"D":"emeter_2"},{"I":5,"D":"device"}],"sen":[{"I":9103,"T":"EVC","D":"cfgChanged","R":"U16","L":5},{"I":1101,"T":"S","D":"output","R":"0/1","L":1},{"I":4105,"T":"P","D":"power","U":"W","R":["0/31800","-1"],"L":2},{"I":4106,"T":"E","D":"energy","U":"Wh","R":["U32","-1"],"L":2},{"I":4107,"T":"E","D":"energyReturned","U":"Wh","R":["U32","-1"],"L":2},{"I":4108,"T":"V","D":"voltage","U":"V","R":["0/265","-1"],"L":2},{"I":4109,"T":"I","D":"current","U":"A","R":["0/120","-1"],"L":2},{"I":4110,"T":"S","D":"powerFactor","R":["0/1","-1"],"L":2},{"I":4205,"T":"P","D":"power","U":"W","R":["0/31800","-1"],"L":3},{"I":4206,"T":"E","D":"energy","U":"Wh","R":["U32","-1"],"L":3},{"I":4207,"T":"E","D":"energyReturned","U":"Wh","R":["U32","-1"],"L":3},{"I":4208,"T":"V","D":"voltage","U":"V","R":["0/265","-1"],"L":3},{"I":4209,"T":"I","D":"current","U":"A","R":["0/120","-1"],"L":3},{"I":4210,"T":"S","D":"powerFactor","R":["0/1","-1"],"L":3},{"I":4305,"T":"P","D":"power","U":"W","R":["0/31800","-1"],"L":4},{"I":4306,"T":"E","D":"energy","U":"Wh","R":["U32","-1"],"L":4},{"I":4307,"T":"E","D":"energyReturned","U":"Wh","R":["U32","-1"],"L":4},{"I":4308,"T":"V","D":"voltage","U":"V","R":["0/265","-1"],"L":4},{"I":4309,"T":"I","D":"current","U":"A","R":["0/120","-1"],"L":4},{"I":4310,"T":"S","D":"powerFactor","R":["0/1","-1"],"L":4},{"I":6102,"T":"A","D":"overpower","R":["0/1","-1"],"L":1}]}'  # noqa: E501
DESCRIPTION_EM = '{"blk":[{"I":1,"D":"relay_0"},{"I":2,"D":"emeter_0"},{"I":3,"D":"emeter_1"},{"I":4,"D":"device"}],"sen":[{"I":9103,"T":"EVC","D":"cfgChanged","R":"U16","L":4},{"I":1101,"T":"S","D":"output","R":"0/1","L":1},{"I":4105,"T":"P","D":"power","U":"W","R":["0/31800","-1"],"L":2},{"I":4106,"T":"E","D":"energy","U":"Wh","R":["U32","-1"],"L":2},{"I":4107,"T":"E","D":"energyReturned","U":"Wh","R":["U32","-1"],"L":2},{"I":4108,"T":"V","D":"voltage","U":"V","R":["0/265","-1"],"L":2},{"I":4205,"T":"P","D":"power","U":"W","R":["0/31800","-1"],"L":3},{"I":4206,"T":"E","D":"energy","U":"Wh","R":["U32","-1"],"L":3},{"I":4207,"T":"E","D":"energyReturned","U":"Wh","R":["U32","-1"],"L":3},{"I":4208,"T":"V","D":"voltage","U":"V","R":["0/265","-1"],"L":3},{"I":6102,"T":"A","D":"overpower","R":["0/1","-1"],"L":1}]}'  # noqa: E501
DESCRIPTION_PLUG_S = '{"blk":[{"I":1,"D":"relay_0"},{"I":2,"D":"device"}],"sen":[{"I":9103,"T":"EVC","D":"cfgChanged","R":"U16","L":2},{"I":1101,"T":"S","D":"output","R":"0/1","L":1},{"I":4101,"T":"P","D":"power","U":"W","R":["0/2500","-1"],"L":1},{"I":4103,"T":"E","D":"energy","U":"Wmin","R":["U32","-1"],"L":1},{"I":6102,"T":"A","D":"overpower","R":["0/1","-1"],"L":1},{"I":6109,"T":"P","D":"overpowerValue","U":"W","R":["U32","-1"],"L":1},{"I":3104,"T":"T","D":"deviceTemp","U":"C","R":["-40/300","999"],"L":2},{"I":3105,"T":"T","D":"deviceTemp","U":"F","R":["-40/572","999"],"L":2},{"I":6101,"T":"A","D":"overtemp","R":["0/1","-1"],"L":2}]}'  # noqa: E501
# A documented status publish: the id option "model#MAC#version" and the G triples [channel, id, value].
DOCUMENTED_DEVICE_ID = b"SHEM-3#A4CF12345678#2"
DOCUMENTED_STATUS = b'{"G":[[0,4105,123.4],[0,4106,1000],[0,4108,231.5]]}'

_DESCRIBED = {"power": ("P", "W"), "total": ("E", "Wh"), "total_returned": ("E", "Wh"),
              "voltage": ("V", "V"), "current": ("I", "A"), "pf": ("S", None)}  # fmt: skip
_NAMES = {"power": "power", "total": "energy", "total_returned": "energyReturned",
          "voltage": "voltage", "current": "current", "pf": "powerFactor"}  # fmt: skip


def sensors(description: str) -> dict[int, dict[str, object]]:
    return {sensor["I"]: sensor for sensor in json.loads(description)["sen"]}


def blocks(description: str) -> dict[int, str]:
    return {block["I"]: block["D"] for block in json.loads(description)["blk"]}


@pytest.mark.parametrize(("description", "emeters", "fields"), [
    (DESCRIPTION_3EM, 3, tuple(EMETER_FIELDS)),
    (DESCRIPTION_EM, 2, ("power", "total", "total_returned", "voltage")),
])  # fmt: skip
def test_emeter_ids_are_the_documented_ones(description: str, emeters: int, fields: tuple[str, ...]) -> None:
    described, named = sensors(description), blocks(description)
    for index in range(emeters):
        for field in fields:
            sensor = described[emeter_sensor(index, field)]
            assert named[sensor["L"]] == f"emeter_{index}"  # type: ignore[index]
            assert (sensor["T"], sensor.get("U")) == _DESCRIBED[field]
            assert sensor["D"] == _NAMES[field]
    assert described[RELAY_OUTPUT]["D"] == "output"


def test_plug_ids_are_the_documented_ones() -> None:
    described = sensors(DESCRIPTION_PLUG_S)
    assert (described[PLUG_POWER]["D"], described[PLUG_POWER]["U"]) == ("power", "W")
    assert (described[PLUG_ENERGY]["D"], described[PLUG_ENERGY]["U"]) == ("energy", "Wmin")
    assert described[RELAY_OUTPUT]["D"] == "output"


def _extended(number: int) -> tuple[int, bytes]:
    if number < 13:
        return number, b""
    if number < 269:
        return 13, bytes((number - 13,))
    return 14, (number - 269).to_bytes(2, "big")


def frame(options: list[tuple[int, bytes]], payload: bytes, code: int = 30, token: bytes = b"") -> bytes:
    """A CoAP message built by hand from RFC 7252 (independent of the simulator's encoder)."""
    message, number = bytes((0x50 | len(token), code, 0x12, 0x34)) + token, 0
    for option, value in options:
        (delta, delta_extra), (length, length_extra) = _extended(option - number), _extended(len(value))
        message += bytes((delta << 4 | length,)) + delta_extra + length_extra + value
        number = option
    return message + b"\xff" + payload


def documented_datagram(validity: int = 0x1E, serial: int = 7) -> bytes:
    options = [
        (3332, DOCUMENTED_DEVICE_ID),
        (3412, validity.to_bytes(2, "big")),
        (3420, serial.to_bytes(2, "big")),
    ]
    return frame(options, DOCUMENTED_STATUS)


def test_the_documented_publish_decodes() -> None:
    status = decode(documented_datagram())
    assert (status.model, status.mac_tail, status.serial) == ("SHEM-3", "345678", 7)
    assert status.validity == 3.0  # 30 tenths
    assert status.values == {4105: 123.4, 4106: 1000, 4108: 231.5}
    assert device_key(documented_datagram()) == "345678"


@pytest.mark.parametrize(("raw", "seconds"), [(2, 0.2), (10, 1.0), (600, 60.0), (65534, 6553.4), (3, 12.0),
                                              (11, 44.0), (65535, 262140.0)])  # fmt: skip
def test_validity_scales_as_documented(raw: int, seconds: float) -> None:
    assert validity_seconds(raw) == pytest.approx(seconds)
    assert validity_seconds(coiot_validity(seconds)) == pytest.approx(seconds, rel=0.01)


def test_a_token_and_a_reply_code_are_read() -> None:
    options = [(3332, b"SHPLG-S#AABBCCDDEEFF#2")]
    status = decode(frame(options, b'{"G":[[0,4101,12.5]]}', code=69, token=b"\x01\x02"))
    assert (status.mac_tail, status.values, status.validity, status.serial) == (
        "ddeeff",
        {4101: 12.5},
        None,
        None,
    )


@pytest.mark.parametrize("datagram", [
    b"", b"\x50\x1e", b"\x90\x1e\x00\x01",  # short; CoAP version 2
    frame([(3332, b"SHEM-3#A4CF12345678#2")], b'{"G":[]}'),  # no values
    frame([(3332, b"SHEM-3#A4CF12345678#2")], b'{"G":[[0,"4105",1]]}'),  # id not an integer
    frame([(3332, b"SHEM-3#A4CF12345678#2")], b"[1,2]"), frame([(3332, b"SHEM-3#A4CF12345678#2")], b"{nope"),
    frame([(3332, b"SHEM-3#A4CF12345678#2")], DOCUMENTED_STATUS, code=1),  # a GET, not a status
    frame([(3332, b"SHEM-3")], DOCUMENTED_STATUS), frame([(3332, b"SHEM-3#nothex#2")], DOCUMENTED_STATUS),
    frame([], DOCUMENTED_STATUS), b"\x50\x1e\x00\x01\xef\x00",  # no device id; option nibble 15
    b"\x50\x1e\x00\x01\xe5\x0c",  # option header cut short
    b"\x5f\x1e\x00\x01",  # token length 15
])  # fmt: skip
def test_what_is_not_a_status_is_a_typed_error(datagram: bytes) -> None:
    with pytest.raises(InvalidResponse):
        decode(datagram)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_invalid_response(datagram: bytes) -> None:
    key = device_key(datagram)
    assert key is None or (len(key) == 6 and key == key.lower())
    with contextlib.suppress(InvalidResponse):
        decode(datagram)


@FUZZ
@given(st.binary(max_size=120))
def test_any_payload_after_a_good_header_decodes_or_raises(payload: bytes) -> None:
    datagram = frame([(3332, DOCUMENTED_DEVICE_ID)], payload)
    assert device_key(datagram) == "345678"
    try:
        status = decode(datagram)
    except InvalidResponse:
        return
    status_of(status.values, "gen1_3em", {})


def test_a_status_stands_for_the_matching_http_status() -> None:
    emeters = [{"power": 1.0, "pf": 0.5, "is_valid": True}, {"power": 2.0}, {"power": 3.0}]
    base = {"mac": "A4CF12345678", "total_power": 9.0, "relays": [{"ison": False, "overpower": False}],
            "emeters": emeters}  # fmt: skip
    status = status_of({4105: 123.4, 4205: -50.0, 1101: 1}, "gen1_3em", base)
    assert "total_power" not in status  # the sum of the phases pushed, not the stale total
    assert status["relays"] == [{"ison": True, "overpower": False}]
    assert status["emeters"][0] == {"power": 123.4, "pf": 0.5, "is_valid": True}
    assert [meter["power"] for meter in status["emeters"]] == [123.4, -50.0, 3.0]
    assert base["emeters"][0]["power"] == 1.0  # the base is not changed


# --- the client, against its simulator ------------------------------------------------------------------


@pytest.fixture
async def gen1_3em() -> AsyncGenerator[ShellySimulator]:
    simulator = ShellySimulator("SHEM-3")
    await simulator.start()
    yield simulator
    await simulator.stop()


async def started_client(
    simulator: ShellySimulator, transports: Transports, pushed: list[Snapshot], links: list[Link]
) -> ShellyClient:
    port = free_udp_port()
    simulator.coiot_target = ("127.0.0.1", port)
    client = ShellyClient(ConnectionConfig(host="127.0.0.1", port=simulator.port, push_port=port), transports)
    await client.identify()
    await client.read()  # the first poll: what datagrams do not carry comes from it
    await client.start(pushes_into(client, pushed), links.append)
    return client


async def test_gen1_values_follow_coiot_without_http(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    client = await started_client(gen1_3em, transports, pushed, [])
    requests = len(gen1_3em.requests)
    for _ in range(5):
        gen1_3em.advance()
        await gen1_3em.publish_coiot()
    await until(lambda: len(pushed) == 5)
    assert client.pushes
    assert client.link is Link.UP
    assert client.link is Link.UP
    main = pushed[-1].channels[MAIN_CHANNEL].values
    state = gen1_3em.state
    assert main[Key.POWER_L2] == round(state.powers[1], 2)
    assert main[Key.ENERGY_EXPORT_L2] == round(round(state.exported_wh[1], 1) / 1000, 6)
    assert main[Key.POWER] == pytest.approx(round(sum(round(power, 2) for power in state.powers), 2))
    held = client.latest()
    assert held is not None
    assert await client.read() == client.check(held)
    assert len(gen1_3em.requests) == requests
    assert client.diagnostics()["coiot"]["datagrams"] == 5
    await client.close()


async def test_a_relay_switched_over_http_is_published_at_once(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    client = await started_client(gen1_3em, transports, pushed, [])
    await client.apply(MAIN_CHANNEL, Key.RELAY, False)
    await until(lambda: pushed and pushed[-1].channels[MAIN_CHANNEL].values[Key.RELAY] is False)
    await client.close()


async def test_silence_beyond_the_validity_takes_the_feed_down(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    links: list[Link] = []
    client = await started_client(gen1_3em, transports, pushed, links)
    gen1_3em.coiot_validity = 0.2
    gen1_3em.start_pushing(0.05)
    await until(lambda: client.link is Link.UP)
    await gen1_3em.stop_pushing()
    await until(lambda: links == [Link.DOWN])
    assert client.link is not Link.UP
    assert client.latest() is None
    requests = len(gen1_3em.requests)
    await client.read()  # polled again over HTTP
    assert len(gen1_3em.requests) == requests + 1
    await client.close()


async def test_a_seldom_status_is_shown_but_polling_stays(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    client = await started_client(gen1_3em, transports, pushed, [])
    gen1_3em.coiot_validity = 15.0  # the default CoIoT period
    gen1_3em.start_pushing(0.05)
    await until(lambda: len(pushed) >= 2)
    assert client.link is Link.SELDOM
    assert client.link is not Link.UP
    await client.close()


async def test_a_repeated_serial_is_not_decoded_again(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    client = await started_client(gen1_3em, transports, pushed, [])
    for _ in range(3):
        await gen1_3em.publish_coiot()  # nothing changed between them
    await until(lambda: client.diagnostics()["coiot"]["datagrams"] == 3)
    assert len(pushed) == 1
    assert client.diagnostics()["coiot"]["repeated"] == 2
    await client.close()


async def test_a_strangers_datagram_naming_the_device_is_dropped(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    client = await started_client(gen1_3em, transports, pushed, [])
    assert gen1_3em.coiot_target is not None
    forged = frame([(3332, b"SHEM-3#AABBCCDDEEFF#2")], b'{"G":[[0,4105,99999]]}')
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.2", 0))
        stranger.sendto(forged, gen1_3em.coiot_target)
    await until(lambda: client.diagnostics()["coiot"]["foreign_datagrams"] == 1)
    assert pushed == []
    await client.close()


async def test_malformed_datagrams_are_counted_not_taken(
    gen1_3em: ShellySimulator, transports: Transports
) -> None:
    pushed: list[Snapshot] = []
    client = await started_client(gen1_3em, transports, pushed, [])
    assert gen1_3em.coiot_target is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind(("127.0.0.1", 0))
        sender.sendto(frame([(3332, b"SHEM-3#AABBCCDDEEFF#2")], b"{broken"), gen1_3em.coiot_target)
    await until(lambda: client.diagnostics()["coiot"]["malformed"] == 1)
    assert pushed == []
    await client.close()
