"""A HomeWizard P1 meter answering API v1 (GET /api, GET /api/v1/data) with the documented payload shapes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import json
import math
import secrets
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from .device import SimulatedDevice
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
    gas_id: str = "4E474C5944"
    """The gas meter's id (hex of its equipment id), different for every meter in the field."""
    step: int = 0


def advance_state(state: P1State) -> None:
    """Next second: PV output drifts, counters move with the net power."""
    state.step += 1
    swing = 400.0 * math.sin(state.step / 15)
    state.powers = [-676.0 + swing, 133.0 + swing / 4, 12.0]
    net_kwh = sum(state.powers) / 1000 / 3600
    if net_kwh >= 0:
        state.import_t2 += net_kwh
    else:
        state.export_t2 -= net_kwh


class HomeWizardSimulator(SimulatedDevice):
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
        self.data_status: int | None = None
        """When set, /api/v1/data answers with this HTTP status (404: a firmware without the endpoint)."""
        self.requests = 0
        app = web.Application()
        app.router.add_get("/api", self._device)
        app.router.add_get("/api/v1/data", self._data)
        super().__init__(HttpSimulatorServer(app, host, port))

    def advance(self) -> None:
        """Next second: PV output drifts, counters move with the net power."""
        advance_state(self.state)

    def payload(self) -> dict[str, Any]:
        """The /api/v1/data body of a three-phase DSMR 5 meter with gas."""
        return self.payload_of(self.state)

    @staticmethod
    def payload_of(state: P1State) -> dict[str, Any]:
        """The /api/v1/data body for a meter state."""
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
                    "unique_id": state.gas_id,
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
        if self.data_status is not None:
            return web.Response(status=self.data_status, text="error")
        if not self.api_enabled:
            return web.json_response({"error": {"id": 202, "description": "API not enabled"}}, status=403)
        if self.malformed:
            return web.Response(text='{"active_power_w": 12', content_type="application/json")
        return web.json_response(self.payload())


PAIRING_WINDOW = 30.0


class HomeWizardV2Simulator(SimulatedDevice):
    """A P1 meter on API v2: HTTPS with a certificate for ``appliance/p1dongle/<serial>``, Bearer tokens.

    The certificate comes from a test CA made at start (``ca_pem``); a real meter's comes from HomeWizard's.
    ``POST /api/user`` hands out a token only within 30 s after ``press_button()``.
    """

    def __init__(
        self,
        state: P1State | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        serial: str = "5c2fafaabbcc",
    ) -> None:
        self.state = state or P1State()
        self.serial = serial
        self.tokens: dict[str, str] = {}
        self.pairing_requests = 0
        self._pressed_at: float | None = None
        self.ca_pem, cert_pem, key_pem = _test_certificates(self.serial)
        self._tls = _server_context(cert_pem, key_pem)
        app = web.Application()
        app.router.add_get("/api", self._device)
        app.router.add_get("/api/measurement", self._measurement)
        app.router.add_get("/api/system", self._system)
        app.router.add_post("/api/user", self._user)
        app.router.add_get("/api/ws", self._socket)
        app.on_shutdown.append(lambda _app: self.drop_sockets())
        self.requests: list[str] = []
        self.websocket_enabled = True
        self.close_after_handshake = False
        """Close each socket right after it is authorized (a meter that drops its clients)."""
        self.received: list[dict[str, Any]] = []
        self._subscribers: dict[web.WebSocketResponse, set[str]] = {}
        self._pusher = Ticker(self.advance, 1.0, after=self.push)
        self.http = HttpSimulatorServer(app, host, port, tls=self._tls)
        super().__init__(self.http)

    # --- the WebSocket ------------------------------------------------------------------------------

    @property
    def sockets(self) -> int:
        """Open WebSockets."""
        return len(self._subscribers)

    def advance(self) -> None:
        """Next second, as the v1 meter moves."""
        advance_state(self.state)

    def start_pushing(self, every: float) -> None:
        """A new telegram every `every` seconds (1 s on DSMR 5), pushed to each subscriber."""
        self._pusher.start(every)

    async def stop(self) -> None:
        """Stop pushing and listening."""
        await self._pusher.stop()
        await super().stop()

    async def drop_sockets(self) -> None:
        """Close every open socket."""
        for ws in list(self._subscribers):
            await ws.close()

    async def push(self) -> None:
        """The current measurement to every socket subscribed to it."""
        for ws, topics in list(self._subscribers.items()):
            if "measurement" in topics or "*" in topics:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json({"type": "measurement", "data": self.measurement()})

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if not self.websocket_enabled:
            return web.json_response({"error": "request:unknown-type"}, status=404)
        ws = self.http.websocket()
        await ws.prepare(request)
        self._subscribers[ws] = set()
        authorized = False
        try:
            await ws.send_json({"type": "authorization_requested", "data": {"api_version": "2.0.0"}})
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                self.received.append(frame)
                authorized = await self._on_frame(ws, frame, authorized=authorized)
        finally:
            self._subscribers.pop(ws, None)
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any], *, authorized: bool) -> bool:
        kind, data = frame.get("type"), frame.get("data")
        if kind == "authorization":
            if data not in self.tokens.values():
                await ws.send_json({"type": "error", "data": {"message": "user:unauthorized"}})
                await ws.close()
                return False
            await ws.send_json({"type": "authorized"})
            if self.close_after_handshake:
                await ws.close()
            return True
        if not authorized:
            await ws.send_json({"type": "error", "data": {"message": "user:unauthorized"}})
        elif kind == "subscribe" and data in ("measurement", "system", "*"):
            self._subscribers[ws].add(str(data))
            if data in ("measurement", "*"):
                await ws.send_json({"type": "measurement", "data": self.measurement()})
            if data in ("system", "*"):
                await ws.send_json({"type": "system", "data": self.system()})
        else:
            await ws.send_json({"type": "error", "data": {"message": "request:unknown-subscription"}})
        return authorized

    def system(self) -> dict[str, Any]:
        """The /api/system body."""
        return {"wifi_ssid": "My Wi-Fi", "wifi_rssi_db": -77, "cloud_enabled": False, "uptime_s": 356,
                "status_led_brightness_pct": 100, "api_v1_enabled": False}  # fmt: skip

    def press_button(self) -> None:
        """The user presses the meter's button: tokens can be requested for 30 s."""
        self._pressed_at = time.monotonic()

    def revoke_all(self) -> None:
        """Forget every token (as after a factory reset)."""
        self.tokens.clear()

    def measurement(self) -> dict[str, Any]:
        """The /api/measurement body (v2 names, ISO timestamps)."""
        v1 = HomeWizardSimulator.payload_of(self.state)
        return {
            "protocol_version": 50,
            "meter_model": v1["meter_model"],
            "unique_id": v1["unique_id"],
            "timestamp": "2024-06-28T14:12:34",
            "tariff": v1["active_tariff"],
            "energy_import_kwh": v1["total_power_import_kwh"],
            "energy_import_t1_kwh": v1["total_power_import_t1_kwh"],
            "energy_import_t2_kwh": v1["total_power_import_t2_kwh"],
            "energy_export_kwh": v1["total_power_export_kwh"],
            "energy_export_t1_kwh": v1["total_power_export_t1_kwh"],
            "energy_export_t2_kwh": v1["total_power_export_t2_kwh"],
            "power_w": v1["active_power_w"],
            "power_l1_w": v1["active_power_l1_w"],
            "power_l2_w": v1["active_power_l2_w"],
            "power_l3_w": v1["active_power_l3_w"],
            "voltage_l1_v": v1["active_voltage_l1_v"],
            "voltage_l2_v": v1["active_voltage_l2_v"],
            "voltage_l3_v": v1["active_voltage_l3_v"],
            "current_a": round(sum(abs(v1[f"active_current_l{i}_a"]) for i in (1, 2, 3)), 3),
            "current_l1_a": v1["active_current_l1_a"],
            "current_l2_a": v1["active_current_l2_a"],
            "current_l3_a": v1["active_current_l3_a"],
            "frequency_hz": 50.0,
            "average_power_15m_w": 123.0,
            "monthly_power_peak_w": 1111.0,
            "monthly_power_peak_timestamp": "2024-06-04T10:11:22",
            "external": [
                {"unique_id": self.state.gas_id, "type": "gas_meter", "timestamp": "2024-06-28T14:00:00",
                 "value": round(self.state.gas_m3, 3), "unit": "m3"},
            ],
        }  # fmt: skip

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[len("Bearer ") :] in self.tokens.values()

    async def _device(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"error": "user:unauthorized"}, status=401)
        return web.json_response(
            {"product_name": "P1 Meter", "product_type": "HWE-P1", "serial": self.serial,
             "firmware_version": "6.00", "api_version": "2.0.0"}
        )  # fmt: skip

    async def _measurement(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if not self._authorized(request):
            return web.json_response({"error": "user:unauthorized"}, status=401)
        return web.json_response(self.measurement())

    async def _system(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if not self._authorized(request):
            return web.json_response({"error": "user:unauthorized"}, status=401)
        return web.json_response(self.system())

    async def _user(self, request: web.Request) -> web.Response:
        self.pairing_requests += 1
        try:
            name = (await request.json())["name"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "request:invalid-json"}, status=400)
        if not isinstance(name, str) or not name.startswith("local/"):
            return web.json_response({"error": "user:invalid-prefix"}, status=400)
        if self._pressed_at is None or time.monotonic() - self._pressed_at > PAIRING_WINDOW:
            return web.json_response({"error": "user:creation-not-enabled"}, status=403)
        self.tokens[name] = secrets.token_hex(16).upper()  # a new token replaces the old one of that name
        return web.json_response({"token": self.tokens[name], "name": name})


@functools.cache
def _authority() -> tuple[Any, Any]:
    """The test CA of this process (every simulated meter's certificate is signed by it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Simulated Appliance Access CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    return ca, ca_key


def _test_certificates(serial: str) -> tuple[str, bytes, bytes]:
    """The CA and a meter certificate signed by it, named as HomeWizard names its meters."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca, ca_key = _authority()
    ca_name = ca.subject
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"appliance/p1dongle/{serial}")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(key.public_key())
        .serial_number(2).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem).decode(), cert.public_bytes(pem), key_pem


def _server_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:  # the ssl module loads chains from files only
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context
