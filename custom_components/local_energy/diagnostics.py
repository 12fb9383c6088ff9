"""Diagnostics: the entry, the device identity, counters and the latest snapshot; secrets redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import LocalEnergyConfigEntry, LocalEnergyCoordinator

TO_REDACT = {CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME}  # tokens a device granted are CONF_TOKEN


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: LocalEnergyConfigEntry
) -> dict[str, Any]:
    """Return what helps to understand a report, without credentials."""
    data = entry.runtime_data
    about = {"entry": {"data": dict(entry.data), "options": dict(entry.options)}}
    if data.controller is not None:
        return about | {"controller": data.controller.diagnostics()}
    if data.served_meter is not None:
        return about | {"served_meter": data.served_meter.diagnostics()}
    assert data.coordinator is not None  # one of the three is set
    coordinator = data.coordinator
    snapshot = coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "family": _family(coordinator),
        "identity": asdict(coordinator.identity),
        "client": coordinator.client.diagnostics(),
        "contract": coordinator.client.guard.diagnostics(),
        "snapshot": {
            channel_id or "device": {
                "kind": channel.kind.value,
                "model": channel.model,
                "serial": channel.serial,
                "values": {key.value: value for key, value in channel.values.items()},
            }
            for channel_id, channel in snapshot.channels.items()
        },
    }


def _family(coordinator: LocalEnergyCoordinator) -> dict[str, Any]:
    """What the family declares and how the entry runs it: polled or pushed, and its typed settings."""
    family = coordinator.family
    interval = coordinator.polls.every
    return {
        "id": family.id,
        "transport": family.transport.value,
        "timing": asdict(family.timing),
        "pushes": coordinator.client.pushes,
        "link": coordinator.client.link.value,
        "polled_every": None if interval is None else interval.total_seconds(),
        "silent": coordinator.silent,
        "settings": asdict(coordinator.client.settings),
    }
