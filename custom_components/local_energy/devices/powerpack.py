"""PowerPack battery storage over Modbus TCP (register numbers are PDU addresses, as the raw frames show).

The vendor documents five registers and little about them: status (2000), target power (2008, kW, int16,
positive = charge), command source (2010), state of energy (2026, %) and available inverter blocks (2028).
Positive = charge is already our sign (power > 0 is power the site draws), so no value changes sign here.
Reads are retried with linear back-off (1 s, 2 s, as the vendor describes); the back-off sleeps outside the
connection's lock, so other devices on the same connection are not held up. The value of "ready" is not
documented: STATUS_READY is our assumption and the README says so.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any

from .client import ModbusDeviceClient, Transports
from .connection import ConnectionConfig, Settings
from .errors import CannotConnect, CommandRejected
from .family import (
    BatteryActuator,
    Family,
    Field,
    Timing,
    Transport,
    number_setting,
)
from .keys import Key
from .modbus import DataType, ModbusExceptionResponse, Registers, encode
from .payload import total
from .snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    Control,
    ControlKind,
    DeviceIdentity,
    Snapshot,
    Value,
)

_LOGGER = logging.getLogger(__name__)

VENDOR = "PowerPack"
MODEL = "PowerPack BESS"
DEFAULT_PORT = 502
DEFAULT_UNIT_ID = 1

REG_STATUS = 2000
REG_TARGET_POWER = 2008
REG_COMMAND_SOURCE = 2010
REG_STATE_OF_ENERGY = 2026
REG_AVAILABLE_BLOCKS = 2028
BLOCK = (REG_STATUS, REG_AVAILABLE_BLOCKS - REG_STATUS + 1)
STATUS_READY = 1
COMMAND_SOURCES = tuple(str(mode) for mode in range(8))
"""Raw control-mode ids: the vendor names none of them."""

READ_ATTEMPTS = 3
BACKOFF_SECONDS = 1.0
_TRANSIENT_CODES = {4, 5, 6}  # device failure, acknowledge, busy: worth asking again


@dataclass(frozen=True, slots=True)
class PowerPackSettings(Settings):
    """What the user tells about a PowerPack that it cannot tell itself."""

    rated_power: float = number_setting(100, 1, 10000, "kW")
    """The largest charge or discharge power: the target power's bounds."""


class PowerPackClient(ModbusDeviceClient):
    """One PowerPack; the user gives its serial (none is readable) and rated power."""

    settings: PowerPackSettings

    def __init__(
        self, config: ConnectionConfig, transports: Transports, settings: PowerPackSettings | None = None
    ) -> None:
        super().__init__(config, transports)
        self.settings = settings or PowerPackSettings()
        self.retries = 0

    @property
    def rated_power_w(self) -> float:
        """The largest charge or discharge power the user allows, in W."""
        return self.settings.rated_power * 1000

    async def identify(self) -> DeviceIdentity:
        """A device that answers the register block is taken for a PowerPack."""
        await self._read()
        return DeviceIdentity(vendor=VENDOR, model=MODEL, serial=self.config.serial or f"unit{self._unit}")

    async def fetch(self) -> Snapshot:
        """One read of the block, retried with back-off."""
        return parse_block(await self._read(), self.rated_power_w)

    async def apply(self, channel_id: str, key: Key, value: Value) -> None:
        """Set the target power (W, in whole kW, when ready) or the command source (bounds: the guard's)."""
        if channel_id != MAIN_CHANNEL or key not in (Key.TARGET_POWER, Key.COMMAND_SOURCE):
            raise CommandRejected(f"{key} cannot be written on a PowerPack")
        if key is Key.COMMAND_SOURCE:
            await self._connection.write_registers(self._unit, REG_COMMAND_SOURCE, [int(str(value))])
            return
        kilowatts = self._kilowatts(float(value))
        status = int((await self._connection.read_holding(self._unit, REG_STATUS, 1)).words[0])
        if status != STATUS_READY:
            raise CommandRejected(
                f"the PowerPack is not ready (status {status})",
                reason="not_ready",
                placeholders={"status": str(status)},
            )
        await self._connection.write_registers(
            self._unit, REG_TARGET_POWER, encode(kilowatts, DataType.INT16)
        )

    def diagnostics(self) -> dict[str, Any]:
        """Requests and retries."""
        return {"modbus_requests": self._connection.requests, "read_retries": self.retries}

    @staticmethod
    def _kilowatts(watts: float) -> int:
        """Whole kW toward zero: never past the request (the guard kept it within the rating)."""
        return math.trunc(watts / 1000)

    async def _read(self) -> Registers:
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                return Registers((await self._connection.read_holding(self._unit, *BLOCK),))
            except (CannotConnect, ModbusExceptionResponse) as err:
                transient = isinstance(err, CannotConnect) or err.code in _TRANSIENT_CODES
                if not transient or attempt == READ_ATTEMPTS:
                    raise
                self.retries += 1
                _LOGGER.debug("PowerPack read failed (%s); retrying in %g s", err, BACKOFF_SECONDS * attempt)
                await asyncio.sleep(BACKOFF_SECONDS * attempt)
        raise AssertionError("unreachable")  # pragma: no cover


@total("PowerPack registers")
def parse_block(registers: Registers, rated_power_w: float) -> Snapshot:
    """Turn the register block into a snapshot; the target power is bounded by the rated power."""
    values: dict[Key, Value] = {
        Key.SYSTEM_STATUS: int(registers.read(REG_STATUS, DataType.UINT16)),
        Key.TARGET_POWER: int(registers.read(REG_TARGET_POWER, DataType.INT16)) * 1000.0,
        Key.COMMAND_SOURCE: str(int(registers.read(REG_COMMAND_SOURCE, DataType.UINT16))),
        Key.STATE_OF_ENERGY: int(registers.read(REG_STATE_OF_ENERGY, DataType.UINT16)),
        Key.AVAILABLE_BLOCKS: int(registers.read(REG_AVAILABLE_BLOCKS, DataType.UINT16)),
    }
    controls = (
        Control(
            Key.TARGET_POWER, ControlKind.NUMBER, minimum=-rated_power_w, maximum=rated_power_w, step=1000
        ),
        Control(Key.COMMAND_SOURCE, ControlKind.SELECT, options=COMMAND_SOURCES),
    )
    return Snapshot({MAIN_CHANNEL: Channel(ChannelKind.DEVICE, values, controls=controls)})


FAMILY = Family(
    id="powerpack",
    name="PowerPack",
    client=PowerPackClient,
    transport=Transport.MODBUS,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=2.0, minimum_interval=1.0),
    settings=PowerPackSettings,
    fields=(Field.PORT, Field.FRAMING, Field.UNIT_ID, Field.SERIAL),
    default_unit_id=DEFAULT_UNIT_ID,
    controls=(Key.TARGET_POWER, Key.COMMAND_SOURCE),
    # It reports no power of its own, answers within a second (its manual), and is set in 1 kW steps.
    battery=BatteryActuator(Key.TARGET_POWER, power=None, response_delay=1.0, minimum_interval=1.0),
)
