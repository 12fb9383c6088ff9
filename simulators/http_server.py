"""A small aiohttp server wrapper: start on host:port (0 = any free port), stop, and failure modes."""

from __future__ import annotations

import ssl

from aiohttp import web


class HttpSimulatorServer:
    """Runs an aiohttp application on a real socket."""

    def __init__(
        self, app: web.Application, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.tls = tls
        self._runner: web.AppRunner | None = None

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
