"""Every parser is total: mutated real payloads give a snapshot or a typed DeviceError, nothing else."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.local_energy.devices import igen
from custom_components.local_energy.devices.contract import ValueGuard
from custom_components.local_energy.devices.errors import InvalidResponse
from custom_components.local_energy.devices.http import HttpEndpoint, HttpTransport
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.payload import decode_json
from simulators.field import WIFI
from simulators.http_server import HttpSimulatorServer
from simulators.igen import IgenDevice, packet
from tests.fuzzing import Outcome, Target, collect_targets, fuzz, run_one

EXAMPLES = 300


FAMILY_GROUPS = {
    "shelly": {"shelly"},
    "iskra": {"iskra"},
    "the others": {
        "homewizard", "ecotracker", "stromleser", "igen", "indevolt", "smartme", "enistic", "acuvim",
        "powerpack", "http",
    },
}  # fmt: skip
"""Three groups of about equal work, so that parallel workers share it."""
_collected: list[Target] = []


async def every_target() -> list[Target]:
    """The targets, collected once per process (they hold payloads and parsers, nothing that changes)."""
    if not _collected:
        _collected.extend(await collect_targets())
    return _collected


def test_the_groups_cover_every_family() -> None:
    families = [family for group in FAMILY_GROUPS.values() for family in group]
    assert len(families) == len(set(families))
    assert set(families) >= {
        "shelly", "homewizard", "ecotracker", "stromleser", "igen", "indevolt", "smartme", "iskra",
        "enistic", "acuvim", "powerpack",
    }  # fmt: skip


# 300 inputs a parser: about 5 s a group on an idle 2-core machine, far more when the machine is busy.
@pytest.mark.timeout(300)
@pytest.mark.parametrize("group", FAMILY_GROUPS)
async def test_every_parser_is_total(group: str) -> None:
    targets = await every_target()
    assert {target.family for target in targets} == set().union(*FAMILY_GROUPS.values())
    failures = {}
    for target in (target for target in targets if target.family in FAMILY_GROUPS[group]):
        outcome = fuzz(target, EXAMPLES)
        assert outcome.inputs >= EXAMPLES // 2, target.name
        if outcome.escapes:
            failures[f"{target.family} {target.name}"] = outcome.escape_examples
    assert failures == {}


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_refused(depth: int) -> None:
    with pytest.raises(InvalidResponse, match="nests deeper"):
        decode_json(b"[" * depth + b"]" * depth, "body")


@pytest.mark.parametrize("document", [b'{"power": ' + b"9" * 400 + b"}", '{"power": ' + "9" * 400 + "}"])
def test_huge_integers_become_infinite_floats(document: bytes | str) -> None:
    assert decode_json(document, "body or frame") == {"power": float("inf")}


@pytest.mark.parametrize("document", [b"\xef\xbb\xbf{}", '{"\u00e9": [1, {"a": null}]}', "[" * 40 + "]" * 40])
def test_a_text_frame_is_read_as_a_body_is(document: bytes | str) -> None:
    """A WebSocket's text frame (str) and an HTTP body (bytes): the same document, the same outcome."""
    as_bytes = document.encode("utf-8") if isinstance(document, str) else document
    as_text = as_bytes.decode("utf-8")
    outcomes = []
    for form in (as_bytes, as_text):
        try:
            outcomes.append(decode_json(form, "document"))
        except InvalidResponse as err:
            outcomes.append(type(err))
    assert outcomes[0] == outcomes[1]


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


HTTP_DELIVERED = 20
"""Mutated documents per HTTP parser delivered through the field's segments and chunks."""


def mutated_documents(target: Target, count: int) -> list[Any]:
    """Inputs the fuzzer makes for a target, collected rather than parsed."""
    documents: list[Any] = []
    fuzz(Target(target.family, target.name, documents.append, target.seeds, target.kind), count)
    return documents


@pytest.mark.timeout(300)
async def test_every_http_parser_through_segmented_and_chunked_delivery() -> None:
    """What arrives in many segments or chunks is read whole, then parsed to a result or a typed error."""
    targets = [target for target in await every_target() if target.kind == "json"]
    assert {target.family for target in targets} >= {
        "shelly", "homewizard", "ecotracker", "stromleser", "igen", "indevolt", "iskra",
    }  # fmt: skip
    served: list[bytes] = [b"{}"]

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(body=served[0], content_type="application/json")

    app = web.Application()
    app.router.add_get("/document", answer)
    narrow = replace(WIFI, latency=(0.0, 0.0), slow_share=0.0, segment_bytes=64, segment_gap=(0.0, 0.001))
    server = HttpSimulatorServer(app, field=narrow)
    await server.start()
    failures: dict[str, list[str]] = {}
    async with aiohttp.ClientSession() as session:
        http = HttpTransport(session, HttpEndpoint("127.0.0.1", server.port))
        for target in targets:
            outcome, guard = Outcome(), ValueGuard(f"delivered {target.name}")
            for document in mutated_documents(target, HTTP_DELIVERED):
                served[0] = json.dumps(document).encode()
                delivered = await http.request_json("GET", "/document")
                assert json.dumps(delivered) == json.dumps(decode_json(served[0], "sent"))
                run_one(target, delivered, outcome, guard)
            if outcome.escapes:
                failures[f"{target.family} {target.name}"] = outcome.escape_examples
    await server.stop()
    assert server.delivery is not None
    assert server.delivery.segmented > 0
    assert server.delivery.chunked > 0
    assert failures == {}
