"""Reading a request body: whole, bounded, and never past what the framing promises."""

from __future__ import annotations

import io

import pytest

from twofa_sim.serve.bodies import Broken, TooLarge, read_body


def _read(
    raw: bytes, *, length: str | None = None, chunked: bool = False, limit: int = 100
) -> bytes | TooLarge | Broken | None:
    return read_body(
        io.BytesIO(raw),
        limit,
        content_length=length,
        transfer_encoding="chunked" if chunked else None,
    )


def test_a_content_length_body_is_read_exactly() -> None:
    """Rule: exactly Content-Length bytes are the body; what follows is the next request."""
    assert _read(b"To=1GET / HTTP/1.1", length="4") == b"To=1"


def test_a_short_body_is_no_body() -> None:
    """Rule: a client that sends fewer bytes than promised has sent no request."""
    assert _read(b"To=", length="10") is None


@pytest.mark.parametrize("length", ["-1", "1e3", "0x10", "", "9" * 19, "٣"])
def test_a_content_length_that_is_not_a_plain_number_is_broken(length: str) -> None:
    """Rule: only ASCII digits (at most 18) are a length; anything else is refused, not read."""
    assert isinstance(_read(b"xxxx", length=length), Broken)


def test_a_body_over_the_limit_is_too_large_and_not_kept() -> None:
    """Rule: past the cap the body is refused (413), however long it claims to be."""
    assert _read(b"x" * 101, length="101") == TooLarge(100)
    assert _read(b"", length="999999999999") == TooLarge(100)


def test_chunks_are_joined() -> None:
    """Rule: a chunked body is its chunks, extensions and trailers aside."""
    raw = b"4;ext=1\r\nTo=1\r\n3\r\n&A=\r\n0\r\nX-Trailer: y\r\n\r\n"
    assert _read(raw, chunked=True) == b"To=1&A="


@pytest.mark.parametrize("size", [b"-5", b"+5", b"0x5", b"5_0", b"zz", b"123456789"])
def test_a_chunk_size_that_is_not_plain_hex_is_broken(size: bytes) -> None:
    """Rule: a negative, signed, prefixed or huge chunk size is refused (a negative size must
    not read to the end of the stream)."""
    assert isinstance(_read(size + b"\r\n" + b"x" * 50 + b"\r\n0\r\n\r\n", chunked=True), Broken)


def test_chunks_over_the_limit_are_too_large() -> None:
    """Rule: the cap counts the chunks' total."""
    raw = b"40\r\n" + b"x" * 64 + b"\r\n40\r\n" + b"x" * 64 + b"\r\n0\r\n\r\n"
    assert _read(raw, chunked=True) == TooLarge(100)


def test_a_chunked_body_cut_short_is_no_body() -> None:
    """Rule: a stream that ends inside a chunk or before the last chunk is no request."""
    assert _read(b"10\r\nshort", chunked=True) is None
    assert _read(b"3\r\nabc\r\n", chunked=True) is None
