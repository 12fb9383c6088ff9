"""A HomeWizard P1 meter answering API v1 (GET /api, GET /api/v1/data) with the documented payload shapes."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .http_server import HttpSimulatorServer
from .ticker import Ticker

SERIAL = "3c39e7aabbcc"


@dataclass
class P1State:
    """What the smart meter behind the P1 port reports."""

    powers: list[float] = field(default_factory=lambda: [-676.0, 133.0, 0.0])
    voltages: list[float] = field(default_factory=lambda: [230.1, 231.2, 229.8])
    import_t1: float = 10830.511
    import_t2: float = 2948.827
    export_t1: float = 1285.951
    export_t2: float = 2876.51
    tariff: int = 2
    gas_m3: float = 2569.646
    step: int = 0


class HomeWizardSimulator:
    """Serves a P1State; api_enabled=False answers 403 as a meter whose local API is off."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = P1State()
        self.api_enabled = True
        self.malformed = False
        self.delay = 0.0
        self.product_type = "HWE-P1"
        self.serial = SERIAL
        self.device_status: int | None = None
        """When set, /api answers with this HTTP status (an error page) instead of the device info."""
        self.requests = 0
        app = web.Application()
        app.router.add_get("/api", self._device)
        app.router.add_get("/api/v1/data", self._data)
        self.server = HttpSimulatorServer(app, host, port)
        self._ticker = Ticker(self.advance, 1.0)

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return self.server.port

    async def start(self, *, changing: bool = False) -> None:
        """Listen; with changing=True the meter moves every second, as a DSMR 5 meter does."""
        await self.server.start()
        if changing:
            self._ticker.start()

    async def stop(self) -> None:
        """Stop listening and changing."""
        await self._ticker.stop()
        await self.server.stop()

    def advance(self) -> None:
        """Next second: PV output drifts, counters move with the net power."""
        state = self.state
        state.step += 1
        swing = 400.0 * math.sin(state.step / 15)
        state.powers = [-676.0 + swing, 133.0 + swing / 4, 12.0]
        net_kwh = sum(state.powers) / 1000 / 3600
        if net_kwh >= 0:
            state.import_t2 += net_kwh
        else:
            state.export_t2 -= net_kwh

    def payload(self) -> dict[str, Any]:
        """The /api/v1/data body of a three-phase DSMR 5 meter with gas."""
        state = self.state
        currents = [round(p / v, 3) for p, v in zip(state.powers, state.voltages, strict=True)]
        return {
            "wifi_ssid": "My Wi-Fi",
            "wifi_strength": 100,
            "smr_version": 50,
            "meter_model": "ISKRA  2M550T-101",
            "unique_id": "4E47475955",
            "active_tariff": state.tariff,
            "total_power_import_kwh": round(state.import_t1 + state.import_t2, 3),
            "total_power_import_t1_kwh": round(state.import_t1, 3),
            "total_power_import_t2_kwh": round(state.import_t2, 3),
            "total_power_export_kwh": round(state.export_t1 + state.export_t2, 3),
            "total_power_export_t1_kwh": round(state.export_t1, 3),
            "total_power_export_t2_kwh": round(state.export_t2, 3),
            "active_power_w": round(sum(state.powers), 1),
            "active_power_l1_w": round(state.powers[0], 1),
            "active_power_l2_w": round(state.powers[1], 1),
            "active_power_l3_w": round(state.powers[2], 1),
            "active_voltage_l1_v": state.voltages[0],
            "active_voltage_l2_v": state.voltages[1],
            "active_voltage_l3_v": state.voltages[2],
            "active_current_l1_a": currents[0],
            "active_current_l2_a": currents[1],
            "active_current_l3_a": currents[2],
            "active_frequency_hz": 50,
            "voltage_sag_l1_count": 1,
            "any_power_fail_count": 4,
            "long_power_fail_count": 5,
            "active_power_average_w": 123.0,
            "montly_power_peak_w": 1111.0,
            "montly_power_peak_timestamp": 230101080010,
            "external": [
                {
                    "unique_id": "4E474C5944",
                    "type": "gas_meter",
                    "timestamp": 210606140010,
                    "value": round(state.gas_m3, 3),
                    "unit": "m3",
                }
            ],
        }

    async def _device(self, _request: web.Request) -> web.Response:
        self.requests += 1
        if self.device_status is not None:
            return web.Response(status=self.device_status, text="error")
        if not self.api_enabled:
            return web.json_response({"error": {"id": 202, "description": "API not enabled"}}, status=403)
        return web.json_response(
            {
                "product_type": self.product_type,
                "product_name": "P1 Meter" if self.product_type == "HWE-P1" else "Energy Socket",
                "serial": self.serial,
                "firmware_version": "5.18",
                "api_version": "v1",
            }
        )

    async def _data(self, _request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.api_enabled:
            return web.json_response({"error": {"id": 202, "description": "API not enabled"}}, status=403)
        if self.malformed:
            return web.Response(text='{"active_power_w": 12', content_type="application/json")
        return web.json_response(self.payload())
