"""CPU per pushed device: ours against Home Assistant's own shelly integration, on the same simulators.

Run: .venv/bin/python -m benchmarks.push_cpu [devices] [seconds]   (default 20 devices, 60 s a phase)

Shelly Pro 3EM simulators in a child process push a change over their WebSocket every 1.5 s (a meter's
rate), so the CPU measured is Home Assistant's alone. One phase with none of them set up (idle), one with
our entries at their defaults, one with core shelly entries (when aioshelly is installed), in the order
ours, core, core, ours: each contender's CPU above idle, in ms per device and minute, and their ratio.
"""

from __future__ import annotations

import asyncio
import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.harness import Devices, contenders_cpu, contenders_main
from benchmarks.push_latency import core_shelly_ready
from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, DOMAIN

PUSH_EVERY = 1.5


async def serve(devices: int) -> None:
    from simulators.shelly import ShellySimulator

    described = []
    for index in range(devices):
        mac = f"AABBCC10{index:04X}"
        device = ShellySimulator(mac=mac)
        await device.start()
        device.start_pushing(PUSH_EVERY)
        described.append({"port": device.port, "mac": mac, "model": device.model})
    print(json.dumps(described), flush=True)
    await asyncio.Event().wait()


def ours(devices: Devices) -> list[MockConfigEntry]:
    return [
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=device["mac"].lower(),
            data={
                CONF_FAMILY: "shelly",
                "host": "127.0.0.1",
                "port": device["port"],
                CONF_SERIAL: device["mac"].lower(),
            },
        )
        for device in devices
    ]


def core(devices: Devices) -> list[MockConfigEntry]:
    return [
        MockConfigEntry(
            domain="shelly",
            unique_id=device["mac"],
            data={
                "host": "127.0.0.1",
                "port": device["port"],
                "sleep_period": 0,
                "model": device["model"],
                "gen": 2,
            },
        )
        for device in devices
    ]


OURS, CORE = "ours (push, defaults)", "core shelly (push)"
ORDER = (OURS, CORE, CORE, OURS)
"""Each contender twice, around the other: a machine that drifts over the run weighs on both alike."""


def summary(figures: dict[str, list[float]]) -> list[str]:
    """Each contender's mean (and its phases), and ours against core's."""
    lines = [
        f"  {label:<24} {sum(values) / len(values):6.1f} ms of CPU per device and minute "
        f"({' / '.join(f'{value:.1f}' for value in values)})"
        for label, values in figures.items()
    ]
    if OURS in figures and CORE in figures:
        ratio = sum(figures[OURS]) / sum(figures[CORE]) * len(figures[CORE]) / len(figures[OURS])
        lines.append(f"  ours / core {ratio:.2f}")
    return lines


def entries_of(label: str, devices: Devices) -> list[MockConfigEntry]:
    return ours(devices) if label == OURS else core(devices)


async def why_not(hass: HomeAssistant, label: str) -> str:
    return await core_shelly_ready(hass) if label == CORE else ""


async def run(count: int, seconds: float) -> list[str]:
    lines, figures = await contenders_cpu("benchmarks.push_cpu", count, seconds, ORDER, entries_of, why_not)
    return lines + summary(figures)


def heading(count: int, seconds: float) -> str:
    return f"{count} Shelly Pro 3EM pushing a change every {PUSH_EVERY:g} s, {seconds:.0f} s a phase:"


def main() -> None:
    contenders_main(serve, run, heading)


if __name__ == "__main__":
    main()
