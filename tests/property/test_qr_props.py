"""Properties of the QR round trip: identity up to capacity, a capacity error past it."""

from __future__ import annotations

import base64
import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from twofa_sim.core.qr import ErrorLevel, capacity, render_png, round_trip
from twofa_sim.errors import QRCapacityError

LEVELS: tuple[ErrorLevel, ...] = ("L", "M", "Q", "H")


def _round_trips(examples: int) -> settings:
    """segno needs ~0.2 s to place a version-40 symbol: no deadline, few (but large) examples."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


levels = st.sampled_from(LEVELS)


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


@st.composite
def otpauth_uris(draw: st.DrawFn) -> str:
    """otpauth:// URIs as enrollment pages build them: percent-encoded label and issuer."""
    kind = draw(st.sampled_from(["totp", "hotp"]))
    issuer = draw(st.text(min_size=1, max_size=40))
    account = draw(st.text(min_size=1, max_size=60))
    secret = base64.b32encode(draw(st.binary(min_size=10, max_size=64))).decode().rstrip("=")
    params = [f"secret={secret}", f"issuer={quote(issuer, safe='')}"]
    if draw(st.booleans()):
        params.append(f"algorithm={draw(st.sampled_from(['SHA1', 'SHA256', 'SHA512']))}")
    if draw(st.booleans()):
        params.append(f"digits={draw(st.sampled_from([6, 7, 8]))}")
    if kind == "totp" and draw(st.booleans()):
        params.append(f"period={draw(st.integers(1, 300))}")
    if kind == "hotp":
        params.append(f"counter={draw(st.integers(0, 2**63 - 1))}")
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    return f"otpauth://{kind}/{label}?{'&'.join(params)}"


@_round_trips(60)
@given(uri=otpauth_uris(), level=levels)
def test_otpauth_uris_round_trip(uri: str, level: ErrorLevel) -> None:
    """Any enrollment URI comes back unchanged from both decoders."""
    result = round_trip(uri, error=level)
    assert result.decoded.zbar == uri
    assert result.decoded.zxing == uri


@st.composite
def fitting_texts(draw: st.DrawFn, alphabet: st.SearchStrategy[str]) -> tuple[str, ErrorLevel]:
    """A level and a non-empty text of at most capacity(level) UTF-8 bytes, often near it.

    Hypothesis left alone draws short strings, so a byte budget is drawn first (anywhere up to
    the capacity, or within a few bytes of it) and a drawn seed text is repeated to fill it.
    """
    level = draw(levels)
    most = capacity(level)
    budget = draw(st.one_of(st.integers(1, most), st.integers(most - 8, most)))
    seed = draw(st.text(alphabet, min_size=1, max_size=40))
    text = seed * (budget // _utf8_size(seed) + 1)
    while _utf8_size(text) > budget:
        text = text[:-1]
    return text or seed[:1], level


printable_ascii = st.sampled_from(string.printable)


@_round_trips(25)
@given(case=fitting_texts(printable_ascii))
@example(case=((string.printable * 40)[: capacity("L")], "L"))  # exactly full
@example(case=((string.printable * 40)[: capacity("H")], "H"))
def test_printable_ascii_round_trips(case: tuple[str, ErrorLevel]) -> None:
    """Printable ASCII up to capacity(level) bytes round-trips through both decoders."""
    text, level = case
    assert round_trip(text, error=level, scale=3).identical


@_round_trips(25)
@given(case=fitting_texts(st.characters(exclude_categories=["Cs"])))
@example(case=("é" * (capacity("H") // 2) + "a", "H"))  # exactly full, two-byte characters
@example(case=("😀" * (capacity("M") // 4) + "abc", "M"))  # exactly full, four-byte characters
def test_unicode_text_round_trips(case: tuple[str, ErrorLevel]) -> None:
    """Any Unicode text (UTF-8 up to capacity(level) bytes) round-trips through both decoders."""
    text, level = case
    result = round_trip(text, error=level, scale=3)
    assert (result.decoded.zbar, result.decoded.zxing) == (text, text)


@settings(max_examples=50)
@given(text=st.text(min_size=1, max_size=200), level=levels, extra=st.integers(1, 400))
def test_past_capacity_is_a_capacity_error(text: str, level: ErrorLevel, extra: int) -> None:
    """Text longer than capacity(level) UTF-8 bytes raises QRCapacityError with its true size."""
    padded = text + "é" * ((capacity(level) + extra - _utf8_size(text)) // 2 + 1)
    size = _utf8_size(padded)
    assert size > capacity(level)
    with pytest.raises(QRCapacityError) as caught:
        render_png(padded, error=level)
    assert (caught.value.size, caught.value.capacity, caught.value.level) == (
        size,
        capacity(level),
        level,
    )
