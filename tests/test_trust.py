"""What the data contract and the setpoint guards mean inside Home Assistant."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PORT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_energy.const import CONF_FAMILY, DOMAIN
from simulators.acuvim import AcuvimSimulator
from simulators.ecotracker import SERIAL as ECOTRACKER_SERIAL
from simulators.ecotracker import EcoTrackerSimulator
from simulators.enistic import CONTROLLER, EnisticSimulator
from simulators.http_server import HttpSimulatorServer
from simulators.igen import IgenSimulator, packet
from simulators.powerpack import PowerPackSimulator
from tests.conftest import acuvim_entry, enistic_entry, free_udp_port, refresh, setup_entry, wait_for
from tests.devices.test_untrusted import STRANGER, send_from
from tests.test_igen import POWER as IGEN_POWER
from tests.test_igen import SERIAL, meter_entry
from tests.test_readers import entry_for
from tests.test_setpoints import battery_entry

IMPORT = "sensor.everhome_ecotracker_energy_import"
EXPORT = "sensor.everhome_ecotracker_energy_export"
PHASE_1 = "sensor.everhome_ecotracker_power_phase_1"
TARGET = "number.powerpack_bess_target_power_charge_discharge"

ECO_POWER = "sensor.everhome_ecotracker_power"


def serve(simulator: EcoTrackerSimulator, **changes: Any) -> None:
    """Make the reader answer its usual body with some fields changed."""
    normal = simulator.payload
    simulator.payload = lambda: {**normal(), **changes}  # type: ignore[method-assign]


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Log records of this integration (asyncio's slow-callback notes under a frozen clock are not)."""
    return [record for record in caplog.records if record.name.startswith("custom_components.local_energy")]


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_impossible_values_are_dropped_and_the_rest_updates(
    hass: HomeAssistant,
    ecotracker_sim: EcoTrackerSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, entry_for("ecotracker", ecotracker_sim.port, ECOTRACKER_SERIAL))
    export_before = float(hass.states.get(EXPORT).state)
    serve(
        ecotracker_sim, power=math.nan, powerPhase1=10**400, energyCounterIn=-5000, energyCounterOut=1254900.0
    )
    await refresh(hass, freezer, 10)  # a counter's change is shown within 10 s
    assert hass.states.get(ECO_POWER).state == STATE_UNAVAILABLE  # NaN
    assert hass.states.get(PHASE_1).state == STATE_UNAVAILABLE  # a 400-digit integer
    assert hass.states.get(IMPORT).state == STATE_UNAVAILABLE  # -5 kWh
    assert float(hass.states.get(EXPORT).state) == pytest.approx(1254.9)  # the rest is written
    assert float(hass.states.get(EXPORT).state) > export_before
    assert errors(caplog) == []
    warnings = [r.message for r in ours(caplog) if "dropped" in r.message]
    assert len(warnings) == 3
    await refresh(hass, freezer)  # the same faults again: nothing more in the log
    assert len([r for r in ours(caplog) if "dropped" in r.message]) == 3


async def test_a_counter_never_goes_backwards_on_one_bad_reading(
    hass: HomeAssistant, ecotracker_sim: EcoTrackerSimulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, entry_for("ecotracker", ecotracker_sim.port, ECOTRACKER_SERIAL))
    good = float(hass.states.get(IMPORT).state)
    serve(ecotracker_sim, energyCounterIn=1000.0)  # 1 kWh: a bad reading
    await refresh(hass, freezer)
    assert float(hass.states.get(IMPORT).state) == good
    serve(ecotracker_sim, energyCounterIn=(good + 1e6) * 1000)  # + 1 GWh in a second: impossible
    await refresh(hass, freezer)
    assert float(hass.states.get(IMPORT).state) == good
    ecotracker_sim.payload = EcoTrackerSimulator.payload.__get__(ecotracker_sim)  # type: ignore[method-assign]
    await refresh(hass, freezer)
    assert float(hass.states.get(IMPORT).state) >= good


async def test_a_persistent_reset_is_taken_once(
    hass: HomeAssistant, ecotracker_sim: EcoTrackerSimulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, entry_for("ecotracker", ecotracker_sim.port, ECOTRACKER_SERIAL))
    good = float(hass.states.get(IMPORT).state)
    serve(ecotracker_sim, energyCounterIn=2000.0)  # a new meter at 2 kWh
    shown = []
    for _ in range(12):
        await refresh(hass, freezer, 2)
        shown.append(float(hass.states.get(IMPORT).state))
    assert shown[0] == good  # held while it might be one bad reading
    assert shown[-1] == 2.0  # taken once it persisted (3 readings over 10 s)
    assert sorted(set(shown)) == [2.0, good]


async def test_a_strangers_datagrams_create_and_change_nothing(
    hass: HomeAssistant, enistic_sim: EnisticSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = enistic_entry(enistic_sim)
    await setup_entry(hass, entry)
    client = entry.runtime_data.coordinator.client
    for meter in range(50):
        send_from(
            STRANGER, enistic_sim.target, f"{CONTROLLER}:Reading:0021EE{meter:010d}:5.0:1:17\r".encode()
        )
    await wait_for(hass, lambda: client.foreign == 50)
    await refresh(hass, freezer)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1  # the controller only
    assert client.datagrams == 0


async def test_setpoints_that_are_not_finite_or_need_rounding(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    battery = PowerPackSimulator()
    await battery.start()
    await setup_entry(hass, battery_entry(battery))
    # NaN passes Home Assistant's own range check (every comparison with NaN is false): ours refuses it.
    for value, refusal in ((math.nan, "rejected_not_finite"), (math.inf, "out_of_range")):
        with pytest.raises(ServiceValidationError) as raised:
            await hass.services.async_call(
                NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: TARGET, ATTR_VALUE: value}, blocking=True
            )
        assert raised.value.translation_key == refusal
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: TARGET, ATTR_VALUE: -1999}, blocking=True
    )
    assert battery.target_kw == -1  # toward zero: never more than asked
    await battery.stop()


async def test_one_minute_of_a_device_down_logs_once(
    hass: HomeAssistant,
    acuvim_sim: AcuvimSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, acuvim_entry(acuvim_sim))
    caplog.clear()
    await acuvim_sim.stop()
    for _ in range(60):
        await refresh(hass, freezer)
    down = [r for r in ours(caplog) if r.levelno >= logging.WARNING]
    assert len(down) == 1, [r.message for r in down]
    await acuvim_sim.start()
    await refresh(hass, freezer)
    back = [r for r in ours(caplog) if "recovered" in r.message]
    assert len(back) == 1


async def test_malformed_broadcasts_are_counted_without_a_traceback(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    entry = meter_entry(simulator)
    await setup_entry(hass, entry)
    client = entry.runtime_data.coordinator.client
    caplog.set_level(logging.INFO)
    garbage = [
        simulator.devices[0].broadcast()[:-60],  # cut short
        packet(SERIAL, {"data": {"a_voltage": "2x"}}).replace(b'{"data"', b"[" * 20_000 + b'{"data"'),
        packet(SERIAL, {"data": 5}),
    ]
    for sent, datagram in enumerate(garbage, 1):
        simulator.send(raw=datagram)
        await wait_for(hass, lambda sent=sent: client.datagrams == sent)
        await refresh(hass, freezer)  # written (so decoded) one interval later
    assert client.malformed == len(garbage)
    simulator.send()
    await wait_for(hass, lambda: client.datagrams == len(garbage) + 1)
    await refresh(hass, freezer)
    assert hass.states.get(IGEN_POWER).state == "1250.0"  # the good broadcast is written
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert len([r for r in caplog.records if "malformed datagram from the IGEN device" in r.message]) == 1
    await simulator.stop()


async def test_a_device_that_sends_only_malformed_broadcasts_goes_silent(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    simulator = IgenSimulator(free_udp_port())
    await simulator.start()
    entry = meter_entry(simulator)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    for sent in range(1, 6):
        simulator.send(raw=packet(SERIAL, {"data": 5}))  # a valid header, nothing readable
        await wait_for(hass, lambda sent=sent: coordinator.client.datagrams == sent)
        await refresh(hass, freezer)
    assert coordinator.silent  # bad pushes do not count as the device's voice: read over HTTP instead
    assert coordinator.client.malformed == 5
    await simulator.stop()


async def test_an_odd_identity_answer_leaves_the_entry_retrying(hass: HomeAssistant) -> None:
    async def shelly(_request: web.Request) -> web.Response:
        return web.json_response({"gen": "2x", "model": "SPEM-003CEBEU", "mac": "AABBCCDDEEFF"})

    app = web.Application()
    app.router.add_get("/shelly", shelly)
    server = HttpSimulatorServer(app)
    await server.start()
    entry = shelly_entry_at(server.port)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "unknown generation" in str(entry.reason)
    await server.stop()


def shelly_entry_at(port: int) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id="aabbccddeeff",
        data={CONF_FAMILY: "shelly", CONF_HOST: "127.0.0.1", CONF_PORT: port},
    )
