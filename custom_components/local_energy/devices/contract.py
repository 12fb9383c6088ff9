"""Every value is checked once, here, on its way from a device client to Home Assistant.

A value must have its key's type, be finite and lie inside the key's plausible range (the key table).
Counters also obey the counter rule: a reading below the last good one, or above what the key's fastest
rate allows since then, is held back (the last good value is shown instead) until the new level has been
read ``CONFIRM_READINGS`` times in a row over at least ``CONFIRM_SECONDS``. A confirmed drop below 90 % of
the held value is a real reset (a new meter, a cleared counter) and is taken once; a smaller persistent
drop is held until the counter passes its old value again, so a counter never goes backwards in Home
Assistant because of rounding or one bad reading. What fails is dropped from the snapshot (the other values
stay), counted, and logged once per key and channel.

Setpoints are guarded here too: finite, inside the control's bounds, rounded toward zero to its step.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import clock
from .errors import CommandRejected
from .integrator import EnergyIntegrator
from .keys import KEYS, MAX_POWER_W, Key, KeySpec, ValueKind
from .snapshot import Channel, Control, ControlKind, Snapshot, Value

_LOGGER = logging.getLogger(__name__)

CONFIRM_READINGS = 3
CONFIRM_SECONDS = 10.0
RESET_BELOW = 0.9
"""A confirmed drop to below this share of the held value is a reset; smaller drops are noise."""
COUNTER_SLACK = 0.002
"""kWh a counter may rise beyond its rate limit (rounding of the last digit)."""
MAX_TEXT = 64


@dataclass(slots=True)
class _Counter:
    """The last good reading of one counter, and a new level waiting to be confirmed."""

    value: float
    at: float
    candidate: float | None = None
    candidate_since: float = 0.0
    candidate_at: float = 0.0
    candidate_reads: int = 0


def _rejection(spec: KeySpec, value: Value) -> str | None:
    """Why a value cannot be a reading of its key, or None when it can."""
    if spec.kind is ValueKind.FLAG:
        return None if isinstance(value, bool) else "not a flag"
    if spec.kind is ValueKind.TEXT:
        if not isinstance(value, str):
            return "not text"
        return None if len(value) <= MAX_TEXT else "text too long"
    return _number_rejection(spec, value)


def _number_rejection(spec: KeySpec, value: Value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "not a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "not finite"
    return None if spec.low <= value <= spec.high else "out of range"


@dataclass
class ValueGuard:
    """The contract of one device: checks each snapshot its client yields and remembers its counters."""

    device: str
    clock: Callable[[], float] = field(default=lambda: clock.now())
    dropped: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    resets: Counter[str] = field(default_factory=Counter)
    _counters: dict[tuple[str, Key], _Counter] = field(default_factory=dict)
    _logged: set[tuple[str, str, str]] = field(default_factory=set)
    _integrators: dict[str, EnergyIntegrator] = field(default_factory=dict)
    _accepted: dict[str, dict[Key, Value]] = field(default_factory=dict)
    """Per channel, the values (not counters) the last snapshot had accepted: the same value again is."""

    def check(
        self,
        snapshot: Snapshot,
        netted: Callable[[str], bool] = lambda _channel: False,
        may_export: Callable[[str], bool] = lambda _channel: True,
    ) -> Snapshot:
        """The snapshot with every implausible value dropped and counters held to the counter rule.

        Energy is integrated from a channel's checked total power where the device counts none: netted
        import/export where netted(channel_id) (meters that count per phase), otherwise import where the
        channel has no import counter and export where it has none and may_export(channel_id).
        """
        now = self.clock()

        def checked(channel_id: str, channel: Channel) -> Channel:
            at = now if channel.measured_at is None else channel.measured_at
            values = channel.values
            kept = self._checked(channel_id, values, at)
            wanted = _integrated_keys(values, netted(channel_id), lambda: may_export(channel_id))
            if wanted:
                kept |= self._integrated(channel_id, kept.get(Key.POWER), at, wanted)
            return replace(channel, values=kept)

        return replace(
            snapshot, channels={cid: checked(cid, channel) for cid, channel in snapshot.channels.items()}
        )

    def diagnostics(self) -> dict[str, Any]:
        """Values dropped, counter readings held back, and resets taken, by channel/key and reason."""
        return {
            "values_dropped": dict(sorted(self.dropped.items())),
            "counter_readings_held": dict(sorted(self.held.items())),
            "counter_resets": dict(sorted(self.resets.items())),
        }

    def _checked(self, channel_id: str, values: Mapping[Key, Value], now: float) -> dict[Key, Value]:
        checked: dict[Key, Value] = {}
        before = self._accepted.get(channel_id, {})
        accepted: dict[Key, Value] = {}
        for key, value in values.items():
            prior = before.get(key)
            # The value accepted last time (of the same type: 1 is not True) is accepted again.
            if prior is not None and prior.__class__ is value.__class__ and prior == value:
                checked[key] = accepted[key] = value
                continue
            spec = KEYS.get(key)
            reason = "unknown key" if spec is None else _rejection(spec, value)
            if reason is not None:
                self._drop(channel_id, key, value, reason)
                continue
            assert spec is not None
            if spec.counter and not spec.accumulated:
                checked[key] = self._counter(channel_id, key, spec, float(value), now)
            else:
                checked[key] = accepted[key] = value
        self._accepted[channel_id] = accepted
        return checked

    def _counter(self, channel_id: str, key: Key, spec: KeySpec, reading: float, now: float) -> float:
        state = self._counters.get((channel_id, key))
        if state is None:
            self._counters[(channel_id, key)] = _Counter(reading, now)
            return reading
        if _plausible_step(state.value, state.at, reading, now, spec):
            state.value, state.at, state.candidate = reading, now, None
            return reading
        if state.candidate is not None and _plausible_step(
            state.candidate, state.candidate_at, reading, now, spec
        ):
            state.candidate, state.candidate_at = reading, now
            state.candidate_reads += 1
        else:
            state.candidate, state.candidate_since, state.candidate_at = reading, now, now
            state.candidate_reads = 1
        if self._confirmed(state, now):
            return self._take_new_level(channel_id, key, state, reading, now)
        self.held[f"{channel_id}/{key}"] += 1
        self._log_once(channel_id, key, "held", f"counter reading {reading:g} held back at {state.value:g}")
        return state.value

    @staticmethod
    def _confirmed(state: _Counter, now: float) -> bool:
        return state.candidate_reads >= CONFIRM_READINGS and now - state.candidate_since >= CONFIRM_SECONDS

    def _take_new_level(
        self, channel_id: str, key: Key, state: _Counter, reading: float, now: float
    ) -> float:
        if state.value * RESET_BELOW <= reading < state.value:
            return state.value  # a small persistent drop is noise: hold until the counter passes again
        _LOGGER.warning(
            "%s: %s%s moved from %g to %g and stayed there; taken as a new counter level",
            self.device,
            key,
            f" ({channel_id})" if channel_id else "",
            state.value,
            reading,
        )
        self.resets[f"{channel_id}/{key}"] += 1
        state.value, state.at, state.candidate = reading, now, None
        return reading

    def _integrated(
        self, channel_id: str, power: Value | None, now: float, wanted: tuple[Key, ...]
    ) -> dict[Key, Value]:
        integrator = self._integrators.setdefault(channel_id, EnergyIntegrator(max_power=MAX_POWER_W))
        if isinstance(power, (int, float)) and not isinstance(power, bool):
            integrator.add(float(power), now)
        else:
            integrator.interrupt()
        totals = {
            Key.NET_ENERGY_IMPORT: integrator.import_kwh,
            Key.NET_ENERGY_EXPORT: integrator.export_kwh,
            Key.INTEGRATED_ENERGY_IMPORT: integrator.import_kwh,
            Key.INTEGRATED_ENERGY_EXPORT: integrator.export_kwh,
        }
        return {key: round(totals[key], 6) for key in wanted}

    def _drop(self, channel_id: str, key: Key | str, value: Value, reason: str) -> None:
        self.dropped[f"{channel_id}/{key}: {reason}"] += 1
        self._log_once(channel_id, key, reason, f"{reason}: {value!r:.40}, dropped")

    def _log_once(self, channel_id: str, key: Key | str, reason: str, message: str) -> None:
        marker = (channel_id, str(key), reason)
        if marker in self._logged:
            return
        self._logged.add(marker)
        where = f" ({channel_id})" if channel_id else ""
        _LOGGER.warning("%s: %s%s %s (reported once)", self.device, key, where, message)


def _integrated_keys(
    values: Mapping[Key, Value], netted: bool, may_export: Callable[[], bool]
) -> tuple[Key, ...]:
    """The energy keys to integrate from a channel's power: what its own counters do not cover."""
    if Key.POWER not in values:
        return ()
    if netted:
        return (Key.NET_ENERGY_IMPORT, Key.NET_ENERGY_EXPORT)
    wanted: tuple[Key, ...] = () if Key.ENERGY_IMPORT in values else (Key.INTEGRATED_ENERGY_IMPORT,)
    if Key.ENERGY_EXPORT not in values and may_export():
        wanted += (Key.INTEGRATED_ENERGY_EXPORT,)
    return wanted


def _plausible_step(last: float, last_at: float, reading: float, now: float, spec: KeySpec) -> bool:
    """A counter may stay, or grow no faster than its key's rate allows in the time elapsed."""
    elapsed_hours = max(now - last_at, 0.0) / 3600
    return last <= reading <= last + spec.max_rate * elapsed_hours + COUNTER_SLACK


# --- setpoints ---------------------------------------------------------------------------------------


def guard_setpoint(control: Control, value: Value) -> Value:
    """The value a control may send, or CommandRejected before anything is sent.

    Numbers must be finite and inside the control's bounds; they are rounded toward zero to the control's
    step, and to 0 below its smallest magnitude, so rounding never goes past a bound nor past what was
    asked. Switches take a bool and selects one of their options.
    """
    if control.kind is ControlKind.SWITCH:
        if not isinstance(value, bool):
            raise CommandRejected(f"{control.key} takes on or off, not {value!r:.40}")
        return value
    if control.kind is ControlKind.SELECT:
        if str(value) not in control.options:
            raise CommandRejected(
                f"{value!r:.40} is not one of {', '.join(control.options)}",
                reason="not_an_option",
                placeholders={"value": f"{value}"[:40], "options": ", ".join(control.options)},
            )
        return str(value)
    return _guard_number(control, value)


def _guard_number(control: Control, value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CommandRejected(
            f"{control.key} needs a finite number, not {value!r:.40}",
            reason="not_finite",
            placeholders={"value": f"{value}"[:40]},
        )
    low, high = control.bounds
    if not low <= value <= high:
        limits = {"value": f"{value:g}", "minimum": f"{low:g}", "maximum": f"{high:g}"}
        raise CommandRejected(
            f"{value:g} is outside {low:g}..{high:g} for {control.key}",
            reason="below_minimum" if value < low else "above_maximum",
            placeholders=limits,
        )
    step = control.step
    rounded = float(value)
    if step is not None and step > 0:
        rounded = math.trunc(round(value / step, 9)) * step  # toward zero; round() absorbs 0.3/0.1 = 2.9999
    if abs(rounded) < control.smallest:
        rounded = 0.0  # below what the device documents it acts on
    return float(min(max(rounded, low), high))
