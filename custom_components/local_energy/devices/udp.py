"""UDP transport: one listener per port shared by every entry, datagrams routed by a key in their payload."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import clock
from .errors import CannotConnect

_LOGGER = logging.getLogger(__name__)

type Address = tuple[str, int]
type DatagramHandler = Callable[[bytes, Address], None]
type Router = Callable[[bytes], str | None]
"""Returns the routing key of a datagram (a controller's serial), or None when it has none."""

MOVED_AFTER = 60.0
"""Seconds a device must be silent at its own address before datagrams naming it from another address
are offered to discovery (it may have moved: a new DHCP lease); until then they are a stranger's."""


class OncePerMinute:
    """Decides whether a message about a source may be logged: at most once a minute per source."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}

    def allow(self, source: str) -> bool:
        """True when nothing about source was logged within the interval (and remembers this time)."""
        now = self._clock()
        last = self._last.get(source)
        if last is not None and now - last < self._interval:
            return False
        if len(self._last) > 1024:  # many sources: forget the old ones rather than grow without end
            self._last.clear()
        self._last[source] = now
        return True


async def resolve_host(host: str) -> str:
    """The IPv4 address datagrams from host come from (host itself when it is an address already)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, family=socket.AF_INET)
    except OSError as err:
        raise CannotConnect(f"cannot resolve {host}: {err}") from err
    return str(infos[0][4][0])


@dataclass
class ListenerStats:
    """Counters of one listener, for diagnostics and benchmarks."""

    received: int = 0
    routed: int = 0
    unrouted: int = 0
    foreign: int = 0


@dataclass
class _Route:
    """Where the datagrams of one routing key go, and the only address they are believed from."""

    handler: DatagramHandler
    source: str | None
    label: str
    foreign: int = 0
    heard: float = field(default_factory=lambda: clock.now())
    """When the device was last heard from its own address (or the route was made)."""


@dataclass
class _Listener:
    transport: asyncio.DatagramTransport
    router: Router
    handlers: dict[str, _Route] = field(default_factory=dict)
    unrouted_handlers: list[DatagramHandler] = field(default_factory=list)
    stats: ListenerStats = field(default_factory=ListenerStats)
    log_limit: OncePerMinute = field(default_factory=lambda: OncePerMinute())
    groups: set[str] = field(default_factory=set)

    def join(self, group: str) -> None:
        """Join a multicast group on the default interface (once; a failure is logged, not raised)."""
        self.groups.add(group)
        sock = self.transport.get_extra_info("socket")
        membership = socket.inet_aton(group) + socket.inet_aton("0.0.0.0")
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        except OSError as err:
            _LOGGER.info("Cannot join multicast group %s (%s): only datagrams sent here arrive", group, err)

    def dispatch(self, data: bytes, address: Address) -> None:
        self.stats.received += 1
        key = self.router(data)
        route = self.handlers.get(key) if key is not None else None
        if route is None:
            self.stats.unrouted += 1
            for unrouted in tuple(self.unrouted_handlers):
                unrouted(data, address)
        elif route.source is not None and address[0] != route.source:
            self._foreign(route, str(key), address)
            if clock.now() - route.heard > MOVED_AFTER:
                # Silent where it was, heard elsewhere: discovery may offer it at its new address.
                for unrouted in tuple(self.unrouted_handlers):
                    unrouted(data, address)
        else:
            self.stats.routed += 1
            route.heard = clock.now()
            route.handler(data, address)

    def _foreign(self, route: _Route, key: str, address: Address) -> None:
        """A datagram naming a device, from another address: a stranger's, never taken as the device's."""
        route.foreign += 1
        self.stats.foreign += 1
        if self.log_limit.allow(f"{key} {address[0]}"):
            _LOGGER.warning(
                "Ignoring datagrams naming %s from %s: it is at %s", route.label, address[0], route.source
            )

    @property
    def idle(self) -> bool:
        return not self.handlers and not self.unrouted_handlers


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: DatagramHandler) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self._on_datagram(data, (str(addr[0]), int(str(addr[1]))))

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("UDP socket error: %s", exc)


class Subscription:
    """A handler's place on a shared listener; cancel it to leave."""

    def __init__(self, cancel: Callable[[], None], route: _Route | None = None) -> None:
        self._cancel: Callable[[], None] | None = cancel
        self._route = route

    @property
    def foreign(self) -> int:
        """Datagrams with this subscription's key that came from another address (and were dropped)."""
        return 0 if self._route is None else self._route.foreign

    def cancel(self) -> None:
        """Leave the listener; the socket closes when its last subscriber leaves."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None


class UdpHub:
    """Owns the UDP sockets of the process: a listener per port and one socket to send from."""

    def __init__(self, bind_host: str = "0.0.0.0") -> None:
        self._bind_host = bind_host
        self._listeners: dict[int, _Listener] = {}
        self._lock = asyncio.Lock()
        self._sender: asyncio.DatagramTransport | None = None

    async def subscribe(
        self,
        port: int,
        router: Router,
        key: str | None,
        handler: DatagramHandler,
        *,
        source_host: str | None = None,
        label: str | None = None,
        multicast: str | None = None,
    ) -> Subscription:
        """Receive the datagrams on a port whose routing key is key (None: those no one else claims).

        With source_host, datagrams with that key count only when they come from that host's address;
        others are dropped, counted and logged (naming label, or the key) at most once a minute per address.
        With multicast, the port's socket also joins that IPv4 group (where a network has no multicast
        route, only datagrams sent to this host arrive; that is logged once).
        """
        source = None if source_host is None else await resolve_host(source_host)
        route = None if key is None else _Route(handler, source, label or key)
        async with self._lock:
            listener = self._listeners.get(port) or await self._open(port, router)
            if multicast is not None and multicast not in listener.groups:
                listener.join(multicast)
            if key is None:
                listener.unrouted_handlers.append(handler)
            elif key in listener.handlers:
                raise ValueError(f"UDP port {port} already routes {key!r} to another handler")
            else:
                assert route is not None
                listener.handlers[key] = route
        return Subscription(lambda: self._unsubscribe(port, key, handler), route)

    async def first_key_from(self, port: int, router: Router, host: str, within: float) -> str:
        """The routing key of the first datagram from host that no one else claims; TimeoutError if none."""
        found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def heard(datagram: bytes, address: Address) -> None:
            if address[0] == host and not found.done() and (key := router(datagram)) is not None:
                found.set_result(key)

        subscription = await self.subscribe(port, router, None, heard)
        try:
            return await asyncio.wait_for(found, within)
        finally:
            subscription.cancel()

    def stats(self, port: int) -> ListenerStats | None:
        """Return the counters of the listener on a port, if one is open."""
        listener = self._listeners.get(port)
        return None if listener is None else listener.stats

    def listening(self, port: int) -> bool:
        """Tell whether a listener is open on a port."""
        return port in self._listeners

    async def send(self, host: str, port: int, payload: bytes) -> None:
        """Send one datagram (broadcast addresses allowed)."""
        try:
            if self._sender is None or self._sender.is_closing():
                loop = asyncio.get_running_loop()
                self._sender, _ = await loop.create_datagram_endpoint(
                    asyncio.DatagramProtocol, family=socket.AF_INET, allow_broadcast=True
                )
            self._sender.sendto(payload, (host, port))
        except OSError as err:
            raise CannotConnect(f"cannot send to {host}:{port}: {err}") from err

    def close(self) -> None:
        """Close every socket."""
        for listener in self._listeners.values():
            listener.transport.close()
        self._listeners.clear()
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    async def _open(self, port: int, router: Router) -> _Listener:
        loop = asyncio.get_running_loop()
        holder: list[_Listener] = []
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(lambda data, address: holder[0].dispatch(data, address)),
            local_addr=(self._bind_host, port),
            family=socket.AF_INET,
            reuse_port=True,
            allow_broadcast=True,
        )
        listener = _Listener(transport=transport, router=router)
        holder.append(listener)
        self._listeners[port] = listener
        _LOGGER.debug("Listening for UDP datagrams on %s:%s", self._bind_host, port)
        return listener

    def _unsubscribe(self, port: int, key: str | None, handler: DatagramHandler) -> None:
        listener = self._listeners.get(port)
        if listener is None:
            return
        if key is None:
            listener.unrouted_handlers.remove(handler)
        elif (route := listener.handlers.get(key)) is not None and route.handler is handler:
            del listener.handlers[key]
        if listener.idle:
            listener.transport.close()
            del self._listeners[port]
            _LOGGER.debug("Closed the UDP listener on port %s", port)
