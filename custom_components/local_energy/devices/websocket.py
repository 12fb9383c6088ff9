"""WebSocket transport: one JSON socket to a device, kept open, reconnected with back-off.

A protocol subclasses DeviceSocket: ``handshake()`` runs on every (re)connect (authorize, subscribe, ask
for the full state) while ``on_frame()`` already takes every frame, so a handshake waits for the answers
on_frame hands it. Frames are decoded with the same limits
as HTTP bodies. While the socket is down its owner is told (``Link.DOWN``) and reads the device another
way; it is told again (``Link.UP``) when a handshake succeeded. A refused credential stops the reconnects
(the user must act). Going down is logged once, coming back once.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import aiohttp

from .errors import AuthenticationFailed, CannotConnect, DeviceError, InvalidResponse
from .payload import MAX_BODY_BYTES, decode_json

_LOGGER = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait for its end.

    Waiting through asyncio.wait, not `await task` under suppress(CancelledError): that would also swallow
    a cancel of the waiting task itself, which then never ends.
    """
    if not task.done():
        task.cancel()
        await asyncio.wait([task])


class Link(StrEnum):
    """Whether what carries a device's pushes delivers them now."""

    UP = "up"
    """A kept-open connection is up (the handshake done), or a pushed status promises the next."""
    SELDOM = "seldom"
    """Pushes come, but too seldom to follow the device by: they are shown, and it is read as well."""
    DOWN = "down"
    """It broke, or it carries another device: the device is read another way."""
    NONE = "none"
    """Pushes come without a connection (UDP broadcasts): only silence tells that they stopped."""


type LinkListener = Callable[[Link], None]

BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds between reconnects, growing while they fail; back to the start after a lasting connection."""
LASTING = 60.0
HANDSHAKE_TIMEOUT = 10.0
HEARTBEAT = 20.0
"""Seconds between pings: a device that stops answering them is taken as gone (aiohttp closes)."""


class DeviceSocket(ABC):
    """A kept-open JSON WebSocket to one device."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        url: str,
        name: str,
        *,
        tls: ssl.SSLContext | bool = True,
        server_hostname: str | None = None,
    ) -> None:
        self._session = session
        self.url = url
        self.name = name
        self._tls = tls
        self._server_hostname = server_hostname
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_link: LinkListener = lambda _link: None
        self._reported_down = False
        self._bug_logged = False
        self.connected = False
        self.refused: AuthenticationFailed | None = None
        self.connects = 0
        self.frames = 0
        self.malformed = 0

    @abstractmethod
    async def handshake(self) -> None:
        """Make the fresh socket ready (authorize, subscribe, read the full state)."""

    @abstractmethod
    def on_frame(self, frame: dict[str, Any]) -> None:
        """Take one decoded frame."""

    def start(self, on_link: LinkListener) -> None:
        """Connect, and keep reconnecting until close()."""
        self._on_link = on_link
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"WebSocket {self.name}")

    async def close(self) -> None:
        """Stop reconnecting and close the socket; its owner hears no more of it."""
        self._on_link = lambda _link: None
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame; CannotConnect when the socket is not open."""
        ws = self._ws
        if ws is None or ws.closed:
            raise CannotConnect(f"the WebSocket to {self.name} is not open")
        try:
            await ws.send_json(frame)
        except (aiohttp.ClientError, OSError, RuntimeError) as err:
            raise CannotConnect(f"sending to {self.name} failed: {err or type(err).__name__}") from err

    def diagnostics(self) -> dict[str, Any]:
        """The socket's state and counters (never credentials)."""
        return {
            "connected": self.connected,
            "connects": self.connects,
            "frames": self.frames,
            "malformed": self.malformed,
        }

    def on_closed(self) -> None:  # noqa: B027 - only protocols with pending requests need it
        """The socket closed: fail what waits for an answer."""

    async def _run(self) -> None:
        attempt = 0
        while True:
            started = asyncio.get_running_loop().time()
            reason = await self._session_once()
            if asyncio.get_running_loop().time() - started >= LASTING:
                attempt = 0
            if self.refused is not None:
                return
            if not self._reported_down:
                self._reported_down = True
                _LOGGER.info("The WebSocket to %s is down (%s); reconnecting", self.name, reason)
            await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            attempt += 1

    async def _session_once(self) -> str:
        """One connection, from connect to close; returns why it ended."""
        try:
            async with self._session().ws_connect(
                self.url,
                heartbeat=HEARTBEAT,
                max_msg_size=MAX_BODY_BYTES,
                ssl=self._tls,
                server_hostname=self._server_hostname,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            ) as ws:
                self._ws = ws
                self.connects += 1
                reader = asyncio.get_running_loop().create_task(self._read(ws))
                try:
                    async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                        await self.handshake()
                    self._up()
                    await reader
                finally:
                    await cancel_and_wait(reader)
                return f"closed by the device (code {ws.close_code})"
        except AuthenticationFailed as err:
            self.refused = err
            _LOGGER.warning("%s refused the WebSocket's credentials: %s", self.name, err)
            return str(err)
        except TimeoutError:
            return "no answer in time"
        except (aiohttp.ClientError, OSError, DeviceError) as err:
            return str(err) or type(err).__name__
        except Exception:
            # A bug in a protocol must not end the reconnects for good; its traceback is logged once.
            if not self._bug_logged:
                self._bug_logged = True
                _LOGGER.exception("Unexpected error on the WebSocket to %s", self.name)
            return "an unexpected error"
        finally:
            self._ws = None
            if self.connected:
                self.connected = False
                self._on_link(Link.DOWN)

    def _up(self) -> None:
        self.connected = True
        if self._reported_down:
            self._reported_down = False
            _LOGGER.info("The WebSocket to %s is back", self.name)
        self._on_link(Link.UP)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Every frame to on_frame, from the connect on (the handshake's answers too), until it closes."""
        try:
            async for message in ws:
                if (frame := self._decoded(message)) is not None:
                    self.on_frame(frame)
        finally:
            self.on_closed()

    def _decoded(self, message: aiohttp.WSMessage) -> dict[str, Any] | None:
        """A text message's JSON object; anything else is dropped (aiohttp has joined its fragments)."""
        if message.type is aiohttp.WSMsgType.BINARY:
            self.frames += 1
            self.malformed += 1
            return None
        if message.type is not aiohttp.WSMsgType.TEXT:
            return None
        self.frames += 1
        try:
            frame = decode_json(message.data, f"a frame from {self.name}")
        except InvalidResponse:
            frame = None
        if not isinstance(frame, dict):
            self.malformed += 1
            return None
        return frame
