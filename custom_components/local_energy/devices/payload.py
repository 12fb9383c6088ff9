"""Reading untrusted payloads: bounded JSON decoding and a typed reader that fails with InvalidResponse.

Everything a device (or a stranger on the LAN) sends goes through here before a parser looks at it, so a
parser never meets a value of the wrong type, a number it cannot convert, or a document nested so deep
that decoding it would exhaust the stack.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .errors import InvalidResponse

MAX_BODY_BYTES = 1_000_000
"""The largest JSON document read from a device (the biggest real answer is a few kB)."""
MAX_DEPTH = 32
"""The deepest nesting of objects and arrays accepted (real answers nest 4 levels at most)."""
MAX_INT_DIGITS = 20
"""Longer integer literals are decoded as floats (a 400-digit integer becomes inf, which no value passes)."""

_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


def _nesting_depth(document: bytes) -> int:
    """The deepest bracket nesting outside strings: one pass, no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in document:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest


def _parse_int(literal: str) -> int | float:
    return int(literal) if len(literal) <= MAX_INT_DIGITS else float(literal)


def decode_json(document: bytes | str, what: str) -> Any:
    """Decode a JSON document from a device, bounded in size and depth; InvalidResponse otherwise."""
    raw = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidResponse(f"{what} is {len(raw)} bytes, more than the {MAX_BODY_BYTES} accepted")
    if _nesting_depth(raw) > MAX_DEPTH:
        raise InvalidResponse(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw, parse_int=_parse_int)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise InvalidResponse(f"{what} is not JSON: {raw[:80]!r}") from err


def number(raw: object) -> float | None:
    """A JSON number as a float; None for anything else (bool, text, null, objects)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    try:
        return float(raw)
    except OverflowError:
        return math.inf


def finite(raw: object) -> float | None:
    """A JSON number that is finite, as a float; None otherwise."""
    value = number(raw)
    return value if value is not None and math.isfinite(value) else None


def text(raw: object) -> str | None:
    """A non-empty string; None otherwise."""
    return raw if isinstance(raw, str) and raw else None


class Payload:
    """A JSON object from a device, read by key with the type each key must have.

    ``number``/``text``/``obj``/``items`` return None (or empty) when a key is absent or of another type;
    the ``require_*`` forms raise InvalidResponse that names the key.
    """

    __slots__ = ("_data", "where")

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise InvalidResponse(f"{where} is {type(data).__name__}, not a JSON object")
        self._data: Mapping[str, Any] = data
        self.where = where

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def raw(self, key: str) -> object:
        """The value at key as it came, or None."""
        return self._data.get(key)

    def number(self, key: str) -> float | None:
        """The number at key (inf for out-of-range literals), or None."""
        return number(self._data.get(key))

    def require_number(self, key: str) -> float:
        """The number at key; InvalidResponse when it is missing or not a number."""
        value = self.number(key)
        if value is None:
            raise InvalidResponse(f"{self.where}: {key!r} is not a number: {self._data.get(key)!r:.60}")
        return value

    def text(self, key: str) -> str | None:
        """The non-empty string at key, or None."""
        return text(self._data.get(key))

    def obj(self, key: str) -> Payload | None:
        """The object at key, or None."""
        value = self._data.get(key)
        return Payload(value, f"{self.where}.{key}") if isinstance(value, dict) else None

    def require_obj(self, key: str) -> Payload:
        """The object at key; InvalidResponse when it is missing or not an object."""
        value = self.obj(key)
        if value is None:
            raise InvalidResponse(f"{self.where}: {key!r} is not an object")
        return value

    def items(self, key: str) -> list[object]:
        """The list at key, or an empty list."""
        value = self._data.get(key)
        return list(value) if isinstance(value, list) else []

    def objects(self, key: str) -> list[Payload]:
        """The objects in the list at key (other entries are skipped)."""
        return [
            Payload(item, f"{self.where}.{key}[{index}]")
            for index, item in enumerate(self.items(key))
            if isinstance(item, dict)
        ]


PARSE_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, ZeroDivisionError)
"""What reading a malformed document raises in Python: a missing key, a wrong type, a bad number."""


@contextmanager
def parsing(what: str) -> Iterator[None]:
    """Turn what a malformed document makes Python raise into InvalidResponse that says where."""
    try:
        yield
    except PARSE_ERRORS as err:
        raise InvalidResponse(f"{what} is malformed: {type(err).__name__}: {err}"[:300]) from err


def total[**P, R](what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a parser total: what a malformed document makes it raise becomes InvalidResponse."""

    def decorate(parser: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(parser)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with parsing(what):
                return parser(*args, **kwargs)

        return wrapper

    return decorate
