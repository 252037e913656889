"""Virtual clocks, device clocks, and the freezegun bridge."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime, timedelta

import freezegun
import freezegun.api
import pyotp
import pytest

from twofa_sim.core.clock import (
    Clock,
    DeviceClock,
    SystemClock,
    VirtualClock,
    format_instant,
    frozen_system_time,
    parse_duration,
    parse_instant,
    real_monotonic,
)
from twofa_sim.errors import ClockBridgeError, DurationError, InstantError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("2m", 120),
        ("1h30m", 5400),
        ("3d", 259200),
        ("1w", 604800),
        ("250ms", 0.25),
        ("1.5h", 5400),
        ("-40s", -40),
        ("+40s", 40),
        ("45", 45),
        ("1h 30m", 5400),
        (" 2M ", 120),
    ],
)
def test_duration_strings(text: str, seconds: float) -> None:
    """Durations read as documented: units ms s m h d w, combinable, signed."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-", "x", "1h30", "h", "1y", "5 minutes", "1..5s", "--5s"])
def test_bad_durations_are_located_errors(text: str) -> None:
    """A duration that cannot be read is a DurationError with a hint, not a crash."""
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


def test_duration_from_timedelta_and_numbers() -> None:
    """timedelta and plain numbers are durations too; NaN and booleans are not."""
    assert parse_duration(timedelta(minutes=2)) == 120
    assert parse_duration(7) == 7.0
    with pytest.raises(DurationError):
        parse_duration(float("nan"))
    with pytest.raises(DurationError):
        parse_duration(True)


@pytest.mark.parametrize(
    ("text", "unix"),
    [
        ("1970-01-01T00:00:59Z", 59),
        ("2005-03-18T01:58:29Z", 1111111109),
        ("2005-03-18T03:58:29+02:00", 1111111109),
        ("2005-03-18T01:58:29", 1111111109),  # no offset: UTC, never the machine's zone
        ("2005-03-18", 1111104000),
        ("1111111109", 1111111109),
        ("1111111109.5", 1111111109.5),
        ("2603-10-11T11:33:20Z", 20000000000),
    ],
)
def test_instants(text: str, unix: float) -> None:
    """Instants: ISO-8601 (Z, offsets, naive as UTC, dates) or Unix seconds."""
    assert parse_instant(text) == unix


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "12:00", "1e", "nan", "inf"])
def test_bad_instants(text: str) -> None:
    """An unreadable instant is an InstantError naming it."""
    with pytest.raises(InstantError):
        parse_instant(text)


def test_virtual_clock_moves_only_when_told() -> None:
    """A VirtualClock stands still until set or advanced; it never sleeps."""
    clock = VirtualClock("2026-01-01T00:00:00Z")
    before = real_monotonic()
    assert clock.now() == clock.now() == 1767225600.0
    assert clock.advance("1d") == 1767225600.0 + 86400
    assert clock.advance(timedelta(seconds=-30)) == 1767225600.0 + 86370
    clock.set("1970-01-01T00:01:00Z")
    assert clock.now() == 60.0
    assert clock.datetime == datetime(1970, 1, 1, 0, 1, tzinfo=UTC)
    assert real_monotonic() - before < 5  # a year of virtual time took no real waiting
    assert isinstance(clock, Clock) and isinstance(SystemClock(), Clock)


def test_device_clock_offset_and_drift() -> None:
    """A phone 40 s fast drifting +20 ppm is 40 s + 20e-6 * elapsed ahead."""
    clock = VirtualClock(1_000_000)
    phone = DeviceClock(clock, offset="40s", drift_ppm=20)
    assert phone.now() == 1_000_040
    clock.advance("30d")
    assert phone.error() == pytest.approx(40 + 30 * 86400 * 20e-6)  # 51.84 s
    slow = DeviceClock(clock, offset=-90, drift_ppm=-10, reference=1_000_000)
    assert slow.error() == pytest.approx(-90 - 30 * 86400 * 10e-6)


def test_format_instant() -> None:
    """Instants print as ISO-8601 UTC with a Z."""
    assert format_instant(1111111109) == "2005-03-18T01:58:29Z"
    with pytest.raises(InstantError):
        format_instant(1e15)


# --- the freezegun bridge ---------------------------------------------------------------------


def test_bridge_keeps_system_time_equal_to_the_virtual_clock() -> None:
    """Inside the bridge, time.time/datetime.now/date.today follow the virtual clock; outside it,
    real time again (checked against today's time, whatever the date: the clock ends 400 days
    after it)."""
    real = time.time()
    clock = VirtualClock("2030-06-01T12:00:00Z")
    with frozen_system_time(clock):
        assert time.time() == clock.now()
        clock.advance("1h30m")
        assert time.time() == clock.now()
        assert datetime.now(UTC) == datetime(2030, 6, 1, 13, 30, tzinfo=UTC)
        clock.set("2031-01-02T00:00:00Z")
        assert date.today() == date(2031, 1, 2)
        assert SystemClock().now() == clock.now()
        clock.set(int(real) + 400 * 86400)
        assert time.time() == clock.now()
    assert real <= time.time() < real + 3600  # real time again afterwards


def test_bridge_drives_third_party_code_that_reads_system_time() -> None:
    """pyotp's TOTP.now() (which reads system time itself) sees the virtual clock."""
    clock = VirtualClock(59)
    totp = pyotp.TOTP("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", digits=8)
    with frozen_system_time(clock):
        assert totp.now() == "94287082"
        clock.set(1111111109)
        assert totp.now() == "07081804"


def test_bridge_uses_one_freeze_for_all_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    """One freezegun freeze per bridge: moving the clock never starts another."""
    starts = []
    original = freezegun.api._freeze_time.start

    def counting_start(self: freezegun.api._freeze_time) -> object:
        starts.append(self)
        return original(self)

    monkeypatch.setattr(freezegun.api._freeze_time, "start", counting_start)
    clock = VirtualClock(0)
    with frozen_system_time(clock):
        for _ in range(100):
            clock.advance(17)
        assert len(freezegun.api.freeze_factories) == 1
    assert len(starts) == 1
    assert not freezegun.api.freeze_factories


def test_bridge_refuses_to_nest_or_mix_with_another_freeze() -> None:
    """Two owners of the system time would disagree: the second one is refused loudly."""
    clock = VirtualClock(0)
    with (
        frozen_system_time(clock),
        pytest.raises(ClockBridgeError, match="already frozen"),
        frozen_system_time(VirtualClock(5)),
    ):
        pass
    with (
        freezegun.freeze_time("2020-01-01"),
        pytest.raises(ClockBridgeError),
        frozen_system_time(clock),
    ):
        pass


def test_bridge_stops_following_after_exit() -> None:
    """After the block, moving the clock no longer touches anything."""
    clock = VirtualClock(0)
    with frozen_system_time(clock):
        pass
    clock.advance(10)  # must not fail or refreeze
    assert not freezegun.api.freeze_factories


def test_real_durations_are_measured_right_inside_the_bridge() -> None:
    """freezegun freezes perf_counter/monotonic; real_monotonic still measures real work."""
    clock = VirtualClock(0)
    with frozen_system_time(clock):
        frozen_start, real_start = time.perf_counter(), real_monotonic()
        digest = b""
        while real_monotonic() - real_start < 0.02:  # real work, not a sleep
            digest = hashlib.sha256(digest).digest()
        assert time.perf_counter() == frozen_start  # what freezegun does to perf_counter
        assert real_monotonic() - real_start >= 0.02


def test_a_move_the_bridge_cannot_follow_leaves_the_clock_where_it_was() -> None:
    """Past year 9999 the system time cannot be frozen: a clear error, and the clock unmoved."""
    clock = VirtualClock("9999-12-31T00:00:00Z")
    with frozen_system_time(clock):
        with pytest.raises(InstantError, match="9999"):
            clock.advance("2d")
        assert clock.now() == parse_instant("9999-12-31T00:00:00Z")
        assert time.time() == clock.now()
