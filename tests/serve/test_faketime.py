"""Time for another process: the virtual clock written where libfaketime reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.conftest import Served, start
from twofa_sim.errors import InputError
from twofa_sim.serve import FaketimeFile, build

LIBFAKETIME = next(
    iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))),
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
)
"""Debian's libfaketime (apt-get install libfaketime), whatever the architecture: its
thread-safe build, for services that read the time from several threads."""


def test_every_move_of_the_clock_rewrites_the_faketime_file(tmp_path: Path) -> None:
    """Rule: the file holds libfaketime's start-at line for the virtual time: at start, after
    an advance, after a set, after a reset."""
    path = tmp_path / "clock" / "faketime"
    with start(faketime_file=path) as server:
        served = Served(server)
        assert path.read_text() == "@2026-03-01 09:00:00\n"
        served.ok("POST", "/clock/advance", {"by": "5m30s"})
        assert path.read_text() == "@2026-03-01 09:05:30\n"
        served.ok("POST", "/clock/set", {"to": "2027-01-02T03:04:05.9Z"})
        assert path.read_text() == "@2027-01-02 03:04:05\n"
        served.ok("POST", "/reset")
        assert path.read_text() == "@2026-03-01 09:00:00\n"
        served.ok("POST", "/clock/advance", {"by": "1s"})
        assert path.read_text() == "@2026-03-01 09:00:01\n"


def test_the_freeze_style_writes_a_stopped_clock(tmp_path: Path) -> None:
    """Rule: the freeze style writes libfaketime's absolute form, without the '@'."""
    path = tmp_path / "faketime"
    with start(faketime_file=path, faketime_style="freeze") as server:
        Served(server).ok("POST", "/clock/advance", {"by": "1h"})
        assert path.read_text() == "2026-03-01 10:00:00\n"


def test_a_latency_fault_moves_the_file_too(tmp_path: Path) -> None:
    """Rule: time a fault spends (latency) is a move of the clock like any other."""
    path = tmp_path / "faketime"
    with start(faketime_file=path) as server:
        served = Served(server)
        served.ok("POST", "/faults", {"provider": "twilio", "kind": "latency", "seconds": "2m"})
        served.twilio().messages.list(limit=1)
        assert path.read_text() == "@2026-03-01 09:02:00\n"


def test_a_faketime_file_with_the_real_clock_is_refused(tmp_path: Path) -> None:
    """Rule: the wall clock has nothing to write: the combination is bad input, named."""
    with pytest.raises(InputError) as caught:
        build(port=0, clock="real", faketime_file=tmp_path / "f")
    assert caught.value.where == "faketime_file"


def test_an_unwritable_faketime_file_is_bad_input(tmp_path: Path) -> None:
    """Rule: a faketime path that cannot be written fails at start, located, not mid-run."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError) as caught:
        build(port=0, faketime_file=blocker / "faketime")
    assert caught.value.where == "faketime_file"


@pytest.mark.skipif(not LIBFAKETIME.exists(), reason="libfaketime is not installed")
def test_a_process_under_libfaketime_follows_the_virtual_clock(tmp_path: Path) -> None:
    """Rule: a service started under libfaketime (TZ=UTC, FAKETIME_NO_CACHE=1) reads the
    virtual time after each move: here a Python process asked for time.time()."""
    path = tmp_path / "faketime"
    script = "import sys, time\nfor line in sys.stdin:\n    print(int(time.time()), flush=True)\n"
    env = {
        **os.environ,
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(path),
        "FAKETIME_NO_CACHE": "1",
        "TZ": "UTC",
    }
    FaketimeFile(path).write(0)
    with (
        start(faketime_file=path) as server,
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        ) as child,
    ):
        assert child.stdin is not None and child.stdout is not None
        served = Served(server)
        seen = []
        for move in ("0s", "1h", "30d"):
            now = served.ok("POST", "/clock/advance", {"by": move})["now"]
            child.stdin.write("now?\n")
            child.stdin.flush()
            seen.append(int(child.stdout.readline()) - int(now))
        child.stdin.close()
        assert child.wait(timeout=30) == 0
    # The service's clock restarts from each written time (whole seconds) and runs on in real
    # time: it stays within a few seconds of the virtual clock, not hours or days.
    assert all(-2 <= drift <= 5 for drift in seen), seen
