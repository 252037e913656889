"""Properties of duration parsing and clock arithmetic."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from twofa_sim.core.clock import (
    DeviceClock,
    VirtualClock,
    format_duration,
    format_instant,
    parse_duration,
    parse_instant,
)

whole_seconds = st.integers(-(10**9), 10**9)
instants = st.integers(0, 253402300799)  # up to 9999-12-31T23:59:59Z


@given(whole_seconds)
def test_format_then_parse_duration_is_the_identity(seconds: int) -> None:
    """`format_duration` writes what `parse_duration` reads back exactly."""
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(0, 400), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_duration_parts_add_up(d: int, h: int, m: int, s: int) -> None:
    """`1d2h3m4s` is the sum of its parts, in any spacing and case."""
    text = f"{d}d {h}H{m}m  {s}s"
    assert parse_duration(text) == timedelta(days=d, hours=h, minutes=m, seconds=s).total_seconds()


@given(instants)
def test_instant_iso_round_trip(unix: int) -> None:
    """An instant written as ISO-8601 reads back as the same Unix second."""
    assert parse_instant(format_instant(unix)) == unix


@given(instants, st.lists(st.integers(-(10**6), 10**6), max_size=20))
def test_advancing_adds_exactly(start: int, moves: list[int]) -> None:
    """Advancing by whole seconds adds exactly; the clock is where the sum says."""
    clock = VirtualClock(start)
    for move in moves:
        clock.advance(move)
    assert clock.now() == start + sum(moves)


@given(
    st.integers(0, 2**31),
    st.integers(-3600, 3600),
    st.floats(-200, 200, allow_nan=False),
    st.integers(0, 10**8),
)
def test_device_error_is_offset_plus_drift(
    reference: int, offset: int, ppm: float, elapsed: int
) -> None:
    """A device's error is its offset plus ppm * elapsed time since the reference instant."""
    clock = VirtualClock(reference)
    device = DeviceClock(clock, offset=offset, drift_ppm=ppm)
    clock.advance(elapsed)
    expected = offset + elapsed * ppm / 1e6
    assert abs(device.now() - clock.now() - expected) <= 1e-6 * max(1.0, abs(clock.now()) * 1e-9)
    assert abs(device.error() - expected) <= 1e-9 * max(1.0, abs(expected))
