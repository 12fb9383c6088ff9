"""A small aiohttp server wrapper: start on host:port (0 = any free port), stop, and failure modes."""

from __future__ import annotations

import ssl
from typing import Literal

from aiohttp import web

from .field import FieldConditions, FieldDelivery, FieldWebSocketResponse, conditions_from_environment


class HttpSimulatorServer:
    """Runs an aiohttp application on a real socket, on loopback's terms or the field's."""

    def __init__(
        self,
        app: web.Application,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        field: FieldConditions | Literal["environment"] | None = "environment",
    ) -> None:
        """Serve app; field gives the network's conditions, by default what LOCAL_ENERGY_FIELD asks for."""
        self.app = app
        self.host = host
        self.port = port
        self.tls = tls
        self.field = conditions_from_environment() if field == "environment" else field
        self.delivery = FieldDelivery(self.field) if self.field is not None else None
        if self.delivery is not None:
            app.middlewares.append(self.delivery.middleware)
        self._runner: web.AppRunner | None = None

    def websocket(self) -> web.WebSocketResponse:
        """A server WebSocket that sends as this server delivers (fragments in the field)."""
        return FieldWebSocketResponse(heartbeat=None, timeout=0.2, field=self.field)

    async def start(self) -> None:
        """Listen; after this, port holds the bound port (kept across restarts)."""
        # Open connections (a WebSocket) get a short grace on stop, as a restarting device gives none.
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True, ssl_context=self.tls)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the listener and open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
