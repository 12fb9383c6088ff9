"""Config flow: a family menu, credentials only when a device asks, zeroconf, reconfigure, reauth, options."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.selector import SelectOptionDict
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .const import (
    CONF_FAMILY,
    CONF_FRAMING,
    CONF_SERIAL,
    CONF_TLS_PORT,
    CONF_UNIT_ID,
    CONTROLLER,
    DOMAIN,
    EMULATED_METER,
)
from .controller.flow import ControllerOptionsFlow, controller_errors, controller_schema, controller_title
from .coordinator import LocalEnergyConfigEntry
from .device_forms import Identified, device_schema, identify, serial_port_choices, setting_errors, title_of
from .devices.families import BY_ID, FAMILIES, MenuStep, announced_family, menu_steps, variants
from .devices.family import Asked, Family, Field
from .devices.links import Framing
from .devices.snapshot import DeviceIdentity
from .emulated_flow import (
    EmulatedMeterOptionsFlow,
    emulated_data,
    emulated_errors,
    emulated_schema,
    emulated_title,
)
from .emulated_meter import served_macs
from .family_steps import FamilySteps
from .options_flow import LocalEnergyOptionsFlow
from .pairing import PairingSteps
from .validation import vol

CONF_PROBE_ADDRESS = "probe_address"
BROADCAST = "255.255.255.255"
"""Where a search probe goes by default: every device on the local network."""


STEPS = menu_steps()


def _is_ipv4(address: str) -> bool:
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return True


class LocalEnergyConfigFlow(FamilySteps, PairingSteps, ConfigFlow, domain=DOMAIN):
    """Add a device: pick its family, enter its address, and it is identified before the entry exists."""

    VERSION = 1

    def __init__(self) -> None:
        self._family: Family[Any] = FAMILIES[0]  # replaced by the family chosen or discovered
        self._data: dict[str, Any] = {}
        self._identity: DeviceIdentity | None = None
        self._found: list[SelectOptionDict] | None = None
        """Devices a search found, offered as the host (those that answered the family's probe)."""
        self._needs_credentials = False
        self._core: str | None = None
        """Home Assistant's own integration that was offered the discovered device too."""

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: LocalEnergyConfigEntry,
    ) -> LocalEnergyOptionsFlow | ControllerOptionsFlow | EmulatedMeterOptionsFlow:
        """The options of an entry: update interval and sign; or a controller's or served meter's fields."""
        if config_entry.data.get(CONF_FAMILY) == CONTROLLER:
            return ControllerOptionsFlow()
        if config_entry.data.get(CONF_FAMILY) == EMULATED_METER:
            return EmulatedMeterOptionsFlow()
        return LocalEnergyOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the families, a controller, and a served meter."""
        families = [f.id for f in FAMILIES if f.variant_of is None]
        return self.async_show_menu(step_id="user", menu_options=[*families, CONTROLLER, EMULATED_METER])

    async def async_step_controller(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A control loop: the grid sensor, the batteries and/or a charger, the target and limits."""
        errors = controller_errors(self.hass, user_input) if user_input is not None else {}
        if user_input is not None and not errors:
            return self.async_create_entry(
                title=controller_title(self.hass, user_input),
                data={CONF_FAMILY: CONTROLLER},
                options=user_input,
            )
        return self.async_show_form(
            step_id=CONTROLLER,
            data_schema=self.add_suggested_values_to_schema(controller_schema(), user_input or {}),
            errors=errors,
        )

    async def async_step_emulated_meter(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A served meter: Home Assistant's grid power, served to batteries as the meters they read."""
        errors = emulated_errors(self.hass, user_input) if user_input is not None else {}
        if user_input is not None and not errors:
            return self.async_create_entry(
                title=emulated_title(self.hass, user_input), data=emulated_data(), options=user_input
            )
        return self.async_show_form(
            step_id=EMULATED_METER,
            data_schema=self.add_suggested_values_to_schema(emulated_schema(), user_input or {}),
            errors=errors,
        )

    async def _async_step_chosen(self, step_id: str, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """A step the family menu leads to: the ways to reach a family, its search, or its form."""
        kind, family = STEPS[step_id]
        if kind is MenuStep.WAYS:
            options = [f"{family.id}_search"] if family.probe else []
            options += [way.choice for way in variants(family)]
            return self.async_show_menu(step_id=step_id, menu_options=options)
        if kind is MenuStep.SEARCH:
            return await self._async_step_search(step_id, family, user_input)
        return await self._async_step_connection(step_id, family, user_input)

    async def async_step_integration_discovery(self, discovery_info: dict[str, Any]) -> ConfigFlowResult:
        """A device was heard broadcasting: confirm it (its serial is known from what it sent)."""
        family = BY_ID[discovery_info[CONF_FAMILY]]
        self._family, self._data = family, dict(discovery_info)
        await self.async_set_unique_id(str(discovery_info[CONF_SERIAL]))
        self._abort_if_unique_id_configured(updates={CONF_HOST: discovery_info[CONF_HOST]})
        outcome = await self._async_identify(self._family, self._data)
        if outcome.identity is None and not outcome.needs_credentials:
            return self.async_abort(reason=str(outcome.error))
        self._needs_credentials = outcome.needs_credentials
        name = (
            title_of(outcome.identity) if outcome.identity else f"{family.name} {discovery_info[CONF_SERIAL]}"
        )
        self.context["title_placeholders"] = {"name": name}
        if family.discovery_asks_port:
            return await self.async_step_discovery_confirm()
        return await self.async_step_zeroconf_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a device heard broadcasting, with the HTTP port assumed for it and its password.

        The entry reads the broadcasts; HTTP is asked only when none is fresh, so neither is checked here:
        the API may be filtered, or elsewhere, while the broadcasts arrive.
        """
        if user_input is not None:
            self._data.update(user_input)
            return self._async_create()
        fields = (Field.PORT, *self._family.credentials)
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=self.add_suggested_values_to_schema(
                device_schema(self._family, fields, with_host=False), {CONF_PORT: self._data[CONF_PORT]}
            ),
            description_placeholders={**self.context["title_placeholders"], "host": self._data[CONF_HOST]},
        )

    async def _async_step_search(
        self, step_id: str, family: Family[Any], user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask the devices to answer (a probe to an address), then offer those that did in the form."""
        assert family.probe is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            address = str(user_input[CONF_PROBE_ADDRESS]).strip()
            if not _is_ipv4(address):
                errors[CONF_PROBE_ADDRESS] = "invalid_probe_address"
            elif found := await family.probe.search(address):
                self._found = [SelectOptionDict(value=device.host, label=device.label) for device in found]
                return await self._async_step_connection(family.choice, family, None)
            else:
                errors["base"] = "no_devices_found"
        schema = vol.Schema({vol.Required(CONF_PROBE_ADDRESS, default=BROADCAST): str})
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def _async_step_connection(
        self, step_id: str, family: Family[Any], user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Where a family's device is reached, and its settings: identified before the entry exists."""
        errors = setting_errors(family, user_input) if user_input is not None else {}
        if user_input is not None and not errors:
            self._family, self._data = family, {CONF_FAMILY: family.id, **user_input}
            if family.serial_line:
                self._data |= {CONF_PORT: 0, CONF_FRAMING: Framing.SERIAL}
            if Field.SERIAL in family.fields:
                # A serial typed in identifies nothing: one address (and unit id) is one device.
                where = (CONF_HOST, CONF_PORT, CONF_UNIT_ID)
                self._async_abort_entries_match({key: self._data[key] for key in where if key in self._data})
            outcome = await self._async_identify(self._family, self._data)
            if outcome.needs_credentials:
                return await self._async_step_access()
            if outcome.error is None:
                return self._async_create()
            errors["base"] = outcome.error
        found = await serial_port_choices(self.hass) if family.serial_line else self._found
        schema = device_schema(family, family.fields, family.declared_settings(Asked.SETUP), found=found)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_credentials(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The device has authentication on: ask for its credentials."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._data.update(user_input)
            outcome = await self._async_identify(self._family, self._data)
            if outcome.error is None:
                return self._async_create()
            errors["base"] = outcome.error
        identity = self._identity
        return self.async_show_form(
            step_id="credentials",
            data_schema=self.add_suggested_values_to_schema(
                device_schema(self._family, self._family.credentials, with_host=False),
                user_input or {CONF_USERNAME: "admin"},
            ),
            description_placeholders={"name": title_of(identity) if identity else self._data[CONF_HOST]},
            errors=errors,
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A device announced itself: recognise it by what it answers, not by its announced name."""
        announced = f"{discovery_info.name} {discovery_info.properties}".lower()
        if any(mac in announced for mac in served_macs(self.hass)):
            return self.async_abort(reason="served_here")  # a served meter of this Home Assistant
        found = announced_family(discovery_info.type, discovery_info.name)
        if found is None:
            return self.async_abort(reason="not_supported")
        announcement, family = found
        self._family = family
        self._data = {CONF_FAMILY: family.id, CONF_HOST: discovery_info.host}
        if announcement.tls:
            self._data |= {CONF_PORT: family.default_port, CONF_TLS_PORT: discovery_info.port}
        else:
            self._data[CONF_PORT] = discovery_info.port or family.default_port
        if serial := announcement.serial(discovery_info.hostname, discovery_info.properties):
            # Known before any request: a device already set up is recognised before it is asked anything.
            await self.async_set_unique_id(serial)
            self._abort_if_unique_id_configured(updates=self._data)
        self._core = announcement.core
        outcome = await self._async_identify(self._family, self._data)
        if outcome.identity is None and not outcome.needs_credentials:
            return self.async_abort(reason=str(outcome.error))
        self._needs_credentials = outcome.needs_credentials
        name = title_of(outcome.identity) if outcome.identity else f"{family.name} {discovery_info.host}"
        self.context["title_placeholders"] = {"name": name}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask before adding a discovered device (saying where Home Assistant's own one can add it too)."""
        if user_input is not None:
            return await self._async_step_access() if self._needs_credentials else self._async_create()
        self._set_confirm_only()
        placeholders = {**self.context["title_placeholders"], "host": self._data[CONF_HOST]}
        if self._core is None:
            return self.async_show_form(step_id="zeroconf_confirm", description_placeholders=placeholders)
        return self.async_show_form(
            step_id="zeroconf_confirm_core", description_placeholders=placeholders | {"core": self._core}
        )

    async def async_step_zeroconf_confirm_core(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The confirmation of a device Home Assistant's own integration is offered too."""
        return await self.async_step_zeroconf_confirm(user_input)

    async def _async_step_access(self) -> ConfigFlowResult:
        """The device wants access granted: by pressing its button, or with credentials."""
        return await self.async_step_pair() if self._family.pairing else await self.async_step_credentials()

    async def async_step_pair_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Access granted: identify with it, then create the entry (or update the re-authenticated one)."""
        if self.source == SOURCE_REAUTH:
            outcome = await self._async_identify(self._family, self._data)
            if outcome.error is not None:
                return self.async_abort(reason=outcome.error)
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=self._data)
        outcome = await self._async_identify(self._family, self._data)
        if outcome.identity is None or outcome.error is not None:
            return self.async_abort(reason=str(outcome.error))
        return self._async_create()

    async def _async_identify(self, family: Family[Any], data: Mapping[str, Any]) -> Identified:
        """Identify the device at an address; its serial becomes the flow's unique id.

        The one path for every source. A new device already configured aborts, and that entry moves to
        this address; an entry being changed (reauth, reconfigure) aborts when another device answers.
        """
        outcome = await identify(self.hass, family, data)
        if outcome.identity is None:
            return outcome
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            if outcome.error is None:
                await self.async_set_unique_id(outcome.identity.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
            return outcome
        self._identity = outcome.identity
        # A device the user adds by hand takes over a discovered flow for it that waits to be confirmed.
        await self.async_set_unique_id(outcome.identity.serial, raise_on_progress=self.source != SOURCE_USER)
        self._abort_if_unique_id_configured(updates={CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]})
        return outcome

    def _async_create(self) -> ConfigFlowResult:
        assert self._identity is not None
        return self.async_create_entry(
            title=title_of(self._identity), data={**self._data, CONF_SERIAL: self._identity.serial}
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change where the device is reached; it must still be the same device."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_FAMILY) == CONTROLLER:
            return self.async_abort(reason="controller_in_options")
        if entry.data.get(CONF_FAMILY) == EMULATED_METER:
            return self.async_abort(reason="served_meter_in_options")
        family = BY_ID[entry.data[CONF_FAMILY]]
        fields = tuple(f for f in family.fields if f is not Field.SERIAL)
        errors = setting_errors(family, user_input) if user_input is not None else {}
        if user_input is not None and not errors:
            data = {**entry.data, **user_input}
            if Field.SERIAL not in family.fields:
                data.pop(CONF_SERIAL, None)  # ask the device again rather than trust the stored serial
            outcome = await self._async_identify(family, data)
            if outcome.error is None:
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
            errors["base"] = outcome.error
        found = await serial_port_choices(self.hass) if family.serial_line else None
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                device_schema(family, fields, family.declared_settings(Asked.SETUP), found=found),
                user_input or dict(entry.data),
            ),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The device refused us: ask for new credentials, or to enable its API."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Try again with what the user gives (or just again, when the family has no credentials)."""
        entry = self._get_reauth_entry()
        family = BY_ID[entry.data[CONF_FAMILY]]
        errors: dict[str, str] = {}
        if user_input is not None and family.pairing and CONF_TOKEN in entry.data:
            # The device no longer accepts the token it gave: pair again.
            self._family = family
            self._data = {k: v for k, v in entry.data.items() if k != CONF_TOKEN}
            return await self.async_step_pair()
        if user_input is not None:
            outcome = await self._async_identify(family, {**entry.data, **user_input})
            if outcome.error is None:
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
            errors["base"] = outcome.error
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                device_schema(family, family.credentials, with_host=False),
                {CONF_USERNAME: entry.data.get(CONF_USERNAME, "admin")},
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )
