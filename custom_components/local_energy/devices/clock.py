"""The protocol layer's one clock: monotonic seconds (tests move it to exercise time without waiting)."""

from __future__ import annotations

import time


def now() -> float:
    """Monotonic seconds."""
    return time.monotonic()
