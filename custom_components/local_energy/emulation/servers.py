"""The servers of the served meters: Shelly Gen2 RPC over HTTP, WebSocket and UDP, and EcoTracker over HTTP.

Each answers from its persona and the feed, at once, with the newest reading; while the source is stale a
value is not served (HTTP 503, no UDP answer), so a battery falls back to its own behaviour. Clients are
counted by address (requests, methods, last seen); a method no persona has is answered with a JSON-RPC
error and logged once per client. Bad input (not JSON, too long, not an object) is answered or dropped,
never raised into the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .feed import Feed, Reading
from .shelly import NoReading, RpcError, ShellyPersona

_LOGGER = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 2048
"""The longest request taken (a battery's is about 60 bytes); longer datagrams and bodies are dropped."""
UDP_PORTS = (1010, 2220)
"""Where Marstek batteries ask: Venus, Jupiter and B2500 up to firmware 224 on 1010, later B2500 on 2220."""


@dataclass
class Client:
    """One address that asks a served meter."""

    requests: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    last_seen: float = 0.0
    unknown_logged: bool = False


class Clients:
    """The clients of a served meter, by address, and the part of the power each sees."""

    def __init__(self, name: str, shares: Mapping[str, float] | None = None) -> None:
        self.name = name
        self.by_address: dict[str, Client] = {}
        self.shares: Mapping[str, float] = shares or {}
        """Address -> share (0-1) for several batteries on one meter; an address not named sees it all."""

    def share(self, address: str) -> float:
        """The part of the power an address sees."""
        return self.shares.get(address, 1.0)

    def seen(self, address: str, method: str) -> Client:
        """Count a request."""
        client = self.by_address.setdefault(address, Client())
        client.requests += 1
        client.methods[method] = client.methods.get(method, 0) + 1
        client.last_seen = time.time()
        return client

    def unknown(self, address: str, client: Client, method: str) -> None:
        """A method no persona has: logged once per client (a battery's firmware may ask it every poll)."""
        if not client.unknown_logged:
            client.unknown_logged = True
            _LOGGER.info("%s: %s asked for %s, which is not served", self.name, address, method[:60])

    def diagnostics(self) -> dict[str, Any]:
        """Each client's requests, methods and when it was last seen."""
        return {
            address: {"requests": c.requests, "methods": dict(c.methods), "last_seen": c.last_seen}
            for address, c in self.by_address.items()
        }


def rpc_answer(
    persona: ShellyPersona, clients: Clients, address: str, frame: object
) -> dict[str, Any] | None:
    """The JSON-RPC answer to one request; None for no request, or while nothing is served (stale source)."""
    if not isinstance(frame, dict) or not isinstance(method := frame.get("method"), str):
        return None
    params = frame.get("params") if isinstance(frame.get("params"), dict) else None
    client = clients.seen(address, method)
    answer: dict[str, Any] = {"id": frame.get("id"), "src": persona.identity.device_id}
    if isinstance(dst := frame.get("src"), str):
        answer["dst"] = dst
    try:
        answer["result"] = persona.call(method, params, clients.share(address))
    except RpcError as err:
        clients.unknown(address, client, method)
        answer["error"] = {"code": err.code, "message": err.message}
    except NoReading:
        return None
    return answer


def _decode(raw: bytes) -> object:
    if len(raw) > MAX_REQUEST_BYTES:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


class ServedHttp:
    """An aiohttp server on host:port for one persona's routes (port 0 picks a free one)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; OSError when the port cannot be bound (taken, or privileged)."""
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port, reuse_address=True).start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening and close every connection (the port is free when this returns)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def shelly_http(
    persona: ShellyPersona, clients: Clients, host: str = "0.0.0.0", port: int = 80
) -> ServedHttp:
    """``/shelly``, ``GET /rpc/<Method>``, ``POST /rpc`` and the RPC WebSocket on ``/rpc``."""
    sockets: dict[web.WebSocketResponse, tuple[str, str | None]] = {}
    """Each open socket: its client's address, and the src it calls itself (a notification's dst)."""
    sending: set[asyncio.Task[None]] = set()

    async def shelly(request: web.Request) -> web.Response:
        clients.seen(request.remote or "?", "/shelly")
        return web.json_response(persona.device_info())

    async def get_rpc(request: web.Request) -> web.Response:
        params = dict(request.query)  # every component is id 0: the values are not read
        answer = rpc_answer(persona, clients, request.remote or "?", {"method": request.match_info["method"],
                                                                      "params": params})  # fmt: skip
        return _http_answer(answer, bare=True)

    async def rpc(request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            return await _socket(request)
        frame = _decode(await request.content.read(MAX_REQUEST_BYTES + 1))
        if not isinstance(frame, dict) or not isinstance(frame.get("method"), str):
            return web.json_response({"code": -103, "message": "not a JSON-RPC request"}, status=400)
        return _http_answer(rpc_answer(persona, clients, request.remote or "?", frame), bare=False)

    async def _socket(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=MAX_REQUEST_BYTES)
        await ws.prepare(request)
        address = request.remote or "?"
        sockets[ws] = (address, None)
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = _decode(message.data.encode())
                if isinstance(frame, dict) and isinstance(src := frame.get("src"), str):
                    sockets[ws] = (address, src[:64])
                answer = rpc_answer(persona, clients, address, frame)
                if answer is not None:
                    await ws.send_json(answer)
        finally:
            sockets.pop(ws, None)
        return ws

    def notify(reading: Reading) -> None:
        del reading  # the status is built from the feed, as every answer
        stamp = round(time.time(), 2)
        for ws, (address, peer) in tuple(sockets.items()):
            try:
                params = {"ts": stamp, **_em_part(persona, clients.share(address))}
            except NoReading:
                return
            frame = {
                "src": persona.identity.device_id,
                "dst": peer,
                "method": "NotifyStatus",
                "params": params,
            }
            task = asyncio.get_running_loop().create_task(_send(ws, frame))
            sending.add(task)
            task.add_done_callback(sending.discard)

    app = web.Application()
    app.router.add_get("/shelly", shelly)
    app.router.add_get("/rpc/{method}", get_rpc)
    app.router.add_route("*", "/rpc", rpc)
    remove = persona.feed.add_listener(notify)

    async def closed(_app: web.Application) -> None:
        remove()
        for ws in tuple(sockets):
            await ws.close()

    app.on_shutdown.append(closed)
    return ServedHttp(app, host, port)


def _em_part(persona: ShellyPersona, share: float) -> dict[str, Any]:
    status = persona.status(share)
    return {key: value for key, value in status.items() if key.startswith("em")}


async def _send(ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json(frame)


def _http_answer(answer: dict[str, Any] | None, *, bare: bool) -> web.Response:
    """A GET answers the result alone (as the devices do), a POST the JSON-RPC frame; 503 when stale."""
    if answer is None:
        return web.json_response({"code": -114, "message": "no reading to serve"}, status=503)
    if "error" in answer:
        return web.json_response(answer["error"] if bare else answer, status=404 if bare else 200)
    return web.json_response(answer["result"] if bare else answer)


class ShellyUdp(asyncio.DatagramProtocol):
    """Shelly JSON-RPC over UDP, as Marstek batteries ask it: one datagram in, one answer out."""

    def __init__(self, persona: ShellyPersona, clients: Clients) -> None:
        self.persona = persona
        self.clients = clients
        self.transport: asyncio.DatagramTransport | None = None
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The endpoint is bound."""
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Answer a request; drop anything else (and any request while nothing is served)."""
        answer = rpc_answer(self.persona, self.clients, str(addr[0]), _decode(data))
        if answer is None or self.transport is None:
            self.dropped += 1
            return
        self.transport.sendto(json.dumps(answer, separators=(",", ":")).encode(), addr)


async def shelly_udp(
    persona: ShellyPersona, clients: Clients, host: str = "0.0.0.0", port: int = UDP_PORTS[0]
) -> tuple[asyncio.DatagramTransport, ShellyUdp]:
    """Listen for UDP JSON-RPC on a port; OSError when it cannot be bound."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: ShellyUdp(persona, clients), local_addr=(host, port)
    )
    return transport, protocol


def ecotracker_http(
    feed: Feed, serial: str, clients: Clients, host: str = "0.0.0.0", port: int = 80
) -> ServedHttp:
    """``GET /v1/json`` as an EcoTracker answers it (connections are kept alive, as Jackery needs)."""

    async def reading(request: web.Request) -> web.Response:
        address = request.remote or "?"
        clients.seen(address, "/v1/json")
        served = feed.current()
        if served is None:
            return web.json_response({"error": "no reading to serve"}, status=503)
        served = served.shared(clients.share(address))
        phases = served.per_phase()
        body: dict[str, Any] = {
            "power": round(served.power, 2),
            "powerAvg": round(served.power, 2),
            "powerPhase1": round(phases[0], 2),
            "powerPhase2": round(phases[1], 2),
            "powerPhase3": round(phases[2], 2),
            "serial": serial,
        }
        if served.energy_in is not None:
            body["energyCounterIn"] = round(served.energy_in * 1000, 1)
        if served.energy_out is not None:
            body["energyCounterOut"] = round(served.energy_out * 1000, 1)
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/v1/json", reading)
    return ServedHttp(app, host, port)
