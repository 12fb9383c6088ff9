"""Listeners told only when what they show changes: by channel and key, or by the channels' layout."""

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


@dataclass(frozen=True, slots=True)
class LayoutContext:
    """A listener context: called only when the channels, or the keys or controls they report, change."""


LAYOUT = LayoutContext()
"""What adds a new channel's entities, or removes a gone channel's device, listens with."""


class ValueListeners:
    """The listeners of single values, and what they were last told of."""

    def __init__(self) -> None:
        self._by_channel: dict[str, dict[Key, list[CALLBACK_TYPE]]] = {}
        self._layout: list[CALLBACK_TYPE] = []
        self._notified: tuple[Snapshot | None, bool] = (None, True)
        """The snapshot and success the listeners were last told of."""

    def add(self, context: ValueContext, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Listen to one value; returns what removes the listener."""
        listeners = self._by_channel.setdefault(context.channel_id, {}).setdefault(context.key, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def add_layout(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Listen to the channels' layout; returns what removes the listener."""
        self._layout.append(listener)
        return lambda: self._layout.remove(listener)

    def changed(self, snapshot: Snapshot | None, success: bool) -> list[CALLBACK_TYPE]:
        """The listeners whose value changed since they were last told (all, when success changed)."""
        before, success_before = self._notified
        self._notified = (snapshot, success)
        if before is None or snapshot is None or success != success_before:
            return [
                *self._layout,
                *(
                    listener
                    for by_key in self._by_channel.values()
                    for listeners in by_key.values()
                    for listener in listeners
                ),
            ]
        changed: list[CALLBACK_TYPE] = list(self._layout) if _layout_changed(before, snapshot) else []
        for channel_id, by_key in self._by_channel.items():
            values_before, values_now = _values(before, channel_id), _values(snapshot, channel_id)
            if values_now == values_before:
                continue  # the common case: one comparison for the whole channel
            for key in _changed_keys(values_before, values_now):
                if listeners := by_key.get(key):
                    changed.extend(listeners)
        return changed


def _changed_keys(before: Mapping[Key, Value], now: Mapping[Key, Value]) -> set[Key]:
    """The keys whose value differs, came or went (compared as sets of items: no lookup per key)."""
    return {key for key, _value in before.items() ^ now.items()}


def _values(snapshot: Snapshot, channel_id: str) -> Mapping[Key, Value]:
    channel = snapshot.channels.get(channel_id)
    return {} if channel is None else channel.values


def _layout_changed(before: Snapshot, now: Snapshot) -> bool:
    """Whether a channel came or went, or one reports other keys or controls than before."""
    if before.complete != now.complete or before.channels.keys() != now.channels.keys():
        return True
    for channel_id, channel in now.channels.items():
        earlier = before.channels[channel_id]
        if channel is earlier:
            continue
        if channel.values.keys() != earlier.values.keys() or channel.controls != earlier.controls:
            return True
    return False
