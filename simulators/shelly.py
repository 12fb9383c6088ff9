"""A Shelly device that plays any of the supported models: Gen1 REST or Gen2+ RPC, auth on or off.

Gen2+ push over the RPC WebSocket; Gen1 publish CoIoT status datagrams (CoAP code 0.30) to coiot_target,
with the sensor ids of their published descriptions (/cit/d of firmware 1.8+).

Payload shapes follow real devices (the public fixtures of aioshelly and evcc). Authentication is checked as
the devices do: HTTP basic for Gen1, RFC 7616 digest with SHA-256 (user admin, realm = device id) for Gen2+.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .device import SimulatedDevice
from .http_server import HttpSimulatorServer
from .ticker import Ticker

COIOT_PORT = 5683
"""Where Gen1 devices publish CoIoT (multicast 224.0.1.187, or unicast to a peer)."""

# model id -> (generation, app name, layout)
MODELS: dict[str, tuple[int, str, str]] = {
    "SHEM-3": (1, "shellyem3", "gen1_3em"),
    "SHEM": (1, "shellyem", "gen1_em"),
    "SHPLG-S": (1, "shellyplug-s", "gen1_plug"),
    "SHPLG-1": (1, "shellyplug", "gen1_plug"),
    "SPEM-002CEBEU50": (2, "shellyproem50", "rpc_em"),
    "S3EM-002CXCEU": (3, "shellyemg3", "rpc_em"),
    "SPEM-003CEBEU": (2, "shellypro3em", "rpc_3em"),
    "SPEM-003CEBEU400": (2, "shellypro3em400", "rpc_3em"),
    "SPEM-003CEBEU63": (2, "shellypro3em3ct63", "rpc_3em"),
    "S3EM-003CXCEU63": (3, "shelly3em63g3", "rpc_3em"),
    "SNPL-00112EU": (2, "shellyplusplugs", "rpc_plug"),
    "S3PL-00112EU": (3, "shellyplugsg3", "rpc_plug"),
    "S3PL-20112EU": (3, "shellyoutdoorsg3", "rpc_plug"),
}
ISSUE_MODELS = [
    "SPEM-002CEBEU50", "SHEM-3", "SPEM-003CEBEU", "SPEM-003CEBEU400", "SPEM-003CEBEU63", "SHPLG-S",
    "S3PL-00112EU", "SHEM", "S3EM-002CXCEU", "S3EM-003CXCEU63", "SNPL-00112EU", "S3PL-20112EU",
]  # fmt: skip
"""The twelve models the project supports, as one simulator each."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ShellyState:
    """What the device measures (W, V, A, Wh) and its relay."""

    powers: list[float] = field(default_factory=lambda: [1200.0, -2100.0, 350.0])
    voltages: list[float] = field(default_factory=lambda: [229.0, 231.5, 230.2])
    imported_wh: list[float] = field(default_factory=lambda: [2034616.71, 185686.89, 369469.8])
    exported_wh: list[float] = field(default_factory=lambda: [0.0, 940040.7, 985.91])
    relay: bool = True
    step: int = 0


class ShellySimulator(SimulatedDevice):
    """One Shelly on a free port."""

    def __init__(
        self,
        model: str = "SPEM-003CEBEU",
        *,
        password: str | None = None,
        monophase: bool = False,
        mac: str = "AABBCCDDEEFF",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.model = model
        self.generation, app, self.layout = MODELS[model]
        self.password = password
        self.monophase = monophase
        self.mac = mac
        self.device_id = f"{app}-{mac.lower()}"
        self.state = ShellyState()
        self.requests: list[str] = []
        self.malformed = False
        self._nonces: set[str] = set()
        self.websocket_enabled = True
        """Gen2+ answer ws://<host>/rpc; off, the upgrade is refused (404), as with no socket at all."""
        self.close_after_handshake = False
        """Close each socket right after answering its first request (a device that drops clients)."""
        self.frames: list[dict[str, Any]] = []
        """Every request frame received over the WebSocket."""
        self._peers: dict[web.WebSocketResponse, str] = {}
        self._open: set[web.WebSocketResponse] = set()
        self._frame_nonce = 1_725_185_413
        self._last_notified: dict[str, Any] = {}
        self._pusher = Ticker(self.advance, 1.0, after=self.notify)
        self.coiot_target: tuple[str, int] | None = None
        """Where Gen1 CoIoT status datagrams go while pushing (the peer set in the device)."""
        self.coiot_validity = 1.0
        """Seconds each CoIoT status says it is valid for (the device's CoIoT period)."""
        self.coiot_sent = 0
        self._coiot_serial = 0
        self._coiot_last: list[list[Any]] | None = None
        self._coiot_socket: asyncio.DatagramTransport | None = None
        app_ = web.Application()
        app_.router.add_get("/shelly", self._shelly)
        app_.router.add_get("/status", self._gen1_status)
        app_.router.add_get("/relay/0", self._gen1_relay)
        app_.router.add_get("/rpc/Shelly.GetStatus", self._rpc_status)
        app_.router.add_get("/rpc/Switch.Set", self._rpc_switch_set)
        app_.router.add_get("/rpc", self._rpc_socket)
        app_.on_shutdown.append(lambda _app: self.drop_sockets())
        self.host = host
        self.http = HttpSimulatorServer(app_, host, port)
        super().__init__(self.http)

    def advance(self) -> None:
        """One second later: PV on phase 2 varies; counters move per phase, as the device counts."""
        state = self.state
        state.step += 1
        state.powers[1] = -2100.0 + 600.0 * math.sin(state.step / 8)
        for phase, power in enumerate(state.powers):
            if power >= 0:
                state.imported_wh[phase] += power / 3600
            else:
                state.exported_wh[phase] -= power / 3600

    # --- the RPC WebSocket ------------------------------------------------------------------------

    @property
    def sockets(self) -> int:
        """Open RPC WebSockets."""
        return len(self._peers)

    def start_pushing(self, every: float) -> None:
        """Change the values every `every` seconds and notify each open socket, as the device does."""
        self._pusher.start(every)

    async def stop(self) -> None:
        """Stop pushing, close the sockets, stop listening."""
        await self._pusher.stop()
        await self.drop_sockets()
        if self._coiot_socket is not None:
            self._coiot_socket.close()
            self._coiot_socket = None
        await super().stop()

    async def stop_pushing(self) -> None:
        """Stop changing and pushing (a device that went quiet)."""
        await self._pusher.stop()

    async def drop_sockets(self) -> None:
        """Close every open socket (the device restarts its WebSocket server)."""
        for ws in list(self._open):
            await ws.close()

    async def notify(self) -> None:
        """NotifyStatus to every peer: the components, and within them the values, that changed."""
        if self.generation == 1:
            await self.publish_coiot()
            return
        status = self.rpc_status()
        changes = _changes(self._last_notified, status)
        self._last_notified = status
        if not changes:
            return
        for ws, peer in list(self._peers.items()):
            frame = {"src": self.device_id, "dst": peer, "method": "NotifyStatus",
                     "params": {"ts": round(time.time(), 2), **changes}}  # fmt: skip
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(frame)

    async def notify_full(self, status: dict[str, Any] | None = None) -> None:
        """NotifyFullStatus to every peer: the given status, or the whole of it."""
        params = {"ts": round(time.time(), 2), **(self.rpc_status() if status is None else status)}
        for ws, peer in list(self._peers.items()):
            frame = {"src": self.device_id, "dst": peer, "method": "NotifyFullStatus", "params": params}
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(frame)

    async def _rpc_socket(self, request: web.Request) -> web.StreamResponse:
        if self.generation < 2 or not self.websocket_enabled:
            return web.Response(status=404, text="no WebSocket")
        ws = self.http.websocket()
        await ws.prepare(request)
        self._open.add(ws)
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                self.frames.append(frame)
                await ws.send_json(self._answer(ws, frame))
                if self.close_after_handshake:
                    await ws.close()
        finally:
            self._peers.pop(ws, None)
            self._open.discard(ws)
        return ws

    def _answer(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = {"id": frame.get("id"), "src": self.device_id, "dst": frame.get("src")}
        if self.password is not None and not self._frame_auth_valid(frame.get("auth")):
            challenge = {"auth_type": "digest", "nonce": self._frame_nonce, "nc": 1,
                         "realm": self.device_id, "algorithm": "SHA-256"}  # fmt: skip
            return reply | {"error": {"code": 401, "message": json.dumps(challenge)}}
        if isinstance(frame.get("src"), str):
            self._peers[ws] = frame["src"]  # notifications go to the src of the requests seen
        method, params = frame.get("method"), frame.get("params") or {}
        reads: dict[str, Callable[[], dict[str, Any]]] = {
            "Shelly.GetDeviceInfo": self.device_info,
            "Shelly.GetConfig": self.rpc_config,
            # no dynamic (virtual) components: one empty page
            "Shelly.GetComponents": lambda: {"components": [], "cfg_rev": 29, "offset": 0, "total": 0},
        }
        if (read := reads.get(str(method))) is not None:
            return reply | {"result": read()}
        if method == "Shelly.GetStatus":
            self._last_notified = self.rpc_status()
            return reply | {"result": self._last_notified}
        if method == "Switch.Set" and self.layout in ("rpc_plug", "rpc_em"):
            was_on, self.state.relay = self.state.relay, bool(params.get("on"))
            asyncio.get_running_loop().create_task(self.notify())
            return reply | {"result": {"was_on": was_on}}
        return reply | {"error": {"code": 404, "message": f"No handler for {method}"}}

    def _frame_auth_valid(self, auth: object) -> bool:
        if not isinstance(auth, dict) or auth.get("nonce") != self._frame_nonce:
            return False
        ha1 = _sha256(f"admin:{self.device_id}:{self.password}")
        ha2 = _sha256("dummy_method:dummy_uri")
        expected = _sha256(f"{ha1}:{auth.get('nonce')}:{auth.get('nc', 1)}:{auth.get('cnonce')}:auth:{ha2}")
        return auth.get("username") == "admin" and secrets.compare_digest(expected, str(auth.get("response")))

    # --- endpoints --------------------------------------------------------------------------------

    async def _shelly(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if self.generation == 1:
            return web.json_response(
                {"type": self.model, "mac": self.mac, "auth": self.password is not None,
                 "fw": "20230913-114150/v1.14.0-gcb84623", "discoverable": True, "num_outputs": 1}
            )  # fmt: skip
        return web.json_response(self.device_info())

    def device_info(self) -> dict[str, Any]:
        """/shelly of a Gen2+ device, which is also what Shelly.GetDeviceInfo answers."""
        info: dict[str, Any] = {
            "name": None,
            "id": self.device_id,
            "mac": self.mac,
            "slot": 0,
            "model": self.model,
            "gen": self.generation,
            "fw_id": "20250924-062729/1.7.1-gd336f31",
            "ver": "1.7.1",
            "app": self.device_id.split("-")[0],
            "auth_en": self.password is not None,
            "auth_domain": self.device_id if self.password is not None else None,
        }
        if self.layout == "rpc_3em":
            info["profile"] = "monophase" if self.monophase else "triphase"
        return info

    def rpc_config(self) -> dict[str, Any]:
        """Shelly.GetConfig, in the shape of a Pro 3EM's (aioshelly's fixture): each component's config."""
        config: dict[str, Any] = {
            "sys": {"cfg_rev": 29, "device": {"name": None, "mac": self.mac, "discoverable": True,
                                              "fw_id": "20250924-062729/1.7.1-gd336f31", "eco_mode": False},
                    "location": {"lat": None, "lon": None, "tz": None}, "ui_data": {},
                    "debug": {"level": 2, "websocket": {"enable": False}, "mqtt": {"enable": False}},
                    "rpc_udp": {"dst_addr": None, "listen_port": None}, "sntp": {"server": "time.example"}},
            "ws": {"enable": False, "server": None, "ssl_ca": "ca.pem"},
            "cloud": {"enable": False, "server": None},
            "mqtt": {"enable": False, "server": None},
            "ble": {"enable": False, "observer": {"enable": False}, "rpc": {"enable": False}},
            "wifi": {"sta": {"ssid": "Net", "enable": True}},
        }  # fmt: skip
        status = self.rpc_status()
        for key in status:
            if ":" in key:
                config[key] = {"id": int(key.split(":")[1]), "name": None}
        return config

    async def _gen1_status(self, request: web.Request) -> web.Response:
        if (refusal := self._check_basic(request)) is not None:
            return refusal
        if self.malformed:
            return web.json_response({"emeters": "nope", "meters": None, "relays": [], "mac": self.mac})
        return web.json_response(self.gen1_status())

    async def _gen1_relay(self, request: web.Request) -> web.Response:
        if (refusal := self._check_basic(request)) is not None:
            return refusal
        turn = request.query.get("turn")
        if turn in ("on", "off"):
            self.state.relay = turn == "on"
            await self.publish_coiot()
        return web.json_response({"ison": self.state.relay, "has_timer": False, "source": "http"})

    async def _rpc_status(self, request: web.Request) -> web.Response:
        if (refusal := self._check_digest(request)) is not None:
            return refusal
        if self.malformed:
            return web.json_response(
                {"sys": {"mac": self.mac}, "em:0": {"total_act_power": "x"}, "switch:0": {}}
            )
        return web.json_response(self.rpc_status())

    async def _rpc_switch_set(self, request: web.Request) -> web.Response:
        if (refusal := self._check_digest(request)) is not None:
            return refusal
        if self.layout not in ("rpc_plug", "rpc_em"):
            return web.json_response({"code": 404, "message": "No handler for Switch.Set"}, status=404)
        was_on = self.state.relay
        self.state.relay = request.query.get("on") == "true"
        return web.json_response({"was_on": was_on})

    # --- CoIoT (Gen1) -----------------------------------------------------------------------------

    async def publish_coiot(self) -> None:
        """Send one CoIoT status to coiot_target (its serial moves only when a value did)."""
        if self.coiot_target is None:
            return
        if self._coiot_socket is None:
            loop = asyncio.get_running_loop()
            self._coiot_socket, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=(self.host, 0)
            )
        self._coiot_socket.sendto(self.coiot_datagram(), self.coiot_target)
        self.coiot_sent += 1

    def coiot_datagram(self) -> bytes:
        """A CoIoT status as the device sends it: CoAP NON, code 0.30, device id, validity, serial."""
        triples = self.coiot_values()
        if triples != self._coiot_last:
            self._coiot_last = triples
            self._coiot_serial = self._coiot_serial % 0xFFFF + 1  # 0 is never sent
        validity = coiot_validity(self.coiot_validity)
        payload = json.dumps({"G": triples}, separators=(",", ":")).encode()
        device_id = f"{self.model}#{self.mac}#2".encode()
        message = bytes((0x50, 30)) + (self._coiot_serial & 0xFFFF).to_bytes(2, "big")
        number = 0
        for option, value in ((3332, device_id), (3412, validity.to_bytes(2, "big")),
                              (3420, self._coiot_serial.to_bytes(2, "big"))):  # fmt: skip
            message += _coap_option(option - number, value)
            number = option
        return message + b"\xff" + payload

    def coiot_values(self) -> list[list[Any]]:
        """The G triples of the model's published description (ids 1101, 41xx, 42xx, 43xx)."""
        state = self.state
        triples: list[list[Any]] = [[0, 9103, 0], [0, 1101, int(state.relay)]]
        if self.layout == "gen1_plug":
            watt_minutes = round(state.imported_wh[0] * 60)
            return [*triples, [0, 4101, abs(state.powers[0])], [0, 4103, watt_minutes], [0, 3104, 31.2]]
        for phase in range(3 if self.layout == "gen1_3em" else 2):
            meter = self._gen1_emeter(phase)
            base = 4100 + 100 * phase
            triples += [[0, base + 5, meter["power"]], [0, base + 6, meter["total"]],
                        [0, base + 7, meter["total_returned"]], [0, base + 8, meter["voltage"]]]  # fmt: skip
            if self.layout == "gen1_3em":
                triples += [[0, base + 9, meter["current"]], [0, base + 10, meter["pf"]]]
        return triples

    # --- payloads ---------------------------------------------------------------------------------

    def gen1_status(self) -> dict[str, Any]:
        """/status of a Gen1 3EM, EM or Plug."""
        state = self.state
        body: dict[str, Any] = {
            "wifi_sta": {"connected": True, "ssid": "Net", "ip": "127.0.0.1", "rssi": -61},
            "mac": self.mac,
            "relays": [{"ison": state.relay, "has_timer": False, "overpower": False, "is_valid": True}],
            "uptime": 930 + state.step,
        }
        if self.layout == "gen1_plug":
            watt_minutes = round(state.imported_wh[0] * 60)
            body["meters"] = [{"power": abs(state.powers[0]), "is_valid": True, "overpower": 0.0,
                               "counters": [0.0, 0.0, 0.0], "total": watt_minutes}]  # fmt: skip
            return body
        phases = 3 if self.layout == "gen1_3em" else 2
        body["emeters"] = [self._gen1_emeter(phase) for phase in range(phases)]
        if phases == 3:
            body["total_power"] = round(sum(state.powers), 2)
        return body

    def _gen1_emeter(self, phase: int) -> dict[str, Any]:
        state = self.state
        meter: dict[str, Any] = {
            "power": round(state.powers[phase], 2),
            "pf": 0.95 if state.powers[phase] >= 0 else -0.93,
            "voltage": state.voltages[phase],
            "is_valid": True,
            "total": round(state.imported_wh[phase], 1),
            "total_returned": round(state.exported_wh[phase], 1),
        }
        if self.layout == "gen1_3em":
            meter["current"] = round(abs(state.powers[phase]) / state.voltages[phase], 3)  # unsigned
        else:
            meter["reactive"] = 120.5
        return meter

    def rpc_status(self) -> dict[str, Any]:
        """Shelly.GetStatus of a Gen2+ device."""
        body: dict[str, Any] = {
            "sys": {"mac": self.mac, "restart_required": False, "uptime": 28980},
            "wifi": {"sta_ip": "127.0.0.1", "status": "got ip", "ssid": "Net", "rssi": -60},
            "cloud": {"connected": False},
        }
        if self.layout == "rpc_plug":
            body["switch:0"] = self._plug_switch()
        elif self.layout == "rpc_em":
            for channel in range(2):
                body[f"em1:{channel}"], body[f"em1data:{channel}"] = self._em1(channel)
            body["switch:0"] = {"id": 0, "source": "HTTP_in", "output": self.state.relay,
                                "temperature": {"tC": 29.4, "tF": 85.0}}  # fmt: skip
        elif self.monophase:
            for channel in range(3):
                body[f"em1:{channel}"], body[f"em1data:{channel}"] = self._em1(channel)
        else:
            body["em:0"], body["emdata:0"] = self._em(), self._emdata()
        return body

    def _plug_switch(self) -> dict[str, Any]:
        state = self.state
        power = state.powers[0] if self.generation >= 3 else abs(state.powers[0])
        switch: dict[str, Any] = {
            "id": 0, "source": "init", "output": state.relay, "apower": round(power, 1), "voltage": 230.4,
            "current": round(abs(power) / 230.4, 3), "freq": 50.0,
            "aenergy": {"total": round(state.imported_wh[0], 3), "by_minute": [0, 0, 0], "minute_ts": 17},
            "temperature": {"tC": 32.1, "tF": 89.7},
        }  # fmt: skip
        if self.model == "S3PL-20112EU":  # meters both directions: aenergy holds both
            switch["ret_aenergy"] = {"total": round(state.exported_wh[0] + 1000.0, 3)}
            switch["aenergy"]["total"] = round(state.imported_wh[0] + state.exported_wh[0] + 1000.0, 3)
        return switch

    def _em1(self, channel: int) -> tuple[dict[str, Any], dict[str, Any]]:
        state = self.state
        power, volts = state.powers[channel], state.voltages[channel]
        meter = {
            "id": channel, "current": round(abs(power) / volts, 3), "voltage": volts,
            "act_power": round(power, 1), "aprt_power": round(abs(power) * 1.05, 1), "pf": 0.95,
            "freq": 50.0, "calibration": "factory",
        }  # fmt: skip
        data = {"id": channel, "total_act_energy": round(state.imported_wh[channel], 2),
                "total_act_ret_energy": round(state.exported_wh[channel], 2)}  # fmt: skip
        return meter, data

    def _em(self) -> dict[str, Any]:
        state = self.state
        em: dict[str, Any] = {"id": 0, "n_current": None, "user_calibrated_phase": []}
        for phase, name in enumerate("abc"):
            power, volts = state.powers[phase], state.voltages[phase]
            em |= {
                f"{name}_act_power": round(power, 1), f"{name}_aprt_power": round(abs(power) * 1.05, 1),
                f"{name}_current": round(abs(power) / volts, 3), f"{name}_voltage": volts,
                f"{name}_pf": 0.95, f"{name}_freq": 50.0,
            }  # fmt: skip
        em["total_act_power"] = round(sum(state.powers), 3)
        em["total_aprt_power"] = round(sum(abs(p) for p in state.powers) * 1.05, 3)
        em["total_current"] = round(
            sum(abs(p) / v for p, v in zip(state.powers, state.voltages, strict=True)), 3
        )
        return em

    def _emdata(self) -> dict[str, Any]:
        state = self.state
        data: dict[str, Any] = {"id": 0}
        for phase, name in enumerate("abc"):
            data[f"{name}_total_act_energy"] = round(state.imported_wh[phase], 2)
            data[f"{name}_total_act_ret_energy"] = round(state.exported_wh[phase], 2)
        data["total_act"] = round(sum(state.imported_wh), 2)
        data["total_act_ret"] = round(sum(state.exported_wh), 2)
        return data

    # --- authentication ---------------------------------------------------------------------------

    def _check_basic(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path)
        if self.password is None:
            return None
        expected = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        if request.headers.get("Authorization") == expected:
            return None
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="shelly"'}, text="401")

    def _check_digest(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path)
        if self.password is None or self._digest_valid(request):
            return None
        nonce = secrets.token_hex(8)
        self._nonces.add(nonce)
        challenge = f'Digest qop="auth", realm="{self.device_id}", nonce="{nonce}", algorithm=SHA-256'
        return web.Response(status=401, headers={"WWW-Authenticate": challenge}, text="401")

    def _digest_valid(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        pairs = [part.split("=", 1) for part in header[len("Digest ") :].split(",") if "=" in part]
        fields = {name.strip(): value.strip().strip('"') for name, value in pairs}
        if fields.get("username") != "admin" or fields.get("nonce") not in self._nonces:
            return False
        ha1 = _sha256(f"admin:{self.device_id}:{self.password}")
        ha2 = _sha256(f"{request.method}:{fields.get('uri', '')}")
        expected = _sha256(f"{ha1}:{fields['nonce']}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
        return secrets.compare_digest(expected, fields.get("response", ""))


def coiot_validity(seconds: float) -> int:
    """Option 3412 for a validity in seconds: tenths (an even value) up to 6553.4 s, else 4 s units (odd)."""
    tenths = round(seconds * 10)
    if tenths <= 0xFFFE:
        return tenths + (tenths & 1)
    return min(math.ceil(seconds / 4), 0xFFFF) | 1


def _coap_option(delta: int, value: bytes) -> bytes:
    """One CoAP option: delta and length in a nibble each, or extended by one (13) or two (14) bytes."""

    def nibble(number: int) -> tuple[int, bytes]:
        if number < 13:
            return number, b""
        if number < 269:
            return 13, bytes((number - 13,))
        return 14, (number - 269).to_bytes(2, "big")

    delta_nibble, delta_extra = nibble(delta)
    length_nibble, length_extra = nibble(len(value))
    return bytes((delta_nibble << 4 | length_nibble,)) + delta_extra + length_extra + value


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Per component, the values that differ (a component new or gone whole)."""
    changes: dict[str, Any] = {}
    for name, component in after.items():
        previous = before.get(name)
        if isinstance(component, dict) and isinstance(previous, dict):
            changed = {key: value for key, value in component.items() if previous.get(key) != value}
            if changed:
                changes[name] = changed
        elif previous != component:
            changes[name] = component
    return changes
