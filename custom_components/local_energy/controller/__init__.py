"""The controller entry: zero export and PV-surplus charging through the runner of ``control/``."""
