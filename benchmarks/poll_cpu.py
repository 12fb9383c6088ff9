"""CPU per polled device: ours against Home Assistant's own homewizard integration, on the same simulators.

Run: .venv/bin/python -m benchmarks.poll_cpu [devices] [seconds]   (default 20 devices, 60 s a phase)

HomeWizard P1 meters (API v1, values changing every second) in a child process, so the CPU measured is
Home Assistant's alone. Core polls every 5 s (fixed); ours at its default of 1 s, and at 5 s for the same
rate. Phases in the order ours 1 s, ours 5 s, core, core, ours 5 s, ours 1 s: each contender's CPU above
idle in ms per device and minute, per poll, and ours against core's at the same rate. Core runs when
python-homewizard-energy is installed (``pip install python-homewizard-energy==10.0.1``, the version Home
Assistant 2026.2.3 pins); otherwise its rows say so.
"""

from __future__ import annotations

import asyncio
import json

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.harness import Devices, contenders_cpu, contenders_main
from custom_components.local_energy.const import CONF_FAMILY, CONF_SERIAL, CONF_UPDATE_INTERVAL, DOMAIN

CORE_EVERY = 5.0
"""Seconds between core homewizard's polls (its UPDATE_INTERVAL)."""


async def serve(devices: int) -> None:
    from simulators.homewizard import HomeWizardSimulator

    described = []
    for index in range(devices):
        meter = HomeWizardSimulator()
        meter.serial = f"3c39e7{index:06x}"
        meter.state.gas_id = f"4E474C{index:04X}"  # core names its gas sensor by it
        await meter.start(changing=True)
        described.append({"port": meter.port, "serial": meter.serial})
    print(json.dumps(described), flush=True)
    await asyncio.Event().wait()


def ours(devices: Devices, every: float) -> list[MockConfigEntry]:
    return [
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=device["serial"],
            data={CONF_FAMILY: "homewizard", "host": "127.0.0.1", "port": device["port"]}
            | {CONF_SERIAL: device["serial"]},
            options={CONF_UPDATE_INTERVAL: every},
        )
        for device in devices
    ]


def core(devices: Devices) -> list[MockConfigEntry]:
    # python-homewizard-energy puts the host into its URLs as given: a port can ride along.
    return [
        MockConfigEntry(
            domain="homewizard",
            unique_id=f"HWE-P1_{device['serial']}",
            data={"ip_address": f"127.0.0.1:{device['port']}"},
        )
        for device in devices
    ]


async def core_ready(hass: HomeAssistant) -> str:
    """Make Home Assistant ready for its homewizard integration; why it cannot run ("" when it can).

    Core takes Home Assistant's own HTTP session, whose resolver needs the network component.
    """
    try:
        import homewizard_energy  # noqa: F401 - optional: only this comparison needs it
    except ImportError:
        return "not run: python-homewizard-energy is not installed (pip install python-homewizard-energy)"
    if "network" not in hass.config.components and not await async_setup_component(hass, "network", {}):
        return "not run: Home Assistant's network component did not start"
    return ""


OURS_DEFAULT, OURS_SAME, CORE = "ours, 1 s (default)", "ours, 5 s", "core homewizard, 5 s"
EVERY = {OURS_DEFAULT: 1.0, OURS_SAME: CORE_EVERY, CORE: CORE_EVERY}
ORDER = (OURS_DEFAULT, OURS_SAME, CORE, CORE, OURS_SAME, OURS_DEFAULT)
"""Each contender twice, around the others: a machine that drifts over the run weighs on all alike."""


def summary(figures: dict[str, list[float]]) -> list[str]:
    """Each contender's mean per device and minute and per poll, and ours against core's at one rate."""
    lines = []
    for label, values in figures.items():
        mean = sum(values) / len(values)
        per_poll_us = mean / (60 / EVERY[label]) * 1000
        phases = " / ".join(f"{value:.1f}" for value in values)
        lines.append(
            f"  {label:<22} {mean:6.1f} ms per device and minute ({phases}), {per_poll_us:5.0f} µs a poll"
        )
    if OURS_SAME in figures and CORE in figures:
        ours_mean = sum(figures[OURS_SAME]) / len(figures[OURS_SAME])
        core_mean = sum(figures[CORE]) / len(figures[CORE])
        lines.append(f"  ours / core at the same rate {ours_mean / core_mean:.2f}")
    return lines


def entries_of(label: str, devices: Devices) -> list[MockConfigEntry]:
    return core(devices) if label == CORE else ours(devices, EVERY[label])


async def why_not(hass: HomeAssistant, label: str) -> str:
    return await core_ready(hass) if label == CORE else ""


async def run(count: int, seconds: float) -> list[str]:
    lines, figures = await contenders_cpu("benchmarks.poll_cpu", count, seconds, ORDER, entries_of, why_not)
    return lines + summary(figures)


def heading(count: int, seconds: float) -> str:
    return f"{count} HomeWizard P1 meters (API v1), values changing every second, {seconds:.0f} s a phase:"


def main() -> None:
    contenders_main(serve, run, heading)


if __name__ == "__main__":
    main()
