"""The forms of a device entry, built from its family's declaration, and asking a device who it is."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import CONF_SERIAL, CONF_UNIT_ID, LOGGER
from .devices.errors import (
    ApiDisabled,
    AuthenticationFailed,
    AuthenticationRequired,
    DeviceError,
    FirmwareTooOld,
    InvalidResponse,
    UnsupportedModel,
)
from .devices.family import Asked, Family, Field, Setting, format_addresses, parse_addresses
from .devices.links import BAUD_RATES, Framing, Parity
from .devices.snapshot import DeviceIdentity
from .devices.websocket import Link
from .transports import make_client
from .validation import vol

_PORT = NumberSelector(NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX))
_UNIT_ID = NumberSelector(NumberSelectorConfig(min=0, max=247, mode=NumberSelectorMode.BOX))
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class _FiniteNumberSelector(NumberSelector):
    """A number selector that refuses NaN, which passes the selector's own range check.

    A selector of its own rather than a validator beside it: the form must stay serializable for the
    frontend, and Home Assistant serializes selectors only.
    """

    def __call__(self, data: Any) -> float:
        value = float(super().__call__(data))
        if not math.isfinite(value):
            raise vol.Invalid("expected a finite number")
        return value


FORM_ERRORS: tuple[tuple[type[DeviceError], str], ...] = (
    (ApiDisabled, "api_not_enabled"),
    (AuthenticationFailed, "invalid_auth"),
    (FirmwareTooOld, "firmware_too_old"),
    (UnsupportedModel, "unsupported_model"),
    (InvalidResponse, "invalid_response"),
    (DeviceError, "cannot_connect"),
)


def _choice(
    field: Field, options: list[str], default: str, *, translated: bool = False
) -> tuple[vol.Marker, Any]:
    config = SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
    if translated:
        config["translation_key"] = field.value
    return vol.Required(field.value, default=default), SelectSelector(config)


_LINE_FIELDS: dict[Field, tuple[vol.Marker, Any]] = {
    Field.FRAMING: _choice(Field.FRAMING, [Framing.TCP, Framing.RTU_OVER_TCP], Framing.TCP, translated=True),
    Field.BAUDRATE: _choice(Field.BAUDRATE, [str(rate) for rate in BAUD_RATES], "9600"),
    Field.PARITY: _choice(Field.PARITY, list(Parity), Parity.NONE, translated=True),
    Field.BYTESIZE: _choice(Field.BYTESIZE, ["7", "8"], "8"),
    Field.STOPBITS: _choice(Field.STOPBITS, ["1", "2"], "1"),
}
_PLAIN_FIELDS: dict[Field, tuple[vol.Marker, Any]] = {
    Field.USERNAME: (vol.Optional(CONF_USERNAME), str),
    Field.PASSWORD: (vol.Optional(CONF_PASSWORD), _PASSWORD),
    Field.SERIAL: (vol.Required(CONF_SERIAL), str),
}


def serial_ports() -> list[str]:
    """The serial ports of this machine (blocking: run it in the executor; pyserial reads /sys)."""
    from serial.tools import list_ports

    return sorted(str(port.device) for port in list_ports.comports())


async def serial_port_choices(hass: HomeAssistant) -> list[SelectOptionDict]:
    """The serial ports of this machine, as choices of a form."""
    ports = await hass.async_add_executor_job(serial_ports)
    return [SelectOptionDict(value=port, label=port) for port in ports]


def _field_schema(family: Family[Any], field: Field) -> tuple[vol.Marker, Any]:
    if field is Field.PORT:
        return vol.Required(CONF_PORT, default=family.default_port), vol.All(_PORT, vol.Coerce(int))
    if field is Field.UNIT_ID:
        return vol.Required(CONF_UNIT_ID, default=family.default_unit_id), vol.All(_UNIT_ID, vol.Coerce(int))
    if field in _LINE_FIELDS:
        return _LINE_FIELDS[field]
    return _PLAIN_FIELDS[field]


def setting_schema(setting: Setting) -> tuple[vol.Marker, Any]:
    """A setting's field: addresses as text (checked on submit), a number within its bounds."""
    if isinstance(setting.default, tuple):
        return vol.Required(setting.name, default=format_addresses(setting.default)), str
    config = NumberSelectorConfig(
        min=setting.minimum,
        max=setting.maximum,
        step=setting.step,
        unit_of_measurement=setting.unit,
        mode=NumberSelectorMode.BOX,
    )
    return vol.Required(setting.name, default=setting.default), _FiniteNumberSelector(config)


def device_schema(
    family: Family[Any],
    fields: tuple[Field, ...],
    settings: tuple[Setting, ...] = (),
    *,
    with_host: bool = True,
    found: list[SelectOptionDict] | None = None,
) -> vol.Schema:
    """A family's form; found offers the hosts (or serial ports) found, besides one typed in."""
    schema: dict[vol.Marker, Any] = {}
    if with_host and (family.serial_line or found):
        # What was found, or typed in (a /dev/serial/by-id name survives replugging).
        config = SelectSelectorConfig(
            options=found or [], custom_value=True, mode=SelectSelectorMode.DROPDOWN
        )
        schema[vol.Required(CONF_HOST)] = SelectSelector(config)
    elif with_host:
        schema[vol.Required(CONF_HOST)] = str
    schema.update(_field_schema(family, field) for field in fields)
    schema.update(setting_schema(setting) for setting in settings)
    return vol.Schema(schema)


def setting_errors(family: Family[Any], user_input: Mapping[str, Any]) -> dict[str, str]:
    """Settings the form cannot check itself: a list of addresses must parse."""
    errors: dict[str, str] = {}
    for setting in family.declared_settings(Asked.SETUP):
        if setting.addresses:
            try:
                parse_addresses(str(user_input.get(setting.name, "")))
            except ValueError:
                errors[setting.name] = f"invalid_{setting.name}"
    return errors


@dataclass(frozen=True, slots=True)
class Identified:
    """The outcome of asking a device who it is."""

    identity: DeviceIdentity | None = None
    """Known when the device answered, even if it then wanted credentials."""
    error: str | None = None
    needs_credentials: bool = False


async def identify(hass: HomeAssistant, family: Family[Any], data: Mapping[str, Any]) -> Identified:
    """Connect, ask the device who it is and, when it is polled, read it once (its data API works too)."""
    client = make_client(hass, family, data)
    try:
        identity = await client.identify()
        if not (client.pushes and client.link is Link.NONE):
            await client.read()  # what broadcasts can only be heard, not asked
        return Identified(identity=identity)
    except AuthenticationRequired as err:
        return Identified(identity=err.identity, error="invalid_auth", needs_credentials=True)
    except DeviceError as err:
        LOGGER.debug("Identifying a %s device at %s failed: %s", family.name, data.get(CONF_HOST), err)
        error = next(key for kind, key in FORM_ERRORS if isinstance(err, kind))
        return Identified(error=error)
    except Exception:  # noqa: BLE001 - anything else is a bug to report, not a reason to crash the flow
        LOGGER.exception("Unexpected error while identifying a %s device", family.name)
        return Identified(error="unknown")
    finally:
        await client.close()


def title_of(identity: DeviceIdentity) -> str:
    """An entry's title: the name the device gives itself, or its model and serial."""
    return identity.name or f"{identity.model} {identity.serial}"
