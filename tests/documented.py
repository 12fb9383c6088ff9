"""Payloads as the vendors document them, and as others recorded them from real devices, verbatim.

Each is quoted in the research notes with its source. Our simulators agree with our parsers by
construction; these do not, so the parsers (tests/devices) and the entity tables (tests/test_entities.py)
are checked against them too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORE_FIXTURES = Path(__file__).parent / "fixtures" / "core"


def core_dump(name: str) -> Any:
    """One of Home Assistant core's device dumps (see tests/fixtures/core/README.md)."""
    return json.loads((CORE_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


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

SHELLY_PLUS_PLUG_S_WIFI: dict[str, Any] = {
    "rssi": -53, "ssid": "Wifi-Network-Name", "sta_ip": "192.168.1.85", "status": "got ip",
}  # fmt: skip
"""The same fixture, status["wifi"]."""

SHELLY_PLUG_S_GEN1_STATUS: dict[str, Any] = {
    "meters": [
        {"counters": [0.0, 0.0, 0.0], "is_valid": True, "overpower": 0.0, "power": 0.0,
         "timestamp": 1707335841, "total": 2632},
    ],
    "relays": [
        {"has_timer": False, "ison": False, "overpower": False, "source": "http", "timer_duration": 0,
         "timer_remaining": 0, "timer_started": 0},
    ],
    "temperature": 24.14, "overtemperature": False, "tmp": {"is_valid": True, "tC": 24.14, "tF": 75.45},
    "wifi_sta": {"connected": True, "ip": "192.168.1.91", "rssi": -76, "ssid": "Wifi-Network-Name"},
    "mac": "AABBCCDDEEFF", "uptime": 2589909,
}  # fmt: skip
"""aioshelly's Plug S (Gen1) fixture, /status (the part its parser reads: no update or cloud section)."""

SHELLY_EM_GEN1_STATUS: dict[str, Any] = json.loads(
    '{"wifi_sta":{"connected":true,"ssid":"XXXX","ip":"192.168.178.XXX","rssi":-55},"cloud":{"enabled":false,'
    '"connected":false},"mqtt":{"connected":false},"time":"11:16","unixtime":1676110566,"serial":21580,'
    '"has_update":false,"mac":"C45BXXXXX","cfg_changed_cnt":0,"actions_stats":{"skipped":0},"relays":[{"ison":'
    'false,"has_timer":false,"timer_started":0,"timer_duration":0,"timer_remaining":0,"overpower":false,'
    '"is_valid":true,"source":"input"}],"emeters":[{"power":-620.34,"reactive":714.48,"pf":-0.66,"voltage":'
    '235.68,"is_valid":true,"total":401472.9,"total_returned":653673.7},{"power":0.00,"reactive":0.00,"pf":'
    '0.00,"voltage":235.68,"is_valid":true,"total":173411.3,"total_returned":294.2}],"update":{"status":"idle",'
    '"has_update":false,"new_version":"20221027-105518/v1.12.1-ga9117d3","old_version":"20221027-105518/'
    'v1.12.1-ga9117d3"},"ram_total":51072,"ram_free":35660,"fs_size":233681,"fs_free":156373,"uptime":2226140}'
)
"""A Shelly EM (Gen1) /status, evcc's meter/shelly/gen1_test.go (redacted as published)."""

SHELLY_3EM_GEN1_STATUS: dict[str, Any] = json.loads(
    '{"wifi_sta":{"connected":true,"ssid":"name","ip":"xxx. xxx. xxx. xxx ","rssi":3},'
    '"cloud":{"enabled":false,"connected":false},"mqtt":{"connected":true},"time":"01:44","serial":1,'
    '"has_update":false,"mac":" xxx",'
    '"relays":[{"ison":false,"has_timer":false,"overpower":false,"is_valid":true}],"emeters":[{"power":3269.48,'
    '"pf":1.00,"current":14.35,"voltage":227.90,"is_valid":true,"total":7589.6,"total_returned":17706.2},'
    '{"power":147.60,"pf":0.56,"current":1.12,"voltage":234.34,"is_valid":true,"total":469.4,"total_returned":'
    '3188.7},{"power":193.11,"pf":0.74,"current":1.12,"voltage":231.52,"is_valid":true,"total":435.7,'
    '"total_returned":943.7}],"fs_mounted":true,"update":{"status":"idle","has_update":false,"new_version":'
    '"20200205-183800/master@fa9ba943","old_version":"20200205-183800/master@fa9ba943"},"ram_total":48704,'
    '"ram_free":31096,"fs_size":233681,"fs_free":162146,"uptime":930}'
)
"""A real Shelly 3EM (Gen1) /status as its user posted it (ShellyForHASS issue #191): an rssi of 3."""

SHELLY_PRO_EM_STATUS: dict[str, Any] = {
    "ble": {},
    "cloud": {"connected": False},
    "em1:0": {"id": 0, "current": 0.020, "voltage": 224.6, "act_power": 0.0, "aprt_power": 4.6, "pf": 0.00,
              "freq": 50.0, "calibration": "factory"},
    "em1:1": {"id": 1, "current": 22.780, "voltage": 224.6, "act_power": 5080.3, "aprt_power": 5142.4,
              "pf": 0.99, "freq": 50.0, "calibration": "factory"},
    "em1data:0": {"id": 0, "total_act_energy": 0.00, "total_act_ret_energy": 0.00},
    "em1data:1": {"id": 1, "total_act_energy": 6644.90, "total_act_ret_energy": 2595.26},
    "eth": {"ip": None},
    "modbus": {},
    "mqtt": {"connected": True},
    "switch:0": {"id": 0, "source": "HTTP_in", "output": True, "temperature": {"tC": 29.4, "tF": 85.0}},
    "sys": {"mac": "08F9E0E67204", "restart_required": False, "time": "18:16", "unixtime": 1707930973,
            "uptime": 28980, "ram_size": 241940, "ram_free": 117332, "fs_size": 524288, "fs_free": 208896,
            "cfg_rev": 20, "kvs_rev": 0, "schedule_rev": 0, "webhook_rev": 0,
            "available_updates": {"stable": {"version": "1.2.0"}}, "reset_reason": 3},
    "wifi": {"sta_ip": "192.168.8.9", "status": "got ip", "ssid": "K1", "rssi": -60},
    "ws": {"connected": False},
}  # fmt: skip
"""A real Shelly Pro EM-50 Shelly.GetStatus (evcc discussion #12385): its switch has no power fields."""

SHELLY_PLUG_S_GEN3_SWITCH: dict[str, Any] = json.loads(
    '{"id":0,"source":"init","output":true,"apower":399.2,"voltage":240.8,"current":1.886,"aenergy":{"total":'
    '2574466.629,"by_minute":[7200.069,6121.044,5088.795],"minute_ts":1786033200},"temperature":{"tC":46.3,'
    '"tF":115.4}}'
)
"""A Plug S Gen3 used as a PV meter, status["switch:0"] (evcc gen2_test.go): no ret_aenergy."""

IGEN_P1_CAPTURE: dict[str, Any] = {
    "id": 3398,
    "ts": 1750303145,
    "type": 4,
    "data": {
        "SN": "1SAG1100074120",
        "device_version": "50213",
        "device_type": 3,
        "total_act_energy_LT": 139.68,
        "total_act_energy_NT": 167.63,
        "total_act_ret_energy_LT": 2.73,
        "total_act_ret_energy_NT": 1.10,
        "a_current": 0,
        "b_current": 0,
        "c_current": 0,
        "a_voltage": 233.10,
        "b_voltage": 0,
        "c_voltage": 0,
        "total_act_power": 0,
        "total_act_ret_power": 0,
        "a_act_power": 0,
        "b_act_power": 0,
        "c_act_power": 0,
        "a_act_ret_power": 0,
        "b_act_ret_power": 0,
        "c_act_ret_power": 0,
        "total_gas": 0,
    },
}
"""The JSON of IGEN's captured P1 broadcast (packet 3398, igen-docs OpenData.md screenshot), verbatim."""

IGEN_IR_READER: dict[str, Any] = {
    "SN": "3320730586", "SN2": "56197869", "Total Active Power": -30, "L3 Phase Voltage": 230.50,
    "L3 Phase Current": 0.17, "Reactive Power": -20, "L3 Phase Power": -30,
    "Full-Time Cumulative Grid-Connected Electric Energy": 9.55,
    "Accumulated Purchase Of Electric Energy In Full Time.": 56.21, "Installation Direction": "Vertical",
}  # fmt: skip
"""The OpenData document's Meter.JsonData of an IR reader exporting 30 W on L3."""
