"""Prepare the scripts/develop Home Assistant: finish onboarding and add the simulated devices.

scripts/develop marks onboarding's location and analytics steps done before the first start: the location
step would add weather, radio and speech integrations that reach the internet. The IGEN devices are left
to discovery, so that a newcomer sees discovered devices to confirm too.

Runs beside Home Assistant (``python -m simulators.seed``, started by scripts/develop) and talks only
to it on localhost, through its public HTTP API: the onboarding steps, then one config flow per simulated
device, as the form would. It adds devices once, to a Home Assistant without entries of this integration;
later starts keep whatever the user changed. The user it creates is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .__main__ import (
    ACUVIM_PORT,
    ACUVIM_RS485_LINK,
    ECOTRACKER_PORT,
    ENISTIC_READINGS_PORT,
    HOMEWIZARD_PORT,
    INDEVOLT_PORT,
    ISKRA_PORT,
    POWERPACK_PORT,
    SHELLY_PASSWORD,
    SHELLY_PORTS,
    SMARTME_METER_PORT,
    SMARTME_PICO_PORT,
    STROMLESER_PORT,
)

USERNAME = "dev"
PASSWORD = "dev"  # noqa: S105 - the local development login, printed for the user
DOMAIN = "local_energy"


@dataclass(frozen=True)
class Device:
    """One simulated device: the menu options ("acuvim/acuvim_serial") and what the user would type."""

    option: str
    form: dict[str, Any]
    credentials: dict[str, Any] = field(default_factory=dict)


LOCAL = "127.0.0.1"
DEVICES = (
    Device("homewizard", {"host": LOCAL, "port": HOMEWIZARD_PORT}),
    *(
        Device("shelly", {"host": LOCAL, "port": port}, {"password": SHELLY_PASSWORD})
        for port in SHELLY_PORTS.values()
    ),
    Device("ecotracker", {"host": LOCAL, "port": ECOTRACKER_PORT}),
    Device("stromleser", {"host": LOCAL, "port": STROMLESER_PORT}),
    Device("enistic", {"host": LOCAL, "port": ENISTIC_READINGS_PORT}),
    Device(
        "acuvim/acuvim_network",
        {"host": LOCAL, "port": ACUVIM_PORT, "framing": "tcp", "unit_id": 1, "serial": "AV2-0001"},
    ),
    Device(
        "acuvim/acuvim_serial",
        {
            "host": str(ACUVIM_RS485_LINK),
            "baudrate": "9600",
            "parity": "none",
            "bytesize": "8",
            "stopbits": "1",
            "unit_id": 2,
            "serial": "AV2-0002",
        },
    ),
    Device("indevolt", {"host": LOCAL, "port": INDEVOLT_PORT}),
    Device("iskra/iskra_rest", {"host": LOCAL, "port": ISKRA_PORT}),
    Device("smartme", {"host": LOCAL, "port": SMARTME_METER_PORT, "unit_id": 1, "max_current": 16}),
    Device("smartme", {"host": LOCAL, "port": SMARTME_PICO_PORT, "unit_id": 1, "max_current": 16}),
    Device(
        "powerpack",
        {"host": LOCAL, "port": POWERPACK_PORT, "unit_id": 1, "serial": "PP-0001", "rated_power": 50},
    ),
)


class HomeAssistantApi:
    """The few calls of Home Assistant's HTTP API that onboarding and config flows need."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.client_id = f"{base}/"
        self.token = ""

    async def call(self, method: str, path: str, body: Any = None, *, form: bool = False) -> Any:
        """Send one request (JSON, or a form for the token endpoint) and return the decoded answer."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {"data": body} if form else {"json": body}
        async with self.session.request(method, self.base + path, headers=headers, **payload) as answer:
            if answer.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {answer.status} {await answer.text()}")
            return await answer.json()

    async def wait_until_running(self, seconds: float) -> None:
        """Wait until Home Assistant has started (a first start installs packages for a few minutes)."""
        for _ in range(int(seconds)):
            if (await self.call("GET", "/api/config")).get("state") == "RUNNING":
                return
            await asyncio.sleep(1)
        raise RuntimeError(f"Home Assistant did not finish starting within {seconds:.0f} s")

    async def wait_until_up(self, seconds: float) -> None:
        """Wait until Home Assistant's HTTP API answers (a first start installs its frontend first)."""
        for _ in range(int(seconds * 2)):
            try:
                await self.call("GET", "/api/onboarding")
            except (aiohttp.ClientError, RuntimeError):
                await asyncio.sleep(0.5)
            else:
                return
        raise RuntimeError(f"Home Assistant did not answer at {self.base} within {seconds:g} s")

    async def log_in(self) -> bool:
        """Onboard with the development user, or log in as it; True when onboarding was done now."""
        steps = {step["step"]: step["done"] for step in await self.call("GET", "/api/onboarding")}
        onboarding = not steps.get("user", True)
        if onboarding:
            user = {"client_id": self.client_id, "name": "Developer", "username": USERNAME}
            user |= {"password": PASSWORD, "language": "en"}
            code = (await self.call("POST", "/api/onboarding/users", user))["auth_code"]
        else:
            code = await self._login_code()
        grant = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        self.token = (await self.call("POST", "/auth/token", grant, form=True))["access_token"]
        if not steps.get("integration", True):
            redirect = {"client_id": self.client_id, "redirect_uri": f"{self.base}/?auth_callback=1"}
            await self.call("POST", "/api/onboarding/integration", redirect)
        return onboarding

    async def _login_code(self) -> str:
        start = {"client_id": self.client_id, "handler": ["homeassistant", None]}
        start["redirect_uri"] = self.client_id
        flow = await self.call("POST", "/auth/login_flow", start)
        login = {"client_id": self.client_id, "username": USERNAME, "password": PASSWORD}
        result = await self.call("POST", f"/auth/login_flow/{flow['flow_id']}", login)
        if result.get("type") != "create_entry":
            raise RuntimeError(f"cannot log in as {USERNAME}: {result.get('errors')}")
        return str(result["result"])

    async def ignore_installation_notice(self, wait_seconds: float = 60) -> None:
        """Dismiss core's notice that a Python install (what scripts/develop runs) is unsupported.

        Core raises it a few seconds after start; wait for it, then ignore it as a user would.
        """
        async with self.session.ws_connect(f"{self.base}/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            await socket.receive_json()  # auth_ok
            for message_id in range(1, int(wait_seconds) + 1):
                await socket.send_json({"id": message_id, "type": "repairs/list_issues"})
                issues = (await socket.receive_json()).get("result", {}).get("issues", [])
                if any(issue["issue_id"] == "deprecated_method" for issue in issues):
                    ignore = {"domain": "homeassistant", "issue_id": "deprecated_method", "ignore": True}
                    await socket.send_json({"id": 10_000, "type": "repairs/ignore_issue", **ignore})
                    await socket.receive_json()
                    return
                await asyncio.sleep(1)

    async def entries(self) -> list[dict[str, Any]]:
        """The config entries of the integration."""
        return list(await self.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}"))

    async def add(self, device: Device) -> str:
        """Go through the config flow as the form would; return the result in a word."""
        flow = await self.call("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        for option in device.option.split("/"):  # a family's own menu (Iskra, Acuvim) comes second
            result = await self.call("POST", path, {"next_step_id": option})
        result = await self.call("POST", path, device.form)
        if result["type"] == "form" and result.get("step_id") == "credentials":
            result = await self.call("POST", path, device.credentials)
        if result["type"] == "create_entry":
            return f"added {result['title']}"
        return f"not added: {result.get('reason') or result.get('errors')}"


def say(message: str) -> None:
    """One line for the person running scripts/develop."""
    sys.stdout.write(f"\033[1;34m[develop]\033[0m {message}\n")
    sys.stdout.flush()


async def seed(base: str, wait_seconds: float, *, devices: bool) -> None:
    """Onboard if needed; on a Home Assistant without entries of this integration, add every device."""
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, base)
        await api.wait_until_up(wait_seconds)
        onboarded = await api.log_in()
        if onboarded:
            say(f"onboarding done: user {USERNAME!r}, password {PASSWORD!r}")
        notice = asyncio.create_task(api.ignore_installation_notice())
        await api.wait_until_running(wait_seconds)
        if devices and not await api.entries():
            for device in DEVICES:
                where = device.form.get("port", device.form["host"])
                say(f"{device.option} at {where}: {await api.add(device)}")
        await notice
        say("Home Assistant is running")


def main() -> int:
    """Parse arguments and seed; 1 when Home Assistant could not be prepared."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8123")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for Home Assistant")
    parser.add_argument("--only", choices=["user"], help="onboard, but add no device")
    args = parser.parse_args()
    try:
        asyncio.run(seed(args.url.rstrip("/"), args.timeout, devices=args.only is None))
    except (RuntimeError, aiohttp.ClientError) as err:
        say(f"could not prepare Home Assistant: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
