"""Run every simulator on 127.0.0.1 until interrupted: ``python -m simulators``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from .acuvim import AcuvimSimulator
from .ecotracker import EcoTrackerSimulator
from .enistic import EnisticSimulator
from .homewizard import SERIAL as HOMEWIZARD_SERIAL
from .homewizard import HomeWizardSimulator
from .igen import IgenDevice, IgenSimulator
from .indevolt import IndevoltSimulator
from .iskra import GATEWAY_SERIAL, IskraDiscoveryResponder, IskraGatewaySimulator, discovery_answer
from .powerpack import PowerPackSimulator
from .shelly import COIOT_PORT, ShellySimulator
from .smartme import SmartMeSimulator
from .stromleser import StromleserSimulator

HOMEWIZARD_PORT = 18080
ECOTRACKER_PORT = 18084
STROMLESER_PORT = 18085
SMARTME_METER_PORT = 15021
SMARTME_PICO_PORT = 15022
POWERPACK_PORT = 15023
IGEN_PUSH_PORT = 8088
IGEN_HTTP_PORT = 18086
INDEVOLT_PORT = 18087
ACUVIM_PORT = 15020
ISKRA_PORT = 18088
ISKRA_PROBE_PORT = 33333
ACUVIM_RS485_LINK = Path(".simulators/acuvim-rs485").absolute()
"""Where the simulated RS-485 port is found (a link to its pseudo-terminal, which is numbered afresh)."""
ENISTIC_READINGS_PORT = 53005
ENISTIC_COMMAND_PORT = 53004
SHELLY_PORTS = {"SPEM-003CEBEU": 18081, "S3PL-00112EU": 18082, "SHEM-3": 18083}
SHELLY_PASSWORD = "shelly"  # noqa: S105 - the simulated plug's password, printed for the user


async def start_rs485_acuvim() -> AcuvimSimulator:
    """An Acuvim II at unit id 2 on a simulated RS-485 line, found at ACUVIM_RS485_LINK."""
    meter = AcuvimSimulator(unit_id=2, framing="serial")
    await meter.start(changing=True)
    assert meter.serial_server is not None
    ACUVIM_RS485_LINK.parent.mkdir(exist_ok=True)
    ACUVIM_RS485_LINK.unlink(missing_ok=True)
    ACUVIM_RS485_LINK.symlink_to(meter.serial_server.path)
    return meter


async def start_iskra() -> tuple[IskraGatewaySimulator, IskraDiscoveryResponder]:
    """An Iskra gateway without Bicom relays (its /api/bicoms answers 404) that answers searches.

    The Iskra option's search finds it with 127.0.0.1 as the search address.
    """
    gateway = IskraGatewaySimulator(port=ISKRA_PORT)
    gateway.missing.add("/api/bicoms")
    await gateway.start()
    responder = IskraDiscoveryResponder([discovery_answer(gateway.gateway_model, GATEWAY_SERIAL)])
    await responder.start("127.0.0.1", ISKRA_PROBE_PORT)
    return gateway, responder


async def start_document_shaped() -> list[AcuvimSimulator | IskraGatewaySimulator | IskraDiscoveryResponder]:
    """The simulators shaped by the vendors' documents rather than the common case."""
    iskra, responder = await start_iskra()
    return [await start_rs485_acuvim(), iskra, responder]


async def start_shellies() -> list[ShellySimulator]:
    """One Shelly per model, each pushing its changes every second, as devices do.

    Gen2+ over their RPC WebSocket; Gen1 as CoIoT status datagrams to this machine's CoIoT port (the peer
    a Gen1 device is given in its CoIoT settings).
    """
    shellies = [
        ShellySimulator(model, port=port, mac=f"AABBCCDDEE{index:02X}",
                        password=SHELLY_PASSWORD if model == "S3PL-00112EU" else None)
        for index, (model, port) in enumerate(SHELLY_PORTS.items())
    ]  # fmt: skip
    for shelly in shellies:
        if shelly.generation == 1:
            shelly.coiot_target = ("127.0.0.1", COIOT_PORT)
        await shelly.start()
        shelly.start_pushing(1.0)
    return shellies


async def run(enistic_interval: float) -> None:
    """Start the simulators, print how to add them, and serve until cancelled."""
    homewizard = HomeWizardSimulator(port=HOMEWIZARD_PORT)
    acuvim = AcuvimSimulator(port=ACUVIM_PORT)
    enistic = EnisticSimulator(ENISTIC_READINGS_PORT, ENISTIC_COMMAND_PORT)
    await homewizard.start(changing=True)
    await acuvim.start(changing=True)
    shaped = await start_document_shaped()
    await enistic.start(interval=enistic_interval)
    shellies = await start_shellies()
    ecotracker = EcoTrackerSimulator(port=ECOTRACKER_PORT)
    stromleser = StromleserSimulator(port=STROMLESER_PORT)
    await ecotracker.start(changing=True)
    await stromleser.start()
    modbus_devices: list[tuple[str, SmartMeSimulator | PowerPackSimulator, str]] = [
        ("smart-me meter", SmartMeSimulator(port=SMARTME_METER_PORT), "unit id 1"),
        ("smart-me Pico", SmartMeSimulator(pico=True, serial=7100042, port=SMARTME_PICO_PORT), "unit id 1"),
        ("PowerPack", PowerPackSimulator(port=POWERPACK_PORT), "unit id 1, serial: any, rated power 50 kW"),
    ]
    for _, device, _ in modbus_devices:
        await device.start()
    igen = IgenSimulator(
        IGEN_PUSH_PORT,
        [
            IgenDevice("meter", "D850BD20A300129S"),
            IgenDevice("p1", "D850BD20A3001300"),
            IgenDevice("plug", "D850BD20A3001301"),
        ],
        http_port=IGEN_HTTP_PORT,
    )
    indevolt = IndevoltSimulator(port=INDEVOLT_PORT)
    await igen.start(broadcasting=True)
    await indevolt.start()
    print("Simulated devices (add them in Home Assistant: Settings > Devices & services > Add integration >")
    print("Local Energy, then pick the family and enter these values):", flush=True)
    print(f"  HomeWizard P1 meter  host 127.0.0.1  port {homewizard.port}  (serial {HOMEWIZARD_SERIAL})")
    print(f"  Acuvim II meter      host 127.0.0.1  port {acuvim.port}  unit id 1  serial: any, e.g. AV2-0001")
    print(f"  Acuvim II on RS-485  serial port {ACUVIM_RS485_LINK}  9600 8N1  unit id 2  serial: any")
    print(f"  Iskra gateway        host 127.0.0.1  port {ISKRA_PORT}  (no Bicoms; search address 127.0.0.1)")
    print(
        f"  Enistic controller   host 127.0.0.1  port {ENISTIC_READINGS_PORT}  "
        f"(controller {enistic.controller}, readings every {enistic_interval:g} s, "
        f"commands on {enistic.command_port})",
        flush=True,
    )
    for shelly in shellies:
        secured = f"  (password: {SHELLY_PASSWORD})" if shelly.password else ""
        print(f"  Shelly {shelly.model:<16} host 127.0.0.1  port {shelly.port}{secured}", flush=True)
    print(f"  EcoTracker           host 127.0.0.1  port {ecotracker.port}")
    print(
        f"  stromleser.one       host 127.0.0.1  port {stromleser.port}  (answers once per 8 s)", flush=True
    )
    for label, device, hint in modbus_devices:
        print(f"  {label:<20} host 127.0.0.1  port {device.port}  {hint}", flush=True)
    print(
        f"  IGEN meter           host 127.0.0.1  port {igen.http_port}  (broadcasts on UDP {IGEN_PUSH_PORT})"
    )
    print("                       a P1 reader and a plug broadcast too: they appear as discovered devices")
    print(f"  INDEVOLT battery     host 127.0.0.1  port {indevolt.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await igen.stop()
        await indevolt.stop()
        for _, device, _ in modbus_devices:
            await device.stop()
        await stromleser.stop()
        await ecotracker.stop()
        for shelly in shellies:
            await shelly.stop()
        await enistic.stop()
        for simulator in shaped:
            await simulator.stop()
        await acuvim.stop()
        await homewizard.stop()


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description="Local Energy device simulators")
    parser.add_argument(
        "--enistic-interval", type=float, default=2.0, help="seconds between Enistic readings"
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.enistic_interval))


if __name__ == "__main__":
    main()
