"""A stromleser.one: ``GET /v1/data`` with OBIS values as strings with units, one request per 8 s."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .device import SimulatedDevice
from .http_server import HttpSimulatorServer

DEVICE_ID = "STROM_ONE_8529546829"
RATE_LIMIT_SECONDS = 8.0


class StromleserSimulator(SimulatedDevice):
    """Answers like the documented device; a request within 8 s of the last answered one is refused."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.power_w = [480.0, -1320.0, 95.0]
        self.imported_wh = 22641332.8
        self.exported_wh = 37307808.4
        self.energy_unit = "Wh"
        self.power_unit = "W"
        self.rate_limited = True
        self.answered = 0
        self.refused = 0
        self._last_answer: float | None = None
        app = web.Application()
        app.router.add_get("/v1/data", self._data)
        super().__init__(HttpSimulatorServer(app, host, port))

    def payload(self) -> dict[str, Any]:
        """The /v1/data body."""
        energy_factor = {"Wh": 1.0, "kWh": 0.001}.get(self.energy_unit, 1.0)
        power_factor = {"W": 1.0, "kW": 0.001}.get(self.power_unit, 1.0)

        def energy(wh: float) -> str:
            return f"{wh * energy_factor:.3f} {self.energy_unit}"

        def power(w: float) -> str:
            return f"{w * power_factor:.3f} {self.power_unit}"

        return {
            "device_id": DEVICE_ID,
            "timestamp": str(int(time.time())),
            "1.8.0": energy(self.imported_wh),
            "1.8.1": energy(self.imported_wh),
            "1.8.2": energy(0.0),
            "2.8.0": energy(self.exported_wh),
            "16.7.0": power(sum(self.power_w)),
            "36.7.0": power(self.power_w[0]),
            "56.7.0": power(self.power_w[1]),
            "76.7.0": power(self.power_w[2]),
            "RSSI": "-54dBm",
        }

    async def _data(self, _request: web.Request) -> web.Response:
        now = time.monotonic()
        if (
            self.rate_limited
            and self._last_answer is not None
            and now - self._last_answer < RATE_LIMIT_SECONDS
        ):
            self.refused += 1
            return web.Response(status=429, text="Too Many Requests")
        self._last_answer = now
        self.answered += 1
        return web.json_response(self.payload())
