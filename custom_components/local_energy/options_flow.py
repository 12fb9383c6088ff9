"""The options of a device entry: the update interval, the sign, and the family's own options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .const import (
    CONF_COUNTER_OFFSETS,
    CONF_EVERY_VALUE_FAST,
    CONF_FAMILY,
    CONF_INVERT,
    CONF_INVERTED_BEFORE,
    CONF_UPDATE_INTERVAL,
)
from .device_forms import setting_schema
from .devices.families import BY_ID
from .devices.family import Asked
from .validation import vol


class LocalEnergyOptionsFlow(OptionsFlowWithReload):
    """How often to refresh, within the family's bounds, and whether to flip the power sign."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(data=self._with_counter_offsets(user_input))
        family = BY_ID[self.config_entry.data[CONF_FAMILY]]
        timing = family.timing
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
                vol.Required(CONF_EVERY_VALUE_FAST, default=False): BooleanSelector(),
            }
        ).extend(dict(setting_schema(setting) for setting in family.declared_settings(Asked.OPTIONS)))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, dict(self.config_entry.options)),
            description_placeholders={
                "minimum": f"{timing.minimum_interval:g}",
                "default": f"{timing.default_interval:g}",
            },
        )

    def _with_counter_offsets(self, user_input: dict[str, Any]) -> dict[str, Any]:
        """Keep the counters continuous when the sign changes: the offsets are made at the next reading.

        Then whether the device answers now or only later (the entry waiting for it), the counters continue
        from what they show and grow only by what is measured from then on.
        """
        options = self.config_entry.options
        inverted_before = bool(options.get(CONF_INVERTED_BEFORE, options.get(CONF_INVERT, False)))
        chosen = {**user_input, CONF_COUNTER_OFFSETS: dict(options.get(CONF_COUNTER_OFFSETS, {}))}
        if bool(user_input.get(CONF_INVERT, False)) != inverted_before:
            chosen[CONF_INVERTED_BEFORE] = inverted_before
        return chosen
