"""Iskra meters through a smart gateway (or an Iskra meter with its own TCP interface) over Modbus TCP.

Register numbers are PDU addresses, exactly as Iskra's own library uses them. Identity is input registers
1-14 (model, serial, firmware). WM and IMPACT meters keep their measurements in input registers 100-190 in
Iskra's own number formats, read as one block; MC/MT measuring centres keep floats from 2500. Modbus has no
list of what is behind a gateway, so the user names the meters' addresses. Bicom relays have no public
Modbus map: they are reachable over REST only.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .client import ModbusDeviceClient, Transports
from .connection import ConnectionConfig, Settings
from .errors import CannotConnect, InvalidResponse
from .family import (
    Family,
    Field,
    Timing,
    Transport,
    addresses_setting,
)
from .keys import SWAPPED_ON_INVERT, Key, phases_of
from .modbus import DataType, ModbusExceptionResponse, RegisterBlock, Registers
from .payload import total
from .snapshot import MAIN_CHANNEL, Channel, ChannelKind, DeviceIdentity, Snapshot, Value

VENDOR = "Iskra"
DEFAULT_PORT = 10001
DEFAULT_GATEWAY_ADDRESS = 34
COUNTERS_EVERY = 3


def t5(words: Sequence[int]) -> float:
    """Unsigned: 24-bit mantissa times ten to a signed 8-bit exponent (high word first)."""
    value = (words[0] << 16) | words[1]
    return (value & 0xFFFFFF) * 10.0 ** _int8(value >> 24)


def t6(words: Sequence[int]) -> float:
    """As T5 with a two's complement mantissa."""
    value = (words[0] << 16) | words[1]
    mantissa = value & 0xFFFFFF
    if mantissa & 0x800000:
        mantissa -= 0x1000000
    return mantissa * 10.0 ** _int8(value >> 24)


def t7(words: Sequence[int]) -> float:
    """Power factor: the low word over 10000 (bytes 2 and 3 tell inductive/capacitive and import/export)."""
    return (words[1] & 0xFFFF) / 10000


def _int8(byte: int) -> int:
    return byte - 256 if byte & 0x80 else byte


def _text(words: Sequence[int]) -> str:
    raw = b"".join(word.to_bytes(2, "big") for word in words)
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace").strip()


@dataclass(frozen=True, slots=True)
class Reading:
    """A value at an input register and how to decode it."""

    key: Key
    address: int
    decode: Callable[[Sequence[int]], float]
    width: int = 2


def _hundredths(signed: bool) -> Callable[[Sequence[int]], float]:
    def decode(words: Sequence[int]) -> float:
        word = words[0] - 0x10000 if signed and words[0] & 0x8000 else words[0]
        return word / 100

    return decode


def _float(words: Sequence[int]) -> float:
    return round(float(struct.unpack(">f", struct.pack(">HH", words[0], words[1]))[0]), 3)


def _phases(keys: tuple[Key, Key, Key], start: int, step: int, decode: Callable[[Sequence[int]], float],
            width: int = 2) -> tuple[Reading, ...]:  # fmt: skip
    return tuple(Reading(key, start + step * p, decode, width) for p, key in enumerate(keys))


WM_IMPACT_BLOCK = (100, 91)
WM_IMPACT: tuple[Reading, ...] = (
    Reading(Key.FREQUENCY, 105, t5),
    *_phases(phases_of(Key.VOLTAGE), 107, 2, t5),
    *_phases(phases_of(Key.CURRENT), 126, 2, t5),
    Reading(Key.POWER, 140, t6),
    *_phases(phases_of(Key.POWER), 142, 2, t6),
    Reading(Key.REACTIVE_POWER, 148, t6),
    *_phases(phases_of(Key.REACTIVE_POWER), 150, 2, t6),
    Reading(Key.APPARENT_POWER, 156, t5),
    *_phases(phases_of(Key.APPARENT_POWER), 158, 2, t5),
    Reading(Key.POWER_FACTOR, 164, t7),
    *_phases(phases_of(Key.POWER_FACTOR), 166, 2, t7),
    Reading(Key.POWER_ANGLE, 172, _hundredths(signed=True), 1),
    *_phases(phases_of(Key.POWER_ANGLE), 173, 1, _hundredths(signed=True), 1),
    Reading(Key.TEMPERATURE, 181, _hundredths(signed=True), 1),
    *_phases(phases_of(Key.THD_VOLTAGE), 182, 1, _hundredths(signed=False), 1),
    *_phases(phases_of(Key.THD_CURRENT), 188, 1, _hundredths(signed=False), 1),
)
MC_BLOCK = (2500, 100)
MC: tuple[Reading, ...] = (
    *_phases(phases_of(Key.VOLTAGE), 2500, 2, _float),
    *_phases(phases_of(Key.CURRENT), 2516, 2, _float),
    *_phases(phases_of(Key.POWER), 2530, 2, _float),
    Reading(Key.POWER, 2536, _float),
    *_phases(phases_of(Key.REACTIVE_POWER), 2538, 2, _float),
    Reading(Key.REACTIVE_POWER, 2544, _float),
    *_phases(phases_of(Key.APPARENT_POWER), 2546, 2, _float),
    Reading(Key.APPARENT_POWER, 2552, _float),
    *_phases(phases_of(Key.POWER_FACTOR), 2554, 2, _float),
    Reading(Key.POWER_FACTOR, 2560, _float),
    Reading(Key.FREQUENCY, 2584, _float),
)
_SINGLE_PHASE = ("WM1", "IE14")
_COUNTER_SETTINGS = 421
# Counter kind from the settings: unit bits (1 Wh, 2 varh) and quadrants (import 6/12, export 3/9).
_DIRECTIONS = {6: "import", 12: "import", 3: "export", 9: "export"}
_COUNTER_KEYS: Mapping[tuple[bool, str, int], Key] = {
    (False, "import", 1): Key.ENERGY_IMPORT,
    (False, "export", 1): Key.ENERGY_EXPORT,
    (False, "import", 2): Key.REACTIVE_ENERGY_IMPORT,
    (False, "export", 2): Key.REACTIVE_ENERGY_EXPORT,
    (True, "import", 1): Key.RESETTABLE_ENERGY_IMPORT,
    (True, "export", 1): Key.RESETTABLE_ENERGY_EXPORT,
}
_RESETTABLE_FIRST = {"WM3": 4, "WM1": 4, "MC": 4, "MT": 4, "iMC": 4, "iMT": 4}
"""WM-style meters number their resettable counters first (how many, by model; WM3M4 has none)."""


@total("Iskra registers")
def decode_readings(registers: Registers, readings: tuple[Reading, ...], phases: int) -> dict[Key, Value]:
    """Decode a measurement block, leaving out the phases a single-phase meter does not have."""
    values: dict[Key, Value] = {}
    for reading in readings:
        if phases == 1 and reading.key.endswith(("_l2", "_l3")):
            continue
        block = next(b for b in registers.blocks if b.covers(reading.address, reading.width))
        offset = reading.address - block.start
        values[reading.key] = round(reading.decode(block.words[offset : offset + reading.width]), 4)
    return values


@dataclass
class Member:
    """A meter answering at a Modbus address behind the gateway."""

    address: int
    model: str
    serial: str
    reversed: bool

    @property
    def phases(self) -> int:
        """1 or 3."""
        return 1 if self.model.startswith(_SINGLE_PHASE) else 3

    @property
    def is_measuring_centre(self) -> bool:
        """MC/MT measuring centres keep floats elsewhere."""
        return self.model.startswith(("MC", "MT", "iMC", "iMT"))


@dataclass(frozen=True, slots=True)
class IskraModbusSettings(Settings):
    """The meters behind a gateway, which Modbus cannot list."""

    members: tuple[int, ...] = addresses_setting((33,))


class IskraModbusClient(ModbusDeviceClient):
    """A gateway (its meters named by address) or a single Iskra meter, over one Modbus TCP connection."""

    settings: IskraModbusSettings

    def __init__(
        self, config: ConnectionConfig, transports: Transports, settings: IskraModbusSettings | None = None
    ) -> None:
        super().__init__(config, transports)
        self.settings = settings or IskraModbusSettings()
        self._is_gateway = True
        self._members: dict[int, Member] = {}
        self._counters: dict[int, dict[Key, Value]] = {}
        self._polls = 0

    async def identify(self) -> DeviceIdentity:
        """Input registers 1-14: a gateway (SG...) or, addressed directly, a meter."""
        model, serial, firmware = await self._identity(self._unit)
        self._is_gateway = model.startswith("SG")
        return DeviceIdentity(vendor=VENDOR, model=model, serial=serial, firmware=firmware)

    async def fetch(self) -> Snapshot:
        """Each meter's measurement block every poll, its counters every COUNTERS_EVERY polls."""
        read_counters = self._polls % COUNTERS_EVERY == 0
        self._polls += 1
        addresses = self.settings.members if self._is_gateway else (self._unit,)
        channels: dict[str, Channel] = {MAIN_CHANNEL: Channel(ChannelKind.DEVICE, {})}
        answered = 0
        for address in addresses:
            try:
                member = self._members.get(address) or await self._member(address)
                values = await self._measurements(member)
                if read_counters or address not in self._counters:
                    self._counters[address] = await self._read_counters(member)
            except (ModbusExceptionResponse, InvalidResponse):
                continue  # nothing (or something else) at this address now: its entities go unavailable
            answered += 1
            values |= self._counters[address]
            channel = Channel(ChannelKind.METER, values, model=member.model, serial=member.serial,
                              name=f"{member.model} {member.serial}")  # fmt: skip
            if self._is_gateway:
                channels[member.serial] = channel
            else:
                channels[MAIN_CHANNEL] = Channel(ChannelKind.DEVICE, values)
        if addresses and not answered:
            raise CannotConnect(f"no Iskra meter answered at {self.config.host}:{self.config.port}")
        return Snapshot(channels)

    def diagnostics(self) -> dict[str, Any]:
        """Requests and the meters found."""
        return {
            "modbus_requests": self._connection.requests,
            "gateway": self._is_gateway,
            "members": {a: {"model": m.model, "reversed": m.reversed} for a, m in self._members.items()},
        }

    async def _identity(self, address: int) -> tuple[str, str, str | None]:
        block = await self._connection.read_input(address, 1, 14)
        model, serial = _text(block.words[0:8]), _text(block.words[8:12])
        if not model or not serial:
            raise InvalidResponse(f"unit {address} has no Iskra identity")
        return model, serial, f"{block.words[12] / 100:.2f}"

    async def _member(self, address: int) -> Member:
        model, serial, _ = await self._identity(address)
        reversed_connection = False
        if not model.startswith(("MC", "MT", "iMC", "iMT")):
            flags = await self._connection.read_holding(address, 151, 1)
            reversed_connection = bool(flags.words[0] & 2)
        member = Member(address, model, serial, reversed_connection)
        self._members[address] = member
        return member

    async def _measurements(self, member: Member) -> dict[Key, Value]:
        if member.is_measuring_centre:
            block = await self._connection.read_input(member.address, *MC_BLOCK)
            return decode_readings(Registers((block,)), MC, member.phases)
        block = await self._connection.read_input(member.address, *WM_IMPACT_BLOCK)
        return decode_readings(Registers((block,)), WM_IMPACT, member.phases)

    async def _read_counters(self, member: Member) -> dict[Key, Value]:
        if member.model.startswith("IE"):
            values = await self._impact_counters(member.address)
        else:
            values = await self._wm_counters(member)
        if member.reversed:  # "reverse connection": the meter counts import as export
            values = {SWAPPED_ON_INVERT.get(key, key): value for key, value in values.items()}
        return values

    async def _impact_counters(self, address: int) -> dict[Key, Value]:
        counts = await self._connection.read_input(address, 2752, 8)
        settings = await self._connection.read_holding(address, _COUNTER_SETTINGS, 16)
        values: dict[Key, Value] = {}
        for n in range(4):
            key = _counter_key(settings, _COUNTER_SETTINGS + 4 * n, resettable=False)
            if key is not None and key not in values:
                values[key] = round(_float(counts.words[2 * n : 2 * n + 2]) / 1000, 6)
        return values

    async def _wm_counters(self, member: Member) -> dict[Key, Value]:
        counts = await self._connection.read_input(member.address, *WM_COUNTER_BLOCK)
        settings = await self._connection.read_holding(member.address, _COUNTER_SETTINGS, 36)
        return decode_wm_counters(counts, settings, member.model)


WM_COUNTER_BLOCK = (400, 64)
"""The WM counters' input registers: exponents from 401, mantissas from 406."""


@total("Iskra WM counters")
def decode_wm_counters(counts: RegisterBlock, settings: RegisterBlock, model: str) -> dict[Key, Value]:
    """A WM meter's four counters in kWh: an int32 mantissa times ten to an int16 exponent, in Wh."""
    registers = Registers((counts,))
    resettable_first = next((n for p, n in _RESETTABLE_FIRST.items() if model.startswith(p)), 0)
    values: dict[Key, Value] = {}
    for n in range(4):
        key = _counter_key(settings, _COUNTER_SETTINGS + 10 * n, resettable=n < resettable_first)
        if key is None or key in values:
            continue
        mantissa = registers.read(406 + 2 * n, DataType.INT32)
        exponent = int(registers.read(401 + n, DataType.INT16))
        if abs(exponent) <= MAX_COUNTER_EXPONENT:  # beyond it, a garbled register: no value
            values[key] = round(mantissa * 10.0**exponent / 1000, 6)
    return values


MAX_COUNTER_EXPONENT = 9
"""A WM counter's exponent scales Wh from 1 nWh to 1 TWh; anything further is not a counter value."""


def _counter_key(settings: RegisterBlock, address: int, *, resettable: bool) -> Key | None:
    unit = settings.words[address - settings.start] & 0x03
    direction = _DIRECTIONS.get(settings.words[address + 1 - settings.start] & 0x0F)
    return None if direction is None else _COUNTER_KEYS.get((resettable, direction, unit))


FAMILY = Family(
    id="iskra_modbus",
    name="Iskra (Modbus TCP)",
    client=IskraModbusClient,
    transport=Transport.MODBUS,
    default_port=DEFAULT_PORT,
    timing=Timing(default_interval=5.0, minimum_interval=2.0),
    settings=IskraModbusSettings,
    fields=(Field.PORT, Field.UNIT_ID),
    default_unit_id=DEFAULT_GATEWAY_ADDRESS,
    variant_of="iskra",
)
