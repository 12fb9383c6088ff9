"""The Shelly personas: a Pro 3EM (three phases, EM) and a Pro EM (one phase, EM1), as their Gen2 RPC answers.

Batteries ask them for their identity (``/shelly``, ``Shelly.GetDeviceInfo``), their configuration and
status, and then poll ``EM.GetStatus`` (or ``EM1.GetStatus``) about twice a second. Every method that
would change something (``Shelly.Reboot``, ``*.SetConfig``) is answered and ignored. Numbers are floats,
so JSON carries a decimal point (Marstek batteries reject ``100`` where they expect ``100.0``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .feed import Feed, Reading

FIRMWARE = "1.4.4"
FIRMWARE_ID = "20241011-114455/1.4.4-g6d2a586"


class ShellyModel(StrEnum):
    """Which meter is served."""

    PRO_3EM = "SPEM-003CEBEU"
    PRO_EM = "SPEM-002CEBEU50"


class RpcError(Exception):
    """A JSON-RPC error answer (Shelly's codes: 404 no such method, -103 a bad argument)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NoReading(Exception):
    """The source is stale or unavailable: no value is served."""


@dataclass(frozen=True, slots=True)
class ShellyIdentity:
    """What makes a battery recognise the meter again: stored once, never derived from the host."""

    mac: str
    """12 upper-case hex digits."""
    model: ShellyModel = ShellyModel.PRO_3EM

    @property
    def device_id(self) -> str:
        """shellypro3em-<mac> or shellyproem50-<mac>, lower case, as the devices name themselves."""
        prefix = "shellypro3em" if self.model is ShellyModel.PRO_3EM else "shellyproem50"
        return f"{prefix}-{self.mac.lower()}"

    @property
    def app(self) -> str:
        """The device's app name."""
        return "Pro3EM" if self.model is ShellyModel.PRO_3EM else "ProEM"


EM_CONFIG: Mapping[str, Any] = {"id": 0, "name": None, "phase_selector": "all", "ct_type": "120A"}


def _f(value: float) -> float:
    return round(float(value), 2)


class ShellyPersona:
    """Answers the Gen2 RPC methods of one served Shelly meter."""

    def __init__(self, identity: ShellyIdentity, feed: Feed) -> None:
        self.identity = identity
        self.feed = feed
        self._methods: Mapping[str, Callable[[float], dict[str, Any]]] = {
            "shelly.getdeviceinfo": lambda _share: self.device_info(),
            "shelly.getstatus": self.status,
            "shelly.getconfig": lambda _share: self.config(),
            "shelly.getcomponents": lambda _share: self._components(),
            "em.getstatus": lambda share: self._em(self._reading(share)),
            "em.getconfig": lambda _share: dict(EM_CONFIG),
            "emdata.getstatus": lambda share: self._em_data(self._reading(share)),
            "em1.getstatus": lambda share: self._em1(self._reading(share)),
            "em1data.getstatus": lambda share: self._em1_data(self._reading(share)),
            "sys.getstatus": lambda _share: self._sys_status(),
            "sys.getconfig": lambda _share: self.config()["sys"],
            "wifi.getstatus": lambda _share: {"sta_ip": None, "status": "got ip", "ssid": None, "rssi": -50},
            "cloud.getstatus": lambda _share: {"connected": False},
            "cloud.getconfig": lambda _share: {"enable": False, "server": None},
            "ws.getconfig": lambda _share: {"enable": False, "server": None, "ssl_ca": "ca.pem"},
            "shelly.reboot": lambda _share: {},
        }  # fmt: skip

    def device_info(self) -> dict[str, Any]:
        """``/shelly`` and ``Shelly.GetDeviceInfo``: who the meter is (never behind authentication)."""
        identity = self.identity
        return {
            "name": None,
            "id": identity.device_id,
            "mac": identity.mac.upper(),
            "slot": 0,
            "model": identity.model.value,
            "gen": 2,
            "fw_id": FIRMWARE_ID,
            "ver": FIRMWARE,
            "app": identity.app,
            "auth_en": False,
            "auth_domain": None,
            "profile": "triphase" if identity.model is ShellyModel.PRO_3EM else "monophase",
        }

    def call(
        self, method: str, params: Mapping[str, Any] | None = None, share: float = 1.0
    ) -> dict[str, Any]:
        """A method's result; RpcError for an unknown one, NoReading while nothing is served.

        share: the part of the power this client sees (several batteries on one meter).
        """
        del params  # every component has id 0; the read-only setters take what they are given
        handler = self._methods.get(method.lower())
        if handler is None and method.lower().endswith(".setconfig"):
            return {"restart_required": False}  # answered, and ignored: a served meter is read-only
        if handler is None:
            raise RpcError(404, f"No handler for {method}")
        return handler(share)

    def status(self, share: float = 1.0) -> dict[str, Any]:
        """``Shelly.GetStatus``: every component's status (the cloud not connected, as batteries want)."""
        reading = self._reading(share)
        status: dict[str, Any] = {
            "sys": self._sys_status(),
            "wifi": {"sta_ip": None, "status": "got ip", "ssid": None, "rssi": -50},
            "cloud": {"connected": False},
            "mqtt": {"connected": False},
            "ws": {"connected": False},
        }
        if self.identity.model is ShellyModel.PRO_3EM:
            status["em:0"], status["emdata:0"] = self._em(reading), self._em_data(reading)
        else:  # a Pro EM has two clamps: the reading on the first, the second idle
            status["em1:0"], status["em1data:0"] = self._em1(reading), self._em1_data(reading)
            idle = Reading(power=0.0, voltage=reading.voltage)
            status["em1:1"], status["em1data:1"] = self._em1(idle) | {"id": 1}, {"id": 1}
        return status

    def em_status(self) -> dict[str, Any]:
        """What a poller asks most: EM.GetStatus (Pro 3EM) or EM1.GetStatus (Pro EM)."""
        reading = self._reading(1.0)
        return self._em(reading) if self.identity.model is ShellyModel.PRO_3EM else self._em1(reading)

    def config(self) -> dict[str, Any]:
        """``Shelly.GetConfig``."""
        return {
            "sys": {
                "device": {"name": None, "mac": self.identity.mac.upper(), "fw_id": FIRMWARE_ID,
                           "discoverable": True, "profile": self.device_info()["profile"]},
                "location": {"tz": None, "lat": None, "lon": None},
                "sntp": {"server": "time.google.com"},
                "cfg_rev": 1,
            },
            "cloud": {"enable": False, "server": None},
            "ws": {"enable": False, "server": None, "ssl_ca": "ca.pem"},
        }  # fmt: skip

    def _components(self) -> dict[str, Any]:
        three = self.identity.model is ShellyModel.PRO_3EM
        keys = ("em:0", "emdata:0") if three else ("em1:0", "em1data:0", "em1:1", "em1data:1")
        return {"components": [{"key": key, "status": {}, "config": {}} for key in keys], "cfg_rev": 1,
                "offset": 0, "total": len(keys)}  # fmt: skip

    def _sys_status(self) -> dict[str, Any]:
        return {"mac": self.identity.mac.upper(), "restart_required": False, "uptime": 1,
                "available_updates": {}, "cfg_rev": 1}  # fmt: skip

    def _reading(self, share: float) -> Reading:
        reading = self.feed.current()
        if reading is None:
            raise NoReading("the source of the served meter is stale or unavailable")
        return reading.shared(share)

    @staticmethod
    def _em(reading: Reading) -> dict[str, Any]:
        phases = reading.per_phase()
        status: dict[str, Any] = {"id": 0}
        for name, power in zip("abc", phases, strict=True):
            current = abs(power) / reading.voltage if reading.voltage else 0.0
            status |= {
                f"{name}_act_power": _f(power),
                f"{name}_aprt_power": _f(abs(power)),
                f"{name}_current": _f(current),
                f"{name}_voltage": _f(reading.voltage),
                f"{name}_pf": 1.0,
                f"{name}_freq": 50.0,
            }
        status |= {
            "total_act_power": _f(reading.power),
            "total_aprt_power": _f(sum(abs(p) for p in phases)),
            "total_current": _f(sum(abs(p) for p in phases) / reading.voltage if reading.voltage else 0.0),
            "n_current": None,
        }
        return status

    @staticmethod
    def _em_data(reading: Reading) -> dict[str, Any]:
        return _energies(reading, "total_act", "total_act_ret")

    @staticmethod
    def _em1(reading: Reading) -> dict[str, Any]:
        current = abs(reading.power) / reading.voltage if reading.voltage else 0.0
        return {
            "id": 0,
            "act_power": _f(reading.power),
            "aprt_power": _f(abs(reading.power)),
            "current": _f(current),
            "voltage": _f(reading.voltage),
            "pf": 1.0,
            "freq": 50.0,
        }

    @staticmethod
    def _em1_data(reading: Reading) -> dict[str, Any]:
        return _energies(reading, "total_act_energy", "total_act_ret_energy")


def _energies(reading: Reading, imported: str, exported: str) -> dict[str, Any]:
    """The counters in Wh under the component's own names (those the source has)."""
    data: dict[str, Any] = {"id": 0}
    for name, kwh in ((imported, reading.energy_in), (exported, reading.energy_out)):
        if kwh is not None:
            data[name] = _f(kwh * 1000)
    return data
