"""Shelly Gen2 and HomeWizard v2, side by side in one Home Assistant: push over the WebSocket against our
1 s poll, and for the Shelly also Home Assistant's own shelly integration on the same simulator; a Shelly
Gen1 by CoIoT push against its poll. A change on
the device -> the state in Home Assistant (p50/p99), and requests per device per minute in steady state
(HTTP, and RPC calls over the socket).

Run: .venv/bin/python -m benchmarks.push_latency
The push entries keep their family's default interval (Shelly 2 s, HomeWizard 1 s), as users do: a pushed
change is written at once whatever the interval. The poll devices are the same simulators with their
WebSocket refused: the entries fall back to polling at the 1 s minimum. Changes come every 1.2-2 s at
random phases (a meter's rate).

The core shelly integration runs when aioshelly is installed (``pip install aioshelly==13.23.1``, the
version Home Assistant 2026.2.3 pins); otherwise its row says so. It depends on bluetooth, which needs a
radio this machine lacks: bluetooth is marked as loaded (the Pro 3EM's BLE scanner is off, nothing uses it).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.harness import home_assistant, p50_p99_ms
from custom_components.local_energy.const import (
    CONF_FAMILY,
    CONF_PUSH_PORT,
    CONF_SERIAL,
    CONF_TLS_PORT,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.local_energy.devices.homewizard import HomeWizardClient
from simulators.homewizard import HomeWizardV2Simulator
from simulators.shelly import ShellySimulator
from tests.conftest import free_tcp_port, free_udp_port

CHANGES = 60
POLL_INTERVAL = 1.0


@dataclass
class Pair:
    """One device read by push and its twin read by polling; the changes sent and when."""

    label: str
    change: Callable[[object, float], Awaitable[None]]
    requests: Callable[[object], int]
    calls: Callable[[object], int] = lambda _device: 0
    """RPC calls the device answered over its socket."""
    devices: dict[str, object] = field(default_factory=dict)
    sent: dict[tuple[str, str], float] = field(default_factory=dict)
    delays: dict[str, list[float]] = field(default_factory=lambda: {"push": [], "poll": [], "core": []})
    missing: str = ""
    """Why a mode could not run here."""


async def shelly_change(device: object, watts: float) -> None:
    assert isinstance(device, ShellySimulator)
    device.state.powers = [watts, 0.0, 0.0]
    await device.notify()  # a device tells its sockets (or publishes CoIoT) at once; a polled one is read


async def homewizard_change(device: object, watts: float) -> None:
    assert isinstance(device, HomeWizardV2Simulator)
    device.state.powers = [watts, 0.0, 0.0]
    await device.push()


async def add(hass: HomeAssistant, data: dict[str, object], unique_id: str, mode: str) -> MockConfigEntry:
    """A push entry at its family's default interval (what users keep); a poll twin at the 1 s minimum."""
    options = {CONF_UPDATE_INTERVAL: POLL_INTERVAL} if mode == "poll" else {}
    entry = MockConfigEntry(domain=DOMAIN, unique_id=unique_id, data=data, options=options)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


CORE_MAC = "aabbccdd0003"


async def core_shelly_ready(hass: HomeAssistant) -> str:
    """Make Home Assistant ready for its shelly integration; why it cannot run ("" when it can)."""
    try:
        import aioshelly  # noqa: F401 - optional: only this comparison needs it
    except ImportError:
        return "not run: aioshelly is not installed (pip install aioshelly==13.23.1)"
    hass.config.components.add("bluetooth")  # no radio here; the device's BLE scanner is off
    if "http" in hass.config.components:
        return ""
    http = {"http": {"server_host": ["127.0.0.1"], "server_port": free_tcp_port()}}
    if not await async_setup_component(hass, "http", http):
        return "not run: Home Assistant's http component did not start"
    return ""


async def core_shelly(hass: HomeAssistant, device: ShellySimulator) -> str:
    """Home Assistant's shelly integration on a simulator, or why it cannot run."""
    if why := await core_shelly_ready(hass):
        return why
    data = {"host": "127.0.0.1", "port": device.port, "sleep_period": 0, "model": device.model, "gen": 2}
    entry = MockConfigEntry(domain="shelly", unique_id=CORE_MAC.upper(), data=data)
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        return f"not run: the shelly entry did not load ({entry.state})"
    await hass.async_block_till_done()
    return ""


async def shelly_pair(hass: HomeAssistant, stack: AsyncExitStack) -> Pair:
    pair = Pair(
        "Shelly Pro 3EM (Gen2)",
        shelly_change,
        lambda device: len(device.requests),  # type: ignore[attr-defined]
        lambda device: len(device.frames),  # type: ignore[attr-defined]
    )
    for mode, mac in (("push", "aabbccdd0001"), ("poll", "aabbccdd0002")):
        device = ShellySimulator(mac=mac.upper())
        device.websocket_enabled = mode == "push"
        await device.start()
        stack.push_async_callback(device.stop)
        data = {CONF_FAMILY: "shelly", "host": "127.0.0.1", "port": device.port, CONF_SERIAL: mac}
        await add(hass, data, mac, mode)
        pair.devices[mode] = device
    device = ShellySimulator(mac=CORE_MAC.upper())
    await device.start()
    stack.push_async_callback(device.stop)
    pair.missing = await core_shelly(hass, device)
    if not pair.missing:
        pair.devices["core"] = device
    return pair


async def gen1_pair(hass: HomeAssistant, stack: AsyncExitStack) -> Pair:
    """A Shelly 3EM (Gen1) publishing CoIoT on each change, valid 3 s (its CoIoT period set to 3 s), and its
    twin that publishes nothing (CoIoT off): polled at 1 s."""
    pair = Pair(
        "Shelly 3EM (Gen1)",
        shelly_change,
        lambda device: len(device.requests),  # type: ignore[attr-defined]
    )
    for mode, mac in (("push", "aabbccdd0011"), ("poll", "aabbccdd0012")):
        device = ShellySimulator("SHEM-3", mac=mac.upper())
        port = free_udp_port()
        if mode == "push":
            device.coiot_target, device.coiot_validity = ("127.0.0.1", port), 3.0
        await device.start()
        stack.push_async_callback(device.stop)
        data = {CONF_FAMILY: "shelly", "host": "127.0.0.1", "port": device.port, CONF_SERIAL: mac,
                CONF_PUSH_PORT: port}  # fmt: skip
        await add(hass, data, mac, mode)
        await device.publish_coiot()  # the first status: from now on it is followed by push
        pair.devices[mode] = device
    return pair


async def homewizard_pair(hass: HomeAssistant, stack: AsyncExitStack) -> Pair:
    pair = Pair(
        "HomeWizard P1 (API v2)",
        homewizard_change,
        lambda device: len(device.requests),  # type: ignore[attr-defined]
    )
    for mode, serial in (("push", "5c2faf000001"), ("poll", "5c2faf000002")):
        device = HomeWizardV2Simulator(serial=serial)
        device.websocket_enabled = mode == "push"
        await device.start()
        stack.push_async_callback(device.stop)
        HomeWizardClient.ca_pem = device.ca_pem  # one test CA signs every simulated meter
        device.press_button()
        device.tokens["local/local_energy"] = "0123456789ABCDEF0123456789ABCDEF"
        data = {
            CONF_FAMILY: "homewizard",
            "host": "127.0.0.1",
            "port": 80,
            CONF_TLS_PORT: device.port,
            CONF_SERIAL: serial,
            "token": "0123456789ABCDEF0123456789ABCDEF",
        }
        await add(hass, data, serial, mode)
        pair.devices[mode] = device
    return pair


def power_entities(hass: HomeAssistant) -> dict[str, str]:
    """Each entry's own power sensor (unique id <serial>_power), by the entry's serial."""
    from homeassistant.helpers import entity_registry as er

    registry = er.async_get(hass)
    return {
        str(entry.unique_id): entity.entity_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if entity.unique_id == f"{entry.unique_id}_power"
    }


async def run() -> list[tuple[Pair, dict[str, float]]]:
    async with AsyncExitStack() as stack:
        hass = await home_assistant(stack)
        pairs = [
            await shelly_pair(hass, stack),
            await homewizard_pair(hass, stack),
            await gen1_pair(hass, stack),
        ]
        await asyncio.sleep(4)  # the poll twins' sockets are refused: after 3 s they are polled
        entities = power_entities(hass) | {CORE_MAC: f"sensor.shellypro3em_{CORE_MAC}_power"}
        serial_of = {"aabbccdd0001": (0, "push"), "aabbccdd0002": (0, "poll"), CORE_MAC: (0, "core"),
                     "5c2faf000001": (1, "push"), "5c2faf000002": (1, "poll"),
                     "aabbccdd0011": (2, "push"), "aabbccdd0012": (2, "poll")}  # fmt: skip
        watched = {entities[serial]: where for serial, where in serial_of.items()}

        @callback  # on the loop: a plain function would run in an executor thread
        def on_change(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            where = watched.get(event.data["entity_id"])
            if state is None or where is None:
                return
            pair = pairs[where[0]]
            if (sent := pair.sent.pop((where[1], state.state), None)) is not None:
                pair.delays[where[1]].append(time.perf_counter() - sent)

        unsubscribe = hass.bus.async_listen("state_changed", on_change)
        requests_before = {
            id(p): {m: (p.requests(d), p.calls(d)) for m, d in p.devices.items()} for p in pairs
        }
        started = time.perf_counter()
        for change in range(CHANGES):
            watts = float(1000 + change)
            for pair in pairs:
                for mode, device in pair.devices.items():
                    pair.sent[(mode, f"{watts:.1f}")] = time.perf_counter()
                    pair.sent[(mode, f"{watts:.0f}")] = pair.sent[(mode, f"{watts:.1f}")]
                    await pair.change(device, watts)
            await asyncio.sleep(random.uniform(1.2, 2.0))
        minutes = (time.perf_counter() - started) / 60
        unsubscribe()
        results = []
        for pair in pairs:
            before = requests_before[id(pair)]
            rates = {
                m: ((pair.requests(d) - before[m][0]) / minutes, (pair.calls(d) - before[m][1]) / minutes)
                for m, d in pair.devices.items()
            }
            results.append((pair, rates))
        for entry in hass.config_entries.async_entries():
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop(force=True)
    return results


HOW = {"push": "push (socket/CoIoT)  ", "poll": "our 1 s poll         ", "core": "HA core shelly (push)"}


def main() -> None:
    results = asyncio.run(run())
    print(
        f"Change on the device -> Home Assistant state, {CHANGES} changes every 1.2-2 s, one Home Assistant"
    )
    for pair, rates in results:
        for mode, how in HOW.items():
            if mode not in pair.devices:
                if mode == "core" and pair.missing:
                    print(f"  {pair.label:<24} {how}  {pair.missing}")
                continue
            delays = pair.delays[mode]
            p50, p99 = p50_p99_ms(delays) if delays else (float("nan"), float("nan"))
            http, calls = rates[mode]
            print(
                f"  {pair.label:<24} {how}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({len(delays)} samples)  "
                f"per minute: HTTP requests {http:.1f}, RPC calls over the socket {calls:.1f}"
            )


if __name__ == "__main__":
    main()
