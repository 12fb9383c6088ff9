"""IGEN / SOLARMAN devices: ``PSC-D`` UDP broadcasts at their real rates and the HTTP OpenData API (8080).

The packet layout follows the vendor's own capture: zeros, the tag ``PSC-D``, the reader's serial (length at
byte 52, text from 53), two length fields, then JSON and a trailer ("PE" and two checksum bytes).
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .http_server import HttpSimulatorServer

RATES = {"meter": 0.15, "p1": 0.5, "plug": 0.5}
TYPES = {"meter": "gl meter", "p1": "P1-2W", "plug": "SP-2W-EU"}


def packet(serial: str, body: dict[str, Any]) -> bytes:
    """One broadcast, as the vendor's capture shows it."""
    text = json.dumps(body, separators=(",", ":")).encode()
    length = (len(text) + 4).to_bytes(2, "big")
    header = b"\0" * 6 + b"PSC-D" + b"\x02\x25\x10" + b"\0" * 38 + bytes([len(serial)]) + serial.encode()
    return header + b"\x01\x00" + length + length + b"\x02\x01\x04\x00" + text + b"PE\xea\x10"


@dataclass
class IgenDevice:
    """One device: a three-phase meter, a P1 reader or a smart plug."""

    kind: str
    serial: str
    power: float = 1250.0
    relay: bool = True
    sent: int = 0
    step: int = field(default=0)

    def data(self) -> dict[str, Any]:
        """The values, under the vendor's key names."""
        if self.kind == "plug":
            return {
                "voltage": 230,
                "electric_current": round(abs(self.power) / 230, 3),
                "positive_active_energy": 1.730654,
                "reverse_active_energy": 0.0,
                "power": self.power if self.relay else 0.0,
            }
        if self.kind == "p1":
            drawn, fed = max(self.power, 0) / 1000, max(-self.power, 0) / 1000  # kW, as documented
            return {
                "SN": "1SAG1100074120",
                "device_type": 3,
                "total_act_energy_LT": 139.68,
                "total_act_energy_NT": 167.63,
                "total_act_ret_energy_LT": 2.73,
                "total_act_ret_energy_NT": 1.10,
                "a_voltage": 233.1,
                "a_current": round(abs(self.power) / 233.1, 2),
                "b_voltage": 0,
                "c_voltage": 0,
                "total_act_power": drawn,
                "total_act_ret_power": fed,
                "a_act_power": drawn,
                "a_act_ret_power": fed,
                "total_gas": 2569.646,
            }
        phases = [self.power * 0.5, self.power * 0.3, self.power * 0.2]
        return {
            "sn": self.serial,
            "a_voltage": 230.1,
            "b_voltage": 231.0,
            "c_voltage": 229.5,
            "a_current": round(abs(phases[0]) / 230.1, 2),
            "b_current": round(abs(phases[1]) / 231, 2),
            "c_current": round(abs(phases[2]) / 229.5, 2),
            "frequency": 50.01,
            "total_pf": 98.0,
            "total_act_power": round(self.power, 1),
            "a_act_power": phases[0],
            "b_act_power": phases[1],
            "c_act_power": phases[2],
            "total_act_energy": 29.57,
            "total_act_ret_energy": 10.15,
        }

    def opendata(self) -> dict[str, Any]:
        """What its HTTP OpenData API answers.

        A P1 reader's P1.JsonData names values in words, with the stray spaces of the vendor's document;
        the other devices use the broadcasts' keys.
        """
        if self.kind != "p1":
            return self.data()
        drawn, fed = max(self.power, 0) / 1000, max(-self.power, 0) / 1000
        return {
            "SN": "1SAG1100074120",
            "Device_Version ": "50213",
            "Device_Type": 3,
            "Electricity delivered to client_low tariff": 139.68,
            "Electricity delivered to client_normal tariff": 167.63,
            "Electricity delivered by client_low tariff": 2.73,
            "Electricity delivered by client_normal tariff": 1.10,
            "AC_Phase-A_Current ": round(abs(self.power) / 233.1, 2),
            "AC_Phase-A_Voltage": 233.1,
            " Actual electricity power delivered +P ": drawn,
            " Actual electricity power received -P ": fed,
            "Instantaneous active power L1 +P": drawn,
            "Instantaneous active power L1 -P": fed,
            "Total Gas Consumption": 2569.646,
        }

    def broadcast(self) -> bytes:
        """The next packet."""
        self.sent += 1
        return packet(self.serial, {"id": self.sent, "ts": 1750303145, "type": 4, "data": self.data()})


class _Quiet(asyncio.DatagramProtocol):
    pass


class IgenSimulator:
    """Devices broadcasting to 127.0.0.1:target_port; the first one also answers HTTP OpenData."""

    def __init__(
        self, target_port: int, devices: list[IgenDevice] | None = None, *, http_port: int = 0
    ) -> None:
        self.target = ("127.0.0.1", target_port)
        self.devices = devices or [IgenDevice("meter", "D850BD20A300129S")]
        self.udp_enabled = True
        self.opendata = True
        """False: the data APIs answer 404, as on firmware older than the OpenData API."""
        self.http_requests: list[str] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: list[asyncio.Task[None]] = []
        app = web.Application()
        app.router.add_get("/rpc/Sys.GetConfig", self._config)
        for api in ("Meter.JsonData", "P1.JsonData", "Plug.GetData", "Plug.GetStatus"):
            app.router.add_get(f"/rpc/{api}", self._data)
        app.router.add_post("/rpc/Plug.SetStatus", self._set_status)
        self.server = HttpSimulatorServer(app, "127.0.0.1", http_port)

    @property
    def http_port(self) -> int:
        """The first device's HTTP port."""
        return self.server.port

    async def start(self, *, broadcasting: bool = False) -> None:
        """Open the sockets; with broadcasting=True each device sends at its real rate."""
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            _Quiet, family=socket.AF_INET, allow_broadcast=True
        )
        await self.server.start()
        if broadcasting:
            self._tasks = [asyncio.create_task(self._run(device)) for device in self.devices]

    async def stop(self) -> None:
        """Stop everything."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        await self.server.stop()

    def send(self, device: IgenDevice | None = None, raw: bytes | None = None) -> None:
        """Send one packet of a device (or raw bytes), when UDP is on."""
        if self.udp_enabled and self._transport is not None:
            self._transport.sendto(
                raw if raw is not None else (device or self.devices[0]).broadcast(), self.target
            )

    async def _run(self, device: IgenDevice) -> None:
        while True:
            device.step += 1
            device.power = 1250.0 + 400 * math.sin(device.step / 20)
            self.send(device)
            await asyncio.sleep(RATES[device.kind])

    async def _config(self, request: web.Request) -> web.Response:
        self.http_requests.append(request.path)
        device = self.devices[0]
        config = {
            "hostname": "admin",
            "type": TYPES[device.kind],
            "sn": device.serial,
            "mac": "E8FDF8DD9A76",
            "fw": "V1.3.0A_R003.001_MP12W_00000013",
        }
        # As the devices answer: a P1 reader nests its settings under "device", a plug or meter does not.
        return web.json_response({"device": config} if device.kind == "p1" else config)

    async def _data(self, request: web.Request) -> web.Response:
        self.http_requests.append(request.path)
        device = self.devices[0]
        if not self.opendata:
            return web.Response(status=404, text="Not Found")
        if request.path.endswith("GetStatus"):
            return web.json_response({"switch_status": "on" if device.relay else "off"})
        data = device.opendata()
        return web.json_response({"data": data} if device.kind == "meter" else data)

    async def _set_status(self, request: web.Request) -> web.Response:
        self.http_requests.append(request.path)
        config = json.loads(request.query.get("config", "{}"))
        state = config.get("switch_status")
        if self.devices[0].kind != "plug" or state not in ("on", "off"):
            return web.json_response({"result": False})
        self.devices[0].relay = state == "on"
        return web.json_response({"result": True})
