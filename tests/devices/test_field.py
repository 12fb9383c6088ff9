"""Bytes as a network delivers them: answers in segments and chunks, WebSocket messages in fragments."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.local_energy.devices.errors import InvalidResponse
from custom_components.local_energy.devices.http import HttpEndpoint, HttpTransport
from custom_components.local_energy.devices.payload import MAX_BODY_BYTES
from custom_components.local_energy.devices.websocket import DeviceSocket, Link
from simulators.field import WIFI, FieldConditions, conditions_from_environment
from simulators.http_server import HttpSimulatorServer

QUICK = replace(WIFI, latency=(0.0, 0.0), slow_share=0.0)
"""The field's segments, chunks and closed connections, without its waiting (these tests count bytes)."""

STATUS = {
    f"em:{n}": {"id": n, "a_act_power": 100.5 + n, "a_voltage": 230.1, "note": "x" * 40} for n in range(40)
}
"""A JSON document of about 3 kB, as a Shelly Gen2's Shelly.GetStatus."""


async def serve(body: bytes, field: FieldConditions | None) -> HttpSimulatorServer:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/status", answer)
    server = HttpSimulatorServer(app, field=field)
    await server.start()
    return server


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def test_the_tests_run_in_the_field() -> None:
    assert conditions_from_environment() == WIFI


async def raw_get(port: int) -> tuple[bytes, int]:
    """GET /status over a plain socket: the whole answer, and in how many reads it arrived."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /status HTTP/1.1\r\nHost: device\r\nConnection: close\r\n\r\n")
    await writer.drain()
    parts = []
    while part := await reader.read(65536):
        parts.append(part)
    writer.close()
    await writer.wait_closed()
    return b"".join(parts), len(parts)


async def test_a_field_server_answers_in_segments_and_chunks() -> None:
    body = json.dumps(STATUS).encode()
    server = await serve(body, QUICK)
    answers = [await raw_get(server.port) for _ in range(8)]
    await server.stop()
    assert all(reads >= len(body) // 1460 for _, reads in answers)  # one read per segment at least
    chunked = [answer for answer, _ in answers if b"Transfer-Encoding: chunked" in answer]
    assert 0 < len(chunked) < len(answers)  # both ways, as devices differ


@pytest.mark.parametrize("chunked_share", [0.0, 1.0])
async def test_a_segmented_answer_is_read_whole(session: aiohttp.ClientSession, chunked_share: float) -> None:
    server = await serve(json.dumps(STATUS).encode(), replace(QUICK, chunked_share=chunked_share))
    http = HttpTransport(session, HttpEndpoint("127.0.0.1", server.port))
    for _ in range(10):
        assert await http.get_object("/status") == STATUS
    assert server.delivery is not None
    assert server.delivery.segmented == 10
    await server.stop()


@pytest.mark.parametrize("chunked_share", [0.0, 1.0])
async def test_a_body_over_the_limit_is_refused_however_delivered(
    session: aiohttp.ClientSession, chunked_share: float
) -> None:
    body = b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}'
    server = await serve(body, replace(QUICK, chunked_share=chunked_share, segment_gap=(0.0, 0.0)))
    http = HttpTransport(session, HttpEndpoint("127.0.0.1", server.port))
    with pytest.raises(InvalidResponse, match="more than"):
        await http.get_object("/status")
    await server.stop()


class Frames(DeviceSocket):
    """A socket that keeps what it is given."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        super().__init__(lambda: session, url, "test device")
        self.received: list[dict[str, Any]] = []

    async def handshake(self) -> None:
        """Nothing to say first."""

    def on_frame(self, frame: dict[str, Any]) -> None:
        self.received.append(frame)


async def test_fragmented_messages_are_joined_and_binary_ones_dropped(session: aiohttp.ClientSession) -> None:
    server: HttpSimulatorServer

    async def talk(request: web.Request) -> web.StreamResponse:
        ws = server.websocket()
        await ws.prepare(request)
        await ws.send_json(STATUS)  # long: in fragments
        await ws.send_bytes(json.dumps({"binary": 1}).encode())
        await ws.send_json({"short": 1})
        await ws.receive()
        return ws

    app = web.Application()
    app.router.add_get("/rpc", talk)
    server = HttpSimulatorServer(app, field=QUICK)
    await server.start()
    socket = Frames(session, f"ws://127.0.0.1:{server.port}/rpc")
    links: list[Link] = []
    socket.start(links.append)
    async with asyncio.timeout(10):
        while len(socket.received) < 2:
            await asyncio.sleep(0.01)
    assert socket.received == [STATUS, {"short": 1}]
    assert socket.malformed == 1  # the binary frame
    await socket.close()
    await server.stop()
