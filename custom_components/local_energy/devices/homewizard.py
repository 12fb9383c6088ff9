"""HomeWizard P1 meter (HWE-P1) over the local API v1: GET /api for identity, GET /api/v1/data per poll."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .client import DeviceClient
from .http import HttpEndpoint, HttpTransport
from .model import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    DeviceIdentity,
    InvalidResponse,
    Key,
    Snapshot,
    Timing,
    UnsupportedModel,
    Value,
)

_LOGGER = logging.getLogger(__name__)

VENDOR = "HomeWizard"
DEFAULT_PORT = 80
SUPPORTED_PRODUCTS = {"HWE-P1": "P1 Meter"}
GAS_CHANNEL = "gas"

_NUMBERS: Mapping[str, Key] = {
    "active_power_w": Key.POWER,
    "active_power_l1_w": Key.POWER_L1,
    "active_power_l2_w": Key.POWER_L2,
    "active_power_l3_w": Key.POWER_L3,
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
    """A P1 meter answering API v1 over plain HTTP."""

    timing = Timing(default_interval=1.0, minimum_interval=0.5)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._http = HttpTransport(self.transports.http, HttpEndpoint(self.config.host, self.config.port))

    async def identify(self) -> DeviceIdentity:
        """Read /api; only P1 meters are accepted."""
        info = _require_object(await self._http.get_json("/api"), "/api")
        product_type = str(info.get("product_type", ""))
        if product_type not in SUPPORTED_PRODUCTS:
            raise UnsupportedModel(f"HomeWizard product {product_type!r} is not a P1 meter")
        serial = info.get("serial")
        if not isinstance(serial, str) or not serial:
            raise InvalidResponse("/api has no serial")
        return DeviceIdentity(
            vendor=VENDOR,
            model=str(info.get("product_name") or SUPPORTED_PRODUCTS[product_type]),
            serial=serial.lower(),
            firmware=_optional_str(info.get("firmware_version")),
            mac=serial.lower(),
        )

    async def fetch(self) -> Snapshot:
        """Read /api/v1/data, one request."""
        return parse_data(_require_object(await self._http.get_json("/api/v1/data"), "/api/v1/data"))

    def diagnostics(self) -> dict[str, Any]:
        """Count of HTTP requests sent."""
        return {"http_requests": self._http.requests}


def parse_data(data: Mapping[str, Any]) -> Snapshot:
    """Turn an /api/v1/data body into a snapshot: the meter, plus its gas meter when one reports."""
    values: dict[Key, Value] = {
        key: number for field, key in _NUMBERS.items() if (number := _number(data.get(field))) is not None
    }
    for total_field, tariff_fields, key in _TARIFF_TOTALS:
        total = _number(data.get(total_field))
        if total is None:
            tariffs = [n for f in tariff_fields if (n := _number(data.get(f))) is not None]
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
                value = _number(meter.get("value"))
                if value is not None and meter.get("unit", "m3") == "m3":
                    return _gas(value, meter.get("unique_id"))
    value = _number(data.get("total_gas_m3"))
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


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    return float(raw)


def _optional_str(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def _require_object(body: object, path: str) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise InvalidResponse(f"{path} answered {type(body).__name__}, not a JSON object")
    return body
