"""Click through Home Assistant's frontend in headless Chromium, as a new user would (run by scripts/e2e).

Adds a HomeWizard meter, a Shelly plug that asks for a password, an INDEVOLT battery and an Enistic
controller through the config flow dialog, then opens each device's page and waits for a live value, and
sets up the Energy dashboard with the meter as the grid and the battery's power Inverted. Screenshots of
every step go to the folder given (.e2e/screenshots). Exits 1 with the failing step when something is not
as expected.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Error, Page, async_playwright, expect

# Flags for a closed network: without them Chromium keeps reaching for Google's services.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000


@dataclass(frozen=True)
class Device:
    """A device to add: its menu label, what to type in its form, and what its page must show."""

    menu: str
    fields: list[str]
    page_title: str
    live_value: re.Pattern[str]
    password: str | None = None
    typed: list[str] = field(default_factory=list)


DEVICES = (
    Device(
        "HomeWizard P1 meter", ["127.0.0.1", "18080"], "HomeWizard P1 Meter", re.compile(r"-?\d+(\.\d+)? W")
    ),
    Device(
        "Shelly meter or plug",
        ["127.0.0.1", "18082"],
        "Shelly Plug S Gen3",
        re.compile(r"\d+(\.\d+)? W"),
        password="shelly",  # the simulated plug's password
    ),
    Device(
        "INDEVOLT battery storage",
        ["127.0.0.1", "18087"],
        "INDEVOLT SolidFlex 2000",
        re.compile(r"-?\d+(\.\d+)? W"),
    ),
    Device(
        "Enistic smart energy controller",
        ["127.0.0.1", "53005"],
        "Socket 041319",  # the controller's values are on its meters' and sockets' devices
        re.compile(r"\d+(\.\d+)? W"),
    ),
)


def slug(text: str) -> str:
    """A file-name part from a label."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Steps:
    """Numbered screenshots, one per step."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0

    async def shot(self, name: str) -> None:
        self.count += 1
        await self.page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png")


async def visit(page: Page, url: str) -> None:
    """Open a page and let the frontend settle: it may first pass through its login redirect."""
    await page.goto(url)
    await page.wait_for_url(url)
    await page.wait_for_load_state("networkidle")


async def open_flow(page: Page, base: str) -> None:
    await visit(page, f"{base}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("Local Energy")
    await page.locator("dialog-add-integration").get_by_text("Local Energy", exact=True).click()


async def fill_form(page: Page, values: list[str]) -> None:
    """Type into the flow dialog's fields in their order (number fields carry no name to find them by)."""
    fields = page.locator("dialog-data-entry-flow").locator("input")
    await expect(fields.first).to_be_visible(timeout=WAIT_MS)
    for index, value in enumerate(values):
        await fields.nth(index).fill(value)
    await page.get_by_role("button", name="Submit").click()


async def add(page: Page, base: str, device: Device, steps: Steps) -> None:
    await open_flow(page, base)
    choice = page.get_by_text(device.menu, exact=True)
    # With devices discovered, the dialog first offers them; a new device is "another instance".
    another = page.get_by_role("button", name=re.compile("Set up another instance"))
    await expect(choice.or_(another).first).to_be_visible(timeout=WAIT_MS)
    if await another.is_visible():
        await another.click()
    await choice.click()
    await steps.shot(f"{slug(device.menu)}-form")
    await fill_form(page, device.fields)
    if device.password is not None:
        await expect(page.get_by_text("Password").first).to_be_visible(timeout=WAIT_MS)
        await steps.shot(f"{slug(device.menu)}-password")
        await fill_form(page, ["admin", device.password])
    await steps.shot(f"{slug(device.menu)}-submitted")
    await wait_for_entry(page)
    await steps.shot(f"{slug(device.menu)}-created")


async def in_frontend(page: Page, script: str, argument: Any = None) -> Any:
    """Evaluate a script once the frontend has its connection, again if the frontend reloads under it.

    In its first minutes the frontend sometimes reloads itself (it settles its login and caches); a script
    running then loses its page ("Execution context was destroyed").
    """
    for attempt in range(3):
        try:
            await page.wait_for_function(
                """() => document.querySelector("home-assistant")?.hass?.connection""", timeout=WAIT_MS
            )
            return await page.evaluate(script, argument)
        except Error as err:
            if "Execution context was destroyed" not in str(err) or attempt == 2:
                raise
            await page.wait_for_load_state("networkidle")
    raise AssertionError("unreachable")


async def entry_titles(page: Page) -> list[str]:
    """The titles of this integration's config entries, as Home Assistant has them."""
    entries = await in_frontend(
        page,
        """() => document.querySelector("home-assistant").hass.callWS(
            {type: "config_entries/get", domain: "local_energy"})""",
    )
    return [str(entry["title"]) for entry in entries]


async def add_once(page: Page, base: str, device: Device, steps: Steps) -> None:
    """Add a device and see its entry appear; one more try from a fresh page when the first goes wrong.

    The frontend sometimes reloads itself mid-dialog in its first minutes (it settles its login and
    caches): the dialog is gone, and the entry may or may not have been made. A second failure is a failure.
    """
    await visit(page, f"{base}/config/integrations/dashboard")
    before = len(await entry_titles(page))
    for attempt in range(2):
        try:
            await add(page, base, device, steps)
            await wait_for_entries(page, before + 1)
            return
        except (Error, AssertionError):
            await steps.shot(f"{slug(device.menu)}-retry")
            await visit(page, f"{base}/config/integrations/dashboard")
            if len(await entry_titles(page)) > before:
                return  # made after all, while the page reloaded
            if attempt:
                raise


async def wait_for_entries(page: Page, count: int) -> None:
    for _ in range(WAIT_MS // 250):
        if len(await entry_titles(page)) >= count:
            return
        await page.wait_for_timeout(250)
    raise AssertionError("no config entry was made")


async def wait_for_entry(page: Page) -> None:
    """Wait until the flow ends: the dialog closes, or asks for names and areas of the new devices (Finish).

    A form that stays open with an error is a failure; some steps take a while (the Enistic step listens
    for a broadcast for up to 15 s), so this polls rather than expecting a button at once.
    """
    # The dialog's host element has no box of its own; its close button shows whether it is open.
    dialog = page.locator("dialog-data-entry-flow").get_by_role("button", name="Close")
    finish = page.get_by_role("button", name=re.compile("^(Finish|Skip and finish)$"))
    error = page.locator("dialog-data-entry-flow ha-alert[alert-type=error]")
    for _ in range(WAIT_MS // 250):
        if await finish.is_visible():
            await finish.click()
            return
        if not await dialog.first.is_visible():
            return
        if await error.is_visible():
            raise AssertionError(f"the form answered: {await error.inner_text()}")
        await page.wait_for_timeout(250)
    raise AssertionError("the flow did not end")


async def call_websocket(page: Page, command: str) -> Any:
    """Ask Home Assistant through the frontend's own authenticated WebSocket connection."""
    return await in_frontend(
        page, """type => document.querySelector("home-assistant").hass.callWS({type})""", command
    )


async def assert_nothing_to_read(page: Page) -> None:
    """A clean start: no notification and no repair issue waits for the user (ignored ones aside)."""
    notifications = await call_websocket(page, "persistent_notification/get")
    assert not notifications, f"notifications on the first screen: {notifications}"
    issues = await call_websocket(page, "repairs/list_issues")
    open_issues = [issue for issue in issues["issues"] if not issue.get("ignored")]
    assert not open_issues, f"repair issues on the first screen: {open_issues}"


async def check_device(page: Page, base: str, device: Device, steps: Steps) -> None:
    await visit(page, f"{base}/config/devices/dashboard")
    # The frontend's own device list gives the id; a row clicked by its text may be a child naming its parent.
    device_id = await in_frontend(
        page,
        """name => Object.values(document.querySelector("home-assistant").hass.devices)
            .find(device => (device.name_by_user || device.name) === name)?.id""",
        device.page_title,
    )
    assert device_id, f"no device named {device.page_title!r}"
    await visit(page, f"{base}/config/devices/device/{device_id}")
    await expect(page.get_by_text(device.live_value).first).to_be_visible(timeout=WAIT_MS)
    await steps.shot(f"{slug(device.menu)}-device")


async def entity_of(page: Page, device_name: str, key: str) -> str:
    """The entity id of one of our keys on a device, found by the device's name and the key's unique id."""
    devices = await call_websocket(page, "config/device_registry/list")
    device_ids = {
        device["id"] for device in devices if (device["name_by_user"] or device["name"]) == device_name
    }
    entities = await call_websocket(page, "config/entity_registry/list")
    found = [
        entity["entity_id"]
        for entity in entities
        if entity["device_id"] in device_ids and str(entity["unique_id"]).endswith(f"_{key}")
    ]
    assert len(found) == 1, f"{device_name} has {len(found)} entities for {key}"
    return str(found[0])


async def configure_energy(page: Page, base: str, steps: Steps) -> None:
    """The Energy dashboard as the README tells: the meter's counters and its power (Standard: > 0 drawn)
    as the grid; the battery's counters, its state of charge, and its power *Inverted* (ours is > 0 while
    charging, the dashboard's Standard > 0 while discharging)."""
    meter, battery = "HomeWizard P1 Meter", "INDEVOLT SolidFlex 2000"
    grid = {
        "type": "grid",
        "stat_energy_from": await entity_of(page, meter, "energy_import"),
        "stat_energy_to": await entity_of(page, meter, "energy_export"),
        "power_config": {"stat_rate": await entity_of(page, meter, "power")},
        "cost_adjustment_day": 0,
    }
    stored = {
        "type": "battery",
        "stat_energy_from": await entity_of(page, battery, "battery_discharge_energy"),
        "stat_energy_to": await entity_of(page, battery, "battery_charge_energy"),
        "power_config": {"stat_rate_inverted": await entity_of(page, battery, "battery_power")},
        "stat_soc": await entity_of(page, battery, "state_of_energy"),
    }
    await in_frontend(
        page,
        """sources => document.querySelector("home-assistant").hass.callWS(
            {type: "energy/save_prefs", energy_sources: sources})""",
        [grid, stored],
    )
    prefs = await call_websocket(page, "energy/get_prefs")
    saved = {source["type"]: source for source in prefs["energy_sources"]}
    assert saved["battery"]["power_config"] == stored["power_config"], saved
    assert saved["grid"]["power_config"] == grid["power_config"], saved
    validation = await call_websocket(page, "energy/validate")
    # Statistics are first compiled five minutes after a fresh start: only their absence is expected here.
    issues = [issue for group in validation["energy_sources"] for issue in group]
    problems = [issue for issue in issues if issue["type"] != "statistics_not_defined"]
    assert not problems, f"the Energy dashboard finds problems: {problems}"
    await visit(page, f"{base}/energy")
    await expect(page.get_by_text("Battery").first).to_be_visible(timeout=WAIT_MS)
    await steps.shot("energy-dashboard")
    now = page.get_by_role("tab", name="Now")
    if await now.count():  # the live power flow (Home Assistant 2025.12 on)
        await now.first.click()
        await expect(page.get_by_text("Power usage").first).to_be_visible(timeout=WAIT_MS)
        await page.wait_for_timeout(3000)  # drawn from the live states
        await steps.shot("energy-power-flow")


async def run(base: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(WAIT_MS)
        steps = Steps(page, folder)
        try:
            await visit(page, f"{base}/home/overview")
            await expect(page.get_by_text("Overview").first).to_be_visible(timeout=WAIT_MS)
            await steps.shot("first-screen")
            await visit(page, f"{base}/config/repairs")
            await steps.shot("repairs")
            await assert_nothing_to_read(page)
            for device in DEVICES:
                await add_once(page, base, device, steps)
            for device in DEVICES:
                await check_device(page, base, device, steps)
            await configure_energy(page, base, steps)
        except (Error, AssertionError):
            await steps.shot("failed")
            raise
        finally:
            await browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8123")
    parser.add_argument("--screenshots", type=Path, default=Path(".e2e/screenshots"))
    args = parser.parse_args()
    try:
        asyncio.run(run(args.url.rstrip("/"), args.screenshots))
    except (Error, AssertionError) as err:
        sys.stderr.write(f"[e2e] failed: {err}\n")
        return 1
    sys.stdout.write(f"[e2e] the frontend passed; screenshots in {args.screenshots}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
