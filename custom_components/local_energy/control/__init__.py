"""Control loops, free of Home Assistant: zero export with batteries, PV-surplus charging of a car.

Everything here is a pure function of its inputs and the time it is given, so the loops can be run
against simulated plants (``simulators/plant.py``) faster than real time and their properties tested.
Power signs follow the project: grid power > 0 is drawn from the grid. Inside the loops a battery's
power is its *discharge* (> 0 feeds the house); each actuator converts to its device's sign once.
"""
