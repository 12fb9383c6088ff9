"""An INDEVOLT battery's local HTTP API (port 8080): Sys.GetConfig, Indevolt.GetData / SetData.

Like the device, it refuses a ``config=`` with spaces in its JSON (HTTP 400). Battery power (6000) is sent as
a magnitude whose direction only the battery state (6001) tells, the reading this project's client relies on.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .device import SimulatedDevice
from .http_server import HttpSimulatorServer

SERIAL = "A673AI2HIX02185S"


class IndevoltSimulator(SimulatedDevice):
    """A SolidFlex 2000 (type CMS-SF2000) discharging 350 W, with an SMD meter; or a BK1600."""

    def __init__(self, *, device_type: str = "CMS-SF2000", port: int = 0) -> None:
        self.device_type = device_type
        gen2 = device_type != "CMS-BK1600"
        meter, feed_in, max_output = (11016, 11010, 11011) if gen2 else (21028, 2617, 4)
        self.points: dict[int, Any] = {
            0: SERIAL, 7101: 1, 6002: 64, 6000: 350, 6001: 1002, 1501: 820, 2101: 0, 2108: 350,
            6006: 123.4, 6007: 110.2, 2107: 45.6, 2104: 198.7, 1505: 401234, 6105: 10, 2618: 1000, 7120: 1000,
            meter: -120.5, feed_in: 800, max_output: 800,
        }  # fmt: skip
        self.writes: list[tuple[int, list[int]]] = []
        self.refuse_writes = False
        app = web.Application()
        app.router.add_get("/rpc/Sys.GetConfig", self._config)
        app.router.add_post("/rpc/Indevolt.GetData", self._get)
        app.router.add_post("/rpc/Indevolt.SetData", self._set)
        super().__init__(HttpSimulatorServer(app, "127.0.0.1", port))

    async def _config(self, _request: web.Request) -> web.Response:
        device = {
            "hostname": "",
            "timezone": 480,
            "type": self.device_type,
            "sn": "",
            "mac": "7C3E82EF997F",
            "fw": "T1.4.06_ROOD.072_M4801_0000002C",
            "time_stamp": 1766051097,
        }
        return web.json_response({"device": device})

    @staticmethod
    def _config_of(request: web.Request) -> dict[str, Any] | None:
        raw = request.query.get("config", "")
        if " " in raw:
            return None
        try:
            config = json.loads(raw)
        except ValueError:
            return None
        return config if isinstance(config, dict) else None

    async def _get(self, request: web.Request) -> web.Response:
        config = self._config_of(request)
        if config is None:
            return web.Response(status=400)
        return web.json_response(
            {str(point): self.points[point] for point in config["t"] if point in self.points}
        )

    async def _set(self, request: web.Request) -> web.Response:
        config = self._config_of(request)
        if config is None or config.get("f") != 16:
            return web.Response(status=400)
        point, values = int(config["t"]), list(config["v"])
        if self.refuse_writes:
            return web.json_response({"result": False})
        self.writes.append((point, values))
        self._apply(point, values)
        return web.json_response({"result": True})

    def _apply(self, point: int, values: list[int]) -> None:
        gen2 = self.device_type != "CMS-BK1600"
        targets = {47005: 7101, 1146: 11010 if gen2 else 2617, 1147: 11011 if gen2 else 4, 1142: 6105}
        if point in targets:
            self.points[targets[point]] = values[0]
        elif point == 1143:
            self.points[2618] = 1001 if values[0] else 1000
        elif point == 47015:
            state, watts, _soc = values
            self.points[6001] = {0: 1000, 1: 1001, 2: 1002}[state]
            self.points[6000] = watts
