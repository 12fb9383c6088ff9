"""Moves a simulator's values on a timer, so scripts/develop shows live data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Ticker:
    """Calls advance() every period seconds between start() and stop(), then after() when given.

    after() is how a pushing device tells its clients (a WebSocket notification) what advance() changed.
    """

    def __init__(
        self,
        advance: Callable[[], None],
        period: float,
        after: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._advance = advance
        self._period = period
        self._after = after
        self._task: asyncio.Task[None] | None = None

    def start(self, period: float | None = None) -> None:
        """Begin ticking (once), every period seconds when given."""
        if period is not None:
            self._period = period
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period)
            self._advance()
            if self._after is not None:
                await self._after()
