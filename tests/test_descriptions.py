"""The catalogue covers every measurement key, with a translated name and a unit Home Assistant knows."""

from __future__ import annotations

import json
from pathlib import Path

from custom_components.local_energy.descriptions import SENSORS
from custom_components.local_energy.devices.keys import CONTROL_KEYS, Key

STRINGS = json.loads(
    (Path(__file__).parents[1] / "custom_components" / "local_energy" / "strings.json").read_text(
        encoding="utf-8"
    )
)


def test_every_key_is_a_sensor_or_a_control() -> None:
    assert set(SENSORS) | CONTROL_KEYS == set(Key)


def test_every_sensor_has_a_translated_name() -> None:
    names = STRINGS["entity"]["sensor"]
    missing = sorted({str(d.translation_key) for d in SENSORS.values()} - set(names))
    assert missing == []


def test_placeholders_fill_the_names() -> None:
    description = SENSORS[Key.ENERGY_EXPORT_L3]
    assert description.translation_key == "energy_export_phase"
    assert description.translation_placeholders == {"phase": "3"}
    assert (
        STRINGS["entity"]["sensor"]["energy_export_phase"]["name"].format(phase=3) == "Energy export phase 3"
    )
    assert SENSORS[Key.VOLTAGE_L2_L3].translation_placeholders == {"phases": "L2-L3"}
    assert SENSORS[Key.ENERGY_IMPORT_T2].translation_placeholders == {"tariff": "2"}
