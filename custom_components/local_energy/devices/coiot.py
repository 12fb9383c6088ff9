"""Shelly Gen1 CoIoT: the status a device publishes on its own, as CoAP datagrams on UDP 5683.

From "CoIoT for Shelly devices" (rev 1.0) and the device descriptions (``/cit/d``) firmware 1.8 and newer
publishes:

- a CoAP message (version 1) with the non-standard request code 0.30, "publish status", multicast to
  224.0.1.187:5683 or sent to the peer set in the device's CoIoT settings;
- option 3332, the device id ``<model>#<MAC>#<CoIoT version>`` (some firmware names only the last six
  hex digits of the MAC, so devices are told apart by those);
- option 3412, how long the status is valid (uint16: with the lowest bit 0, tenths of a second; with
  it 1, units of four seconds): a device not heard within it is to be taken as gone;
- option 3420, a serial that changes whenever a value does (0 is never sent);
- the payload ``{"G": [[channel, sensor id, value], ...]}``, the ids as the device describes them.

The ids of the devices we read come from their published descriptions (tested against them verbatim);
a status becomes the matching part of the device's HTTP ``/status``, which the parser already reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .errors import InvalidResponse
from .payload import decode_json
from .udp import Address, OncePerMinute, Subscription, UdpHub
from .websocket import Link, LinkListener

_LOGGER = logging.getLogger(__name__)

COIOT_PORT: Final = 5683
MULTICAST_GROUP: Final = "224.0.1.187"
PUBLISH_STATUS: Final = 30
"""CoIoT's own request code 0.30; 69 (2.05 Content) answers a unicast request for /cit/s."""
_CODES: Final = (PUBLISH_STATUS, 69)
OPTION_DEVICE_ID: Final = 3332
OPTION_VALIDITY: Final = 3412
OPTION_SERIAL: Final = 3420
_PAYLOAD_MARKER: Final = 0xFF

RELAY_OUTPUT: Final = 1101
PLUG_POWER: Final = 4101
PLUG_ENERGY: Final = 4103
"""Watt-minutes, as the plug's HTTP /status counts."""
EMETER_FIELDS: Final = {
    "power": 5,
    "total": 6,
    "total_returned": 7,
    "voltage": 8,
    "current": 9,
    "pf": 10,
}
"""/status field of an emeter -> the last digits of its sensor id; emeter n is 4100 + 100 n + these."""


def emeter_sensor(index: int, field: str) -> int:
    """The CoIoT sensor id of one field of emeter index (4105 is emeter 0's power)."""
    return 4100 + 100 * index + EMETER_FIELDS[field]


@dataclass(frozen=True, slots=True)
class CoiotStatus:
    """One status datagram, decoded."""

    model: str
    mac_tail: str
    """The last six hex digits of the MAC, lower case."""
    validity: float | None
    """Seconds until the next status is due, when the device says."""
    serial: int | None
    values: Mapping[int, object]
    """Sensor id -> value (the channel field is 0 on these devices and not kept)."""


@dataclass(frozen=True, slots=True)
class _Frame:
    code: int
    options: dict[int, bytes]
    payload: bytes


@dataclass(frozen=True, slots=True)
class CoiotHeader:
    """What a status datagram says of itself before its payload is read."""

    model: str
    mac_tail: str
    """The last six hex digits of the MAC, lower case."""
    validity: float | None
    """Seconds until the next status is due, when the device says."""
    serial: int | None
    payload: bytes


def header(datagram: bytes) -> CoiotHeader:
    """The CoAP header and options of a CoIoT status; InvalidResponse when it is not one."""
    frame = _frame(datagram)
    if frame.code not in _CODES:
        raise InvalidResponse(f"CoAP code {frame.code} is not a CoIoT status")
    model, mac_tail = _device_id(frame.options)
    validity = _uint(frame.options.get(OPTION_VALIDITY))
    return CoiotHeader(
        model=model,
        mac_tail=mac_tail,
        validity=None if validity is None else validity_seconds(validity),
        serial=_uint(frame.options.get(OPTION_SERIAL)),
        payload=frame.payload,
    )


def values_of(payload: bytes) -> dict[int, object]:
    """The G triples of a status payload, by sensor id; InvalidResponse when none can be read."""
    document = decode_json(payload, "CoIoT status")
    if not isinstance(document, dict) or not isinstance(triples := document.get("G"), list):
        raise InvalidResponse("CoIoT status has no G list")
    values = {
        triple[1]: triple[2]
        for triple in triples
        if isinstance(triple, list) and len(triple) == 3 and type(triple[1]) is int
    }
    if not values:
        raise InvalidResponse("CoIoT status has no readable value")
    return values


def decode(datagram: bytes) -> CoiotStatus:
    """A CoIoT status datagram; InvalidResponse when it is not one or cannot be read."""
    return _status(header(datagram))


def _status(head: CoiotHeader) -> CoiotStatus:
    return CoiotStatus(head.model, head.mac_tail, head.validity, head.serial, values_of(head.payload))


def device_key(datagram: bytes) -> str | None:
    """The routing key of a datagram (the MAC's last six hex digits), or None; never raises."""
    try:
        return _device_id(_frame(datagram).options)[1]
    except InvalidResponse:
        return None


def validity_seconds(raw: int) -> float:
    """Option 3412 in seconds: tenths of a second when the lowest bit is 0, else units of four seconds."""
    return raw / 10 if raw & 1 == 0 else raw * 4.0


def status_of(values: Mapping[int, object], layout: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """The HTTP /status these values stand for: base (the last one read) with what they bring put in.

    A three-phase meter's total power is left out: it is the sum of the phases pushed, not the stale one.
    """
    status = dict(base)
    status.pop("total_power", None)
    if (relay := values.get(RELAY_OUTPUT)) is not None:
        status["relays"] = [{**_first(base.get("relays")), "ison": bool(relay)}]
    if layout == "gen1_plug":
        meter = dict(_first(base.get("meters")))
        _take(meter, "power", values.get(PLUG_POWER))
        _take(meter, "total", values.get(PLUG_ENERGY))
        status["meters"] = [meter]
        return status
    previous = base.get("emeters")
    emeters = []
    for index in range(3 if layout == "gen1_3em" else 2):
        meter = _item(previous, index)
        for name in EMETER_FIELDS:
            _take(meter, name, values.get(emeter_sensor(index, name)))
        emeters.append(meter)
    status["emeters"] = emeters
    return status


FOLLOWED_WITHIN: Final = 5.0
"""A device whose status is valid this long or less is followed by its datagrams alone; one that
promises less often (the 15 s of the default CoIoT period) is still polled, its datagrams shown too."""


LATE_BY: Final = 1.5
"""A status may come this much later than its validity (Wi-Fi jitter) before the feed is down."""


class CoiotFeed:
    """The status datagrams of one device: routed by its MAC, from its own address only.

    The feed is "up" while the last status is within its validity and that validity is short enough
    to follow (FOLLOWED_WITHIN); on_link hears when it goes down (a status not renewed in time).
    Repeated serials (nothing changed) renew the validity without being decoded again.
    """

    def __init__(
        self,
        hub: UdpHub,
        port: int,
        host: str,
        mac: str,
        on_status: Callable[[CoiotStatus], None],
    ) -> None:
        self._hub, self._port, self._host = hub, port, host
        self._key = mac[-6:].lower()
        self._on_status = on_status
        self._on_link: LinkListener = lambda _link: None
        self._subscription: Subscription | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._log_limit = OncePerMinute()
        self._serial: int | None = None
        self.validity: float | None = None
        self.up = False
        self._lapsed = True
        """No status holds: none came yet, or the last one's validity has passed."""
        self.datagrams = 0
        self.malformed = 0
        self.repeated = 0

    async def start(self, on_link: LinkListener) -> None:
        """Listen (the port's socket joins the CoIoT group); a port another program holds is logged."""
        self._on_link = on_link
        if self._subscription is not None:
            return
        try:
            self._subscription = await self._hub.subscribe(
                self._port,
                device_key,
                self._key,
                self._on_datagram,
                source_host=self._host,
                label=f"Shelly {self._key}",
                multicast=MULTICAST_GROUP,
            )
        except OSError as err:
            _LOGGER.warning("Cannot listen for CoIoT on UDP %s (%s): Shelly %s is polled", self._port, err,
                            self._host)  # fmt: skip

    def close(self) -> None:
        """Stop listening."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
        self.up = False

    def diagnostics(self) -> dict[str, Any]:
        """Counters and the validity the device announces."""
        return {
            "listening": self._subscription is not None,
            "up": self.up,
            "validity": self.validity,
            "datagrams": self.datagrams,
            "repeated": self.repeated,
            "malformed": self.malformed,
            "foreign_datagrams": 0 if self._subscription is None else self._subscription.foreign,
        }

    def _on_datagram(self, datagram: bytes, address: Address) -> None:
        self.datagrams += 1
        try:
            head = header(datagram)
            if head.serial is not None and head.serial == self._serial:
                self._renew(head.validity)  # nothing changed: the payload is not read
                self.repeated += 1
                return
            status = _status(head)
        except InvalidResponse as err:
            self.malformed += 1
            if self._log_limit.allow(address[0]):
                _LOGGER.info("Ignoring a malformed CoIoT datagram from %s: %s (%s so far)", address[0], err,
                             self.malformed)  # fmt: skip
            return
        self._renew(status.validity)
        self._serial = status.serial
        self._on_status(status)

    @property
    def link(self) -> Link:
        """Whether the device can be followed by its statuses.

        UP while the last promises the next soon enough to follow it by CoIoT alone; SELDOM while it
        promises one later (or nothing); DOWN before any, or once its validity has passed.
        """
        if self._lapsed:
            return Link.DOWN
        return Link.UP if self.up else Link.SELDOM

    def _renew(self, validity: float | None) -> None:
        self.validity = validity
        self._lapsed = False
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        was_up = self.up
        self.up = validity is not None and validity <= FOLLOWED_WITHIN
        if validity is not None:
            self._expiry = asyncio.get_running_loop().call_later(validity * LATE_BY, self._expired)
        if was_up and not self.up:
            self._on_link(Link.DOWN)

    def _expired(self) -> None:
        self._expiry = None
        self._lapsed = True
        if self.up:
            self.up = False
            self._on_link(Link.DOWN)


# --- CoAP ----------------------------------------------------------------------------------------------


def _frame(datagram: bytes) -> _Frame:
    if len(datagram) < 4 or datagram[0] >> 6 != 1:
        raise InvalidResponse("not a CoAP version 1 message")
    token_length = datagram[0] & 0x0F
    if token_length > 8:
        raise InvalidResponse("CoAP token longer than 8 bytes")
    options: dict[int, bytes] = {}
    position, number, end = 4 + token_length, 0, len(datagram)
    while position < end and datagram[position] != _PAYLOAD_MARKER:
        head = datagram[position]
        delta, position = _extended(head >> 4, datagram, position + 1)
        length, position = _extended(head & 0x0F, datagram, position)
        if position + length > end:
            raise InvalidResponse("CoAP option runs past the datagram")
        number += delta
        options[number] = datagram[position : position + length]
        position += length
    return _Frame(code=datagram[1], options=options, payload=datagram[position + 1 :])


def _extended(nibble: int, datagram: bytes, position: int) -> tuple[int, int]:
    """An option delta or length: 13 and 14 announce one or two more bytes, 15 is never valid."""
    if nibble < 13:
        return nibble, position
    if nibble == 13 and position < len(datagram):
        return datagram[position] + 13, position + 1
    if nibble == 14 and position + 1 < len(datagram):
        return int.from_bytes(datagram[position : position + 2], "big") + 269, position + 2
    raise InvalidResponse("CoAP option header is malformed")


def _device_id(options: Mapping[int, bytes]) -> tuple[str, str]:
    raw = options.get(OPTION_DEVICE_ID)
    try:
        model, mac, _version = (raw or b"").decode("ascii").split("#")
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidResponse("CoIoT device id is missing or malformed") from err
    tail = mac[-6:].lower()
    if len(tail) != 6 or any(digit not in "0123456789abcdef" for digit in tail):
        raise InvalidResponse(f"CoIoT device id names no MAC: {mac[:20]!r}")
    return model, tail


def _uint(raw: bytes | None) -> int | None:
    return None if not raw else int.from_bytes(raw, "big")


# --- /status ---------------------------------------------------------------------------------------------


def _item(items: object, index: int) -> dict[str, Any]:
    """A copy of items[index] when it is an object, else an empty one."""
    if isinstance(items, list) and len(items) > index and isinstance(items[index], dict):
        return dict(items[index])
    return {}


def _first(items: object) -> dict[str, Any]:
    return _item(items, 0)


def _take(meter: dict[str, Any], name: str, value: object) -> None:
    if value is not None:
        meter[name] = value
