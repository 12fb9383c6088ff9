"""Install the integration as a user does and use it once: ``python -m simulators.install_check``.

Run by scripts/install-check with a Home Assistant installed from PyPI into a fresh environment. This
starts a HomeWizard P1 meter (HTTP) and a smart-me meter (Modbus TCP) on 127.0.0.1, then Home Assistant on
a fresh config folder that holds custom_components/local_energy as HACS leaves it, without --skip-pip:
Home Assistant installs the integration's requirements itself, under its own constraints. Through the
HTTP API it onboards, adds both devices by their config flows, reads a value of each through the states
API, and stops. It fails on any ERROR that names local_energy or a requirement, and prints what Home
Assistant installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from .homewizard import HomeWizardSimulator
from .seed import HomeAssistantApi
from .smartme import SmartMeSimulator

DOMAIN = "local_energy"
START_SECONDS = 900
"""A first start installs the frontend and the requirements of every integration it loads."""
BAD_LINE = re.compile(r"\b(ERROR|CRITICAL)\b.*(local_energy|[Rr]equirement|Unable to install)")
CONFIGURATION = """\
homeassistant:
  name: Install check
  country: NL
  currency: EUR
  time_zone: Europe/Amsterdam
  unit_system: metric
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
  logs:
    homeassistant.util.package: info
"""


def say(message: str) -> None:
    """One line of progress."""
    sys.stdout.write(f"\033[1;34m[install-check]\033[0m {message}\n")
    sys.stdout.flush()


def installed(python: Path) -> dict[str, str]:
    """The packages of an environment, by name."""
    listing = subprocess.run(  # noqa: S603 - the environment's own pip
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {package["name"].lower(): package["version"] for package in json.loads(listing)}


def show(lines: list[str]) -> None:
    """Lines of Home Assistant's log, as they are."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))


async def onboard(api: HomeAssistantApi) -> None:
    """The onboarding steps as the frontend takes them: user, location, analytics, integrations."""
    user = {"client_id": api.client_id, "name": "Check", "username": "check", "password": "check-8d1f"}
    code = (await api.call("POST", "/api/onboarding/users", {**user, "language": "en"}))["auth_code"]
    grant = {"grant_type": "authorization_code", "code": code, "client_id": api.client_id}
    api.token = (await api.call("POST", "/auth/token", grant, form=True))["access_token"]
    await api.call("POST", "/api/onboarding/core_config", {})
    await api.call("POST", "/api/onboarding/analytics", {})
    redirect = {"client_id": api.client_id, "redirect_uri": f"{api.base}/?auth_callback=1"}
    await api.call("POST", "/api/onboarding/integration", redirect)


async def add(api: HomeAssistantApi, option: str, form: dict[str, object]) -> str:
    """One config flow through the REST API; the entry id it made."""
    flow = await api.call("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    if flow.get("type") != "menu":
        raise RuntimeError(f"starting the config flow answered {flow}")
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    await api.call("POST", path, {"next_step_id": option})
    result = await api.call("POST", path, form)
    if result.get("type") != "create_entry":
        raise RuntimeError(f"adding {option} answered {result}")
    say(f"added {result['title']} ({option})")
    return str(result["result"]["entry_id"])


async def a_value_of(api: HomeAssistantApi, entry_id: str, seconds: float = 60) -> tuple[str, str]:
    """A sensor of the entry with a value: its entity id and state."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = await api.call("GET", "/api/states")
        registry = await _entities_of(api, entry_id)
        for state in states:
            entity_id, value = state["entity_id"], state["state"]
            if (
                entity_id in registry
                and entity_id.startswith("sensor.")
                and value not in ("unknown", "unavailable")
            ):
                return entity_id, value
        await asyncio.sleep(1)
    raise RuntimeError(f"no sensor of entry {entry_id} has a value after {seconds:g} s")


async def _entities_of(api: HomeAssistantApi, entry_id: str) -> set[str]:
    """The entity ids of a config entry, through the WebSocket API (the REST API has no registry)."""
    async with api.session.ws_connect(f"{api.base}/api/websocket") as socket:
        await socket.receive_json()
        await socket.send_json({"type": "auth", "access_token": api.token})
        await socket.receive_json()
        await socket.send_json({"id": 1, "type": "config/entity_registry/list"})
        entities = (await socket.receive_json())["result"]
    return {entity["entity_id"] for entity in entities if entity.get("config_entry_id") == entry_id}


async def check(hass: Path, config: Path, port: int) -> list[str]:
    """Start Home Assistant, use the integration through its API, stop; the bad lines of its log."""
    meter, modbus = HomeWizardSimulator(), SmartMeSimulator()
    await meter.start(changing=True)
    await modbus.start()
    log = config / "home-assistant.log"
    process = await asyncio.create_subprocess_exec(
        hass,
        "--config",
        config,
        "--log-file",
        log,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, f"http://127.0.0.1:{port}")
            await api.wait_until_up(START_SECONDS)
            await onboard(api)
            await api.wait_until_running(START_SECONDS)
            say("Home Assistant is running and onboarded")
            http_entry = await add(api, "homewizard", {"host": "127.0.0.1", "port": meter.port})
            modbus_form = {"host": "127.0.0.1", "port": modbus.port, "unit_id": 1, "max_current": 16}
            modbus_entry = await add(api, "smartme", modbus_form)
            for entry_id in (http_entry, modbus_entry):
                entity_id, value = await a_value_of(api, entry_id)
                say(f"read {entity_id} = {value} through the states API")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(120):
                code = await process.wait()
        except TimeoutError:
            process.kill()
            raise RuntimeError("Home Assistant did not stop within 120 s") from None
        await modbus.stop()
        await meter.stop()
    if code != 0:
        raise RuntimeError(f"Home Assistant stopped with exit code {code}")
    say("Home Assistant stopped cleanly")
    return [line for line in log.read_text(errors="replace").splitlines() if BAD_LINE.search(line)]


def main() -> int:
    """Run the check; 1 when it fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hass", type=Path, required=True, help="the hass command of the fresh environment")
    parser.add_argument("--config", type=Path, required=True, help="a fresh config folder")
    parser.add_argument("--port", type=int, default=18123)
    args = parser.parse_args()
    python = args.hass.parent / "python"
    args.config.mkdir(parents=True, exist_ok=True)
    (args.config / "configuration.yaml").write_text(CONFIGURATION.format(port=args.port))
    before = installed(python)
    started = time.monotonic()
    try:
        bad = asyncio.run(check(args.hass, args.config, args.port))
    except (RuntimeError, aiohttp.ClientError, OSError) as err:
        say(f"FAILED: {err}")
        log = args.config / "home-assistant.log"
        if log.exists():
            show(log.read_text(errors="replace").splitlines()[-40:])
        return 1
    after = installed(python)
    added = {name: version for name, version in after.items() if before.get(name) != version}
    say(f"Home Assistant installed at its start: {', '.join(f'{n}=={v}' for n, v in sorted(added.items()))}")
    for name in ("homeassistant", "pymodbus", "pyserial"):
        say(f"  {name} {after.get(name, 'not installed')}")
    say(f"start, onboarding, two devices, two values and a stop took {time.monotonic() - started:.0f} s")
    if bad:
        say("FAILED: Home Assistant logged errors naming the integration or a requirement:")
        show(bad)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
