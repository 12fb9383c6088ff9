"""The executor of the controller's decisions: one, for Home Assistant and for the simulated plants alike.

A decision is carried out in order through ports: batteries into the mode a loop may drive, their
setpoints, and on the way to the safe state 0 W before the hand-back; then the charger's phases before
its current. What a port refuses is fed back (the setpoint is due again; a phase switch the charger's own
guard refused is remembered), and a refusal is reported once until writes work again. The same code runs
under Home Assistant (ports over the devices' guarded writes) and in the closed-loop tests and benchmarks
(ports onto simulated devices), so every figure measured there is a figure of what runs in Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from .controller import Controller, Decision, Pacer


class Refused(Exception):
    """A port could not carry out a write (the device refused it or did not answer)."""


class BatteryPort(Protocol):
    """One battery as the runner drives it."""

    async def set_discharge(self, watts: float) -> None:
        """Send a setpoint in discharge terms (W; > 0 feeds the house, < 0 charges)."""

    async def set_driven(self, driven: bool) -> None:
        """Switch into the mode a loop may drive (True) or back to the battery's own (False)."""


class ChargerPort(Protocol):
    """The car charger as the runner drives it."""

    async def set_phases(self, phases: int) -> None:
        """Charge on this many phases from now on."""

    async def set_current(self, amperes: float, phases: int) -> None:
        """The charging current per phase, on the phases the car charges on."""


class MeterPort(Protocol):
    """A meter we serve to batteries that regulate on it."""

    def set_bias(self, watts: float) -> None:
        """Add this many W to what is served from now on."""


type ErrorListener = Callable[[str | None], None]
"""Told of each failed write (its text), and None when writes work again."""


class Runner:
    """Carries out one controller's decisions, one at a time and in order."""

    def __init__(
        self,
        controller: Controller,
        batteries: Mapping[str, BatteryPort],
        charger: ChargerPort | None = None,
        on_error: ErrorListener = lambda _error: None,
        meters: Mapping[str, MeterPort] | None = None,
    ) -> None:
        self.controller = controller
        self.batteries = dict(batteries)
        self.charger = charger
        self.meters = dict(meters or {})
        self.last_error: str | None = None
        self.stopped = False
        """Set by stop(): decisions still waiting are not carried out (the devices are handed back)."""
        self._on_error = on_error
        self._lock = asyncio.Lock()

    def stop(self) -> None:
        """Carry out no more decisions; release() still hands back."""
        self.stopped = True

    def due(self, decision: Decision) -> bool:
        """Whether a decision has anything to carry out."""
        steers = bool(self.meters) and decision.bias is not None
        return bool(decision.writes) or decision.drive is not None or self._charger_due(decision) or steers

    async def apply(self, decision: Decision) -> None:
        """Modes, setpoints, hand-back, phases, current, the served meters' bias: in that order."""
        async with self._lock:
            if self.stopped:
                return
            if decision.drive is True:
                await self._drive(driven=True)
            for name, discharge in decision.writes.items():
                await self._write(self.batteries[name].set_discharge(discharge), self.controller.pacers[name])
            if decision.drive is False:
                await self._drive(driven=False)  # 0 W is sent first: the battery leaves at rest
            if self.charger is not None:
                await self._charge(self.charger, decision)
            if decision.bias is not None:
                for meter in self.meters.values():
                    meter.set_bias(decision.bias)

    async def release(self, fallback_current: float | None = None) -> None:
        """Hand everything back: batteries at 0 W in their own mode, the charger at its fallback."""
        async with self._lock:
            for port in self.batteries.values():
                await self._write(port.set_discharge(0.0))
                await self._write(port.set_driven(False))
            for meter in self.meters.values():
                meter.set_bias(0.0)
            self.controller.released()
            if self.charger is not None and fallback_current is not None:
                await self._write(self.charger.set_current(fallback_current, self.controller.charging_phases))

    def _charger_due(self, decision: Decision) -> bool:
        return self.charger is not None and (
            decision.charger_write is not None or decision.phases_write is not None
        )

    async def _drive(self, *, driven: bool) -> None:
        taken = [await self._write(port.set_driven(driven)) for port in self.batteries.values()]
        if driven and not all(taken):
            self.controller.drive_failed()

    async def _charge(self, charger: ChargerPort, decision: Decision) -> None:
        if decision.phases_write is not None:
            before = 3 if decision.phases_write == 1 else 1
            if not await self._write(charger.set_phases(decision.phases_write)):
                self.controller.phases_refused(before)  # its own guard said no
        if decision.charger_write is not None:
            phases = self.controller.charging_phases
            await self._write(
                charger.set_current(decision.charger_write, phases), self.controller.charger_pacer
            )

    async def _write(self, sending: Awaitable[None], pacer: Pacer | None = None) -> bool:
        """One write; a failure is reported once (until one works again). Whether it was taken."""
        try:
            await sending
        except Refused as err:
            if str(err) != self.last_error:
                self.last_error = str(err)
                self._on_error(self.last_error)
            if pacer is not None:
                pacer.failed()  # due again at its next turn
            return False
        if self.last_error is not None:
            self.last_error = None
            self._on_error(None)
        return True
