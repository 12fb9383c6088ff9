"""What every client whose device pushes UDP datagrams shares: the subscription, the counters, the handoff.

A subclass says where its datagrams arrive and how they are routed, and turns one datagram into its
state (``receive``); this base joins the shared listener (only datagrams from the device's own address
reach it), counts and logs malformed datagrams at most once a minute per sender, announces each new push
to the listener, and leaves the listener on close.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any, ClassVar

from .client import DeviceClient, PushListener, Transports
from .connection import ConnectionConfig, Settings
from .errors import CannotConnect, InvalidResponse
from .udp import Address, OncePerMinute, Router, Subscription
from .websocket import LinkListener

_LOGGER = logging.getLogger(__name__)


class UdpPushClient(DeviceClient):
    """A device heard on a shared UDP port, its datagrams routed to it by its serial."""

    router: ClassVar[Router]
    """A datagram's sender serial (its routing key), or None."""
    device: ClassVar[str]
    """What the device is called in the log ("Enistic controller")."""

    def __init__(
        self, config: ConnectionConfig, transports: Transports, settings: Settings | None = None
    ) -> None:
        super().__init__(config, transports, settings)
        self._serial: str | None = None
        self._subscription: Subscription | None = None
        self._log_limit = OncePerMinute()
        self.datagrams = 0
        self.malformed = 0

    @property
    @abstractmethod
    def listen_port(self) -> int:
        """The UDP port the device's datagrams arrive on."""

    @abstractmethod
    def receive(self, datagram: bytes, address: Address) -> bool:
        """Take one datagram from the device into the client's state; whether it brought new values.

        Raises InvalidResponse when nothing in it can be read (counted and logged here).
        """

    @property
    def pushes(self) -> bool:
        """Its device broadcasts."""
        return True

    async def start(self, on_push: PushListener, on_link: LinkListener | None = None) -> None:
        """Hand each new snapshot to on_push (the device is identified first when it is not yet)."""
        if self._serial is None:
            await self.identify()
        self._push_listener = on_push
        await self._subscribe()

    async def close(self) -> None:
        """Leave the shared listener."""
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None

    def diagnostics(self) -> dict[str, Any]:
        """The datagram counters."""
        return {"datagrams": self.datagrams, "malformed": self.malformed, "foreign_datagrams": self.foreign}

    @property
    def foreign(self) -> int:
        """Datagrams naming this device that came from another address (dropped by the hub)."""
        return 0 if self._subscription is None else self._subscription.foreign

    @property
    def subscribed(self) -> bool:
        """Whether the client listens for its device's datagrams."""
        return self._subscription is not None

    async def _subscribe(self) -> None:
        if self._subscription is None:
            assert self._serial is not None
            self._subscription = await self.transports.udp.subscribe(
                self.listen_port,
                type(self).router,
                self._serial,
                self._on_datagram,
                source_host=self.config.host,
                label=f"{self.device} {self._serial}",
            )

    async def _first_serial(self, within: float, failure: str) -> str:
        """The serial in the first datagram from the configured host; CannotConnect(failure) if none."""
        try:
            return await self.transports.udp.first_key_from(
                self.listen_port, type(self).router, self.config.host, within
            )
        except TimeoutError as err:
            raise CannotConnect(failure) from err

    def _on_datagram(self, datagram: bytes, address: Address) -> None:
        self.datagrams += 1
        try:
            fresh = self.receive(datagram, address)
        except InvalidResponse as err:
            self.count_malformed(address, str(err))
            return
        if fresh:
            self.announce_push()

    def count_malformed(self, address: Address, reason: str, count: int = 1) -> None:
        """Count what could not be read in a datagram; logged at most once a minute per sender."""
        self.malformed += count
        if self._log_limit.allow(address[0]):
            _LOGGER.info(
                "Ignoring a malformed datagram from the %s at %s: %s (%s so far)",
                self.device,
                address[0],
                reason,
                self.malformed,
            )
