"""Time for a simulated world: virtual clocks, devices with wrong clocks, and a freezegun bridge.

Everything in twofa-sim takes its time from a :class:`Clock` (Unix seconds as a float). A
:class:`VirtualClock` moves only when told to and never sleeps; a :class:`DeviceClock` is what a
phone believes the time is (a fixed offset plus drift in ppm). Code we do not own that reads the
system time itself runs inside :func:`frozen_system_time`, which keeps the process's frozen time
equal to a virtual clock as it moves.

>>> clock = VirtualClock("2026-01-01T00:00:00Z")
>>> clock.advance("1h30m")
1767231000.0
>>> phone = DeviceClock(clock, offset="40s", drift_ppm=0)
>>> phone.now() - clock.now()
40.0
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Protocol, runtime_checkable

from twofa_sim.errors import ClockBridgeError, DurationError, InstantError

__all__ = [
    "Clock",
    "DeviceClock",
    "SystemClock",
    "VirtualClock",
    "exact_instant",
    "format_duration",
    "format_instant",
    "frozen_system_time",
    "parse_duration",
    "parse_instant",
    "real_monotonic",
    "to_datetime",
]

Instant = float | int | str | datetime
"""Anything :func:`parse_instant` reads: Unix seconds, an ISO-8601 string, or a datetime."""
Duration = float | int | str | timedelta
"""Anything :func:`parse_duration` reads: seconds, a duration string (``1h30m``), or a timedelta."""


@runtime_checkable
class Clock(Protocol):
    """Something that knows what time it is, as Unix seconds."""

    def now(self) -> float:
        """The current time in Unix seconds."""
        ...


class SystemClock:
    """The process's system time (which the freezegun bridge, while active, holds frozen)."""

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


def real_monotonic() -> float:
    """Seconds from a monotonic clock that freezegun does not freeze, for measuring real durations.

    freezegun replaces ``time.monotonic`` and ``time.perf_counter`` while a freeze is active, so a
    duration measured with them inside :func:`frozen_system_time` would be zero. ``clock_gettime``
    is left alone.
    """
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# ---------------------------------------------------------------------------------------------
# Reading instants and durations

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_duration(value: Duration) -> float:
    """Seconds from ``90``, ``"90s"``, ``"2m"``, ``"1h30m"``, ``"3d"``, ``"-40s"``, ``"250ms"``.

    Units: ms, s, m, h, d, w; parts may be combined and spaced (``"1h 30m"``); a bare number is
    seconds; a leading ``-`` makes the whole duration negative.
    """
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise DurationError(f"{value!r} is not a finite duration")
        return float(value)
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return parse_duration(float(text))
    sign = -1.0 if text.startswith("-") else 1.0
    body = text[1:] if text[:1] in "+-" else text
    total, pos = 0.0, 0
    while pos < len(body):
        match = _PART.match(body, pos)
        if match is None:
            raise DurationError(
                f"cannot read duration {value!r} at character {pos + len(text) - len(body) + 1}",
                hint="write it like 90s, 2m, 1h30m, 3d or 250ms (units: ms s m h d w)",
            )
        total += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
        while pos < len(body) and body[pos].isspace():
            pos += 1
    if not body:
        raise DurationError(f"{value!r} is empty", hint="write it like 90s, 2m or 1h30m")
    return sign * total


def format_duration(seconds: float) -> str:
    """A short human form: ``5400`` -> ``"1h30m"``, ``-40`` -> ``"-40s"``."""
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if rest >= size:
            count = int(rest // size)
            parts.append(f"{count}{unit}")
            rest -= count * size
    if rest or not parts:
        parts.append(f"{round(rest, 6):g}s")
    return sign + "".join(parts)


def parse_instant(value: Instant) -> float:
    """Unix seconds from Unix seconds, an ISO-8601 string or a datetime.

    ISO-8601 strings may end in ``Z`` or an offset; an instant without one, and a bare date, are
    taken as UTC (a simulation must not depend on the machine's time zone).

    >>> parse_instant("1970-01-01T00:00:59Z"), parse_instant("59"), parse_instant(59)
    (59.0, 59.0, 59.0)
    """
    if isinstance(value, bool):
        raise InstantError(f"{value!r} is not an instant")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise InstantError(f"{value!r} is not a finite instant")
        return float(value)
    exact = exact_instant(value)
    try:
        return float(exact)
    except OverflowError:
        raise InstantError(f"{value!r} is too far from 1970 to be a time") from None


def exact_instant(value: str | datetime) -> Fraction:
    """Unix seconds, exactly, from a number written in text (``"1e9"``, ``"59.9999999999"``) or an
    ISO-8601 instant (see :func:`parse_instant`). For code computations that a float would round.
    """
    if isinstance(value, datetime):
        return _datetime_to_unix(value)
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return Fraction(text)
    try:
        moment = datetime.fromisoformat(text[:-1] + "Z" if text.endswith("z") else text)
    except ValueError:
        raise InstantError(
            f"cannot read instant {value!r}",
            hint="use Unix seconds (1700000000) or ISO-8601 (2026-11-28T12:00:00Z)",
        ) from None
    return _datetime_to_unix(moment)


def _datetime_to_unix(moment: datetime) -> Fraction:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return Fraction(delta.days * 86400 + delta.seconds) + Fraction(delta.microseconds, 10**6)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_datetime(unix: float) -> datetime:
    """A timezone-aware UTC datetime for Unix seconds (years 1 to 9999)."""
    try:
        return _EPOCH + timedelta(seconds=unix)
    except OverflowError:
        raise InstantError(
            f"{unix!r} Unix seconds is outside the years 1-9999 a datetime can hold"
        ) from None


def format_instant(unix: float) -> str:
    """ISO-8601 in UTC with a ``Z``: ``59`` -> ``"1970-01-01T00:00:59Z"`` (microseconds if any)."""
    return to_datetime(unix).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# Virtual and device clocks

Observer = Callable[[float], None]


class VirtualClock:
    """A clock that moves only when told to. It never sleeps.

    ``start`` is an instant (Unix seconds, ISO-8601 or a datetime). Observers (the freezegun
    bridge) are told the new time after every move.
    """

    __slots__ = ("_now", "_observers")

    def __init__(self, start: Instant = 0.0) -> None:
        self._now = parse_instant(start)
        self._observers: list[Observer] = []

    def now(self) -> float:
        return self._now

    @property
    def datetime(self) -> datetime:
        """The current time as an aware UTC datetime."""
        return to_datetime(self._now)

    def set(self, when: Instant) -> float:
        """Jump to ``when`` (forwards or backwards); returns the new time."""
        new = parse_instant(when)
        if self._observers:
            self._tell(new)
        self._now = new
        return new

    def advance(self, by: Duration) -> float:
        """Move by ``by`` (seconds, ``"90s"``, ``"1h30m"``, a timedelta; negative goes back)."""
        new = self._now + (by if type(by) is float else parse_duration(by))
        if self._observers:
            self._tell(new)
        self._now = new
        return new

    def _tell(self, new: float) -> None:
        # Observers hear of a move before it happens: one that cannot follow (the bridge past
        # year 9999) raises, and the clock stays where it was.
        for observer in self._observers:
            observer(new)

    def subscribe(self, observer: Observer) -> None:
        """Call ``observer(now)`` after every move."""
        self._observers.append(observer)

    def unsubscribe(self, observer: Observer) -> None:
        self._observers.remove(observer)

    def __repr__(self) -> str:
        return f"VirtualClock({format_instant(self._now)!r})"


class DeviceClock:
    """What a device believes the time is: ``base`` plus ``offset`` plus accumulated drift.

    ``offset`` is seconds the device is ahead (negative: behind); ``drift_ppm`` is how fast it gains
    (positive) or loses time, in parts per million, accumulating from ``reference`` (an instant on
    the base clock; by default the base clock's time when the device is created). A quartz watch
    is typically within +-20 ppm: about 52 s a month.
    """

    __slots__ = ("base", "drift_ppm", "offset", "reference")

    def __init__(
        self,
        base: Clock,
        *,
        offset: Duration = 0.0,
        drift_ppm: float = 0.0,
        reference: Instant | None = None,
    ) -> None:
        self.base = base
        self.offset = parse_duration(offset)
        if not math.isfinite(drift_ppm):
            raise DurationError(f"drift {drift_ppm!r} ppm is not finite", where="drift_ppm")
        self.drift_ppm = float(drift_ppm)
        self.reference = base.now() if reference is None else parse_instant(reference)

    def error_at(self, true_time: float) -> float:
        """How far ahead (seconds) the device is when the base clock reads ``true_time``."""
        return self.offset + (true_time - self.reference) * self.drift_ppm * 1e-6

    def error(self) -> float:
        """How far ahead (seconds) the device is now."""
        return self.error_at(self.base.now())

    def now(self) -> float:
        true_time = self.base.now()
        return true_time + self.error_at(true_time)

    def __repr__(self) -> str:
        return (
            f"DeviceClock(offset={format_duration(self.offset)!r}, drift_ppm={self.drift_ppm:g}, "
            f"reference={format_instant(self.reference)!r})"
        )


# ---------------------------------------------------------------------------------------------
# The freezegun bridge


@contextlib.contextmanager
def frozen_system_time(clock: VirtualClock) -> Iterator[VirtualClock]:
    """Freeze the process's system time and keep it equal to ``clock`` while the block runs.

    For code we do not own that reads the system time itself (``time.time()``,
    ``datetime.now()``, pyotp's ``TOTP.now()``). One freezegun freeze for the whole block: moving
    ``clock`` moves the frozen time, at the cost of one attribute store. Refuses to start inside
    another freeze (two owners of the system time would disagree). Measure real durations inside
    the block with :func:`real_monotonic`: freezegun freezes ``time.perf_counter`` too.

    >>> import time
    >>> clock = VirtualClock(1_000_000)
    >>> with frozen_system_time(clock):
    ...     clock.advance(30)
    ...     int(time.time())
    1000030.0
    1000030
    """
    import freezegun.api  # deferred: scanning modules is only worth it when a bridge is used

    if freezegun.api.freeze_factories:
        raise ClockBridgeError(
            "system time is already frozen (another freezegun freeze or bridge is active); "
            "use one bridge per simulated world and move its clock instead"
        )
    with freezegun.freeze_time(_naive_utc(clock.now())) as factory:
        if hasattr(factory, "time_to_freeze"):

            def follow(now: float) -> None:
                factory.time_to_freeze = _naive_utc(now)

        else:  # pragma: no cover - a freezegun without the attribute: use its public API

            def follow(now: float) -> None:
                factory.move_to(_naive_utc(now))

        clock.subscribe(follow)
        try:
            yield clock
        finally:
            clock.unsubscribe(follow)


_NAIVE_EPOCH = datetime(1970, 1, 1)


def _naive_utc(unix: float) -> datetime:
    """freezegun keeps frozen time as a naive UTC datetime (years 1 to 9999)."""
    try:
        return _NAIVE_EPOCH + timedelta(seconds=unix)
    except OverflowError:
        raise InstantError(
            f"{unix!r} Unix seconds is outside the years 1-9999 the system time can be frozen at"
        ) from None
