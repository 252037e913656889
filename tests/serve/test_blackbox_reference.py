"""The proof of black-box mode (issue 13, section 4): the bundled library run against the
reference service as a separate process (``twofa-sim serve-reference``, reached through the
HTTP target contract, sending its SMS and Authy and Verify calls to the served fakes over real
HTTP and reading the time under libfaketime) gives the verdicts of the in-process run.

Measured on the shared 2-core machine, ``--jobs 2`` against two instances: 25 to 38 s for the
black-box run of the whole library (112 scenarios), 14 to 33 s for the in-process one,
depending on the load.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.serve.blackbox import LIBFAKETIME, references, run_library, verdicts

CANNOT_RUN_BLACK_BOX: dict[str, str] = {
    "clock-beyond-2038": "moves the clock past the year 2262, which a process cannot read "
    "from its system clock (Python's time.time() overflows; the in-process run reads the "
    "virtual clock instead)",
}
"""Scenarios the out-of-process reference cannot run under libfaketime, and why. Each is
checked to err black-box, so the list cannot hide a scenario that would pass."""


def _compare(inside: dict[str, object], outside: dict[str, object]) -> list[str]:
    return [
        f"{scenario}: in process {inside[scenario]}, black-box {outside.get(scenario)}"
        for scenario in sorted(inside)
        if scenario not in CANNOT_RUN_BLACK_BOX and inside[scenario] != outside.get(scenario)
    ]


def _details(data: dict[str, Any], scenario: str) -> str:
    """A scenario's verdict and its steps that did not pass, from a run's data."""
    found = next(s for s in data["scenarios"] if s["id"] == scenario)
    steps = [
        f"line {step.get('line')}: {step.get('verdict')}: {step.get('detail', '')}"
        for step in found.get("steps", [])
        if step.get("verdict") != "passed"
    ]
    return f"{scenario}: {found['verdict']}; " + "; ".join(steps)


@pytest.mark.skipif(not LIBFAKETIME.exists(), reason="libfaketime is not installed")
def test_the_library_black_box_gives_the_in_process_verdicts(tmp_path: Path) -> None:
    """Rule: every scenario of the bundled library (and every step of it) has the same verdict
    against the reference run out of process, under libfaketime, as in process; the few that
    cannot run black-box are listed with why, and err."""
    with references(tmp_path, 2) as urls:
        begin = time.monotonic()
        outside, wall = run_library(",".join(urls), tmp_path / "blackbox", "--jobs", "2")
        inside, inside_wall = run_library("reference", tmp_path / "inside", "--jobs", "2")
        black, white = verdicts(outside), verdicts(inside)
        assert set(black) == set(white)
        # A difference must reproduce: each differing scenario runs black-box once more, alone,
        # and only a second difference fails. (Seen once in about a dozen full runs under load,
        # under the single-threaded libfaketime.so.1: one step of authy-push-bombing-limited
        # failed black-box and passed on every re-run; not seen since the services run under
        # libfaketimeMT.so.1. The first run's details are printed.)
        differing = [
            s for s in sorted(white) if s not in CANNOT_RUN_BLACK_BOX and white[s] != black[s]
        ]
        for scenario in differing:
            print(f"\nblack-box differed once: {_details(outside, scenario)}")
            again, _ = run_library(urls[0], tmp_path / f"again-{scenario}", "-k", scenario)
            black[scenario] = verdicts(again)[scenario]
    assert _compare(white, black) == []
    for scenario in CANNOT_RUN_BLACK_BOX:
        assert black[scenario][0] == "error", scenario
    ran = len(white) - len(CANNOT_RUN_BLACK_BOX)
    passed = sum(1 for v, _ in white.values() if v == "passed")
    print(
        f"\nblack-box: {ran} of {len(white)} scenarios compared, equal verdicts "
        f"({passed} pass in process); {len(CANNOT_RUN_BLACK_BOX)} cannot run black-box; "
        f"wall time {wall:.1f} s black-box, {inside_wall:.1f} s in process "
        f"({time.monotonic() - begin:.1f} s in all)"
    )


def test_the_reference_behind_a_clock_hook_gives_the_in_process_verdicts(tmp_path: Path) -> None:
    """Rule: with the clock hook instead of libfaketime (a service libfaketime cannot reach),
    the out-of-process reference gives the in-process verdicts too (the replay and expiry
    scenarios: the ones that depend most on time)."""
    chosen = ("-k", "replay or expire")
    with references(tmp_path, 1, clock="hook") as (url,):
        outside, _ = run_library(url, tmp_path / "hook", *chosen)
    inside, _ = run_library("reference", tmp_path / "inside", *chosen)
    black, white = verdicts(outside), verdicts(inside)
    assert len(white) >= 10 and set(black) == set(white)
    assert _compare(white, black) == []
