"""A controller entry: a grid power sensor in, battery setpoints and a charging current out.

The grid sensor may be any Home Assistant sensor in W or kW; the actuators are this integration's own
number entities whose family declares them a battery or a charger, so every write goes through the
guarded setpoint path of their client (bounds, resolution, rate limits) and never leaves outside them.
The loops themselves (``control/``) know nothing of Home Assistant: this module feeds them the grid
value each time the sensor reports one (a changed or the same value), ticks them every second, sends
what they decide, switches batteries that need it into the mode a loop may drive and back, and hands
every device back to its own mode when the controller is switched off, unloaded or Home Assistant stops.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import EVENT_STATE_REPORTED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HassJob,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event, async_track_time_interval
from homeassistant.util import dt as dt_util

from ..const import (
    CONF_DEADBAND,
    CONF_FALLBACK_CURRENT,
    CONF_GRID_SENSOR,
    CONF_INVERT_GRID,
    CONF_MAXIMUM_CHARGE,
    CONF_MAXIMUM_DISCHARGE,
    CONF_MAXIMUM_SOC,
    CONF_MINIMUM_SOC,
    CONF_TARGET,
    LOGGER,
)
from ..control.battery import BatteryLimits, Tuning
from ..control.controller import Battery, Charger, Controller, Decision, Mode, Priority, Settings
from ..control.runner import MeterPort, Runner
from ..control.surplus import SurplusTuning
from ..devices.family import BatteryActuator, ChargerActuator
from ..issues import async_sync_controller_issue
from .actuators import Actuated, BatteryPort, ChargerPort, resolve
from .grid import grid_watts

TICK = timedelta(seconds=1)
RELEASE_TIMEOUT = 10.0
"""Seconds the hand-back on stop may take (Home Assistant gives all its shutdown jobs 20 s)."""


def settings_from(
    options: Mapping[str, Any], priority: Priority, surplus: SurplusTuning | None = None
) -> Settings:
    """The loops' settings from an entry's options (and what the charger can do)."""
    return Settings(
        tuning=Tuning(
            target=float(options.get(CONF_TARGET, 0.0)), deadband=float(options.get(CONF_DEADBAND, 25.0))
        ),
        surplus=surplus or SurplusTuning(),
        minimum_soc=float(options.get(CONF_MINIMUM_SOC, 10.0)),
        maximum_soc=float(options.get(CONF_MAXIMUM_SOC, 95.0)),
        priority=priority,
        fallback_current=float(options.get(CONF_FALLBACK_CURRENT, 6.0)),
        # The user's power limits are for all batteries together: they bound the total, then it is shared.
        maximum_charge=float(options.get(CONF_MAXIMUM_CHARGE, math.inf)),
        maximum_discharge=float(options.get(CONF_MAXIMUM_DISCHARGE, math.inf)),
    )


class ControllerRuntime:
    """One controller entry at work."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        batteries: dict[str, tuple[Actuated, BatteryActuator]],
        charger: tuple[Actuated, ChargerActuator] | None,
        meters: Mapping[str, MeterPort] | None = None,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.options: Mapping[str, Any] = {**entry.data, **entry.options}
        self.batteries = batteries
        self.charger = charger
        self.meters = dict(meters or {})
        """Served meters whose batteries regulate on what they read: steered by a bias."""
        self.grid_entity: str = self.options[CONF_GRID_SENSOR]
        self.invert = bool(self.options.get(CONF_INVERT_GRID, False))
        self.enabled = False
        self.priority = Priority.BATTERY
        self.controller = self._new_controller()
        self.runner = self._new_runner()
        self.decision: Decision | None = None
        self.grid: float | None = None
        self._listeners: list[Callable[[], None]] = []
        self._refused = False
        self._stopped = False

    # --- life cycle -----------------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Listen to the grid sensor, tick every second, hand back on stop."""
        entry, hass = self.entry, self.hass
        entry.async_on_unload(async_track_state_change_event(hass, [self.grid_entity], self._on_grid_changed))
        entry.async_on_unload(
            hass.bus.async_listen(EVENT_STATE_REPORTED, self._on_grid_reported, self._is_grid_report)
        )
        entry.async_on_unload(async_track_time_interval(hass, self._on_tick, TICK))
        # A shutdown job runs before the stop event: the devices, their sessions and the grid sensor's
        # integration are all still there, and no background write has been cancelled yet.
        entry.async_on_unload(hass.async_add_shutdown_job(HassJob(self._on_shutdown)))

    @property
    def active(self) -> bool:
        """Whether the loops decide and write: switched on, and Home Assistant not stopping."""
        return self.enabled and not self._stopped

    async def async_turn_on(self) -> None:
        """Start the loops (from a fresh state: nothing is assumed of the devices)."""
        if not self.enabled:
            self.enabled = True
            self.controller = self._new_controller()
            self.runner = self._new_runner()
            self.decision = None
            self._notify()

    async def async_turn_off(self) -> None:
        """Stop the loops and hand every device back to its own mode (unless stopping did so already)."""
        if self.enabled:
            self.enabled = False
            self.decision = None
            if not self._stopped:
                await self.async_release()
            self._notify()

    async def async_set_priority(self, priority: Priority) -> None:
        """Who takes the surplus first."""
        self.priority = priority
        self.controller.configure(settings_from(self.options, priority, self._surplus_tuning()))
        self._notify()

    async def async_release(self) -> None:
        """Batteries to 0 W and their own mode, the charger to its fallback current (on its phases)."""
        self.runner.stop()
        await self.runner.release(float(self.options.get(CONF_FALLBACK_CURRENT, 6.0)))

    @property
    def last_error(self) -> str | None:
        """The write that failed last, until one works again."""
        return self.runner.last_error

    async def _on_shutdown(self) -> None:
        """Hand the devices back once, and decide nothing more: Home Assistant is stopping."""
        self._stopped = True
        if self.enabled:
            try:
                async with asyncio.timeout(RELEASE_TIMEOUT):
                    await self.async_release()
            except TimeoutError:
                LOGGER.warning("%s: handing the devices back took too long at stop", self.entry.title)

    # --- listeners for the entities -------------------------------------------------------------------

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener after each decision; returns what removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in tuple(self._listeners):
            listener()

    # --- the grid sensor and the tick -------------------------------------------------------------------

    @callback
    def _is_grid_report(self, event_data: EventStateReportedData) -> bool:
        return event_data["entity_id"] == self.grid_entity

    @callback
    def _on_grid_changed(self, event: Event[EventStateChangedData]) -> None:
        self._on_grid(event.data["new_state"])

    @callback
    def _on_grid_reported(self, event: Event[EventStateReportedData]) -> None:
        self._on_grid(event.data["new_state"])

    @callback
    def _on_grid(self, state: State | None) -> None:
        now = dt_util.utcnow().timestamp()
        self.grid = grid_watts(state, invert=self.invert)
        if not self.active:
            return
        if self.grid is None:
            decision = self.controller.unavailable(now)
        else:
            self._follow_reloads()
            decision = self.controller.measure(
                self.grid, now, self._battery_readings(), self._charger_reading()
            )
        self._decided(decision)

    def _follow_reloads(self) -> None:
        """A device entry that was reloaded has a new coordinator: drive that one (the old one is shut)."""
        for name, (actuated, declared) in self.batteries.items():
            if (found := self._reloaded(actuated)) is not None:
                self.batteries[name] = (found, declared)
                self.runner.batteries[name] = BatteryPort(found, declared)
        if self.charger is not None and (found := self._reloaded(self.charger[0])) is not None:
            self.charger = (found, self.charger[1])
            self.runner.charger = ChargerPort(*self.charger)

    def _reloaded(self, actuated: Actuated) -> Actuated | None:
        entry = actuated.coordinator.config_entry
        if entry.state is ConfigEntryState.LOADED and entry.runtime_data.coordinator is actuated.coordinator:
            return None
        return resolve(self.hass, actuated.entity_id)

    @callback
    def _on_tick(self, _now: Any) -> None:
        if self.active:
            self._decided(self.controller.tick(dt_util.utcnow().timestamp()))

    @callback
    def _decided(self, decision: Decision) -> None:
        self.decision = decision
        if (refused := decision.mode is Mode.REFUSED) != self._refused:
            self._refused = refused
            async_sync_controller_issue(self.hass, self.entry, refused, self._issue_placeholders())
        if self.runner.due(decision):
            self.entry.async_create_background_task(
                self.hass, self.runner.apply(decision), "controller write"
            )
        self._notify()

    def _issue_placeholders(self) -> dict[str, str]:
        interval = self.controller.sensor_interval
        return {"entity": self.grid_entity, "interval": f"{interval:.0f}" if interval else "?"}

    # --- readings -----------------------------------------------------------------------------------

    def _battery_readings(self) -> dict[str, Battery]:
        readings = {}
        for name, (actuated, declared) in self.batteries.items():
            control = actuated.current_control()
            low, high = control.minimum or 0.0, control.maximum or 0.0
            # In discharge terms: a charge-positive setpoint's maximum is its charge limit.
            charge, discharge = (high, -low) if declared.charge_positive else (-low, high)
            soc = actuated.value(declared.state_of_charge)
            power = actuated.value(declared.power)
            limits = BatteryLimits(max(discharge, 0.0), max(charge, 0.0), step=control.step or 1.0)
            readings[name] = Battery(
                limits=limits,
                soc=soc,
                power=None if power is None else (-power if declared.charge_positive else power),
                response_delay=declared.response_delay,
                minimum_interval=declared.minimum_interval,
                reserve=actuated.value(declared.reserve),
            )
        return readings

    def _charger_reading(self) -> Charger | None:
        if self.charger is None:
            return None
        actuated, declared = self.charger
        return Charger(power=actuated.value(declared.power), minimum_interval=declared.minimum_interval)

    def _surplus_tuning(self) -> SurplusTuning:
        if self.charger is None:
            return SurplusTuning()
        actuated, declared = self.charger
        return SurplusTuning(
            maximum_current=actuated.current_control().maximum or 16.0,
            switches_phases=declared.phases is not None and declared.single_phase_current is not None,
        )

    def _new_controller(self) -> Controller:
        settings = settings_from(self.options, self.priority, self._surplus_tuning())
        return Controller(
            settings, tuple(self.batteries), charger=self.charger is not None, meters=bool(self.meters)
        )

    def _new_runner(self) -> Runner:
        ports = {
            name: BatteryPort(actuated, declared) for name, (actuated, declared) in self.batteries.items()
        }
        charger = None if self.charger is None else ChargerPort(*self.charger)
        return Runner(self.controller, ports, charger, self._on_write_error, self.meters)

    def _on_write_error(self, error: str | None) -> None:
        """A write failed (logged once, until writes work again)."""
        if error is None:
            LOGGER.info("%s: writes work again", self.entry.title)
        else:
            LOGGER.warning("%s: %s", self.entry.title, error)

    def diagnostics(self) -> dict[str, Any]:
        """What the controller holds, for the diagnostics download."""
        decision = self.decision
        return {
            "enabled": self.enabled,
            "priority": self.priority,
            "grid_sensor": self.grid_entity,
            "grid": self.grid,
            "grid_interval": self.controller.sensor_interval,
            "mode": None if decision is None else decision.mode,
            "reason": None if decision is None else decision.reason,
            "total": None if decision is None else decision.total,
            "error": None if decision is None else decision.error,
            "batteries": self.controller.sent(),
            "charger_current": self.controller.charging_current,
            "last_error": self.last_error,
        }
