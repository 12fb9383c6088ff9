"""A fake device client for the Home Assistant layer's tests, as core tests its integrations.

The fake is an autospec of the family's own client class: every method it has, and nothing else. It answers
identify() and read() with what a test gives it: snapshots the family's own parser made from documented
payloads (Home Assistant core's device dumps in tests/fixtures/core, the vendors' captures), checked by the
data contract as a real read checks them. A test changes what the device answers, pushes, or fails it, and
sees what Home Assistant makes of that, without sockets. The protocols themselves are tested against the
simulators, over real sockets, in tests/devices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from unittest.mock import MagicMock, create_autospec, patch

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, DOMAIN
from custom_components.local_energy.devices import acuvim, enistic, homewizard, iskra, powerpack, smartme
from custom_components.local_energy.devices.client import PushListener
from custom_components.local_energy.devices.contract import ValueGuard
from custom_components.local_energy.devices.errors import AuthenticationFailed, AuthenticationRequired
from custom_components.local_energy.devices.families import BY_ID
from custom_components.local_energy.devices.family import Family, settings_from
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.modbus import DataType, RegisterBlock, Registers, encode
from custom_components.local_energy.devices.snapshot import (
    MAIN_CHANNEL,
    Channel,
    ChannelKind,
    DeviceIdentity,
    Snapshot,
    Value,
)
from custom_components.local_energy.devices.websocket import Link
from tests.conftest import setup_entry
from tests.documented import core_dump


@dataclass
class FakeDevice:
    """What a test holds of a faked device: the client Home Assistant gets, and the device's answers."""

    family_id: str
    identity: DeviceIdentity
    client: MagicMock
    answer: Snapshot
    """What the next read returns (checked by the data contract first)."""
    failure: Exception | None = None
    """Raised by the next reads instead, while set."""
    writes: list[tuple[str, Key, Value]] = field(default_factory=list)
    made_with: Mapping[str, Any] = field(default_factory=dict)
    """What the entry (or the form) stored that the client was last made with: address, credentials."""
    _listener: PushListener | None = None
    _pushed: Snapshot | None = None
    _guard: ValueGuard = field(default_factory=lambda: ValueGuard("fake device"))

    def latest(self) -> Snapshot | None:
        """What the device pushed last (None before its first push)."""
        return self._pushed

    def push(self, snapshot: Snapshot) -> None:
        """The device pushes: the client holds it and tells the coordinator, which reads latest()."""
        self._pushed = snapshot
        assert self._listener is not None, "the coordinator never started the client"
        self._listener()

    def _checked(self, snapshot: Snapshot) -> Snapshot:
        return self._guard.check(snapshot, self.client.integrates, self.client.may_export)

    async def _read(self) -> Snapshot:
        if self.failure is not None:
            raise self.failure
        return self._checked(self.answer)

    async def _start(self, on_push: PushListener, on_link: Callable[[Link], None] | None = None) -> None:
        self._listener = on_push

    async def _write(self, channel_id: str, key: Key, value: Value) -> None:
        self.writes.append((channel_id, key, value))


def fake_device(
    family_id: str,
    identity: DeviceIdentity,
    answer: Snapshot,
    *,
    link: Link = Link.NONE,
    pushes: bool | None = None,
) -> FakeDevice:
    """A device of a family that answers as given.

    A link other than NONE makes it a push device; one that pushes without a link to tell of (broadcasts)
    says pushes=True.
    """
    client = create_autospec(BY_ID[family_id].client, instance=True)
    device = FakeDevice(family_id, identity, client, answer)
    client.identify.return_value = identity
    client.read.side_effect = device._read
    client.check.side_effect = device._checked
    client.latest.side_effect = device.latest
    client.start.side_effect = device._start
    client.write.side_effect = device._write
    client.link = link
    client.pushes = link is not Link.NONE if pushes is None else pushes
    client.integrates.return_value = False
    client.may_export.return_value = True
    client.notices.return_value = ()
    client.diagnostics.return_value = {}
    client.guard = device._guard
    client.settings = BY_ID[family_id].settings()
    return device


MADE_AT = (
    "custom_components.local_energy.make_client",  # an entry's client
    "custom_components.local_energy.device_forms.make_client",  # the flows identify with one
    "custom_components.local_energy.pairing.make_client",  # and pair with one
)


@contextmanager
def serving(device: FakeDevice) -> Iterator[None]:
    """Entries and flows get the fake client meanwhile, instead of one that talks to the network.

    Its settings are typed from what the entry (or the form) stores, as the family's make_client types them.
    """

    def made(
        _hass: HomeAssistant,
        family: Family[Any],
        data: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
    ) -> MagicMock:
        device.made_with = {**data, **(options or {})}
        device.client.settings = settings_from(family.settings, device.made_with)
        return device.client

    with ExitStack() as patches:
        for where in MADE_AT:
            patches.enter_context(patch(where, side_effect=made))
        yield


def entry_of(
    device: FakeDevice,
    entry_id: str | None = None,
    *,
    stored: Mapping[str, Any] | None = None,
    **options: Any,
) -> MockConfigEntry:
    """An entry of the device as the flow stores it (the address is never used: the client is fake).

    `stored`: what else the family's form stores (its settings asked at setup).
    """
    serial = device.identity.serial
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title=device.identity.model,
        unique_id=serial,
        data={CONF_FAMILY: device.family_id, CONF_HOST: "127.0.0.1", CONF_PORT: 80, CONF_SERIAL: serial}
        | dict(stored or {}),
        options=options,
    )


async def set_up(
    hass: HomeAssistant, device: FakeDevice, *, stored: Mapping[str, Any] | None = None, **options: Any
) -> MockConfigEntry:
    """Set up an entry (with these options) served by the fake device."""
    entry = entry_of(device, stored=stored, **options)
    with serving(device):
        await setup_entry(hass, entry)
    return entry


P1_IDENTITY = DeviceIdentity(vendor="HomeWizard", model="P1 Meter", serial="3c39e7aabbcc", firmware="6.01")
ECOTRACKER_IDENTITY = DeviceIdentity(vendor="everHome", model="EcoTracker", serial="abcdef123456")
STROMLESER_IDENTITY = DeviceIdentity(vendor="nineti", model="stromleser.one", serial="STROM_ONE_7211674295")
"""The identities of the documented payloads' devices (the serials their payloads carry)."""


def documented_p1(*, link: Link = Link.NONE) -> FakeDevice:
    """A HomeWizard P1 meter answering core's dump of API v1 (a push device when a link is given)."""
    return fake_device(
        "homewizard", P1_IDENTITY, homewizard.parse_data(core_dump("homewizard_p1_v1")), link=link
    )


def with_value(snapshot: Snapshot, key: Key, value: Value, channel_id: str = MAIN_CHANNEL) -> Snapshot:
    """The same snapshot with one value of one channel changed."""
    channel = snapshot.channels[channel_id]
    changed = replace(channel, values={**channel.values, key: value})
    return replace(snapshot, channels={**snapshot.channels, channel_id: changed})


ENISTIC_CONTROLLER = "004A3BB5B04"
"""The controller serial of the vendor's own example."""


def enistic_reading(meter: str, power: float, channel: int = 1, state: int = 17) -> str:
    """One reading event in the vendor's form, `<controller>:Reading:<meter>:<power>:<channel>:<state>` + CR.

    A smart socket's state is 1 (on) or 0 (off); a meter channel reports another number.
    """
    return f"{ENISTIC_CONTROLLER}:Reading:{meter}:{power:.3f}:{channel}:{state}\r"


def enistic_heard(broadcast: str, at: float) -> Snapshot:
    """What an Enistic controller's client holds after a broadcast heard at `at` (its parser's channels)."""
    parsed, malformed = enistic.parse_datagram(broadcast.encode("ascii"))
    assert not malformed
    return Snapshot(channels={reading.channel_id: enistic.channel_of(reading, at) for reading in parsed})


def enistic_controller(broadcast: str, at: float = 0.0) -> FakeDevice:
    """An Enistic controller that broadcast this first (it pushes; nothing tells of a link)."""
    first = enistic_heard(broadcast, at)
    identity = DeviceIdentity(vendor="Enistic", model="Smart Energy Controller", serial=ENISTIC_CONTROLLER)
    device = fake_device("enistic", identity, first, pushes=True)

    def may_export(channel_id: str) -> bool:
        """Sockets supply a consumer: they may not export (the client's rule, from the channel's kind)."""
        heard = device.latest() or device.answer
        return heard.channels[channel_id].kind is not ChannelKind.SOCKET

    device.client.may_export.side_effect = may_export
    return device


def registers_of(raw: Mapping[int, tuple[DataType, float]]) -> Registers:
    """What a Modbus device answers: each value encoded at its PDU address as the device sends it."""
    return Registers(
        tuple(
            RegisterBlock(address, tuple(encode(value, data_type)))
            for address, (data_type, value) in raw.items()
        )
    )


PICO_IDENTITY = DeviceIdentity(vendor="smart-me", model="Pico charging station", serial="7100042")
PICO_CHARGING = {  # the community register map's registers, in the device's units (mW, mvar, mV, mA, mWh)
    Key.POWER: 11_040_000, Key.POWER_L1: 3_680_000, Key.POWER_L2: 3_680_000, Key.POWER_L3: 3_680_000,
    Key.REACTIVE_POWER: -120_000, Key.VOLTAGE_L1: 230_100, Key.VOLTAGE_L2: 229_800, Key.VOLTAGE_L3: 230_400,
    Key.CURRENT_L1: 16_000, Key.CURRENT_L2: 16_000, Key.CURRENT_L3: 16_000, Key.POWER_FACTOR_L1: 998,
    Key.POWER_FACTOR_L2: 997, Key.POWER_FACTOR_L3: 999, Key.ACTIVE_TARIFF: 1,
    Key.ENERGY_IMPORT: 1_234_567_890, Key.ENERGY_EXPORT: 0, Key.ENERGY_IMPORT_T1: 1_000_000_000,
    Key.ENERGY_IMPORT_T2: 234_567_890, Key.ENERGY_EXPORT_T1: 0, Key.ENERGY_EXPORT_T2: 0,
    Key.CHARGE_CURRENT: 16_000, Key.CHARGE_CURRENT_L1: 16_000, Key.CHARGE_CURRENT_L2: 16_000,
    Key.CHARGE_CURRENT_L3: 16_000,
}  # fmt: skip
"""A Pico charging a car on three phases at 16 A."""


def fake_pico(max_current: float = 16.0) -> FakeDevice:
    """A smart-me Pico: its registers decoded by the family, its setpoints as the family declares them."""
    registers = (*smartme.METER, *smartme.CHARGING)
    answered = registers_of(
        {
            smartme.address(r.register): (r.data_type, PICO_CHARGING[r.key])
            for r in registers
            if r.key is not None
        }
    )
    values = smartme.decode(answered, smartme.METER) | smartme.decode(answered, smartme.CHARGING)
    channel = Channel(
        ChannelKind.DEVICE, values | {Key.CHARGE_PHASES: "3"}, controls=smartme.charging_controls(max_current)
    )
    return fake_device("smartme", PICO_IDENTITY, Snapshot({MAIN_CHANNEL: channel}))


POWERPACK_IDENTITY = DeviceIdentity(vendor="PowerPack", model="PowerPack BESS", serial="PP-1")


def fake_powerpack(*, command_source: int = 2, rated_kw: int = 50) -> FakeDevice:
    """A PowerPack discharging 25 kW, its block as the Flux map lays it out, decoded by the family."""
    block = {
        powerpack.REG_STATUS: (DataType.UINT16, powerpack.STATUS_READY),
        powerpack.REG_TARGET_POWER: (DataType.INT16, -25),  # kW
        powerpack.REG_COMMAND_SOURCE: (DataType.UINT16, command_source),
        powerpack.REG_STATE_OF_ENERGY: (DataType.UINT16, 80),  # %
        powerpack.REG_AVAILABLE_BLOCKS: (DataType.UINT16, 4),
    }
    answer = powerpack.parse_block(registers_of(block), rated_kw * 1000.0)
    return fake_device("powerpack", POWERPACK_IDENTITY, answer)


ACUVIM_IDENTITY = DeviceIdentity(vendor="Accuenergy", model="Acuvim II", serial="AV2-0001")
"""An Acuvim II has no readable serial: the user gives it."""
_F, _W, _D = DataType.FLOAT32, DataType.UINT16, DataType.UINT32
ACUVIM_MANUAL = {  # PDU address: (type, raw value), as the Acuvim II manual's register tables lay them out
    0x1003: (_W, 0), 0x1005: (_D, 400), 0x1007: (_W, 400), 0x1008: (_W, 5), 0x1009: (_W, 5),  # 3LN, PT, CT
    0x1019: (_W, 0), 0x101D: (_W, 1),  # energy shown as primary (Rx/10 kWh); primary values (no ratios)
    0x4000: (_F, 50.0),  # frequency
    0x4002: (_F, 230.1), 0x4004: (_F, 229.4), 0x4006: (_F, 231.2),  # phase voltages
    0x400A: (_F, 398.5), 0x400C: (_F, 397.3), 0x400E: (_F, 400.4),  # line voltages
    0x4012: (_F, 8.0), 0x4014: (_F, 4.0), 0x4016: (_F, 2.0), 0x401A: (_F, 0.3),  # currents, neutral
    0x401C: (_F, 1800.0), 0x401E: (_F, -900.0), 0x4020: (_F, 400.0), 0x4022: (_F, 1300.0),  # P (W)
    0x4024: (_F, 385.4), 0x4026: (_F, -178.9), 0x4028: (_F, 232.0), 0x402A: (_F, 438.5),  # Q (var)
    0x402C: (_F, 1840.8), 0x402E: (_F, 917.6), 0x4030: (_F, 462.4), 0x4032: (_F, 3220.8),  # S (VA)
    0x4034: (_F, 0.98), 0x4036: (_F, -0.97), 0x4038: (_F, 0.95), 0x403A: (_F, 0.97),  # power factors
    0x4048: (_D, 123_456), 0x404A: (_D, 23_456), 0x404C: (_D, 4_321), 0x404E: (_D, 1_234),  # Ep, Eq (0.1 kWh)
}  # fmt: skip
"""A three-phase Acuvim II in primary mode, its registers at the manual's addresses."""


def fake_acuvim() -> FakeDevice:
    """An Acuvim II: the manual's registers, decoded by the family with the settings they hold."""
    registers = registers_of(ACUVIM_MANUAL)
    values = acuvim.decode_measurements(registers, acuvim.MeterSettings.from_registers(registers))
    return fake_device(
        "acuvim", ACUVIM_IDENTITY, Snapshot({MAIN_CHANNEL: Channel(ChannelKind.DEVICE, values)})
    )


# A gateway with a three-phase IE38 and a single-phase WM1, as pyiskra's parser reads its REST answers. No
# gateway's answer is on record (see the research notes): these follow the shapes and both spellings pyiskra
# accepts. /api/bicoms has the shape our client assumes (its own module says why).
ISKRA_API: dict[str, Any] = {
    "device": {
        "model_type": "SG-E1 ", "serial_number": " SG000002", "description": "Smart Gateway",
        "location": "Garage", "sw_ver": "2.1.0",
    },
    "status": {
        "Temperature": "21.4 °C", "Pulse Counter": {"value": 0.256, "unit": "kWh"}, "Active Tariff": 3,
    },
}  # fmt: skip
ISKRA_DEVICES: dict[str, Any] = {
    "devices": [
        {"model": "IE38MD", "serial": "79000001", "interface": "Left IR", "sw_ver": "1.02"},
        {"model": "BI432", "serial": "BI000001", "interface": "Right IR"},  # not numbered
        {"model": "Disabled", "serial": "58000001", "interface": "RS485 33"},  # numbered, not read
        {"model": "WM1-6", "serial": "58000002", "interface": "RS485 35", "sw_ver": "1.02"},
    ]
}
ISKRA_MEASUREMENTS: dict[str, dict[str, Any]] = {
    "79000001": {  # newer firmware: each value an object with its unit
        "measurements": {
            "Phases": [
                {
                    "U": {"value": 230.1 + n, "unit": "V"}, "I": {"value": abs(p) / 230, "unit": "A"},
                    "P": {"value": p, "unit": "W"}, "Q": {"value": 120.5, "unit": "var"},
                    "S": {"value": abs(p) * 1.02, "unit": "VA"}, "PF": {"value": 0.98, "unit": ""},
                    "PA": {"value": -11.5, "unit": "°"}, "THDUp": {"value": 2.1, "unit": "%"},
                    "THDI": {"value": 7.4, "unit": "%"},
                }
                for n, p in enumerate((1520.0, -2310.0, 410.0))
            ],
            "Total": {
                "P": {"value": -0.38, "unit": "kW"}, "Q": {"value": 0.36, "unit": "kvar"},
                "S": {"value": 4.3, "unit": "kVA"}, "PF": {"value": 0.93, "unit": ""},
            },
            "Frequency": {"value": 50.01, "unit": "Hz"},
            "Temperature": "31.5 °C",
            "Active Tariff": 1,  # as the gateway's status page labels it (not in pyiskra)
        }
    },
    "58000002": {  # older firmware: the long names, values as text with the unit after a space
        "measurements": {
            "Phases": [
                {
                    "voltage": "231.4 V", "current": "3.696 A", "active_power": "-850.0 W",
                    "reactive_power": "40.2 var", "apparent_power": "867.0 VA", "power_factor": "0.980",
                    "power_angle": "-11.5 °", "THD_voltage": "2.1 %", "THD_current": "7.4 %",
                }
            ],
            "Total": {
                "active_power": "-850.0 W", "reactive_power": "40.2 var", "apparent_power": "867.0 VA",
                "power_factor": "0.980",
            },
            "frequency": "49.98 Hz",
            "temperature": "29.0 °C",
            "Active Tariff": 2,
        }
    },
}  # fmt: skip
ISKRA_COUNTERS: dict[str, Any] = {
    "counters": {
        "non_resettable": [
            {"name": "Counter 1 - Total", "value": 12_345_678.0, "unit": "Wh", "direction": "import"},
            {"name": "Counter 2 - Total", "value": 2_345_678.0, "unit": "Wh", "direction": "export"},
            {"name": "Counter 3 - Total", "value": 5_432_100.0, "unit": "varh", "direction": "import"},
            {"name": "Counter 4 - Total", "value": 1_234_500.0, "unit": "varh", "direction": "export"},
        ],
        "resettable": [
            {"name": "Counter 5", "value": 1_000.0, "unit": "kWh", "direction": "import"},
            {"name": "Counter 6", "value": 250.0, "unit": "kWh", "direction": "export"},
        ],
    }
}  # fmt: skip
ISKRA_BICOMS: dict[str, Any] = {
    "bicoms": [
        {"addr": 0, "serial": "BI000001", "model": "BI432", "state": "off"},
        {"addr": 32, "serial": "BI000002", "model": "BI432", "state": "on"},
    ]
}


def iskra_answer(
    devices: Mapping[str, Any] = ISKRA_DEVICES,
    *,
    measurements: Mapping[str, Mapping[str, Any]] = ISKRA_MEASUREMENTS,
    counters: Mapping[str, Any] | None = ISKRA_COUNTERS,
    bicoms: Mapping[str, Any] | None = ISKRA_BICOMS,
) -> Snapshot:
    """What the gateway's client makes of these answers (None: the gateway answers 404 there)."""
    counted = iskra.parse_counters(counters) if counters is not None else {}
    meters = [
        (member, iskra.parse_measurements(measurements[member.serial]) | counted)
        for member in iskra.list_members(devices)
    ]
    relays = iskra.parse_bicoms(bicoms) if bicoms is not None else {}
    return iskra.gateway_snapshot(iskra.parse_status(ISKRA_API), meters, relays)


def fake_iskra_gateway() -> FakeDevice:
    """An Iskra smart gateway with a three-phase and a single-phase meter and two Bicom relays."""
    return fake_device("iskra", iskra.identity_of(ISKRA_API), iskra_answer())


def requiring_password(device: FakeDevice, password: str, *, tells_identity: bool = True) -> FakeDevice:
    """The device with authentication on: identify() needs the password the entry or form stores.

    tells_identity: whether the device says who it is to a client without credentials (a Shelly does,
    an Iskra gateway answers 403 to everything).
    """

    def identify() -> DeviceIdentity:
        given = device.made_with.get(CONF_PASSWORD)
        if not given:
            raise AuthenticationRequired(
                "the device has authentication on", device.identity if tells_identity else None
            )
        if given != password:
            raise AuthenticationFailed("the device refused the password")
        return device.identity

    device.client.identify.side_effect = identify
    return device


@dataclass
class MeterButton:
    """The button of a HomeWizard meter on API v2: a token is granted to whoever asks after it was pressed."""

    pressed: bool = False
    tokens: list[str] = field(default_factory=list)
    """Tokens granted and not withdrawn (a reset withdraws them all)."""
    asked: int = 0


V2_IDENTITY = DeviceIdentity(vendor="HomeWizard", model="P1 Meter", serial="5c2fafaabbcc", firmware="6.00")


def fake_v2_meter(
    measurement: Mapping[str, Any] | None = None, wifi_rssi: float | None = None
) -> tuple[FakeDevice, MeterButton]:
    """A P1 meter on API v2 (core's dump by default), pushing over its WebSocket, paired by its button.

    Without a token it asks to be paired, as the client reports a meter that speaks v2; a token it did not
    grant (or withdrew) is refused.
    """
    answer = homewizard.parse_measurement(dict(measurement or core_dump("homewizard_p1_v2")), wifi_rssi)
    device = fake_device("homewizard", V2_IDENTITY, answer, link=Link.UP)
    button = MeterButton()

    async def pair() -> Mapping[str, str] | None:
        button.asked += 1
        if not button.pressed:
            return None
        button.tokens.append(f"{len(button.tokens) + 1:032X}")
        return {CONF_TOKEN: button.tokens[-1]}

    def identify() -> DeviceIdentity:
        token = device.made_with.get(CONF_TOKEN)
        if token is None:
            raise AuthenticationRequired("the P1 meter speaks API v2: pair it")
        if token not in button.tokens:
            raise AuthenticationFailed("the meter refused the token (HTTP 401)")
        return device.identity

    device.client.pair.side_effect = pair
    device.client.identify.side_effect = identify
    return device, button
