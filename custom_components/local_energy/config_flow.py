"""Config flow: a menu of families, each family's form, reconfigure, reauth and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from . import LocalEnergyConfigEntry
from .const import CONF_FAMILY, CONF_INVERT, CONF_SERIAL, CONF_UNIT_ID, CONF_UPDATE_INTERVAL, DOMAIN, LOGGER
from .devices.families import FAMILIES, Family, Field
from .devices.model import (
    ApiDisabled,
    AuthenticationFailed,
    DeviceError,
    DeviceIdentity,
    InvalidResponse,
    UnsupportedModel,
)
from .transports import connection_config, shared_transports

_PORT = NumberSelector(NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX))
_UNIT_ID = NumberSelector(NumberSelectorConfig(min=0, max=247, mode=NumberSelectorMode.BOX))
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_CREDENTIALS = (Field.USERNAME, Field.PASSWORD)
_FORM_ERRORS: tuple[tuple[type[DeviceError], str], ...] = (
    (ApiDisabled, "api_not_enabled"),
    (AuthenticationFailed, "invalid_auth"),
    (UnsupportedModel, "unsupported_model"),
    (InvalidResponse, "invalid_response"),
    (DeviceError, "cannot_connect"),
)


def _field_schema(family: Family, field: Field) -> tuple[vol.Marker, Any]:
    if field is Field.PORT:
        return vol.Required(CONF_PORT, default=family.default_port), vol.All(_PORT, vol.Coerce(int))
    if field is Field.UNIT_ID:
        return vol.Required(CONF_UNIT_ID, default=family.default_unit_id), vol.All(_UNIT_ID, vol.Coerce(int))
    if field is Field.USERNAME:
        return vol.Optional(CONF_USERNAME), str
    if field is Field.PASSWORD:
        return vol.Optional(CONF_PASSWORD), _PASSWORD
    return vol.Required(CONF_SERIAL), str


def _schema(family: Family, fields: tuple[Field, ...], *, with_host: bool = True) -> vol.Schema:
    schema: dict[vol.Marker, Any] = {vol.Required(CONF_HOST): str} if with_host else {}
    schema.update(_field_schema(family, field) for field in fields)
    return vol.Schema(schema)


async def _identify(
    hass: HomeAssistant, family: Family, data: Mapping[str, Any]
) -> tuple[DeviceIdentity | None, str | None]:
    """Connect and ask the device who it is: the identity, or the error key to show."""
    client = family.client(connection_config(data), shared_transports(hass))
    try:
        return await client.identify(), None
    except DeviceError as err:
        LOGGER.debug("Identifying a %s device at %s failed: %s", family.name, data.get(CONF_HOST), err)
        return None, next(key for kind, key in _FORM_ERRORS if isinstance(err, kind))
    except Exception:  # noqa: BLE001 - anything else is a bug to report, not a reason to crash the flow
        LOGGER.exception("Unexpected error while identifying a %s device", family.name)
        return None, "unknown"
    finally:
        await client.close()


def _title(identity: DeviceIdentity) -> str:
    return identity.name or f"{identity.model} {identity.serial}"


class LocalEnergyConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a device: pick its family, enter its address, and it is identified before the entry exists."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: LocalEnergyConfigEntry) -> LocalEnergyOptionsFlow:  # noqa: ARG004
        """The options of an entry: update interval and sign."""
        return LocalEnergyOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the families."""
        return self.async_show_menu(step_id="user", menu_options=list(FAMILIES))

    async def async_step_homewizard(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A HomeWizard P1 meter."""
        return await self._async_step_family("homewizard", user_input)

    async def async_step_enistic(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """An Enistic controller."""
        return await self._async_step_family("enistic", user_input)

    async def async_step_acuvim(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """An Acuvim II meter."""
        return await self._async_step_family("acuvim", user_input)

    async def _async_step_family(self, family_id: str, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        family = FAMILIES[family_id]
        schema = _schema(family, family.fields)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_FAMILY: family_id, **user_input}
            identity, error = await _identify(self.hass, family, data)
            if identity is None:
                errors["base"] = str(error)
            else:
                await self.async_set_unique_id(identity.serial)
                self._abort_if_unique_id_configured(updates={CONF_HOST: user_input[CONF_HOST]})
                return self.async_create_entry(
                    title=_title(identity), data={**data, CONF_SERIAL: identity.serial}
                )
        return self.async_show_form(
            step_id=family_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change where the device is reached; it must still be the same device."""
        entry = self._get_reconfigure_entry()
        family = FAMILIES[entry.data[CONF_FAMILY]]
        fields = tuple(f for f in family.fields if f not in (*_CREDENTIALS, Field.SERIAL))
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if Field.SERIAL not in family.fields:
                data.pop(CONF_SERIAL, None)  # ask the device again rather than trust the stored serial
            identity, error = await _identify(self.hass, family, data)
            if identity is None:
                errors["base"] = str(error)
            else:
                await self.async_set_unique_id(identity.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _schema(family, fields), user_input or dict(entry.data)
            ),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The device refused us: ask for new credentials, or to enable its API."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Try again with what the user gives (or just again, when the family has no credentials)."""
        entry = self._get_reauth_entry()
        family = FAMILIES[entry.data[CONF_FAMILY]]
        fields = tuple(f for f in family.fields if f in _CREDENTIALS)
        errors: dict[str, str] = {}
        if user_input is not None:
            identity, error = await _identify(self.hass, family, {**entry.data, **user_input})
            if identity is None:
                errors["base"] = str(error)
            else:
                await self.async_set_unique_id(identity.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_schema(family, fields, with_host=False),
            description_placeholders={"name": entry.title},
            errors=errors,
        )


class LocalEnergyOptionsFlow(OptionsFlowWithReload):
    """How often to refresh, within the family's bounds, and whether to flip the power sign."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        timing = FAMILIES[self.config_entry.data[CONF_FAMILY]].client.timing
        schema = vol.Schema(
            {
                vol.Required(CONF_UPDATE_INTERVAL, default=timing.default_interval): NumberSelector(
                    NumberSelectorConfig(
                        min=timing.minimum_interval,
                        max=timing.maximum_interval,
                        step=0.05,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_INVERT, default=False): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, dict(self.config_entry.options)),
            description_placeholders={
                "minimum": f"{timing.minimum_interval:g}",
                "default": f"{timing.default_interval:g}",
            },
        )
