"""Reading a request body whole, bounded: ``Content-Length`` or ``Transfer-Encoding: chunked``.

Nothing past the cap is kept in memory; an oversized body of at most :data:`DRAIN` bytes is read
and dropped so the client reads the 413 instead of a reset. A client that stops mid-body, or
framing that does not parse, ends the exchange without acting on a partial request. Framing
that could be read two ways is refused: a transfer coding other than ``chunked`` alone (the
body's end would be guessed), or ``Content-Length`` headers that disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["DRAIN", "Broken", "Stream", "TooLarge", "read_body"]

DRAIN = 1024 * 1024
_CHUNK_LINE = 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_LENGTH = re.compile(r"[0-9]{1,18}")


class Stream(Protocol):
    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class TooLarge:
    """The body is over ``limit`` bytes (answer 413, then close the connection)."""

    limit: int

    def __str__(self) -> str:
        return f"the request body is over the {self.limit}-byte limit"


@dataclass(frozen=True)
class Broken:
    """The framing does not parse (answer 400, then close the connection)."""

    reason: str


def read_body(
    rfile: Stream,
    limit: int,
    *,
    content_length: str | Sequence[str] | None,
    transfer_encoding: str | None,
) -> bytes | TooLarge | Broken | None:
    """The body, whole; None when the client went away before sending all of it.

    ``content_length``: the header's value, or every value when it came more than once;
    ``transfer_encoding``: the header's values, joined with commas."""
    if transfer_encoding is not None:
        codings = [c.strip().lower() for c in transfer_encoding.split(",")]
        if codings != ["chunked"]:
            return Broken("only 'Transfer-Encoding: chunked' is understood")
        return _chunked(rfile, limit)
    if content_length is None:
        return b""
    lengths = {content_length} if isinstance(content_length, str) else set(content_length)
    if not lengths:
        return b""
    if len({text.strip() for text in lengths}) > 1:
        return Broken("Content-Length is given twice, with different values")
    length_text = lengths.pop()
    if not _LENGTH.fullmatch(length_text.strip()):
        return Broken("Content-Length is not a number")
    length = int(length_text)
    if length > limit:
        if length <= DRAIN:
            _exactly(rfile, length)
        return TooLarge(limit)
    return _exactly(rfile, length)


def _exactly(rfile: Stream, length: int) -> bytes | None:
    data = rfile.read(length) if length else b""
    return data if len(data) == length else None


def _chunked(rfile: Stream, limit: int) -> bytes | TooLarge | Broken | None:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(_CHUNK_LINE)
        if not line:
            return None
        size_text = line.split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_text):
            return Broken("malformed chunked body")
        size = int(size_text, 16)
        if size == 0:
            for _ in range(64):  # trailers, up to an empty line
                if rfile.readline(_CHUNK_LINE) in (b"\r\n", b"\n", b""):
                    break
            return b"".join(parts)
        total += size
        if total > limit:
            return TooLarge(limit)
        chunk = _exactly(rfile, size + 2)
        if chunk is None:
            return None
        parts.append(chunk[:-2])
