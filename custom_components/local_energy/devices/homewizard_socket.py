"""HomeWizard API v2 over its WebSocket (``wss://<host>/api/ws``): authorize, subscribe, receive.

As HomeWizard documents it: the device greets with ``authorization_requested`` (older pages write
``authentication_requested``), the client sends ``{"type": "authorization", "data": "<TOKEN>"}`` within 40 s
and is answered ``{"type": "authorized"}``; after ``{"type": "subscribe", "data": "measurement"}`` the device
sends the latest values and each change as ``{"type": "measurement", "data": {…as /api/measurement…}}``.
Errors come as ``{"type": "error", ...}`` with the API's ``scope:error`` codes; ``user:unauthorized`` is a
refused token.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from .errors import AuthenticationFailed, CannotConnect
from .websocket import DeviceSocket

TOPICS = ("measurement", "system")
_GREETINGS = frozenset({"authorization_requested", "authentication_requested"})

type TopicListener = Callable[[str, Mapping[str, Any]], None]


def error_code(frame: Mapping[str, Any]) -> str:
    """The ``scope:error`` code of an error frame, wherever the frame puts it."""
    data = frame.get("data")
    if isinstance(data, dict):
        data = data.get("message", data.get("error"))
    return str(data if data is not None else frame.get("error", ""))[:120]


class HomeWizardSocket(DeviceSocket):
    """The v2 WebSocket of one meter; on_topic gets each topic's data (measurement, system)."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        url: str,
        token: str,
        on_topic: TopicListener,
        *,
        tls: ssl.SSLContext,
        server_hostname: str | None,
    ) -> None:
        super().__init__(session, url, f"the P1 meter at {url}", tls=tls, server_hostname=server_hostname)
        self._token = token
        self._on_topic = on_topic
        self._authorized: asyncio.Future[None] | None = None
        self.messages = 0
        self.errors = 0

    async def handshake(self) -> None:
        """The token, then the subscriptions: the device answers each with the topic's latest data."""
        self._authorized = asyncio.get_running_loop().create_future()
        await self.send({"type": "authorization", "data": self._token})
        await self._authorized
        for topic in TOPICS:
            await self.send({"type": "subscribe", "data": topic})

    def on_frame(self, frame: dict[str, Any]) -> None:
        """Authorization answers settle the handshake; topic data goes to its listener."""
        kind, data = frame.get("type"), frame.get("data")
        authorized = self._authorized
        if not isinstance(kind, str) or kind in _GREETINGS:
            return
        if kind == "authorized":
            if authorized is not None and not authorized.done():
                authorized.set_result(None)
        elif kind == "error":
            self.errors += 1
            code = error_code(frame)
            if code.startswith("user:unauthorized") and authorized is not None and not authorized.done():
                authorized.set_exception(AuthenticationFailed(f"{self.name} refused the token ({code})"))
        elif kind in TOPICS and isinstance(data, dict):
            self.messages += 1
            self._on_topic(kind, data)

    def diagnostics(self) -> dict[str, Any]:
        """The socket's counters, the topic messages and the error frames."""
        return super().diagnostics() | {"messages": self.messages, "errors": self.errors}

    def on_closed(self) -> None:
        """A handshake waiting for its answer gets none."""
        if self._authorized is not None and not self._authorized.done():
            self._authorized.set_exception(CannotConnect(f"{self.name} closed the WebSocket"))
