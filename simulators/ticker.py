"""Moves a simulator's values on a timer, so scripts/develop shows live data."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class Ticker:
    """Calls advance() every period seconds between start() and stop()."""

    def __init__(self, advance: Callable[[], None], period: float) -> None:
        self._advance = advance
        self._period = period
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin ticking (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period)
            self._advance()
