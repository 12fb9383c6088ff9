"""Zero export over a scripted day, and the settle time after a 2 kW step: no control, a PD loop like
Omnibattery's, and ours, on the same simulated house, battery and meter (simulators/plant.py).

Run: .venv/bin/python -m benchmarks.control_loops

The day: PV up to 4.5 kW (a bell from 6:00 to 20:00, clouds at noon), a base load of 350 W with noise,
a kettle, an oven and a washing machine whose heater cycles; one 10 kWh battery (2.4 kW, response 1.5 s).
The PD loop is what Omnibattery runs: every second, on the newest grid value (fresh or not), the battery
setpoint moves by Kp x error + Kd x the error's change (Kp 0.5, Kd 0.25).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from custom_components.local_energy.control.controller import Controller, Decision, Mode, Reason, Settings
from simulators.plant import House, Meter, SimulatedBattery, Trace, controlled_by, run

DAY = 86_400.0
STEP = 0.2


def pv(t: float) -> float:
    """A sunny day from 6:00 to 20:00 with a cloudy hour after noon."""
    hour = t / 3600
    if not 6 <= hour <= 20:
        return 0.0
    sun = 4500.0 * math.sin(math.pi * (hour - 6) / 14) ** 2
    return sun * (0.35 if 12.5 <= hour <= 13.5 else 1.0)


def day_house() -> House:
    return House(
        base=350.0,
        pv=pv,
        noise=25.0,
        steps=[
            (7.0 * 3600, 2000.0),
            (7.05 * 3600, -2000.0),
            (18.0 * 3600, 2200.0),
            (18.75 * 3600, -2200.0),
        ],  # a kettle at 7:00, the oven at 18:00
        cycling=(2000.0, 20.0, 40.0, 10.0 * 3600, 11.5 * 3600),  # the washing machine's heater
    )


def pd_loop(kp: float = 0.5, kd: float = 0.25) -> Callable[..., Decision]:
    held = {"grid": None, "previous": 0.0, "output": 0.0, "last": -1.0}

    def control(t: float, grid: float | None, batteries: dict[str, object], _charger: object) -> Decision:
        if grid is not None:
            held["grid"] = grid
        writes = {}
        if held["grid"] is not None and t - float(held["last"]) >= 1.0:
            error = float(held["grid"])  # type: ignore[arg-type]
            output = float(held["output"]) + kp * error + kd * (error - float(held["previous"]))
            held["output"], held["previous"], held["last"] = min(max(output, -2400.0), 2400.0), error, t
            writes = dict.fromkeys(batteries, round(float(held["output"]), -1))
        return Decision(Mode.CONTROLLING, Reason.NONE, writes, None, 0.0, None)

    return control


def ours(minimum_soc: float = 0.0, maximum_soc: float = 100.0) -> Callable[..., Decision]:
    """Ours, with the battery's whole range as the PD loop uses it (unless limits are given)."""
    settings = Settings(minimum_soc=minimum_soc, maximum_soc=maximum_soc)
    return controlled_by(Controller(settings, ("battery",)))


def day(
    control: Callable[..., Decision] | None, interval: float = 1.0
) -> tuple[Trace, SimulatedBattery, float]:
    battery = SimulatedBattery(capacity_wh=10_000.0, soc=20.0)
    started = time.perf_counter()
    trace = run(control, day_house(), {"battery": battery}, Meter(interval=interval, lag=1.0), DAY, step=STEP)
    return trace, battery, time.perf_counter() - started


def settle(control: Callable[..., Decision], lag: float) -> float | None:
    house = House(base=400.0, pv=lambda _t: 1500.0, steps=[(120.0, 2000.0)])
    trace = run(control, house, {"battery": SimulatedBattery()}, Meter(interval=1.0, lag=lag), 400, step=0.1)
    return trace.settled_after(120.0, 0.0, 100.0)


def row(label: str, trace: Trace, battery: SimulatedBattery) -> str:
    """One line of the day's figures."""
    imported, exported = trace.energy()
    morning = trace.deviation(0.0, 8 * 3600, 10 * 3600)  # charging from PV: the loop alone decides
    energy = f"{imported:7.2f} kWh {exported:6.2f} kWh"
    deviations = f"{trace.deviation(0.0):6.0f} W {morning:5.0f} W"
    return f"  {label:<22} {energy} {deviations} {len(battery.setpoints):8d} {battery.sign_changes():13d}"


def main() -> None:
    header = (
        f"{'imported':>9} {'exported':>9} {'dev. 0 W':>9} {'8-10 h':>7} {'writes':>8} {'sign changes':>13}"
    )
    print("A scripted day (PV to 4.5 kW, 10 kWh battery of 2.4 kW, meter every 1 s, 1 s behind):")
    print(f"  {'':<22} {header}")
    loops = (("no control", None), ("PD like Omnibattery", pd_loop()), ("ours (PI)", ours()),
             ("ours, SOC 10-95 %", ours(10.0, 95.0)))  # fmt: skip
    for label, control in loops:
        trace, battery, seconds = day(control)
        print(f"{row(label, trace, battery)}   ({seconds:.1f} s to simulate)")
    print("Settle time after a 2 kW step, grid within ±100 W for 20 s (meter every 1 s):")
    for lag in (0.5, 1.0, 2.0):
        results = {label: settle(control(), lag) for label, control in (("PD", pd_loop), ("ours", ours))}
        shown = "  ".join(
            f"{label} {'never' if s is None else f'{s:5.1f} s'}" for label, s in results.items()
        )
        print(f"  measurement delay {lag:3.1f} s:  {shown}")
    print("The same day with the grid sensor updating every 30 s (evcc's, as users feed it):")
    for label, control in (("PD like Omnibattery", pd_loop()), ("ours (PI)", ours())):
        trace, battery, _ = day(control, interval=30.0)
        print(row(label, trace, battery))


if __name__ == "__main__":
    main()
