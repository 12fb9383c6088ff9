"""Integrating signed power into import and export energy."""

from __future__ import annotations

import pytest

from custom_components.local_energy.devices.integrator import EnergyIntegrator


def test_constant_import_and_export() -> None:
    integrator = EnergyIntegrator()
    for second in range(3601):
        integrator.add(1000.0, float(second))
    assert integrator.import_kwh == pytest.approx(1.0)
    assert integrator.export_kwh == 0.0
    for second in range(3601, 7202):
        integrator.add(-500.0, float(second))
    assert integrator.export_kwh == pytest.approx(0.5, rel=1e-3)


def test_zero_crossing_is_split_exactly() -> None:
    integrator = EnergyIntegrator()
    integrator.add(3600.0, 0.0)
    integrator.add(-3600.0, 2.0)  # crosses zero at t = 1 s: 1800 Ws each way
    assert integrator.import_kwh == pytest.approx(1800 / 3600 / 1000)
    assert integrator.export_kwh == pytest.approx(1800 / 3600 / 1000)
    integrator.add(3600.0, 4.0)  # and back up
    assert integrator.import_kwh == pytest.approx(3600 / 3600 / 1000)
    assert integrator.export_kwh == pytest.approx(3600 / 3600 / 1000)


def test_gaps_are_not_bridged() -> None:
    integrator = EnergyIntegrator(max_gap=10.0)
    integrator.add(1000.0, 0.0)
    integrator.add(1000.0, 100.0)  # the device was away: no energy invented
    integrator.add(1000.0, 100.0)  # same instant twice: nothing
    assert integrator.import_kwh == 0.0
    integrator.add(1000.0, 103.6)
    assert integrator.import_kwh == pytest.approx(0.001)
