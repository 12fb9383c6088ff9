"""Benchmarks: figures of what runs in Home Assistant, printed side by side with the alternatives."""

import os

# The simulators answer on loopback's terms here: the benchmarks measure the integration's own cost and
# latency, not a network's (tests/conftest.py, which some import, would ask for the field).
# LOCAL_ENERGY_FIELD=wifi runs them as over Wi-Fi.
os.environ.setdefault("LOCAL_ENERGY_FIELD", "off")
