"""Field mode: the simulators answer as a device on a real Wi-Fi network does, not as loopback does.

On loopback every answer arrives in one segment, at once. In the field an answer is cut into segments of
one Ethernet payload (1460 bytes) with gaps between them, some devices answer with chunked transfer
encoding, Wi-Fi adds latency and jitter, now and then an answer is slow, and devices close a connection
after a few requests. WebSocket messages may arrive as several fragments. Every HTTP simulator serves
through HttpSimulatorServer, which applies the conditions chosen here.

LOCAL_ENERGY_FIELD chooses them: ``wifi`` (the tests set it) or ``off``/unset (loopback as it is).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import os
import random
import struct
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web


class _NetworkClock:
    """Waits in real seconds, whatever the event loop's clock says.

    A network's delays pass while a test's frozen clock stands still (asyncio.sleep would wait for the
    test to move it). One daemon thread, started when this module is imported (before any test, so no
    test sees a thread of its own left behind), wakes each waiting coroutine through its loop.
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="field network clock", daemon=True).start()

    @staticmethod
    def now() -> float:
        """Real monotonic seconds (time.monotonic may be frozen by a test)."""
        return time.clock_gettime(time.CLOCK_MONOTONIC)

    async def sleep(self, seconds: float) -> None:
        """Wait this many real seconds."""
        if seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        with self._changed:
            heapq.heappush(self._due, (self.now() + seconds, next(self._order), loop, woken))
            self._changed.notify()
        await woken

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or (wait := self._due[0][0] - self.now()) > 0:
                    self._changed.wait(None if not self._due else wait)
                _, _, loop, woken = heapq.heappop(self._due)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
                loop.call_soon_threadsafe(_wake, woken)


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


CLOCK = _NetworkClock()

SEGMENT_BYTES = 1460
"""The TCP payload of one Ethernet frame: the size a network delivers an answer in."""


@dataclass(frozen=True, slots=True)
class FieldConditions:
    """How answers are delivered."""

    segment_bytes: int = SEGMENT_BYTES
    segment_gap: tuple[float, float] = (0.001, 0.005)
    """Seconds between two segments of one answer."""
    latency: tuple[float, float] = (0.010, 0.200)
    """Seconds before an answer starts (Wi-Fi round trip and jitter); most draws sit near the low end."""
    slow_share: float = 0.02
    """The share of answers that come late."""
    slow_delay: tuple[float, float] = (0.5, 1.5)
    chunked_share: float = 0.5
    """The share of answers sent with chunked transfer encoding (the rest carry a Content-Length)."""
    keep_alive_requests: int = 3
    """A connection is closed after this many answers (devices keep few connections open)."""
    fragment_bytes: int = 256
    """WebSocket messages longer than this arrive in fragments of this size."""

    def latency_draw(self, rng: random.Random) -> float:
        """Seconds to wait before an answer: a Wi-Fi latency, now and then a slow answer on top."""
        low, high = self.latency
        delay = min(high, low + rng.expovariate(1 / 0.02))
        if rng.random() < self.slow_share:
            delay += rng.uniform(*self.slow_delay)
        return delay


WIFI = FieldConditions()


def conditions_from_environment() -> FieldConditions | None:
    """The conditions LOCAL_ENERGY_FIELD asks for; None for loopback as it is."""
    chosen = os.environ.get("LOCAL_ENERGY_FIELD", "off").lower()
    if chosen in ("", "0", "off", "no"):
        return None
    if chosen in ("1", "on", "wifi"):
        return WIFI
    raise ValueError(f"LOCAL_ENERGY_FIELD={chosen!r}: use wifi or off")


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)] or [b""]


class FieldDelivery:
    """Applies field conditions to one server's answers (a seeded draw, so a run can be repeated)."""

    def __init__(self, conditions: FieldConditions, seed: int = 0) -> None:
        self.conditions = conditions
        self._rng = random.Random(seed)  # noqa: S311 - a network's whims, not a secret
        self._answers: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        """Answers so far on each open connection (a closed one is forgotten with it)."""
        self.segmented = 0
        self.chunked = 0

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Answer late, in segments, sometimes chunked, and close the connection after a few answers."""
        await CLOCK.sleep(self.conditions.latency_draw(self._rng))
        response = await handler(request)
        if (
            not isinstance(response, web.Response)
            or response.prepared
            or not isinstance(response.body, bytes)
        ):
            return response
        return await self._deliver(request, response, response.body)

    async def _deliver(self, request: web.Request, response: web.Response, body: bytes) -> web.StreamResponse:
        conditions = self.conditions
        stream = web.StreamResponse(status=response.status, reason=response.reason)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding"):
                stream.headers.add(name, value)
        if response.content_type and "Content-Type" not in stream.headers:
            stream.content_type = response.content_type
        if self._rng.random() < conditions.chunked_share:
            stream.enable_chunked_encoding()
            self.chunked += 1
        else:
            stream.content_length = len(body)
        if self._count_answer(request) >= conditions.keep_alive_requests:
            stream.force_close()
        pieces = _pieces(body, conditions.segment_bytes)
        self.segmented += len(pieces) > 1
        # The client may have given up meanwhile (its timeout, its unload): the answer is then dropped.
        with contextlib.suppress(ConnectionError):
            await stream.prepare(request)
            for index, piece in enumerate(pieces):
                if index:
                    await CLOCK.sleep(self._rng.uniform(*conditions.segment_gap))
                await stream.write(piece)
            await stream.write_eof()
        return stream

    def _count_answer(self, request: web.Request) -> int:
        connection = request.transport
        if connection is None:
            return 1
        count = self._answers.pop(connection, 0) + 1
        if count < self.conditions.keep_alive_requests:
            self._answers[connection] = count
        return count


def _frame_header(first: bool, last: bool, size: int) -> bytes:
    """The header of one unmasked server-to-client frame of a text message (RFC 6455, 5.2)."""
    opcode = 0x1 if first else 0x0
    head = (0x80 if last else 0x00) | opcode
    if size < 126:
        return struct.pack("!BB", head, size)
    if size < 1 << 16:
        return struct.pack("!BBH", head, 126, size)
    return struct.pack("!BBQ", head, 127, size)


class FieldWebSocketResponse(web.WebSocketResponse):
    """A server WebSocket whose longer text messages go out as fragments, each a segment of its own."""

    def __init__(self, *args: object, field: FieldConditions | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._field = field
        self._field_transport: asyncio.Transport | None = None
        self._sending = asyncio.Lock()
        """One message at a time: a message sent during another's gaps would land between its fragments."""
        self.fragmented = 0

    async def prepare(self, request: web.BaseRequest) -> object:  # type: ignore[override]
        """Upgrade, and keep the connection's transport to write fragments on."""
        writer = await super().prepare(request)
        transport = request.transport
        self._field_transport = transport if isinstance(transport, asyncio.Transport) else None
        return writer

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message; in the field, a long one in fragments with gaps between them."""
        async with self._sending:
            await self._send_text(data, compress)

    async def _send_text(self, data: str, compress: int | None) -> None:
        field, transport = self._field, self._field_transport
        payload = data.encode()
        if field is None or transport is None or len(payload) <= field.fragment_bytes or self.closed:
            await super().send_str(data, compress)
            return
        pieces = _pieces(payload, field.fragment_bytes)
        self.fragmented += 1
        for index, piece in enumerate(pieces):
            if index:
                await CLOCK.sleep(field.segment_gap[0])
            if transport.is_closing():
                raise ConnectionResetError("the WebSocket closed while a message was sent")
            transport.write(_frame_header(index == 0, index == len(pieces) - 1, len(piece)) + piece)
