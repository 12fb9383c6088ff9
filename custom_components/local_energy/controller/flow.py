"""The controller's form: a grid sensor, the actuators and the limits; checked before it is saved."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
)

from ..const import (
    CONF_BATTERIES,
    CONF_CHARGER,
    CONF_DEADBAND,
    CONF_FALLBACK_CURRENT,
    CONF_FAMILY,
    CONF_GRID_SENSOR,
    CONF_INVERT_GRID,
    CONF_MAXIMUM_CHARGE,
    CONF_MAXIMUM_DISCHARGE,
    CONF_MAXIMUM_SOC,
    CONF_MINIMUM_SOC,
    CONF_SERVED_METERS,
    CONF_TARGET,
    CONTROLLER,
    DOMAIN,
)
from ..emulated_meter import resolve_served_meter
from ..validation import number_box, vol
from .actuators import battery_of, charger_of, resolve
from .grid import not_power


def controller_schema() -> vol.Schema:
    """The fields of a controller, with their defaults."""
    return vol.Schema(
        {
            vol.Required(CONF_GRID_SENSOR): EntitySelector(
                EntitySelectorConfig(domain="sensor", device_class="power")
            ),
            vol.Required(CONF_INVERT_GRID, default=False): BooleanSelector(),
            vol.Optional(CONF_BATTERIES, default=[]): EntitySelector(
                EntitySelectorConfig(domain="number", integration=DOMAIN, multiple=True)
            ),
            vol.Optional(CONF_CHARGER): EntitySelector(
                EntitySelectorConfig(domain="number", integration=DOMAIN)
            ),
            vol.Optional(CONF_SERVED_METERS, default=[]): EntitySelector(
                EntitySelectorConfig(domain="sensor", integration=DOMAIN, multiple=True)
            ),
            vol.Required(CONF_TARGET, default=0): number_box(-50_000, 50_000, 10, "W"),
            vol.Required(CONF_DEADBAND, default=25): number_box(0, 1000, 5, "W"),
            vol.Required(CONF_MINIMUM_SOC, default=10): number_box(0, 100, 1, "%"),
            vol.Required(CONF_MAXIMUM_SOC, default=95): number_box(0, 100, 1, "%"),
            vol.Required(CONF_MAXIMUM_CHARGE, default=10_000): number_box(0, 1_000_000, 100, "W"),
            vol.Required(CONF_MAXIMUM_DISCHARGE, default=10_000): number_box(0, 1_000_000, 100, "W"),
            vol.Required(CONF_FALLBACK_CURRENT, default=6): number_box(0, 32, 1, "A"),
        }
    )


def controller_errors(
    hass: HomeAssistant, values: Mapping[str, Any], entry_id: str | None = None
) -> dict[str, str]:
    """What is wrong with a controller's fields (empty when nothing), the first thing found."""
    batteries = list(values.get(CONF_BATTERIES) or [])
    charger = str(values.get(CONF_CHARGER) or "")
    meters = list(values.get(CONF_SERVED_METERS) or [])
    low, high = float(values[CONF_MINIMUM_SOC]), float(values[CONF_MAXIMUM_SOC])
    state = hass.states.get(values[CONF_GRID_SENSOR])
    actuators = {*batteries, *([charger] if charger else []), *meters}
    checks: tuple[tuple[str, str, Callable[[], bool]], ...] = (
        ("base", "no_actuator", lambda: not actuators),
        (CONF_GRID_SENSOR, "grid_unit", lambda: not_power(state)),
        (CONF_BATTERIES, "not_a_battery", lambda: any(not _is_battery(hass, e) for e in batteries)),
        (CONF_CHARGER, "not_a_charger", lambda: bool(charger) and not _is_charger(hass, charger)),
        (CONF_SERVED_METERS, "not_a_served_meter", lambda: any(not _is_served(hass, e) for e in meters)),
        (CONF_MAXIMUM_SOC, "soc_limits", lambda: low >= high),
        ("base", "actuator_in_use", lambda: _in_use(hass, actuators, entry_id)),
    )
    return next(({field: error} for field, error, failed in checks if failed()), {})


def _is_battery(hass: HomeAssistant, entity_id: str) -> bool:
    return (actuated := resolve(hass, entity_id)) is not None and battery_of(actuated) is not None


def _is_charger(hass: HomeAssistant, entity_id: str) -> bool:
    return (actuated := resolve(hass, entity_id)) is not None and charger_of(actuated) is not None


def _is_served(hass: HomeAssistant, entity_id: str) -> bool:
    return resolve_served_meter(hass, entity_id) is not None


def _in_use(hass: HomeAssistant, actuators: set[str], entry_id: str | None) -> bool:
    """Whether another controller drives one of these already (two loops on one battery fight)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.entry_id == entry_id or entry.data.get(CONF_FAMILY) != CONTROLLER:
            continue
        options = entry.options
        theirs = {
            *options.get(CONF_BATTERIES, []),
            *filter(None, [options.get(CONF_CHARGER)]),
            *options.get(CONF_SERVED_METERS, []),
        }
        if theirs & actuators:
            return True
    return False


def controller_title(hass: HomeAssistant, values: Mapping[str, Any]) -> str:
    """The entry's title: what it does, and on which grid sensor."""
    state = hass.states.get(values[CONF_GRID_SENSOR])
    sensor = state.name if state is not None else values[CONF_GRID_SENSOR]
    what = (
        "Zero export" if values.get(CONF_BATTERIES) or values.get(CONF_SERVED_METERS) else "Surplus charging"
    )
    return f"{what} ({sensor})"


class ControllerOptionsFlow(OptionsFlowWithReload):
    """Every field of a controller, changed in place (the entry reloads and hands back first)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A controller's options are its own step (the devices' options step asks other things)."""
        return await self.async_step_controller(user_input)

    async def async_step_controller(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the controller's fields."""
        errors = {}
        if user_input is not None:
            errors = controller_errors(self.hass, user_input, self.config_entry.entry_id)
            if not errors:
                return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="controller",
            data_schema=self.add_suggested_values_to_schema(
                controller_schema(), user_input or dict(self.config_entry.options)
            ),
            errors=errors,
        )
