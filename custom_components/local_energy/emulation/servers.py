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


RATE = 20.0
"""Requests a second one address is answered at most (a battery polls at 2 Hz; discovery is a burst)."""
BURST = 40.0
"""Requests one address may ask at once before RATE holds."""
MAX_CLIENTS = 256
"""Addresses followed at most: a flood from spoofed addresses does not grow the table beyond it."""
MAX_METHODS = 32
"""Method names counted per client at most (the rest under "other"): a client may make up names."""


@dataclass
class Client:
    """One address that asks a served meter."""

    requests: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    last_seen: float = 0.0
    unknown_logged: bool = False
    limited_logged: bool = False
    tokens: float = BURST
    """Requests it may still ask at once (refilled at RATE a second)."""
    refilled_at: float = 0.0
    minute: int = 0
    this_minute: int = 0
    last_minute: int = 0
    """Requests in the last whole minute."""

    def per_minute(self, now: float) -> int:
        """Requests in the last whole minute (0 when it asked nothing then)."""
        current = int(now // 60)
        if current == self.minute:
            return self.last_minute
        return self.this_minute if current == self.minute + 1 else 0


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

    def admit(self, address: str) -> bool:
        """Whether a request from an address is answered: within its rate, and a known or new client."""
        client = self.by_address.get(address)
        now = time.monotonic()
        if client is None:
            if len(self.by_address) >= MAX_CLIENTS:
                return False
            client = self.by_address[address] = Client(refilled_at=now)
        client.tokens = min(BURST, client.tokens + (now - client.refilled_at) * RATE)
        client.refilled_at = now
        if client.tokens < 1.0:
            if not client.limited_logged:
                client.limited_logged = True
                _LOGGER.warning("%s: %s asks more than %g times a second: the rest is dropped",
                                self.name, address, RATE)  # fmt: skip
            return False
        client.tokens -= 1.0
        return True

    def seen(self, address: str, method: str) -> Client:
        """Count a request."""
        client = self.by_address.setdefault(address, Client(refilled_at=time.monotonic()))
        now = time.time()
        client.requests += 1
        if method in client.methods or len(client.methods) < MAX_METHODS:
            client.methods[method] = client.methods.get(method, 0) + 1
        else:
            client.methods["other"] = client.methods.get("other", 0) + 1
        client.last_seen = now
        minute = int(now // 60)
        if minute != client.minute:
            client.last_minute = client.this_minute if minute == client.minute + 1 else 0
            client.minute, client.this_minute = minute, 0
        client.this_minute += 1
        return client

    def unknown(self, address: str, client: Client, method: str) -> None:
        """A method no persona has: logged once per client (a battery's firmware may ask it every poll)."""
        if not client.unknown_logged:
            client.unknown_logged = True
            _LOGGER.info("%s: %s asked for %s, which is not served", self.name, address, method[:60])

    def diagnostics(self) -> dict[str, Any]:
        """Each client's requests, methods and when it was last seen."""
        now = time.time()
        return {
            address: {
                "requests": c.requests,
                "requests_per_minute": c.per_minute(now),
                "methods": dict(c.methods),
                "last_seen": c.last_seen,
            }
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
    request_id = frame.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str)):
        request_id = None  # JSON-RPC ids are numbers or strings: nothing else is echoed (NaN, nesting)
    answer: dict[str, Any] = {"id": request_id, "src": persona.identity.device_id}
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


def _limited(clients: Clients) -> Any:
    """A middleware: a request over its address's rate is answered 429 without being read."""

    @web.middleware
    async def limit(request: web.Request, handler: Any) -> web.StreamResponse:
        if not clients.admit(request.remote or "?"):
            return web.Response(status=429)
        response: web.StreamResponse = await handler(request)
        return response

    return limit


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
    routes = _ShellyRoutes(persona, clients)
    app = web.Application(middlewares=[_limited(clients)])
    app.router.add_get("/shelly", routes.shelly)
    app.router.add_get("/rpc/{method}", routes.get_rpc)
    app.router.add_route("*", "/rpc", routes.rpc)
    remove = persona.feed.add_listener(routes.notify)

    async def closed(_app: web.Application) -> None:
        remove()
        await routes.close()

    app.on_shutdown.append(closed)
    return ServedHttp(app, host, port)


class _ShellyRoutes:
    """The routes of a served Shelly, and the WebSockets it pushes NotifyStatus to."""

    def __init__(self, persona: ShellyPersona, clients: Clients) -> None:
        self.persona = persona
        self.clients = clients
        self.sockets: dict[web.WebSocketResponse, tuple[str, str | None]] = {}
        """Each open socket: its client's address, and the src it calls itself (a notification's dst)."""
        self._sending: set[asyncio.Task[None]] = set()

    async def shelly(self, request: web.Request) -> web.Response:
        """``/shelly``: who the meter is."""
        self.clients.seen(request.remote or "?", "/shelly")
        return web.json_response(self.persona.device_info())

    async def get_rpc(self, request: web.Request) -> web.Response:
        """``GET /rpc/<Method>``: the result alone, as the devices answer it."""
        frame = {"method": request.match_info["method"], "params": dict(request.query)}  # values not read
        return _http_answer(rpc_answer(self.persona, self.clients, request.remote or "?", frame), bare=True)

    async def rpc(self, request: web.Request) -> web.StreamResponse:
        """``POST /rpc`` (a JSON-RPC frame), or the WebSocket upgrade on GET."""
        if request.method == "GET":
            return await self._socket(request)
        frame = _decode(await request.content.read(MAX_REQUEST_BYTES + 1))
        if not isinstance(frame, dict) or not isinstance(frame.get("method"), str):
            return web.json_response({"code": -103, "message": "not a JSON-RPC request"}, status=400)
        return _http_answer(rpc_answer(self.persona, self.clients, request.remote or "?", frame), bare=False)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=MAX_REQUEST_BYTES)
        await ws.prepare(request)
        address = request.remote or "?"
        self.sockets[ws] = (address, None)
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT or not self.clients.admit(address):
                    continue
                frame = _decode(message.data.encode())
                if isinstance(frame, dict) and isinstance(src := frame.get("src"), str):
                    self.sockets[ws] = (address, src[:64])
                answer = rpc_answer(self.persona, self.clients, address, frame)
                if answer is not None:
                    await ws.send_json(answer)
        finally:
            self.sockets.pop(ws, None)
        return ws

    def notify(self, reading: Reading) -> None:
        """A fresh reading: NotifyStatus to every socket, with its client's share."""
        del reading  # the status is built from the feed, as every answer
        stamp = round(time.time(), 2)
        for ws, (address, peer) in tuple(self.sockets.items()):
            try:
                params = {"ts": stamp, **_em_part(self.persona, self.clients.share(address))}
            except NoReading:
                return
            frame = {"src": self.persona.identity.device_id, "dst": peer, "method": "NotifyStatus",
                     "params": params}  # fmt: skip
            task = asyncio.get_running_loop().create_task(_send(ws, frame))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def close(self) -> None:
        """Close every socket."""
        for ws in tuple(self.sockets):
            await ws.close()


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
        address = str(addr[0])
        if not self.clients.admit(address):
            self.dropped += 1
            return
        answer = rpc_answer(self.persona, self.clients, address, _decode(data))
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

    app = web.Application(middlewares=[_limited(clients)])
    app.router.add_get("/v1/json", reading)
    return ServedHttp(app, host, port)
