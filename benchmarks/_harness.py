"""Shared timing helpers for the ratio benchmarks.

A benchmark never asserts an absolute time: it measures our code and a baseline in the same
process, back to back, and reports the ratio against a target. ``best_per_call`` takes the best of
several repeats, which is the figure least disturbed by whatever else the machine is doing.
Time is read with :func:`twofa_sim.core.clock.real_monotonic`, which freezegun does not freeze.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from twofa_sim.core.clock import real_monotonic


def best_per_call(fn: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Seconds per call of ``fn``: the best of ``repeat`` runs of ``number`` calls each."""
    best = float("inf")
    for _ in range(repeat):
        start = real_monotonic()
        for _ in range(number):
            fn()
        best = min(best, real_monotonic() - start)
    return best / number


def interleaved(*fns: Callable[[], object], number: int, rounds: int = 10) -> list[float]:
    """Best seconds per call of each of ``fns``, measured in alternation.

    On a shared machine the speed drifts over seconds; alternating the contenders lets each one
    meet the same quiet moments, so one slow patch cannot make either side look better.
    """
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for index, fn in enumerate(fns):
            best[index] = min(best[index], best_per_call(fn, number=number, repeat=2))
    return best


@dataclass(frozen=True)
class Ratio:
    """One benchmark figure: ``ours`` against ``baseline`` (seconds per operation).

    ``goal="at_most"``: ours/baseline must not exceed ``target``.
    ``goal="speedup"``: baseline/ours must reach ``target`` (we must be that many times faster).
    ``goal="info"``: ours/baseline, reported for reference, with no target.
    """

    name: str
    ours: float
    baseline: float
    target: float
    goal: Literal["at_most", "speedup", "info"]
    baseline_name: str
    unit: Literal["s", "bytes", "KiB", "count"] = "s"
    """What ``ours`` and ``baseline`` count: seconds (the default), bytes, KiB, or things."""

    @property
    def value(self) -> float:
        if self.goal != "speedup":
            return self.ours / self.baseline
        return self.baseline / self.ours

    @property
    def met(self) -> bool:
        if self.goal == "info":
            return True
        if self.goal == "at_most":
            return self.value <= self.target
        return self.value >= self.target

    def line(self) -> str:
        want = {
            "at_most": f"target <= {self.target:g}x",
            "speedup": f"target >= {self.target:g}x faster",
            "info": "for reference",
        }[self.goal]
        got = f"{self.value:.1f}x faster" if self.goal == "speedup" else f"{self.value:.2f}x"
        flag = "    " if self.goal == "info" else "ok  " if self.met else "MISS"
        return (
            f"{flag} {self.name:<46} {got:>14}  ({want}; "
            f"ours {_shown(self.ours, self.unit)}, {self.baseline_name} "
            f"{_shown(self.baseline, self.unit)})"
        )


def _shown(value: float, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "KiB":
        return f"{value * 1024 / 1e6:.0f} MB"
    return f"{value * 1e3:.2f} ms" if value >= 1e-3 else f"{value * 1e6:.2f} us"
