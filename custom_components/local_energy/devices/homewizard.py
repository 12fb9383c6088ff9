"""HomeWizard P1 meter (HWE-P1): local API v2 (HTTPS, Bearer token) where the meter has it, else API v1.

v2 is found by asking ``https://<host>/api`` without a token: a 401 means the meter speaks v2, and the user
pairs by pressing the meter's button while we ask ``POST /api/user`` for a token. The certificate is checked
against HomeWizard's CA and against the name ``appliance/p1dongle/<serial>`` once the serial is known.
v1 (HTTP, ``/api`` and ``/api/v1/data``) needs the local API switched on in the app; 403 says it is off.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from importlib import resources
from typing import Any, ClassVar

import aiohttp

from .client import DeviceClient, PushListener
from .connection import Settings
from .errors import (
    ApiDisabled,
    AuthenticationFailed,
    AuthenticationRequired,
    CannotConnect,
    EndpointMissing,
    FirmwareTooOld,
    InvalidResponse,
    UnsupportedModel,
)
from .family import (
    Announcement,
    Family,
    Timing,
    Transport,
)
from .homewizard_socket import HomeWizardSocket
from .http import HttpEndpoint, HttpTransport
from .keys import Key
from .payload import number, total
from .snapshot import MAIN_CHANNEL, Channel, ChannelKind, DeviceIdentity, Snapshot, Value
from .udp import OncePerMinute
from .websocket import Link, LinkListener

_LOGGER = logging.getLogger(__name__)

VENDOR = "HomeWizard"
DEFAULT_PORT = 80
V2_PORT = 443
PAIRING_NAME = "local/local_energy"
SYSTEM_EVERY = 30
"""v2 keeps Wi-Fi in /api/system: read it once every this many polls, not on every poll."""
CA_PEM = resources.files(__package__).joinpath("homewizard_ca.pem").read_text(encoding="ascii")
SUPPORTED_PRODUCTS = {"HWE-P1": "P1 Meter"}
GAS_CHANNEL = "gas"

_NUMBERS: Mapping[str, Key] = {
    "active_power_w": Key.POWER,
    "active_power_l1_w": Key.POWER_L1,
    "active_power_l2_w": Key.POWER_L2,
    "active_power_l3_w": Key.POWER_L3,
    "active_power_average_w": Key.POWER_AVERAGE_15M,
    "active_voltage_l1_v": Key.VOLTAGE_L1,
    "active_voltage_l2_v": Key.VOLTAGE_L2,
    "active_voltage_l3_v": Key.VOLTAGE_L3,
    "active_current_l1_a": Key.CURRENT_L1,
    "active_current_l2_a": Key.CURRENT_L2,
    "active_current_l3_a": Key.CURRENT_L3,
    "active_frequency_hz": Key.FREQUENCY,
    "total_power_import_t1_kwh": Key.ENERGY_IMPORT_T1,
    "total_power_import_t2_kwh": Key.ENERGY_IMPORT_T2,
    "total_power_import_t3_kwh": Key.ENERGY_IMPORT_T3,
    "total_power_import_t4_kwh": Key.ENERGY_IMPORT_T4,
    "total_power_export_t1_kwh": Key.ENERGY_EXPORT_T1,
    "total_power_export_t2_kwh": Key.ENERGY_EXPORT_T2,
    "total_power_export_t3_kwh": Key.ENERGY_EXPORT_T3,
    "total_power_export_t4_kwh": Key.ENERGY_EXPORT_T4,
    "wifi_strength": Key.WIFI_STRENGTH,
}
_TARIFF_TOTALS = (
    (
        "total_power_import_kwh",
        (
            "total_power_import_t1_kwh",
            "total_power_import_t2_kwh",
            "total_power_import_t3_kwh",
            "total_power_import_t4_kwh",
        ),
        Key.ENERGY_IMPORT,
    ),
    (
        "total_power_export_kwh",
        (
            "total_power_export_t1_kwh",
            "total_power_export_t2_kwh",
            "total_power_export_t3_kwh",
            "total_power_export_t4_kwh",
        ),
        Key.ENERGY_EXPORT,
    ),
)


class HomeWizardClient(DeviceClient):
    """A P1 meter: API v2 when the entry holds a token, else API v1."""

    ca_pem: ClassVar[str] = CA_PEM

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._v1 = HttpTransport(self.transports.http, HttpEndpoint(self.config.host, self.config.port))
        self._v2: HttpTransport | None = None
        self._v2_connections: aiohttp.ClientSession | None = None
        self._polls = 0
        self._wifi_rssi: float | None = None
        self._socket: HomeWizardSocket | None = None
        self._measurement: Mapping[str, Any] | None = None
        self._log_limit = OncePerMinute()

    @property
    def pushes(self) -> bool:
        """API v2 pushes each measurement over its WebSocket; API v1 is polled."""
        return self.uses_v2

    @property
    def link(self) -> Link:
        """The v2 WebSocket, up and authorized; API v1 has no link to tell of (NONE)."""
        if not self.uses_v2:
            return Link.NONE
        return Link.UP if self._socket is not None and self._socket.connected else Link.DOWN

    async def start(self, on_push: PushListener, on_link: LinkListener | None = None) -> None:
        """Open the v2 WebSocket: authorized with the entry's token, subscribed to its measurements."""
        if not self.uses_v2 or self._socket is not None or self.config.token is None:
            return
        self._push_listener = on_push
        serial = self.config.serial
        endpoint = HttpEndpoint(self.config.host, self.config.tls_port or V2_PORT, scheme="wss")
        self._socket = HomeWizardSocket(
            self._v2_session,
            endpoint.url("/api/ws"),
            self.config.token,
            self._on_topic,
            tls=self._v2_tls(),
            server_hostname=f"appliance/p1dongle/{serial}" if serial else None,
        )
        self._socket.start(on_link or (lambda _link: None))

    def _on_topic(self, topic: str, data: Mapping[str, Any]) -> None:
        if topic == "system":
            self._wifi_rssi = number(data.get("wifi_rssi_db"))
            return
        self._measurement = data
        self.announce_push()

    def decode_pushed(self) -> Snapshot | None:
        """The measurement the WebSocket pushed last."""
        if self._measurement is None:
            return None
        try:
            return parse_measurement(self._measurement, self._wifi_rssi)
        except InvalidResponse as err:
            if self._log_limit.allow("measurement"):
                _LOGGER.info("Ignoring a measurement pushed by %s: %s", self.config.host, err)
            return None

    async def close(self) -> None:
        """Close the WebSocket and every connection to the meter, before returning."""
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        if self._v2_connections is not None:
            await self._v2_connections.close()
            self._v2_connections = None
        self._v2 = None

    def _v2_session(self) -> aiohttp.ClientSession:
        """The meter's own connections (HTTPS and its WebSocket), made on first use.

        Its TLS trusts only HomeWizard's CA and checks this meter's name, so no other device shares its
        pooled connections; a session of its own lets close() end them all (in the shared session they
        lingered until their keep-alive ran out, after every reload).
        """
        if self._v2_connections is None or self._v2_connections.closed:
            self._v2_connections = aiohttp.ClientSession()
        return self._v2_connections

    @property
    def uses_v2(self) -> bool:
        """Whether this entry talks to the meter over API v2."""
        return bool(self.config.token)

    async def identify(self) -> DeviceIdentity:
        """v2 with the token; without one, a meter that speaks v2 must be paired first; else v1."""
        if self.uses_v2:
            return parse_identity(await self._v2_request("GET", "/api"), "/api")
        # Only when adding a meter: an entry made for v1 stays on v1 until the user pairs it.
        if self.config.serial is None and await self._speaks_v2():
            raise AuthenticationRequired(f"the P1 meter at {self.config.host} speaks API v2: pair it")
        return parse_identity(await self._v1.get_object("/api"), "/api")

    async def fetch(self) -> Snapshot:
        """One request a poll (v2 adds /api/system once every SYSTEM_EVERY polls, for Wi-Fi)."""
        try:
            return await self._fetch()
        except EndpointMissing as err:
            # Firmware 6.00 brought API v2 to the P1 meter; older firmware also lacks parts of v1.
            raise FirmwareTooOld(f"the meter's firmware lacks its data endpoint ({err}): update it") from err

    async def _fetch(self) -> Snapshot:
        if (pushed := self.latest()) is not None:
            return pushed
        if not self.uses_v2:
            return parse_data(await self._v1.get_object("/api/v1/data"))
        measurement = _require_object(await self._v2_request("GET", "/api/measurement"), "/api/measurement")
        if self._polls % SYSTEM_EVERY == 0:
            self._wifi_rssi = await self._read_wifi_rssi()
        self._polls += 1
        return parse_measurement(measurement, self._wifi_rssi)

    async def _read_wifi_rssi(self) -> float | None:
        """Wi-Fi strength from /api/system; a firmware without it (HTTP 404) just has none."""
        try:
            system = _require_object(await self._v2_request("GET", "/api/system"), "/api/system")
        except EndpointMissing:
            return None
        return number(system.get("wifi_rssi_db"))

    async def pair(self) -> Mapping[str, str] | None:
        """Ask for a token; None until the button on the meter has been pressed."""
        try:
            body = await self._v2_request("POST", "/api/user", {"name": PAIRING_NAME}, authorized=False)
        except ApiDisabled:
            return None  # 403 user:creation-not-enabled: the button has not been pressed (yet)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise InvalidResponse("POST /api/user answered without a token")
        return {"token": token}

    def diagnostics(self) -> dict[str, Any]:
        """API version and requests sent (never the token)."""
        requests = self._v1.requests + (self._v2.requests if self._v2 else 0)
        pushed = None if self._socket is None else self._socket.diagnostics()
        return {"api": 2 if self.uses_v2 else 1, "http_requests": requests, "websocket": pushed}

    async def _speaks_v2(self) -> bool:
        try:
            await self._v2_request("GET", "/api", authorized=False)
        except AuthenticationFailed:
            return True
        except (CannotConnect, InvalidResponse):
            return False
        return False

    async def _v2_request(
        self, method: str, path: str, payload: Any = None, *, authorized: bool = True
    ) -> Any:
        if not authorized:
            return await self._v2_transport(token=None).request_json(method, path, payload)
        if self._v2 is None:
            self._v2 = self._v2_transport(token=self.config.token)
        return await self._v2.request_json(method, path, payload)

    def _v2_transport(self, token: str | None) -> HttpTransport:
        endpoint = HttpEndpoint(self.config.host, self.config.tls_port or V2_PORT, scheme="https")
        serial = self.config.serial
        headers = {"X-Api-Version": "2"} | ({"Authorization": f"Bearer {token}"} if token else {})
        return HttpTransport(
            self._v2_session(),
            endpoint,
            tls=self._v2_tls(),
            server_hostname=f"appliance/p1dongle/{serial}" if serial else None,
            headers=headers,
        )

    def _v2_tls(self) -> ssl.SSLContext:
        """Trust only HomeWizard's CA; check the meter's name once its serial is known."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=self.ca_pem)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.hostname_checks_common_name = True
        context.check_hostname = self.config.serial is not None
        return context


@total("HomeWizard /api")
def parse_identity(body: object, path: str = "/api") -> DeviceIdentity:
    """The identity in an /api answer (v1 and v2 alike)."""
    info = _require_object(body, path)
    product_type = str(info.get("product_type", ""))
    if product_type not in SUPPORTED_PRODUCTS:
        raise UnsupportedModel(f"HomeWizard product {product_type!r} is not a P1 meter")
    serial = info.get("serial")
    if not isinstance(serial, str) or not serial:
        raise InvalidResponse(f"{path} has no serial")
    return DeviceIdentity(
        vendor=VENDOR,
        model=str(info.get("product_name") or SUPPORTED_PRODUCTS[product_type]),
        serial=serial.lower(),
        firmware=_optional_str(info.get("firmware_version")),
        mac=serial.lower(),
    )


_V2_NUMBERS: Mapping[str, Key] = {
    "power_w": Key.POWER,
    "power_l1_w": Key.POWER_L1,
    "power_l2_w": Key.POWER_L2,
    "power_l3_w": Key.POWER_L3,
    "average_power_15m_w": Key.POWER_AVERAGE_15M,
    "voltage_v": Key.VOLTAGE,
    "voltage_l1_v": Key.VOLTAGE_L1,
    "voltage_l2_v": Key.VOLTAGE_L2,
    "voltage_l3_v": Key.VOLTAGE_L3,
    "current_a": Key.CURRENT,
    "current_l1_a": Key.CURRENT_L1,
    "current_l2_a": Key.CURRENT_L2,
    "current_l3_a": Key.CURRENT_L3,
    "frequency_hz": Key.FREQUENCY,
    "energy_import_kwh": Key.ENERGY_IMPORT,
    "energy_import_t1_kwh": Key.ENERGY_IMPORT_T1,
    "energy_import_t2_kwh": Key.ENERGY_IMPORT_T2,
    "energy_import_t3_kwh": Key.ENERGY_IMPORT_T3,
    "energy_import_t4_kwh": Key.ENERGY_IMPORT_T4,
    "energy_export_kwh": Key.ENERGY_EXPORT,
    "energy_export_t1_kwh": Key.ENERGY_EXPORT_T1,
    "energy_export_t2_kwh": Key.ENERGY_EXPORT_T2,
    "energy_export_t3_kwh": Key.ENERGY_EXPORT_T3,
    "energy_export_t4_kwh": Key.ENERGY_EXPORT_T4,
}


@total("HomeWizard /api/measurement")
def parse_measurement(data: Mapping[str, Any], wifi_rssi: float | None = None) -> Snapshot:
    """Turn a v2 /api/measurement body into a snapshot (same channels as v1)."""
    values: dict[Key, Value] = {
        key: value for field, key in _V2_NUMBERS.items() if (value := number(data.get(field))) is not None
    }
    tariff = data.get("tariff")
    if isinstance(tariff, int) and 1 <= tariff <= 4:
        values[Key.ACTIVE_TARIFF] = tariff
    if wifi_rssi is not None:
        values[Key.WIFI_RSSI] = wifi_rssi
    channels = {
        MAIN_CHANNEL: Channel(
            kind=ChannelKind.DEVICE, values=values, model=_optional_str(data.get("meter_model"))
        )
    }
    if (gas := _gas_channel(data)) is not None:
        channels[GAS_CHANNEL] = gas
    return Snapshot(channels=channels)


@total("HomeWizard /api/v1/data")
def parse_data(data: Mapping[str, Any]) -> Snapshot:
    """Turn an /api/v1/data body into a snapshot: the meter, plus its gas meter when one reports."""
    values: dict[Key, Value] = {
        key: value for field, key in _NUMBERS.items() if (value := number(data.get(field))) is not None
    }
    for total_field, tariff_fields, key in _TARIFF_TOTALS:
        total = number(data.get(total_field))
        if total is None:
            tariffs = [n for f in tariff_fields if (n := number(data.get(f))) is not None]
            total = round(sum(tariffs), 3) if tariffs else None
        if total is not None:
            values[key] = total
    tariff = data.get("active_tariff")
    if isinstance(tariff, int) and 1 <= tariff <= 4:
        values[Key.ACTIVE_TARIFF] = tariff
    channels = {
        MAIN_CHANNEL: Channel(
            kind=ChannelKind.DEVICE, values=values, model=_optional_str(data.get("meter_model"))
        )
    }
    if (gas := _gas_channel(data)) is not None:
        channels[GAS_CHANNEL] = gas
    return Snapshot(channels=channels)


def _gas_channel(data: Mapping[str, Any]) -> Channel | None:
    external = data.get("external")
    if isinstance(external, list):
        for meter in external:
            if isinstance(meter, dict) and meter.get("type") == "gas_meter":
                value = number(meter.get("value"))
                if value is not None and meter.get("unit", "m3") == "m3":
                    return _gas(value, meter.get("unique_id"))
    value = number(data.get("total_gas_m3"))
    if value is None:
        return None
    return _gas(value, data.get("gas_unique_id", data.get("unique_gas_id")))


def _gas(value: float, unique_id: object) -> Channel:
    return Channel(
        kind=ChannelKind.METER,
        values={Key.GAS: value},
        model="Gas meter",
        serial=decode_hex_id(unique_id),
        name="Gas meter",
    )


def decode_hex_id(raw: object) -> str | None:
    """Meter ids are hex-encoded ASCII; return the readable text, or the raw id when it is not."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        decoded = bytes.fromhex(raw).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return raw
    return decoded if decoded.isprintable() else raw


def _optional_str(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def _require_object(body: object, path: str) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise InvalidResponse(f"{path} answered {type(body).__name__}, not a JSON object")
    return body


FAMILY = Family(
    id="homewizard",
    name="HomeWizard",
    client=HomeWizardClient,
    transport=Transport.HTTP,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=1.0, minimum_interval=1.0, polls_when_silent=True),
    settings=Settings,
    pairing=True,
    zeroconf=(
        Announcement("_hwenergy._tcp.local.", core="homewizard"),
        Announcement("_homewizard._tcp.local.", tls=True, core="homewizard"),
    ),
)
