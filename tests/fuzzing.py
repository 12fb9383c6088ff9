"""Fuzzing every parser: real payloads from the simulators, mutated by Hypothesis.

A parser passes when every input gives a result or a typed DeviceError; anything else is an escape. The
results are then put through the data contract, which counts the values it drops. Used by
tests/devices/test_fuzz.py (a few hundred examples a parser) and benchmarks/fuzz.py (10 000 and more).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.local_energy.devices import (
    acuvim,
    coiot,
    ecotracker,
    enistic,
    homewizard,
    igen,
    indevolt,
    iskra,
    iskra_modbus,
    powerpack,
    shelly,
    smartme,
    stromleser,
)
from custom_components.local_energy.devices.contract import ValueGuard
from custom_components.local_energy.devices.errors import DeviceError
from custom_components.local_energy.devices.modbus import RegisterBlock, Registers
from custom_components.local_energy.devices.payload import decode_json
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Channel, ChannelKind, Snapshot
from simulators.ecotracker import EcoTrackerSimulator
from simulators.enistic import CONTROLLER, Meter
from simulators.homewizard import HomeWizardSimulator, HomeWizardV2Simulator
from simulators.igen import IgenDevice
from simulators.indevolt import IndevoltSimulator
from simulators.iskra import IskraGatewaySimulator
from simulators.shelly import ISSUE_MODELS, ShellySimulator
from simulators.stromleser import StromleserSimulator

type Parser = Callable[[Any], object]
HOMEWIZARD_API = {"product_type": "HWE-P1", "serial": "3c39e7aabbcc", "firmware_version": "6.01"}


@dataclass(frozen=True)
class Target:
    """One parser and the real payloads its mutations start from."""

    family: str
    name: str
    parse: Parser
    seeds: tuple[Any, ...]
    kind: str = "json"
    """json: a decoded document; bytes: what arrives on the wire; words: a register block."""


@dataclass
class Outcome:
    """What a run of one target gave."""

    inputs: int = 0
    snapshots: int = 0
    typed_errors: int = 0
    escapes: int = 0
    dropped: int = 0
    escape_examples: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


# --- mutations -------------------------------------------------------------------------------------

_ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1e300, 1e300, -5000, 0, "2x", "", "NaN", "1e999", "-0", "230.1 V", "on"]),
    st.text(max_size=6),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["value", "unit", "a", "0"]), st.integers(), max_size=2),
    st.just([[[[[]]]]]),
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*prefix, index))


def _set(document: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


_DOCUMENT_ACTIONS = st.sampled_from(["replace", "replace", "delete", "wrap"])
_BYTES_ACTIONS = st.sampled_from(["flip", "cut", "insert", "deep"])
_DEPTHS = st.sampled_from([40, 1000, 20_000])


def _one_of[T](draw: st.DrawFn, items: list[T] | tuple[T, ...]) -> T:
    """An item drawn by its index (a strategy made per draw would cost more than the parse it feeds)."""
    return items[draw(st.integers(0, len(items) - 1))]


@st.composite
def mutated_document(draw: st.DrawFn, seeds: tuple[Any, ...]) -> Any:
    """A seed with one to four of its nodes replaced by odd values, deleted, or wrapped."""
    document = copy.deepcopy(_one_of(draw, seeds))
    for _ in range(draw(st.integers(1, 4))):
        path = _one_of(draw, list(_paths(document)))
        action = draw(_DOCUMENT_ACTIONS)
        if action == "delete" and path:
            document = _set(document, path, None, delete=True)
        elif action == "wrap":
            node = document
            for step in path:
                node = node[step]
            document = _set(document, path, [copy.deepcopy(node)])
        else:
            document = _set(document, path, copy.deepcopy(draw(_ODD_VALUES)))
    return document


@st.composite
def mutated_bytes(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """A seed with bytes flipped, cut, repeated or replaced by deep nesting."""
    data = bytearray(_one_of(draw, seeds))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(_BYTES_ACTIONS)
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(max_size=12))
        else:
            data[position:position] = b"[" * draw(_DEPTHS)
    return bytes(data)


def _words(count: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, 0xFFFF), min_size=count, max_size=count)


def strategy(target: Target) -> st.SearchStrategy[Any]:
    """The inputs of a target."""
    if target.kind == "bytes":
        return mutated_bytes(target.seeds)
    if target.kind == "words":
        return _words(int(target.seeds[0]))
    return mutated_document(target.seeds)


# --- running ---------------------------------------------------------------------------------------


def as_snapshot(result: object) -> Snapshot | None:
    """A parser's result as a snapshot for the contract (parsers of one channel return a mapping)."""
    if isinstance(result, Snapshot):
        return result
    if isinstance(result, dict) and all(isinstance(v, Channel) for v in result.values()):
        return Snapshot(channels=result)
    if isinstance(result, dict):
        return Snapshot({MAIN_CHANNEL: Channel(ChannelKind.DEVICE, result)})
    return None


def run_one(target: Target, document: Any, outcome: Outcome, guard: ValueGuard) -> None:
    """Parse one input and record what happened."""
    outcome.inputs += 1
    try:
        result = target.parse(document)
    except DeviceError as err:
        outcome.typed_errors += 1
        outcome.errors[type(err).__name__] += 1
        return
    except Exception as err:  # noqa: BLE001 - an escape is what this counts
        outcome.escapes += 1
        if len(outcome.escape_examples) < 3:
            outcome.escape_examples.append(f"{type(err).__name__}: {err!s:.120} <- {document!r:.200}")
        return
    outcome.snapshots += 1
    snapshot = as_snapshot(result)
    if snapshot is not None:
        before = sum(guard.dropped.values())
        guard.check(snapshot)
        outcome.dropped += sum(guard.dropped.values()) - before


def fuzz(target: Target, examples: int, seed: int = 0) -> Outcome:
    """Run a target for a number of Hypothesis examples."""
    outcome = Outcome()
    guard = ValueGuard(f"fuzz {target.name}")

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=seed == 0,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy(target))
    def one(document: Any) -> None:
        run_one(target, document, outcome, guard)

    one()
    return outcome


# --- targets ---------------------------------------------------------------------------------------


def _registers(start: int) -> Callable[[list[int]], Registers]:
    return lambda words: Registers((RegisterBlock(start, tuple(words)),))


def _shelly_status(info: shelly.ShellyInfo) -> Parser:
    return lambda status: shelly.parse_status(status, info)


def _acuvim(words: list[int]) -> object:
    settings_words, measurement_words = words[: acuvim.SETTINGS_COUNT], words[acuvim.SETTINGS_COUNT :]
    meter = acuvim.MeterSettings.from_registers(_registers(acuvim.SETTINGS_START)(settings_words))
    start, _ = acuvim.MEASUREMENT_PLAN[0]
    return acuvim.decode_measurements(_registers(start)(measurement_words), meter)


def _coiot(info: shelly.ShellyInfo, base: dict[str, Any]) -> Parser:
    def parse(datagram: bytes) -> object:
        status = coiot.decode(datagram)
        return shelly.parse_status(coiot.status_of(status.values, info.model.layout, base), info)

    return parse


def _coiot_targets() -> list[Target]:
    """CoIoT datagrams of each Gen1 layout, read over the /status they stand on."""
    targets = []
    for model in ("SHEM-3", "SHEM", "SHPLG-S"):
        device = ShellySimulator(model)
        info = shelly.parse_info({"type": model, "mac": device.mac, "auth": False})
        seeds = (device.coiot_datagram(), (device.advance(), device.coiot_datagram())[1])
        targets.append(Target("shelly", f"CoIoT {model}", _coiot(info, device.gen1_status()), seeds, "bytes"))
    return targets


def _register_targets() -> list[Target]:
    meter_start, meter_count = smartme.METER_PLAN[0]
    acuvim_count = acuvim.SETTINGS_COUNT + acuvim.MEASUREMENT_PLAN[0][1]
    wm_start, wm_count = iskra_modbus.WM_IMPACT_BLOCK
    mc_start, mc_count = iskra_modbus.MC_BLOCK
    pp_start, pp_count = powerpack.BLOCK
    counts_start, counts_count = iskra_modbus.WM_COUNTER_BLOCK
    return [
        Target("smartme", "meter block", lambda w: smartme.decode(_registers(meter_start)(w), smartme.METER),
               (meter_count,), "words"),
        Target("acuvim", "settings + measurements", _acuvim, (acuvim_count,), "words"),
        Target("iskra", "Modbus WM/IMPACT block",
               lambda w: iskra_modbus.decode_readings(_registers(wm_start)(w), iskra_modbus.WM_IMPACT, 3),
               (wm_count,), "words"),
        Target("iskra", "Modbus MC block",
               lambda w: iskra_modbus.decode_readings(_registers(mc_start)(w), iskra_modbus.MC, 3),
               (mc_count,), "words"),
        Target("iskra", "Modbus WM counters",
               lambda w: iskra_modbus.decode_wm_counters(
                   RegisterBlock(counts_start, tuple(w[:counts_count])),
                   RegisterBlock(421, tuple(w[counts_count:])), "WM3"),
               (counts_count + 36,), "words"),
        Target("powerpack", "register block",
               lambda w: powerpack.parse_block(_registers(pp_start)(w), 50_000.0), (pp_count,), "words"),
    ]  # fmt: skip


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        return json.loads(await response.read())


async def _shelly_targets(session: aiohttp.ClientSession) -> list[Target]:
    infos, statuses = [], []
    for model in ISSUE_MODELS:
        simulator = ShellySimulator(model)
        await simulator.start()
        try:
            base = f"http://127.0.0.1:{simulator.port}"
            info_body = await _get(session, f"{base}/shelly")
            info = shelly.parse_info(info_body)
            path = "/rpc/Shelly.GetStatus" if info.generation >= 2 else "/status"
            infos.append(info_body)
            statuses.append((model, info, await _get(session, base + path)))
        finally:
            await simulator.stop()
    targets = [Target("shelly", "/shelly", shelly.parse_info, tuple(infos))]
    targets += [
        Target("shelly", f"status {model}", _shelly_status(info), (status,))
        for model, info, status in statuses
    ]
    return targets


async def _iskra_targets(session: aiohttp.ClientSession) -> list[Target]:
    gateway = IskraGatewaySimulator()
    await gateway.start()
    try:
        base = f"http://127.0.0.1:{gateway.port}/api"
        info, devices = await _get(session, base), await _get(session, f"{base}/devices")
        measurement, counters = (
            await _get(session, f"{base}/measurement/0"),
            await _get(session, f"{base}/counter/0"),
        )
        bicoms = await _get(session, f"{base}/bicoms")
    finally:
        await gateway.stop()
    return [
        Target("iskra", "/api", iskra.parse_status, (info,)),
        Target("iskra", "/api/devices", iskra.list_members, (devices,)),
        Target("iskra", "/api/measurement", iskra.parse_measurements, (measurement,)),
        Target("iskra", "/api/counter", iskra.parse_counters, (counters,)),
        Target("iskra", "/api/bicoms", iskra.parse_bicoms, (bicoms,)),
    ]


def _indevolt(points: indevolt.Points) -> Parser:
    return lambda data: indevolt.parse_data(points, data, 0.0)


def _http_body(parse: Parser) -> Parser:
    return lambda body: parse(decode_json(body, "fuzzed body"))


async def collect_targets() -> list[Target]:
    """Every parser with real payloads from the simulators (HTTP ones fetched over loopback)."""
    async with aiohttp.ClientSession() as session:
        targets = await _shelly_targets(session)
        targets += await _iskra_targets(session)
        eco, strom = EcoTrackerSimulator(), StromleserSimulator()
        for simulator in (eco, strom):
            await simulator.start()
        try:
            eco_body = await _get(session, f"http://127.0.0.1:{eco.port}/v1/json")
            strom_body = await _get(session, f"http://127.0.0.1:{strom.port}/v1/data")
        finally:
            for simulator in (eco, strom):
                await simulator.stop()
    p1 = HomeWizardSimulator()
    v1, v2 = p1.payload(), HomeWizardV2Simulator().measurement()
    igen_devices = [IgenDevice(kind, f"{kind.upper()}0001") for kind in ("meter", "p1", "plug")]
    gen2 = IndevoltSimulator().points
    meters = [
        Meter("0A1B2C3D4E", 1500.0),
        Meter("0A1B2C3D4F", 12.0, socket=True),
        Meter("0A1B2C3D50", -400.0, 2),
    ]
    enistic_seeds = tuple(meter.reading(CONTROLLER).encode() for meter in meters)
    json_seeds = [json.dumps(v1).encode(), json.dumps(eco_body).encode(), json.dumps(strom_body).encode()]
    return [
        *targets,
        Target("homewizard", "/api/v1/data", homewizard.parse_data, (v1,)),
        Target("homewizard", "/api/measurement", homewizard.parse_measurement, (v2,)),
        Target("homewizard", "/api", homewizard.parse_identity, (HOMEWIZARD_API,)),
        Target("ecotracker", "/v1/json", ecotracker.parse, (eco_body,)),
        Target("stromleser", "/v1/data", stromleser.parse, (strom_body,)),
        Target("igen", "data", igen.parse_values, tuple(device.data() for device in igen_devices)),
        Target("igen", "broadcast", lambda d: igen.parse_values(igen.parse_packet(d)[1]),
               tuple(device.broadcast() for device in igen_devices), "bytes"),
        Target("indevolt", "GetData", _indevolt(indevolt.GEN2), ({str(p): v for p, v in gen2.items()},)),
        Target("enistic", "datagram", enistic.parse_datagram, enistic_seeds, "bytes"),
        *_coiot_targets(),
        Target("http", "JSON body", _http_body(homewizard.parse_data), tuple(json_seeds), "bytes"),
        *_register_targets(),
    ]  # fmt: skip
