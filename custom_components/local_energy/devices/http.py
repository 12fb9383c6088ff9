"""HTTP transport: JSON requests over a shared aiohttp session, errors mapped to the contract's types."""

from __future__ import annotations

import base64
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import ApiDisabled, AuthenticationFailed, CannotConnect, EndpointMissing, InvalidResponse
from .payload import MAX_BODY_BYTES, decode_json

_LOGGER = logging.getLogger(__name__)


class RateLimited(CannotConnect):
    """The device refused the request because it came too soon after the last one."""


DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    """Where a device answers HTTP."""

    host: str
    port: int
    scheme: str = "http"

    def url(self, path: str) -> str:
        """Return the absolute URL of a path on the device."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{path}"


def basic_credentials(username: str, password: str) -> str:
    """The value of HTTP basic authentication (RFC 7617) for a user and password, UTF-8 encoded."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class HttpTransport:
    """Requests to one device through a session the caller owns (Home Assistant's shared one)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: HttpEndpoint,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        digest: aiohttp.DigestAuthMiddleware | None = None,
        tls: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._session = session
        self.endpoint = endpoint
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # One middleware per device keeps its nonce, so later requests authenticate without a 401 first.
        self._middlewares = (digest,) if digest is not None else ()
        # A context of its own per device: pooled connections are keyed by it, so a connection verified
        # for one device's certificate name is never reused for another.
        self._tls: ssl.SSLContext | bool = tls if tls is not None else True
        self._server_hostname = server_hostname
        self._headers = dict(headers or {})
        self.requests = 0

    async def get_json(self, path: str) -> Any:
        """GET a path and return its decoded JSON body."""
        return await self.request_json("GET", path)

    async def get_object(self, path: str) -> dict[str, Any]:
        """GET a path whose answer must be a JSON object."""
        return await self.request_object("GET", path)

    async def request_object(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        """Send a request whose answer must be a JSON object; anything else is an invalid response."""
        body = await self.request_json(method, path, payload)
        if not isinstance(body, dict):
            raise InvalidResponse(f"{path} answered {type(body).__name__}, not a JSON object")
        return body

    async def request_json(self, method: str, path: str, payload: Any = None) -> Any:
        """Send a request and return the decoded JSON body of a 2xx answer."""
        url = self.endpoint.url(path)
        self.requests += 1
        try:
            async with self._session.request(
                method,
                url,
                json=payload,
                timeout=self._timeout,
                middlewares=self._middlewares,
                ssl=self._tls,
                server_hostname=self._server_hostname,
                headers=self._headers,
                # Credentials ride on every request (basic, digest, cookie, bearer): a redirect is never
                # followed, so they can never reach another address.
                allow_redirects=False,
            ) as response:
                if 300 <= response.status < 400:
                    location = response.headers.get("Location", "")[:120]
                    raise InvalidResponse(f"{url} redirects to {location!r}; redirects are not followed")
                body = await read_body(response.content)
                _raise_for_status(response.status, body, url)
        except TimeoutError as err:
            seconds = self._timeout.total
            raise CannotConnect(f"{method} {url}: no answer within {seconds:g} s") from err
        except (aiohttp.ClientError, OSError) as err:
            raise CannotConnect(f"{method} {url} failed: {_describe(err)}") from err
        return decode_json(body, url)


async def read_body(content: aiohttp.StreamReader) -> bytes:
    """The whole body, however the network cut it into segments or chunks, up to one byte past the limit.

    One read() returns what has arrived so far, not the body: read to the end (decode_json refuses a body
    past the limit).
    """
    parts: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES and (part := await content.read(MAX_BODY_BYTES + 1 - size)):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _raise_for_status(status: int, body: bytes, url: str) -> None:
    if status == 401:
        raise AuthenticationFailed(f"{url} refused the credentials (HTTP 401)")
    if status == 403:
        raise ApiDisabled(f"{url} answered 403 Forbidden: {body[:200]!r}")
    if status in (429, 503):
        raise RateLimited(f"{url} answered HTTP {status} (too many requests)")
    if status == 404:
        raise EndpointMissing(f"{url} answered HTTP 404 (no such endpoint)")
    if status >= 500:
        raise CannotConnect(f"{url} answered HTTP {status}")
    if not 200 <= status < 300:
        raise InvalidResponse(f"{url} answered HTTP {status}")


def _describe(err: BaseException) -> str:
    """An exception's text, or its kind when it has none (a reset connection often has no text)."""
    return str(err) or type(err).__name__
