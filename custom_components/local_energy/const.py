"""Constants of the Local Energy integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "local_energy"
LOGGER = logging.getLogger(__package__)

CONF_FAMILY: Final = "family"
CONF_UNIT_ID: Final = "unit_id"
CONF_SERIAL: Final = "serial"
CONF_COMMAND_PORT: Final = "command_port"
CONF_TLS_PORT: Final = "tls_port"
CONF_PUSH_PORT: Final = "push_port"
CONF_FRAMING: Final = "framing"
CONF_BAUDRATE: Final = "baudrate"
CONF_PARITY: Final = "parity"
CONF_BYTESIZE: Final = "bytesize"
CONF_STOPBITS: Final = "stopbits"
CONF_UPDATE_INTERVAL: Final = "update_interval"
CONF_INVERT: Final = "invert"
CONF_EVERY_VALUE_FAST: Final = "every_value_fast"
CONF_COUNTER_OFFSETS: Final = "counter_offsets"
"""kWh added to counters whose source changed with the invert option, so that they continue seamlessly."""
CONF_INVERTED_BEFORE: Final = "inverted_before"
"""The invert setting the counters last showed under, while the offsets for a change are still to be made.

They are made from the device's first reading after the change, so a change made while the device is away
(the entry not loaded) keeps the counters continuous too.
"""

CONTROLLER: Final = "controller"
"""The family value of a controller entry (a control loop, not a device)."""
CONF_GRID_SENSOR: Final = "grid_sensor"
CONF_INVERT_GRID: Final = "invert_grid"
CONF_BATTERIES: Final = "batteries"
CONF_CHARGER: Final = "charger"
CONF_TARGET: Final = "target"
CONF_DEADBAND: Final = "deadband"
CONF_MINIMUM_SOC: Final = "minimum_soc"
CONF_MAXIMUM_SOC: Final = "maximum_soc"
CONF_MAXIMUM_CHARGE: Final = "maximum_charge"
CONF_MAXIMUM_DISCHARGE: Final = "maximum_discharge"
CONF_FALLBACK_CURRENT: Final = "fallback_current"
CONF_SERVED_METERS: Final = "served_meters"
"""Served meters whose batteries the controller steers by a bias on what they read."""

EMULATED_METER: Final = "emulated_meter"
"""The family value of a served meter's entry (Home Assistant's grid power served as a meter)."""
CONF_POWER_SENSOR: Final = "power_sensor"
CONF_PHASE_SENSORS: Final = "phase_sensors"
CONF_ENERGY_IN_SENSOR: Final = "energy_in_sensor"
CONF_ENERGY_OUT_SENSOR: Final = "energy_out_sensor"
CONF_EXPORT_POSITIVE: Final = "export_positive"
CONF_OFFSET: Final = "offset"
CONF_FACTOR: Final = "factor"
CONF_STALE_AFTER: Final = "stale_after"
CONF_LISTEN_HOST: Final = "listen_host"
CONF_MAC: Final = "mac"
CONF_CLIENT_SHARES: Final = "client_shares"
