"""An Iskra smart gateway over REST, with meters and Bicom relays behind it.

Paths and credentials as real gateways use them (pyiskra): singular ``/api/measurement/{i}`` and
``/api/counter/{i}``, credentials in the cookie ``Authorization=Basic ...``, 403 without them. The Bicom
endpoints follow the shape our client assumes (the gateway's MQTT JSON).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .device import SimulatedDevice
from .http_server import HttpSimulatorServer

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

GATEWAY_SERIAL = "SG000002"


@dataclass
class Meter:
    """A meter behind the gateway."""

    model: str
    serial: str
    interface: str
    phases: int = 3
    powers: list[float] = field(default_factory=lambda: [1520.0, -2310.0, 410.0])
    import_wh: float = 12_345_678.0
    export_wh: float = 2_345_678.0
    enabled: bool = True


@dataclass
class Bicom:
    """A bistable relay."""

    addr: int
    serial: str
    on: bool = False


class IskraGatewaySimulator(SimulatedDevice):
    """SG-E1 with a three-phase IE38 on the left IR port, a single-phase WM1 on RS485, two Bicoms."""

    def __init__(self, *, username: str | None = None, password: str | None = None, port: int = 0) -> None:
        self.credentials = (username, password) if username and password else None
        self.meters = [
            Meter("IE38MD", "79000001", "Left IR"),
            Meter("WM1-6", "58000002", "RS485 35", phases=1, powers=[-850.0], import_wh=987_654.0),
        ]
        self.bicoms = [Bicom(0, "BI000001"), Bicom(32, "BI000002", on=True)]
        self.requests: list[str] = []
        self.gateway_model = "SG-E1"
        self.temperature_input: object = "21.4 °C"
        self.pulse_kwh = 0.256
        self.missing: set[str] = set()
        """Paths that answer 404, with what is below them ("/api/bicoms": a gateway without the endpoint)."""
        app = web.Application(middlewares=[self._missing_paths])
        app.router.add_get("/api", self._gateway)
        app.router.add_get("/api/devices", self._devices)
        app.router.add_get("/api/measurement/{index}", self._measurement)
        app.router.add_get("/api/counter/{index}", self._counter)
        app.router.add_get("/api/bicoms", self._bicoms)
        app.router.add_post("/api/bicom", self._bicom)
        super().__init__(HttpSimulatorServer(app, "127.0.0.1", port))

    @web.middleware
    async def _missing_paths(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if any(request.path == path or request.path.startswith(f"{path}/") for path in self.missing):
            self.requests.append(request.path)
            return web.Response(status=404, text="Not Found")
        return await handler(request)

    def listed(self) -> list[dict[str, Any]]:
        """The device list as the gateway gives it (a Bicom on the right IR port is in it too)."""
        entries = [
            {
                "model": m.model if m.enabled else "Disabled",
                "serial": m.serial,
                "interface": m.interface,
                "description": "",
                "location": "",
                "sw_ver": "1.02",
            }
            for m in self.meters
        ]
        entries.insert(1, {"model": "BI432", "serial": "BI000001", "interface": "Right IR"})
        return entries

    def _allowed(self, request: web.Request) -> bool:
        self.requests.append(request.path)
        if self.credentials is None:
            return True
        token = base64.b64encode(":".join(self.credentials).encode()).decode()
        return request.headers.get("Cookie") == f"Authorization=Basic {token}"

    def _meter(self, request: web.Request) -> Meter | None:
        visible = [e for e in self.listed() if "Right IR" not in e["interface"]]
        index = int(request.match_info["index"])
        if index >= len(visible):
            return None
        return next((m for m in self.meters if m.serial == visible[index]["serial"]), None)

    async def _gateway(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=403)
        return web.json_response(
            {
                "device": {
                    "model_type": f"{self.gateway_model} ",
                    "serial_number": f" {GATEWAY_SERIAL}",
                    "description": "Smart Gateway",
                    "location": "Garage",
                    "sw_ver": "2.1.0",
                },
                "status": {
                    "Temperature": self.temperature_input,
                    "Pulse Counter": {"value": self.pulse_kwh, "unit": "kWh"},
                    "Active Tariff": 3,
                },
            }
        )

    async def _devices(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=403)
        return web.json_response({"devices": self.listed()})

    async def _measurement(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=403)
        meter = self._meter(request)
        if meter is None:
            return web.Response(status=404)
        phases = [
            {
                "U": {"value": 230.1 + i, "unit": "V"},
                "I": f"{abs(p) / 230:.3f} A",
                "P": {"value": p, "unit": "W"},
                "Q": {"value": 120.5, "unit": "var"},
                "S": {"value": abs(p) * 1.02, "unit": "VA"},
                "PF": {"value": 0.98, "unit": ""},
                "PA": {"value": -11.5, "unit": "°"},
                "THDUp": {"value": 2.1, "unit": "%"},
                "THDI": {"value": 7.4, "unit": "%"},
            }
            for i, p in enumerate(meter.powers)
        ]
        total = sum(meter.powers)
        return web.json_response(
            {
                "measurements": {
                    "Phases": phases,
                    "Total": {
                        "P": {"value": total / 1000, "unit": "kW"},
                        "Q": {"value": 0.36, "unit": "kvar"},
                        "S": {"value": 4.3, "unit": "kVA"},
                        "PF": {"value": 0.93, "unit": ""},
                    },
                    "Frequency": {"value": 50.01, "unit": "Hz"},
                    "Active Tariff": 1,
                    "Temperature": "31.5 °C",
                }
            }
        )

    async def _counter(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=403)
        meter = self._meter(request)
        if meter is None:
            return web.Response(status=404)
        return web.json_response(
            {
                "counters": {
                    "non_resettable": [
                        {
                            "name": "Counter 1 - Total",
                            "value": meter.import_wh,
                            "unit": "Wh",
                            "direction": "import",
                        },
                        {
                            "name": "Counter 2 - Total",
                            "value": meter.export_wh,
                            "unit": "Wh",
                            "direction": "export",
                        },
                        {
                            "name": "Counter 3 - Total",
                            "value": 5_432_100.0,
                            "unit": "varh",
                            "direction": "import",
                        },
                        {
                            "name": "Counter 4 - Total",
                            "value": 1_234_500.0,
                            "unit": "varh",
                            "direction": "export",
                        },
                    ],
                    "resettable": [
                        {"name": "Counter 5", "value": 1_000.0, "unit": "kWh", "direction": "import"},
                        {"name": "Counter 6", "value": 250.0, "unit": "kWh", "direction": "export"},
                    ],
                }
            }
        )

    async def _bicoms(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=403)
        states = [
            {"addr": b.addr, "serial": b.serial, "model": "BI432", "state": "on" if b.on else "off"}
            for b in self.bicoms
        ]
        return web.json_response({"bicoms": states})

    async def _bicom(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=403)
        body = await request.json()
        bicom = next((b for b in self.bicoms if b.addr == body.get("addr")), None)
        if bicom is None or body.get("val") not in ("on", "off"):
            return web.json_response({"error": "unknown bicom or value"}, status=400)
        bicom.on = body["val"] == "on"
        return web.json_response({"addr": bicom.addr, "state": body["val"]})


# The discovery exchange as Iskra's library (pyiskra discovery.py) documents it, written out here on its own.
PROBE = bytes([0x00, 0x00, 0x00, 0x1A])
ANSWER_LENGTH = 137


def discovery_answer(
    model: str, serial: str, *, mac: bytes = bytes.fromhex("0050C2AABB01"), modbus_address: int = 34
) -> bytes:
    """A gateway's answer to the discovery probe, laid out as Iskra's library reads it."""
    answer = bytearray(ANSWER_LENGTH)
    answer[3] = 0x1B
    answer[8:20] = b"iskra-wifi".ljust(12, b"\0")
    answer[20:26] = mac
    answer[26] = 1
    answer[28:42] = model.encode("ascii").ljust(14, b"\0")
    answer[43:51] = serial.encode("ascii").ljust(8, b"\0")[:8]
    answer[52] = 214  # software 2.14
    answer[54] = ord("A")
    answer[55:94] = b"Smart gateway".ljust(39, b"\0")
    answer[95:134] = b"Basement".ljust(39, b"\0")
    answer[136] = modbus_address
    return bytes(answer)


class IskraDiscoveryResponder(asyncio.DatagramProtocol):
    """Answers the discovery probe on a UDP port, as gateways with "UDP Discovery" on do."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.probes = 0
        self._transport: asyncio.DatagramTransport | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0: a free port)."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Answer a probe; anything else is not for us."""
        if data != PROBE or self._transport is None:
            return
        self.probes += 1
        for answer in self.answers:
            self._transport.sendto(answer, addr)

    async def stop(self) -> None:
        """Stop answering."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
