"""The per-entry sign option: power flipped, counters swapped, and kept continuous across a change."""

from __future__ import annotations

from collections.abc import Mapping

from .keys import ACCUMULATED_KEYS, SIGNED_KEYS, SWAPPED_ON_INVERT, Key
from .snapshot import Snapshot, Value, is_number


def invert_snapshot(snapshot: Snapshot) -> Snapshot:
    """Flip signed power and swap import/export counters on every channel."""
    return snapshot.map_values(lambda _channel_id, values: _invert_values(values))


def _invert_values(values: Mapping[Key, Value]) -> dict[Key, Value]:
    inverted: dict[Key, Value] = {}
    for key, value in values.items():
        target = SWAPPED_ON_INVERT.get(key, key)
        if key in SIGNED_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
            inverted[target] = -value
        else:
            inverted[target] = value
    return inverted


def offset_key(channel_id: str, key: Key) -> str:
    """How a counter is named in the stored continuity offsets."""
    return f"{channel_id}|{key.value}"


def continuity_offsets(
    shown: Snapshot, raw: Snapshot, *, invert: bool, previous: Mapping[str, float]
) -> dict[str, float]:
    """Offsets that keep every swapped counter at the value it shows when the invert option changes.

    After the change a counter reads from the other direction's register (``invert``: the new setting), so
    it would jump to that register's value; the offset makes it continue from what it shows now and grow
    only by what is measured from then on. Long-term statistics see no jump.
    """
    offsets = dict(previous)
    for channel_id, channel in shown.channels.items():
        source_values = raw.channels.get(channel_id)
        if source_values is None:
            continue
        for key, value in channel.values.items():
            partner = SWAPPED_ON_INVERT.get(key)
            if partner is None or key in ACCUMULATED_KEYS or not is_number(value):
                continue
            source = source_values.values.get(partner if invert else key)
            if is_number(source):
                offsets[offset_key(channel_id, key)] = round(float(value) - float(source), 6)
    return offsets


def apply_offsets(snapshot: Snapshot, offsets: Mapping[str, float]) -> Snapshot:
    """Add the continuity offsets to the counters they belong to."""
    if not offsets:
        return snapshot

    def continued(channel_id: str, values: Mapping[Key, Value]) -> dict[Key, Value]:
        shifted = dict(values)
        for key, value in values.items():
            offset = offsets.get(offset_key(channel_id, key))
            if offset is not None and is_number(value):
                shifted[key] = round(float(value) + offset, 6)
        return shifted

    return snapshot.map_values(continued)


def offsets_after_invert_change(
    raw: Snapshot, *, inverted_before: bool, invert: bool, offsets: Mapping[str, float]
) -> dict[str, float]:
    """The offsets that continue every swapped counter from what it would show now under the old setting."""
    shown_before = apply_offsets(invert_snapshot(raw) if inverted_before else raw, offsets)
    return continuity_offsets(shown_before, raw, invert=invert, previous=offsets)
