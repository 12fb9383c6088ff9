"""A served meter's form: the source sensors, how they are read, and each persona's port."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    TextSelector,
)

from .const import (
    CONF_CLIENT_SHARES,
    CONF_ENERGY_IN_SENSOR,
    CONF_ENERGY_OUT_SENSOR,
    CONF_EXPORT_POSITIVE,
    CONF_FACTOR,
    CONF_FAMILY,
    CONF_LISTEN_HOST,
    CONF_MAC,
    CONF_OFFSET,
    CONF_PHASE_SENSORS,
    CONF_POWER_SENSOR,
    CONF_STALE_AFTER,
    EMULATED_METER,
)
from .controller.grid import not_power
from .emulated_meter import parse_shares
from .emulation.feed import DEFAULT_STALE_AFTER
from .emulation.personas import PERSONAS
from .validation import number_box, vol


def emulated_schema() -> vol.Schema:
    """The fields of a served meter, with their defaults."""
    power = EntitySelectorConfig(domain="sensor", device_class="power")
    energy = EntitySelectorConfig(domain="sensor", device_class="energy")
    ports: dict[vol.Marker, NumberSelector] = {
        vol.Required(persona.option, default=persona.default_port): number_box(0, 65535, 1)
        for persona in PERSONAS
    }
    return vol.Schema(
        {
            vol.Optional(CONF_POWER_SENSOR): EntitySelector(power),
            vol.Optional(CONF_PHASE_SENSORS): EntitySelector(
                EntitySelectorConfig(domain="sensor", device_class="power", multiple=True)
            ),
            vol.Required(CONF_EXPORT_POSITIVE, default=False): BooleanSelector(),
            vol.Optional(CONF_ENERGY_IN_SENSOR): EntitySelector(energy),
            vol.Optional(CONF_ENERGY_OUT_SENSOR): EntitySelector(energy),
            vol.Required(CONF_OFFSET, default=0): number_box(-10_000, 10_000, 1, "W"),
            vol.Required(CONF_FACTOR, default=1): number_box(-10, 10, 0.001),
            vol.Required(CONF_STALE_AFTER, default=DEFAULT_STALE_AFTER): number_box(1, 600, 1, "s"),
            vol.Required(CONF_LISTEN_HOST, default="0.0.0.0"): TextSelector(),
            **ports,
            vol.Optional(CONF_CLIENT_SHARES, default=""): TextSelector(),
        }
    )


def emulated_errors(hass: HomeAssistant, values: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with a served meter's fields (empty when nothing), the first thing found."""
    phases = list(values.get(CONF_PHASE_SENSORS) or [])
    power = values.get(CONF_POWER_SENSOR)
    sources = [power] if power else phases
    chosen = [(persona.protocol, int(values.get(persona.option, 0))) for persona in PERSONAS]
    used = [(protocol, port) for protocol, port in chosen if port]
    checks: tuple[tuple[str, str, bool], ...] = (
        (CONF_POWER_SENSOR, "no_source", not power and not phases),
        (CONF_PHASE_SENSORS, "three_phases", not power and len(phases) != 3),
        (CONF_POWER_SENSOR, "grid_unit", any(not_power(hass.states.get(entity_id)) for entity_id in sources)),
        ("base", "ports_clash", len(set(used)) < len(used)),
        ("base", "nothing_served", not used),
        (
            CONF_CLIENT_SHARES,
            "shares_invalid",
            parse_shares(str(values.get(CONF_CLIENT_SHARES) or "")) is None,
        ),
    )
    return next(({field: error} for field, error, failed in checks if failed), {})


def emulated_title(hass: HomeAssistant, values: Mapping[str, Any]) -> str:
    """The entry's title: the source it serves."""
    entity_id = values.get(CONF_POWER_SENSOR) or next(iter(values.get(CONF_PHASE_SENSORS) or []), "")
    state = hass.states.get(entity_id)
    return f"Served meter ({state.name if state is not None else entity_id})"


def new_mac() -> str:
    """A MAC for the personas, made once: batteries that paired with it find it again after restarts."""
    return secrets.token_hex(6).upper()


def emulated_data() -> dict[str, Any]:
    """What an entry keeps for good: its kind and its MAC."""
    return {CONF_FAMILY: EMULATED_METER, CONF_MAC: new_mac()}


class EmulatedMeterOptionsFlow(OptionsFlowWithReload):
    """Every field of a served meter, changed in place (the entry reloads; its MAC stays)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A served meter's options are its own step."""
        return await self.async_step_emulated_meter(user_input)

    async def async_step_emulated_meter(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the served meter's fields."""
        errors = emulated_errors(self.hass, user_input) if user_input is not None else {}
        if user_input is not None and not errors:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id=EMULATED_METER,
            data_schema=self.add_suggested_values_to_schema(
                emulated_schema(), user_input or dict(self.config_entry.options)
            ),
            errors=errors,
        )
