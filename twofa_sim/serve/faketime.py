"""The virtual clock, written where libfaketime reads it, so another process follows it.

A service started under libfaketime with ``FAKETIME_TIMESTAMP_FILE=PATH`` and
``FAKETIME_NO_CACHE=1`` reads ``PATH`` on every time call. libfaketime's README (4b, 4c) gives
two absolute forms for that file's one line:

- ``start-at`` (the default): ``@YYYY-MM-DD hh:mm:ss``. The service's clock is set to that time
  when the line changes and runs on from there in real time (libfaketime 0.9.10 re-bases a
  changed start-at line; an unchanged one keeps running). Programs that measure elapsed time
  keep working; between two moves the service runs ahead of the virtual clock by the real
  seconds that passed.
- ``freeze``: ``YYYY-MM-DD hh:mm:ss``. A stopped clock at exactly the virtual time; programs
  that wait for wall time to pass may hang (start them with ``FAKETIME_DONT_FAKE_MONOTONIC=1``).

libfaketime reads the line with ``strptime`` and ``mktime``: local time. The file holds UTC, so
start the service with ``TZ=UTC``. Whole seconds only (libfaketime's default format).

libfaketime moves the monotonic clock with the file too, and a move can step it back: runtimes
whose timers read it (Node.js aborts, the JVM misbehaves) need ``FAKETIME_DONT_FAKE_MONOTONIC=1``.
"""

from __future__ import annotations

import os
from typing import Literal

from twofa_sim.core.clock import to_datetime
from twofa_sim.files import write_atomically

__all__ = ["FAKETIME_STYLES", "FaketimeFile", "FaketimeStyle", "faketime_line"]

FaketimeStyle = Literal["start-at", "freeze"]
FAKETIME_STYLES: tuple[FaketimeStyle, ...] = ("start-at", "freeze")


def faketime_line(unix: float, style: FaketimeStyle = "start-at") -> str:
    """The libfaketime timestamp line for an instant (UTC, whole seconds, rounded down).

    >>> faketime_line(1767225659.9)
    '@2026-01-01 00:00:59'
    >>> faketime_line(0, "freeze")
    '1970-01-01 00:00:00'
    """
    stamp = to_datetime(float(int(unix // 1))).strftime("%Y-%m-%d %H:%M:%S")
    return f"@{stamp}" if style == "start-at" else stamp


class FaketimeFile:
    """Writes the clock to ``path`` on every move (atomically: a reader never sees half a line)."""

    def __init__(self, path: str | os.PathLike[str], style: FaketimeStyle = "start-at") -> None:
        self.path = os.fspath(path)
        self.style: FaketimeStyle = style

    def write(self, unix: float) -> None:
        write_atomically(self.path, faketime_line(unix, self.style) + "\n")

    def __call__(self, unix: float) -> None:
        """A clock observer: the clock calls it with the new time before it moves."""
        self.write(unix)
