"""Fuzz every parser with mutated real payloads and print, per target: inputs, typed errors, escapes, drops.

    .venv/bin/python -m benchmarks.fuzz [examples per target, default 10000]

Escapes must be 0: an escape is an exception other than the contract's DeviceError. "Dropped" counts the
values the data contract removed from the snapshots that parsed (NaN, out of range, wrong type).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

from tests.fuzzing import collect_targets, fuzz


async def main(examples: int) -> int:
    targets = await collect_targets()
    print(
        f"{'family':<11} {'parser':<28} {'inputs':>7} {'snapshots':>9} "
        f"{'typed':>7} {'escapes':>7} {'dropped':>8}"
    )
    escapes = 0
    started = time.perf_counter()
    for target in targets:
        outcome = fuzz(target, examples, seed=1)
        escapes += outcome.escapes
        print(
            f"{target.family:<11} {target.name:<28} {outcome.inputs:>7} {outcome.snapshots:>9} "
            f"{outcome.typed_errors:>7} {outcome.escapes:>7} {outcome.dropped:>8}"
        )
        for example in outcome.escape_examples:
            print(f"    escape: {example}")
    print(f"{len(targets)} parsers, {escapes} escapes, {time.perf_counter() - started:.0f} s")
    return 1 if escapes else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the contract's one-line warnings would drown the table
    sys.exit(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
