"""Payloads as the vendors document them, and as others recorded them from real devices, verbatim.

Each is quoted in the research notes with its source. Our simulators agree with our parsers by
construction; these do not, so the parsers (tests/devices) and the entity tables (tests/test_entities.py)
are checked against them too.
"""

from __future__ import annotations

from typing import Any

ECOTRACKER_OFFICIAL: dict[str, Any] = {
    "power": 125, "powerAvg": 100, "powerPhase1": 50, "powerPhase2": 50, "powerPhase3": 25,
    "energyCounterIn": 145000, "energyCounterInT1": 100000, "energyCounterInT2": 45000,
    "energyCounterOut": 4500,
}  # fmt: skip
"""everHome's developer page, GET /v1/json (energy counters in Wh)."""

ECOTRACKER_CORE: dict[str, Any] = {
    "power": 594.54, "powerPhase1": 360.57, "powerPhase2": 101.54, "powerPhase3": 132.42, "powerAvg": 606,
    "energyCounterIn": 77498562.3864, "rssi": -71, "serial": "abcdef123456", "firmwareVersion": "1.0.0",
}  # fmt: skip
"""Home Assistant core's everhome fixture data.json: a device without an export counter."""

STROMLESER_OFFICIAL: dict[str, Any] = {
    "device_id": "STROM_ONE_7211674295", "timestamp": "1761908828",
    "1.8.0": "22641332.800 Wh", "1.8.1": "22641332.800 Wh", "1.8.2": "0.000 Wh",
    "2.8.0": "37307808.400 Wh", "2.8.1": "37307808.400 Wh", "2.8.2": "0.000 Wh",
    "16.7.0": "3.000 W", "36.7.0": "0.000 W", "56.7.0": "0.000 W", "76.7.0": "3.000 W", "RSSI": "-54dBm",
}  # fmt: skip
"""docs.energieleser.de, the stromleser.one local API, GET /v1/data."""

STROMLESER_VENDOR_FIXTURES: tuple[dict[str, Any], ...] = (
    {
        "device_id": "STROM_ONE_8529546829", "timestamp": "1776178480", "1.8.0": "12345.000 Wh",
        "2.8.0": "26561.000 Wh", "16.7.0": "8.160 W", "36.7.0": "0.000 W", "56.7.0": "0.000 W",
        "76.7.0": "8.160 W", "rssi_Percentage": "98 %", "rssi": "-51",
    },
    {
        "device_id": "STROM_ONE_2429489063", "timestamp": "1779205315", "1.8.0": "45.167 kWh",
        "1.8.1": "45.167 kWh", "2.8.0": "19929.796 kWh", "2.8.1": "19929.796 kWh", "16.7.0": "5 W",
        "rssi_Percentage": "100 %", "rssi": "-42",
    },
)  # fmt: skip
"""nineti's own client library's fixtures (stromleser.json, stromleser_single_phase.json): real devices
answer rssi in lower case, without a unit, and kWh on single-phase firmware."""

SHELLY_PLUS_PLUG_S_INFO: dict[str, Any] = {
    "app": "PlusPlugS", "auth_domain": None, "auth_en": False, "fw_id": "20231219-134003/1.1.0-g34b5d4f",
    "gen": 2, "id": "shellyplusplugs-aabbccddeeff", "mac": "AABBCCDDEEFF", "model": "SNPL-00112EU",
    "name": "Test Name", "slot": 0, "ver": "1.1.0",
}  # fmt: skip
"""aioshelly's Plus Plug S fixture, /shelly."""

SHELLY_PLUS_PLUG_S_SWITCH: dict[str, Any] = {
    "aenergy": {"by_minute": [34.786, 45.552, 45.552], "minute_ts": 1707326925, "total": 7258.589},
    "apower": 2.7, "current": 0.121, "id": 0, "output": True, "source": "init",
    "temperature": {"tC": 32.1, "tF": 89.7}, "voltage": 227.9,
}  # fmt: skip
"""aioshelly's Plus Plug S fixture, status["switch:0"]."""
