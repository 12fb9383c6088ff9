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
