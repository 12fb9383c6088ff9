"""A family of devices declared once: how it is reached, timed, set up, discovered and configured.

Each vendor module exports its ``FAMILY`` (families.py lists them). Everything Home Assistant needs to
know about a family (its form, its options, its discovery, its interval bounds) is derived from it.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from .client import DeviceClient, Transports
from .connection import ConnectionConfig, Settings
from .keys import Key
from .payload import finite
from .udp import Router


@dataclass(frozen=True, slots=True)
class Timing:
    """How often a device may be asked, in seconds, and how its silence is judged if it pushes.

    Whether a device pushes is its client's to say (DeviceClient.pushes: a Shelly of any generation, a
    HomeWizard on API v2, every broadcasting family); it is not polled while it pushes.
    """

    default_interval: float
    minimum_interval: float
    maximum_interval: float = 300.0
    silent_after: float = 3.0
    """For a push family: seconds without a push after which the device is silent."""
    polls_when_silent: bool = False
    """For a push family: read at the interval while silent (it has another way), else unavailable."""


class Transport(StrEnum):
    """How a family's devices are reached."""

    HTTP = "http"
    MODBUS = "modbus"
    SERIAL = "serial"
    """Modbus RTU on a serial port of this machine, named where other families have a host."""
    UDP = "udp"


class Field(StrEnum):
    """A connection field a family's form asks for, beyond the host (settings come from the settings)."""

    PORT = "port"
    USERNAME = "username"
    PASSWORD = "password"  # noqa: S105 - a field name, not a secret
    UNIT_ID = "unit_id"
    SERIAL = "serial"
    FRAMING = "framing"
    BAUDRATE = "baudrate"
    PARITY = "parity"
    BYTESIZE = "bytesize"
    STOPBITS = "stopbits"


class Asked(StrEnum):
    """When a setting is asked for."""

    SETUP = "setup"
    """In the form that adds the device, and again in reconfigure."""
    OPTIONS = "options"
    """In the options, next to the interval and the sign."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One typed setting of a family: a number within bounds, or a list of Modbus addresses."""

    name: str
    default: float | tuple[int, ...]
    minimum: float = -math.inf
    maximum: float = math.inf
    unit: str = ""
    step: float = 1
    asked: Asked = Asked.SETUP

    @property
    def addresses(self) -> bool:
        """Whether the setting is a list of Modbus addresses (entered as text: '33, 35')."""
        return isinstance(self.default, tuple)


@dataclass(frozen=True, slots=True)
class _Bounds:
    minimum: float
    maximum: float
    unit: str
    step: float
    asked: Asked


_SETTING = "local_energy_setting"


def number_setting(
    default: float,
    minimum: float,
    maximum: float,
    unit: str,
    *,
    step: float = 1,
    asked: Asked = Asked.SETUP,
) -> Any:
    """A numeric field of a settings dataclass, with its bounds and unit."""
    return field(default=default, metadata={_SETTING: _Bounds(minimum, maximum, unit, step, asked)})


def addresses_setting(default: tuple[int, ...]) -> Any:
    """A field of a settings dataclass holding Modbus addresses (1-247)."""
    return field(default=default, metadata={_SETTING: _Bounds(1, 247, "", 1, Asked.SETUP)})


def settings_of(settings: type[Settings]) -> tuple[Setting, ...]:
    """The settings a settings dataclass declares, in order."""
    declared: list[Setting] = []
    for item in fields(settings):
        bounds: _Bounds = item.metadata[_SETTING]
        default = item.default
        if not isinstance(default, (int, float, tuple)):
            raise TypeError(f"the setting {item.name} has no default")
        declared.append(
            Setting(
                item.name, default, bounds.minimum, bounds.maximum, bounds.unit, bounds.step, bounds.asked
            )
        )
    return tuple(declared)


def parse_addresses(text: str) -> tuple[int, ...]:
    """'33, 35 36' -> (33, 35, 36); raises ValueError for anything that is not an address 1-247."""
    addresses = tuple(int(part) for part in text.replace(",", " ").split())
    if any(not 1 <= address <= 247 for address in addresses):
        raise ValueError(f"Modbus addresses are 1 to 247: {text!r}")
    return addresses


def format_addresses(addresses: tuple[int, ...]) -> str:
    """(33, 35) -> '33, 35', as the form shows them."""
    return ", ".join(str(address) for address in addresses)


def settings_from[S: Settings](settings: type[S], stored: Mapping[str, Any]) -> S:
    """Typed settings from what an entry stores (or a form gives).

    A stored value that is missing or not a finite number takes the default; one outside the bounds is
    brought inside them (a setting stored under older bounds), so a client never sees a value it must
    not use.
    """
    values: dict[str, Any] = {}
    for setting in settings_of(settings):
        raw = stored.get(setting.name)
        if setting.addresses:
            try:
                values[setting.name] = parse_addresses(str(raw)) if raw is not None else setting.default
            except ValueError:
                values[setting.name] = setting.default
            continue
        number = finite(raw)
        values[setting.name] = (
            setting.default if number is None else min(max(number, setting.minimum), setting.maximum)
        )
    return settings(**values)


type ClientFactory[S: Settings] = Callable[[ConnectionConfig, Transports, S], DeviceClient]


@dataclass(frozen=True, slots=True)
class Announcement:
    """A zeroconf service a family's devices announce, as the manifest lists it."""

    type: str
    name: str | None = None
    """A pattern the announced name must match (lower case, * for any text): one type, several vendors."""
    lowercase_serial: bool = True
    """Whether the TXT serial is the unique id in lower case (MAC-like ids), or as announced."""
    tls: bool = False
    """The announced port is the TLS port (stored apart from the plain port)."""
    serial_in_hostname: bool = False
    """The serial is the announced host name ({serial}.local.), not a TXT property."""
    core: str | None = None
    """Home Assistant's own integration that is offered the same announcement (its domain)."""

    def serial(self, hostname: str, properties: Mapping[str, Any]) -> str | None:
        """The device's serial as announced, when it is (the unique id, checked before anything is asked)."""
        raw = hostname.removesuffix(".").removesuffix(".local") if self.serial_in_hostname else None
        serial = raw or properties.get("serial")
        if not serial:
            return None
        return str(serial).lower() if self.lowercase_serial else str(serial)

    def matches(self, service_type: str, name: str) -> bool:
        """Whether an announced service is this one."""
        return service_type == self.type and (self.name is None or fnmatch.fnmatch(name.lower(), self.name))


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A family whose devices broadcast on their own: where to listen, and how to tell who sent a datagram."""

    port: int
    router: Router
    """A datagram's sender serial, or None when it is not one of this family's."""
    http_port: int | None = None
    """Entries made from a broadcast are also asked over HTTP on this port (the broadcast port is kept)."""


@dataclass(frozen=True, slots=True)
class Found:
    """A device a search found."""

    host: str
    label: str


@dataclass(frozen=True, slots=True)
class Probe:
    """A family whose devices answer a search: given the address to ask (a broadcast address or a host)."""

    search: Callable[[str], Awaitable[Sequence[Found]]]


@dataclass(frozen=True, slots=True)
class ModeSwitch:
    """A select the device must be set to before a loop may drive it, and the one that hands it back."""

    key: Key
    controlled: str
    own: str


@dataclass(frozen=True, slots=True)
class BatteryActuator:
    """A battery a control loop may drive: its power setpoint and what it reports about itself."""

    setpoint: Key
    """The control whose value is the battery's power (W)."""
    charge_positive: bool = True
    """A setpoint > 0 charges (our sign: power the site draws)."""
    state_of_charge: Key = Key.STATE_OF_ENERGY
    power: Key | None = Key.BATTERY_POWER
    """Its measured power (charging > 0), when it reports one."""
    reserve: Key | None = None
    """The device's own lowest state of charge, when it has one: never discharged below it."""
    mode: ModeSwitch | None = None
    response_delay: float = 2.0
    """Seconds until its power follows a new setpoint."""
    minimum_interval: float = 2.0
    """Seconds between two setpoints at least."""


@dataclass(frozen=True, slots=True)
class ChargerActuator:
    """A car charger a surplus loop may drive: its charging current, and the power it measures."""

    current: Key
    """The control whose value is the current on every charging phase (A)."""
    power: Key = Key.POWER
    minimum_interval: float = 5.0
    phases: Key | None = None
    """A select between charging on "1" or "3" phases, when the charger can switch (its own guard
    refuses switches too close together)."""
    single_phase_current: Key | None = None
    """The control of the current while it charges on one phase."""


@dataclass(frozen=True, slots=True)
class Family[S: Settings]:
    """One family of devices: everything the rest of the code needs to know about it."""

    id: str
    """Stored in every entry: never changes."""
    name: str
    client: ClientFactory[S]
    transport: Transport
    default_port: int
    timing: Timing
    settings: type[S]
    fields: tuple[Field, ...] = (Field.PORT,)
    """The connection fields the form asks for, in order; the settings asked at setup follow."""
    default_unit_id: int | None = None
    credentials: tuple[Field, ...] = ()
    """Asked only when the device says it needs them, and again in reauth."""
    pairing: bool = False
    """Access is granted on the device itself (a button), instead of typed credentials."""
    zeroconf: tuple[Announcement, ...] = ()
    broadcast: Broadcast | None = None
    probe: Probe | None = None
    variant_of: str | None = None
    """Another way to reach another family's devices: offered under that family's choice."""
    option: str | None = None
    """Its choice among the ways to reach the family's devices, when there are several (default: id)."""
    discovery_asks_port: bool = False
    """A device heard broadcasting is confirmed with the HTTP port its entry assumes (it may differ)."""
    controls: tuple[Key, ...] = ()
    """The keys its devices may offer as controls. Each snapshot brings their bounds and step, which
    depend on the model and the settings (a Pico's maximum current, a battery's rated power); a control
    not declared here is never offered."""
    battery: BatteryActuator | None = None
    """How a zero-export loop drives its devices, when they are batteries."""
    charger: ChargerActuator | None = None
    """How a surplus loop drives its devices, when they charge cars."""

    @property
    def choice(self) -> str:
        """The id of its choice in the flow's menus (the family id, unless it declares another)."""
        return self.option or self.id

    @property
    def serial_line(self) -> bool:
        """Reached on a serial port of this machine: the host is a device path."""
        return self.transport is Transport.SERIAL

    def declared_settings(self, asked: Asked) -> tuple[Setting, ...]:
        """Its settings asked at setup, or in the options."""
        return tuple(setting for setting in settings_of(self.settings) if setting.asked is asked)

    def make_client(
        self, config: ConnectionConfig, transports: Transports, stored: Mapping[str, Any]
    ) -> DeviceClient:
        """A client for one device, given the settings an entry stores, taking the declared controls only."""
        client = self.client(config, transports, settings_from(self.settings, stored))
        client.declared_controls = frozenset(self.controls)
        return client
