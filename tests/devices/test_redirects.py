"""Credentials never go to another origin: no redirect is followed, whatever the credentials ride on."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator

import aiohttp
import pytest
from aiohttp import web

from custom_components.local_energy.devices.client import Transports
from custom_components.local_energy.devices.connection import ConnectionConfig
from custom_components.local_energy.devices.errors import CannotConnect, InvalidResponse
from custom_components.local_energy.devices.http import HttpEndpoint, HttpTransport, basic_credentials
from custom_components.local_energy.devices.iskra import IskraClient
from custom_components.local_energy.devices.shelly import ShellyClient
from simulators.http_server import HttpSimulatorServer

SHELLY_INFO = {"gen": 2, "model": "SPEM-003CEBEU", "mac": "AABBCCDDEEFF", "auth_en": True, "ver": "1.4.4"}


class Pair:
    """A device that redirects every request to a trap on another port, which records what reaches it."""

    def __init__(self) -> None:
        self.trapped: list[dict[str, str]] = []
        self._servers: list[HttpSimulatorServer] = []
        self.device_port = self.trap_port = 0

    async def start(self) -> None:
        trap = web.Application()
        trap.router.add_route("*", "/{tail:.*}", self._trap)
        device = web.Application()
        device.router.add_get("/shelly", self._shelly)
        device.router.add_route("*", "/{tail:.*}", self._redirect)
        self.trap_port = await self._serve(trap)
        self.device_port = await self._serve(device)

    async def stop(self) -> None:
        for server in self._servers:
            await server.stop()

    async def _serve(self, app: web.Application) -> int:
        server = HttpSimulatorServer(app)
        await server.start()
        self._servers.append(server)
        return server.port

    async def _shelly(self, _request: web.Request) -> web.Response:
        return web.json_response(SHELLY_INFO)

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{self.trap_port}{request.path_qs}")

    async def _trap(self, request: web.Request) -> web.Response:
        self.trapped.append(dict(request.headers))
        return web.json_response({})


@pytest.fixture
async def pair() -> AsyncGenerator[Pair]:
    servers = Pair()
    await servers.start()
    yield servers
    await servers.stop()


@pytest.mark.parametrize(
    "credentials",
    [
        {"headers": {"Authorization": basic_credentials("admin", "secret")}},  # Shelly Gen1
        {"digest": aiohttp.DigestAuthMiddleware("admin", "secret")},  # Shelly Gen2+, IGEN OpenData
        {"headers": {"Cookie": "Authorization=Basic " + base64.b64encode(b"admin:secret").decode()}},  # Iskra
        {"headers": {"Authorization": "Bearer 0123456789ABCDEF"}},  # HomeWizard v2
    ],
    ids=["basic", "digest", "cookie", "bearer"],
)
async def test_no_redirect_is_followed(
    pair: Pair, transports: Transports, credentials: dict[str, object]
) -> None:
    http = HttpTransport(transports.http, HttpEndpoint("127.0.0.1", pair.device_port), **credentials)  # type: ignore[arg-type]
    with pytest.raises(InvalidResponse, match="redirects are not followed"):
        await http.get_json("/api/measurement")
    assert pair.trapped == []


async def test_shelly_digest_is_not_sent_along_a_redirect(pair: Pair, transports: Transports) -> None:
    config = ConnectionConfig(host="127.0.0.1", port=pair.device_port, password="secret")
    client = ShellyClient(config, transports)
    with pytest.raises(InvalidResponse, match="redirects"):
        await client.identify()
    assert pair.trapped == []


async def test_iskra_cookie_is_not_sent_along_a_redirect(pair: Pair, transports: Transports) -> None:
    config = ConnectionConfig(host="127.0.0.1", port=pair.device_port, username="admin", password="secret")
    with pytest.raises(InvalidResponse, match="redirects"):
        await IskraClient(config, transports).identify()
    assert pair.trapped == []


async def test_a_timeout_says_what_happened(transports: Transports) -> None:
    answered = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        await answered.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/v1/json", slow)
    server = HttpSimulatorServer(app)
    await server.start()
    http = HttpTransport(transports.http, HttpEndpoint("127.0.0.1", server.port), timeout=0.05)
    with pytest.raises(CannotConnect, match=r"GET http://127\.0\.0\.1:\d+/v1/json: no answer within 0\.05 s"):
        await http.get_json("/v1/json")
    answered.set()  # the server's handler ends, so the server stops at once
    await server.stop()
