"""An everHome EcoTracker IR reader: ``GET /v1/json`` as real devices answer it."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from .device import SimulatedDevice
from .http_server import HttpSimulatorServer

SERIAL = "abcdef123456"


class EcoTrackerSimulator(SimulatedDevice):
    """Three-phase reader; power in W (negative on export), counters in Wh."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.phases = [360.57, -801.54, 132.42]
        self.energy_in_wh = 77498562.3864
        self.energy_out_wh = 1254871.5
        self.with_export = True
        self.age_ms = 420
        self.malformed = False
        self.serial: str | None = SERIAL
        self.step = 0
        app = web.Application()
        app.router.add_get("/v1/json", self._json)
        super().__init__(HttpSimulatorServer(app, host, port))

    def advance(self) -> None:
        """One second later."""
        self.step += 1
        self.phases[1] = -801.54 + 300 * math.sin(self.step / 10)
        net = sum(self.phases)
        if net >= 0:
            self.energy_in_wh += net / 3600
        else:
            self.energy_out_wh -= net / 3600

    def payload(self) -> dict[str, Any]:
        """The /v1/json body."""
        body: dict[str, Any] = {
            "power": round(sum(self.phases), 2),
            "powerPhase1": self.phases[0],
            "powerPhase2": round(self.phases[1], 2),
            "powerPhase3": self.phases[2],
            "powerAvg": 606,
            "energyCounterIn": round(self.energy_in_wh, 4),
            "rssi": -71,
            "firmwareVersion": "1.0.0",
            "agePower": self.age_ms,
        }
        if self.serial is not None:
            body["serial"] = self.serial
        if self.with_export:
            body["energyCounterOut"] = round(self.energy_out_wh, 4)
        return body

    async def _json(self, _request: web.Request) -> web.Response:
        if self.malformed:
            return web.json_response({"power": "lots", "serial": SERIAL})
        return web.json_response(self.payload())
