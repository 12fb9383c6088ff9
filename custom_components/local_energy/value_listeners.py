"""Entities told only when their own value changes: a coordinator's listeners by channel and key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from homeassistant.core import CALLBACK_TYPE

from .devices.keys import Key
from .devices.snapshot import Snapshot, Value


@dataclass(frozen=True, slots=True)
class ValueContext:
    """An entity's listener context: it is called only when its own value (or availability) changes."""

    channel_id: str
    key: Key


class ValueListeners:
    """The listeners of single values, and what they were last told of."""

    def __init__(self) -> None:
        self._by_channel: dict[str, dict[Key, list[CALLBACK_TYPE]]] = {}
        self._notified: tuple[Snapshot | None, bool] = (None, True)
        """The snapshot and success the listeners were last told of."""

    def add(self, context: ValueContext, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Listen to one value; returns what removes the listener."""
        listeners = self._by_channel.setdefault(context.channel_id, {}).setdefault(context.key, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def changed(self, snapshot: Snapshot | None, success: bool) -> list[CALLBACK_TYPE]:
        """The listeners whose value changed since they were last told (all, when success changed)."""
        before, success_before = self._notified
        self._notified = (snapshot, success)
        if before is None or snapshot is None or success != success_before:
            return [
                listener
                for by_key in self._by_channel.values()
                for listeners in by_key.values()
                for listener in listeners
            ]
        changed: list[CALLBACK_TYPE] = []
        for channel_id, by_key in self._by_channel.items():
            values_before, values_now = _values(before, channel_id), _values(snapshot, channel_id)
            if values_now == values_before:
                continue  # the common case: one comparison for the whole channel
            for key, listeners in by_key.items():
                if values_now.get(key) != values_before.get(key):
                    changed.extend(listeners)
        return changed


def _values(snapshot: Snapshot, channel_id: str) -> Mapping[Key, Value]:
    channel = snapshot.channels.get(channel_id)
    return {} if channel is None else channel.values
