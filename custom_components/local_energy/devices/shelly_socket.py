"""Shelly Gen2+ over its RPC WebSocket (``ws://<host>/rpc``): requests, replies and status notifications.

Frames are JSON-RPC: a request ``{"id", "src", "method", "params"}`` is answered by a frame with the same id
and ``result`` or ``error``; the device sends notifications (``NotifyStatus`` with the components that
changed, ``NotifyFullStatus`` with all of them) to the ``src`` of the requests it has seen. On every
(re)connect one ``Shelly.GetStatus`` gives the full status, and the notifications are merged into it.

With authentication on, a request is refused with ``error.code`` 401 whose message is the digest challenge
as JSON; the request is then sent again with an ``auth`` object (SHA-256 digest, user ``admin``, over the
fixed ``dummy_method:dummy_uri``, the scheme Shelly documents for frames).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .errors import AuthenticationFailed, CannotConnect, CommandRejected, InvalidResponse
from .websocket import DeviceSocket

CALL_TIMEOUT = 10.0
USERNAME = "admin"
_FRAME_HA2 = "dummy_method:dummy_uri"

type StatusListener = Callable[[Mapping[str, Any]], None]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(slots=True)
class FrameDigest:
    """The digest state of one socket: the device's challenge and the count of uses of its nonce."""

    realm: str
    nonce: int
    password: str = field(repr=False)
    nc: int = 1

    @classmethod
    def from_challenge(cls, message: object, password: str) -> FrameDigest:
        """Read the challenge a 401 frame carries as its message (JSON in a string)."""
        try:
            challenge = json.loads(str(message))
            if challenge.get("algorithm", "SHA-256") != "SHA-256":
                raise InvalidResponse(f"the device asks for digest {challenge.get('algorithm')!r}")
            return cls(
                str(challenge["realm"]), int(challenge["nonce"]), password, int(challenge.get("nc", 1))
            )
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise InvalidResponse(
                f"a 401 frame without a readable challenge: {str(message)[:120]!r}"
            ) from err

    def auth(self) -> dict[str, Any]:
        """The auth object for the next request (each use counts the nonce once more)."""
        cnonce = secrets.token_hex(8)
        ha1 = _sha256(f"{USERNAME}:{self.realm}:{self.password}")
        response = _sha256(f"{ha1}:{self.nonce}:{self.nc}:{cnonce}:auth:{_sha256(_FRAME_HA2)}")
        frame = {
            "realm": self.realm,
            "username": USERNAME,
            "nonce": self.nonce,
            "nc": self.nc,
            "cnonce": cnonce,
            "response": response,
            "algorithm": "SHA-256",
        }
        self.nc += 1
        return frame


def merge(status: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Overlay a NotifyStatus on the full status, as a fresh Shelly.GetStatus would read.

    Nested objects are merged key by key; a key given as null has left the status (Shelly's rule).
    """
    for key, value in changes.items():
        current = status.get(key)
        if value is None:
            status.pop(key, None)
        elif isinstance(value, dict) and isinstance(current, dict):
            merge(current, value)
        else:
            status[key] = value


class ShellySocket(DeviceSocket):
    """The RPC WebSocket of one Gen2+ device; on_status is given the merged full status on each change."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        url: str,
        password: str | None,
        on_status: StatusListener,
    ) -> None:
        super().__init__(session, url, f"the Shelly at {url}")
        self._password = password
        self._on_status = on_status
        self._src = f"local-energy-{secrets.token_hex(4)}"
        self._ids = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._digest: FrameDigest | None = None
        self.status: dict[str, Any] | None = None
        self.notifications = 0

    async def handshake(self) -> None:
        """The full status first: it also tells the device where to send its notifications."""
        status = await self.call("Shelly.GetStatus")
        if not isinstance(status, dict):
            raise InvalidResponse("Shelly.GetStatus over the WebSocket is not an object")
        self.status = status
        self._on_status(status)

    def diagnostics(self) -> dict[str, Any]:
        """The socket's counters and the notifications merged."""
        return super().diagnostics() | {"notifications": self.notifications}

    def on_closed(self) -> None:
        """Requests still waiting get no answer any more."""
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(CannotConnect(f"{self.name} closed the WebSocket"))
        self.status = None

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Send a request and return its result; one retry with credentials when the device asks."""
        reply = await self._request(method, params)
        error = reply.get("error")
        if isinstance(error, dict) and error.get("code") == 401:
            if not self._password:
                raise AuthenticationFailed(f"{self.name} has authentication on and no password is set")
            self._digest = FrameDigest.from_challenge(error.get("message"), self._password)
            reply = await self._request(method, params)
            error = reply.get("error")
            if isinstance(error, dict) and error.get("code") == 401:
                raise AuthenticationFailed(f"{self.name} refused the password")
        if isinstance(error, dict):
            raise CommandRejected(f"{method}: {error.get('code')} {str(error.get('message'))[:120]}")
        if "result" not in reply:
            raise InvalidResponse(f"{method} over the WebSocket answered neither result nor error")
        return reply["result"]

    async def _request(self, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        self._ids += 1
        frame_id = self._ids
        frame: dict[str, Any] = {"id": frame_id, "src": self._src, "method": method}
        if params:
            frame["params"] = dict(params)
        if self._digest is not None:
            frame["auth"] = self._digest.auth()
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[frame_id] = reply
        try:
            await self.send(frame)
            async with asyncio.timeout(CALL_TIMEOUT):
                return await reply
        except TimeoutError as err:
            raise CannotConnect(f"{method} over the WebSocket: no answer within {CALL_TIMEOUT:g} s") from err
        finally:
            self._pending.pop(frame_id, None)

    def on_frame(self, frame: dict[str, Any]) -> None:
        """A reply goes to its request; a status notification is merged and passed on."""
        frame_id = frame.get("id")
        if frame_id is not None and not isinstance(frame.get("method"), str):
            if isinstance(frame_id, int) and (reply := self._pending.get(frame_id)) and not reply.done():
                reply.set_result(frame)
            return
        method, params = frame.get("method"), frame.get("params")
        if not isinstance(params, dict) or self.status is None:
            return
        if method == "NotifyStatus":
            merge(self.status, {key: value for key, value in params.items() if key != "ts"})
        elif method == "NotifyFullStatus":
            full = {key: value for key, value in params.items() if key != "ts"}
            if not isinstance(full.get("sys"), dict) and "sys" in self.status:
                full["sys"] = self.status["sys"]  # the identity checked at the handshake stays checked
            self.status = full
        else:
            return  # NotifyEvent and others carry no measurements
        self.notifications += 1
        self._on_status(self.status)
