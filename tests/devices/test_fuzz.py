"""Every parser is total: mutated real payloads give a snapshot or a typed DeviceError, nothing else."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.errors import InvalidResponse
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.payload import decode_json
from simulators.igen import IgenDevice, packet
from tests.fuzzing import Target, collect_targets, fuzz

EXAMPLES = 300


# Every parser, 300 inputs each: about 25 s on an idle 2-core machine, over 60 s (the suite's limit for a
# hung test) when the machine is busy.
@pytest.mark.timeout(300)
async def test_every_parser_is_total() -> None:
    targets = await collect_targets()
    assert {target.family for target in targets} >= {
        "shelly", "homewizard", "ecotracker", "stromleser", "igen", "indevolt", "smartme", "iskra",
        "enistic", "acuvim", "powerpack",
    }  # fmt: skip
    failures = {}
    for target in targets:
        outcome = fuzz(target, EXAMPLES)
        assert outcome.inputs >= EXAMPLES // 2, target.name
        if outcome.escapes:
            failures[f"{target.family} {target.name}"] = outcome.escape_examples
    assert failures == {}


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_refused(depth: int) -> None:
    with pytest.raises(InvalidResponse, match="nests deeper"):
        decode_json(b"[" * depth + b"]" * depth, "body")


def test_huge_integers_become_infinite_floats() -> None:
    assert decode_json(b'{"power": ' + b"9" * 400 + b"}", "body") == {"power": float("inf")}


def test_deep_igen_broadcast_is_an_invalid_response() -> None:
    datagram = packet("METER0001", {"data": {"a": 1}}).replace(b'{"data"', b"[" * 20_000 + b'{"data"')
    with pytest.raises(InvalidResponse):
        igen.parse_packet(datagram)


def test_documented_seed_still_parses() -> None:
    serial, data = igen.parse_packet(IgenDevice("meter", "METER0001").broadcast())
    assert serial == "METER0001"
    assert igen.parse_values(data)


def test_the_harness_catches_an_unguarded_parser() -> None:
    naive = Target("test", "naive", lambda body: {Key.POWER: float(body["power"])}, ({"power": 1.0},))
    outcome = fuzz(naive, 100)
    assert outcome.escapes > 0
    assert outcome.snapshots > 0
