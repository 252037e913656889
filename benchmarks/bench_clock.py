"""Advancing the virtual clock against freezegun's ``tick`` (target: at least 10x faster).

Both move time by one second. freezegun's ``tick`` is what a test that freezes time per test uses
to move it; ours is :meth:`VirtualClock.advance`, alone and with the freezegun bridge following it
(where each move also updates the frozen system time).
"""

from __future__ import annotations

from functools import partial

import freezegun

from benchmarks._harness import Ratio, interleaved
from twofa_sim.core.clock import VirtualClock, frozen_system_time

NUMBER = 10_000


def run() -> list[Ratio]:
    clock = VirtualClock(1_700_000_000)
    bridged_clock = VirtualClock(1_700_000_000)
    with freezegun.freeze_time("2026-01-01") as frozen:
        plain, tick = interleaved(
            partial(clock.advance, 1.0), partial(frozen.tick, 1.0), number=NUMBER
        )
    # The bridge owns the freeze, so its figure is taken against the tick measured just above.
    with frozen_system_time(bridged_clock):
        (bridged,) = interleaved(partial(bridged_clock.advance, 1.0), number=NUMBER)
    return [
        Ratio("VirtualClock.advance", plain, tick, 10, "speedup", "freezegun tick"),
        Ratio("VirtualClock.advance inside the bridge", bridged, tick, 0, "info", "freezegun tick"),
    ]
