"""Reading untrusted payloads: bounded JSON decoding, number readers, the boundary that makes parsers total.

JSON from a device (or a stranger on the LAN) is decoded here with limits, so no document can be nested deep
enough to exhaust the stack; the parsers' boundary turns what a malformed document makes Python raise into
InvalidResponse.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import InvalidResponse
from .snapshot import is_number

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


_DECODER = json.JSONDecoder(parse_int=_parse_int)
"""One decoder for every document (json.loads would make one per call for the parse_int hook)."""


def decode_json(document: bytes | str, what: str) -> Any:
    """Decode a JSON document from a device, bounded in size and depth; InvalidResponse otherwise."""
    if (size := _size_over_limit(document)) is not None:
        raise InvalidResponse(f"{what} is {size} bytes, more than the {MAX_BODY_BYTES} accepted")
    # Fewer brackets than the limit cannot nest deeper than it: the exact walk only for the rest.
    if _brackets(document) > MAX_DEPTH and _nesting_depth(_utf8(document)) > MAX_DEPTH:
        raise InvalidResponse(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        if isinstance(document, bytes):
            document = document.decode(json.detect_encoding(document), "surrogatepass")
        else:
            document = document.removeprefix("\ufeff")  # as a body's UTF-8 byte order mark is dropped
        return _DECODER.decode(document)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise InvalidResponse(f"{what} is not JSON: {document[:80]!r}") from err


def _utf8(document: bytes | str) -> bytes:
    return document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document


def _size_over_limit(document: bytes | str) -> int | None:
    """The document's size in UTF-8 bytes when it is larger than MAX_BODY_BYTES, else None."""
    if isinstance(document, str) and len(document) * 4 <= MAX_BODY_BYTES:
        return None  # four bytes a character at most: this text cannot be larger (and is not encoded)
    size = len(_utf8(document))
    return size if size > MAX_BODY_BYTES else None


def _brackets(document: bytes | str) -> int:
    if isinstance(document, str):
        return document.count("[") + document.count("{")
    return document.count(b"[") + document.count(b"{")


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
    return float(raw) if is_number(raw) else None


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
