"""Many devices in one Home Assistant: CPU above idle (share of one core), state writes a second, loop lag.

Run: .venv/bin/python -m benchmarks.scale [devices] [seconds]   (default 100 devices, 45 s a phase)
     .venv/bin/python -m benchmarks.scale sweep [seconds]       (10, 50, 100 and 300 devices, default rates)
     .venv/bin/python -m benchmarks.scale family all|NAME [seconds]  (20 devices of one family each)
The default mix (of 100): 14 HomeWizard (v1, polled 1 s), 13 Shelly (Gen2 push at the device's rate of
1 s, Gen1 polled 2 s), 13 EcoTracker (polled 1 s), 15 Acuvim II and 15 smart-me (Modbus, polled 1 s and
2 s), 20 IGEN meters broadcasting every 150 ms, 10 Enistic controllers with 5 meters each. The simulators
run in a child process, so the CPU measured is Home Assistant's with the integration only. Two phases:
the per-key write rates of the key table, then every change shown at the entry's rate (the option). Each
phase measures the CPU first, then the loop lag (its probe's own wake-ups are not in the CPU figure).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
from contextlib import AsyncExitStack
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.harness import home_assistant, p50_p99_ms, share_while_waiting
from custom_components.local_energy import discovery
from custom_components.local_energy.const import CONF_EVERY_VALUE_FAST, DOMAIN
from tests.conftest import free_udp_port

MIX = (("homewizard", 14), ("shelly", 13), ("ecotracker", 13), ("acuvim", 15), ("smartme", 15),
       ("igen", 20), ("enistic", 10))  # fmt: skip
SHELLY_MODELS = ("SPEM-003CEBEU", "S3PL-00112EU", "SPEM-002CEBEU50", "SHEM-3", "SHPLG-S")


SWEEP = (10, 50, 100, 300)
"""The sizes `sweep` measures."""


def counts(devices: int, only: str = "") -> dict[str, int]:
    """The mix scaled to a number of devices (at least one of each family), or that many of one family."""
    if only:
        return {family: devices if family == only else 0 for family, _share in MIX}
    return {family: max(1, round(share * devices / 100)) for family, share in MIX}


# --- the child: every simulator, printing how to reach each -------------------------------------------


async def serve(devices: int, igen_port: int, enistic_port: int, only: str) -> None:
    from simulators.acuvim import AcuvimSimulator
    from simulators.ecotracker import EcoTrackerSimulator
    from simulators.enistic import EnisticSimulator
    from simulators.homewizard import HomeWizardSimulator
    from simulators.igen import IgenDevice, IgenSimulator
    from simulators.shelly import ShellySimulator
    from simulators.smartme import SmartMeSimulator

    wanted = counts(devices, only)
    entries: list[dict[str, Any]] = []
    for index in range(wanted["homewizard"]):
        p1 = HomeWizardSimulator()
        p1.serial = f"3c39e7{index:06x}"
        await p1.start(changing=True)
        entries.append({"family": "homewizard", "host": "127.0.0.1", "port": p1.port, "serial": p1.serial})
    for index in range(wanted["shelly"]):
        mac = f"AABBCC{index:06X}"
        shelly = ShellySimulator(SHELLY_MODELS[index % len(SHELLY_MODELS)], mac=mac)
        if shelly.generation >= 2:
            await shelly.start()
            shelly.start_pushing(1.0)
        else:
            await shelly.start(changing=True)
        entries.append({"family": "shelly", "host": "127.0.0.1", "port": shelly.port, "serial": mac.lower()})
    for index in range(wanted["ecotracker"]):
        reader = EcoTrackerSimulator()
        reader.serial = f"abcdef{index:06x}"
        await reader.start(changing=True)
        entries.append(
            {"family": "ecotracker", "host": "127.0.0.1", "port": reader.port, "serial": reader.serial}
        )
    for index in range(wanted["acuvim"]):
        acuvim = AcuvimSimulator()
        await acuvim.start(changing=True)
        entries.append({"family": "acuvim", "host": "127.0.0.1", "port": acuvim.port, "unit_id": 1,
                        "serial": f"AV2-{index:04d}", "framing": "tcp"})  # fmt: skip
    for index in range(wanted["smartme"]):
        meter = SmartMeSimulator(serial=6300000 + index)
        await meter.start(changing=True)
        entries.append({"family": "smartme", "host": "127.0.0.1", "port": meter.port, "unit_id": 1,
                        "serial": str(6300000 + index), "framing": "tcp"})  # fmt: skip
    if wanted["igen"]:  # (a simulator without devices makes one of its own)
        igen = IgenSimulator(
            igen_port, [IgenDevice("meter", f"D850BD20A3{index:06d}") for index in range(wanted["igen"])]
        )
        await igen.start(broadcasting=True)
        for device in igen.devices:
            entries.append({"family": "igen", "host": "127.0.0.1", "port": igen.http_port,
                            "serial": device.serial, "push_port": igen_port})  # fmt: skip
    for index in range(wanted["enistic"]):
        controller = f"004A3BB{index:04X}"
        enistic = EnisticSimulator(enistic_port, controller=controller)
        await enistic.start(interval=1.0)
        entries.append({"family": "enistic", "host": "127.0.0.1", "port": enistic_port, "serial": controller,
                        "command_port": enistic.command_port})  # fmt: skip
    print(json.dumps(entries), flush=True)
    await asyncio.Event().wait()


# --- the parent: one Home Assistant, measured ---------------------------------------------------------


@callback
def every_event(_data: Any) -> bool:
    """state_reported listeners need a filter: take them all."""
    return True


LAG_SECONDS = 15.0
"""The loop lag is measured for half a phase, at least this long (300 samples or more)."""


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late a 50 ms sleep wakes up: the event loop's lag."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(0.05)
        samples.append(max(0.0, loop.time() - started - 0.05))


async def phase(
    hass: HomeAssistant,
    entries: list[dict[str, Any]],
    every_value_fast: bool,
    seconds: float,
    idle: float,
) -> str:
    added = []
    for data in entries:
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=data["serial"],
            data=data,
            options={CONF_EVERY_VALUE_FAST: every_value_fast},
        )
        entry.add_to_hass(hass)
        added.append(entry)
    await asyncio.gather(*(hass.config_entries.async_setup(entry.entry_id) for entry in added))
    await hass.async_block_till_done()
    await asyncio.sleep(10)  # let pushes and polls settle
    writes = [0]

    @callback  # on the loop: a plain function would run in an executor thread
    def count(_event: Event[Any]) -> None:
        writes[0] += 1

    unsubscribe = [
        hass.bus.async_listen("state_changed", count),
        hass.bus.async_listen("state_reported", count, event_filter=every_event),
    ]
    profiler = cProfile.Profile() if os.environ.get("LOCAL_ENERGY_PROFILE") else None
    cpu, wall, times = time.process_time(), time.perf_counter(), os.times()
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(seconds)
    if profiler is not None:
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("tottime")
        stats.print_stats(30)
        stats.print_callers("submit|run_in_executor")
    elapsed = time.perf_counter() - wall
    share = (time.process_time() - cpu) / elapsed * 100 - idle
    # The kernel's part: on loopback it also carries each request to the simulators' process.
    system = (os.times().system - times.system) / elapsed * 100
    per_second = writes[0] / (time.perf_counter() - wall)
    # The loop lag in a window of its own: the probe wakes the process 20 times a second (0.3-0.4 % of a
    # core here when idle), which the CPU figure above must not include.
    lags: list[float] = []
    stop = asyncio.Event()
    lagging = asyncio.get_running_loop().create_task(loop_lag(lags, stop))
    await asyncio.sleep(max(seconds / 2, LAG_SECONDS))
    stop.set()
    await lagging
    for undo in unsubscribe:
        undo()
    loaded = sum(1 for entry in added if entry.runtime_data is not None) if added else 0
    entities = len(hass.states.async_all())
    for entry in added:
        await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    p50, p99 = p50_p99_ms(lags)
    how = "every change at the entry's rate" if every_value_fast else "per-key rates (default)"
    return (
        f"  {how:<34} {share:5.1f} % of one core above idle ({system:.1f} in the kernel), "
        f"{per_second:6.1f} state writes/s, "
        f"loop lag p50 {p50:.1f} ms p99 {p99:.1f} ms max {max(lags) * 1000:.0f} ms "
        f"({loaded} entries, {entities} entities)"
    )


async def run(
    devices: int, seconds: float, phases: tuple[bool, ...] = (False, True), only: str = ""
) -> list[str]:
    igen_port, enistic_port = free_udp_port(), free_udp_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.scale", "--serve", str(devices), str(igen_port), str(enistic_port),
        only, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    entries = json.loads(await child.stdout.readline())
    lines = []
    try:
        async with AsyncExitStack() as stack:
            hass = await home_assistant(stack)
            discovery.LISTEN_PORTS["enistic"] = free_udp_port()
            idle = (
                await share_while_waiting(min(seconds, 20.0)) * 100
            )  # no entry of ours: what phases are above
            lines.append(f"  idle Home Assistant {idle:5.2f} % of one core")
            for every_value_fast in phases:
                lines.append(await phase(hass, entries, every_value_fast, seconds, idle))
            await hass.async_stop(force=True)
    finally:
        child.terminate()
        await child.wait()
    return lines


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        devices, igen_port, enistic_port = map(int, sys.argv[2:5])
        asyncio.run(serve(devices, igen_port, enistic_port, sys.argv[5]))
        return
    if sys.argv[1:2] == ["family"]:
        seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
        print(f"Each family alone, 20 devices, per-key rates (default), {seconds:.0f} s each:")
        for family, _share in MIX if sys.argv[2] == "all" else ((sys.argv[2], 0),):
            line = asyncio.run(run(20, seconds, phases=(False,), only=family))[1]
            print(f"  {family:<10}" + line.split("(default)", 1)[1])
        return
    if sys.argv[1:2] == ["sweep"]:
        seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
        print(f"How the cost grows, per-key rates (default), {seconds:.0f} s each:")
        for devices in SWEEP:
            line = asyncio.run(run(devices, seconds, phases=(False,)))[1]
            print(f"  {devices:>3} devices:" + line.split("(default)", 1)[1])
        return
    devices = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 45.0
    lines = asyncio.run(run(devices, seconds))
    print(f"{devices} devices of the default mix in one Home Assistant, {seconds:.0f} s a phase:")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
