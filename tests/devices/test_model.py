"""The data contract: inverting a clamp mounted the wrong way round."""

from __future__ import annotations

from custom_components.local_energy.devices.invert import invert_snapshot
from custom_components.local_energy.devices.keys import Key
from custom_components.local_energy.devices.snapshot import MAIN_CHANNEL, Channel, ChannelKind, Snapshot


def test_invert_flips_power_and_swaps_every_counter_pair() -> None:
    snapshot = Snapshot(
        {
            MAIN_CHANNEL: Channel(
                ChannelKind.DEVICE,
                {
                    Key.POWER: -500.0,
                    Key.POWER_L2: 300.0,
                    Key.CURRENT_L2: 1.3,
                    Key.ENERGY_IMPORT: 10.0,
                    Key.ENERGY_EXPORT: 2.0,
                    Key.ENERGY_IMPORT_L3: 4.0,
                    Key.NET_ENERGY_EXPORT: 0.5,
                    Key.RELAY: True,
                },
            )
        }
    )
    values = invert_snapshot(snapshot).channels[MAIN_CHANNEL].values
    assert values == {
        Key.POWER: 500.0,
        Key.POWER_L2: -300.0,
        Key.CURRENT_L2: -1.3,
        Key.ENERGY_EXPORT: 10.0,
        Key.ENERGY_IMPORT: 2.0,
        Key.ENERGY_EXPORT_L3: 4.0,
        Key.NET_ENERGY_IMPORT: 0.5,
        Key.RELAY: True,
    }
    assert invert_snapshot(invert_snapshot(snapshot)) == snapshot
