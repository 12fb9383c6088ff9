"""A serial line between two programs on this machine, as a null-modem cable between two RS-485 adapters.

Two pseudo-terminal pairs: the client opens one slave, the simulated device the other, and the event loop
copies bytes between the two masters. Each end is a real tty that pyserial opens like a USB adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import tty


class PseudoSerialLine:
    """Bytes written at one end come out at the other; open() and close() run in the event loop."""

    def __init__(self) -> None:
        self._fds: list[int] = []
        self.client_path = ""
        self.device_path = ""

    def open(self) -> None:
        """Create both pseudo-terminals and start copying between them."""
        client_master, client_path = self._pair()
        device_master, device_path = self._pair()
        self.client_path, self.device_path = client_path, device_path
        loop = asyncio.get_running_loop()
        loop.add_reader(client_master, self._copy, client_master, device_master)
        loop.add_reader(device_master, self._copy, device_master, client_master)

    def close(self) -> None:
        """Stop copying and close every descriptor."""
        loop = asyncio.get_running_loop()
        for fd in self._fds:
            loop.remove_reader(fd)
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = []

    def _pair(self) -> tuple[int, str]:
        master, slave = pty.openpty()
        tty.setraw(slave)
        self._fds += [master, slave]
        return master, os.ttyname(slave)

    @staticmethod
    def _copy(source: int, target: int) -> None:
        try:
            data = os.read(source, 4096)
        except OSError:  # the other side closed its end: nothing to pass on
            return
        with contextlib.suppress(OSError):
            os.write(target, data)
