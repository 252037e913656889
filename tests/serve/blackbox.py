"""Helpers for the black-box tests: services started as processes (under libfaketime or with a
clock hook), and runs of the library against them through the command line."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LIBFAKETIME = next(
    iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))),
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
)
"""Debian's libfaketime (apt-get install libfaketime), whatever the architecture: its
thread-safe build, for services that read the time from several threads."""
SIM = [sys.executable, "-m", "twofa_sim"]


def faketime_env(path: Path) -> dict[str, str]:
    """The environment of a process whose clock is the faketime file at ``path`` (a stopped
    clock, to the microsecond: what the HTTP target writes)."""
    path.write_text("2026-03-01 09:00:00\n")
    return {
        **os.environ,
        "TZ": "UTC",
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(path),
        "FAKETIME_NO_CACHE": "1",
    }


@contextmanager
def started(
    command: Sequence[str], env: dict[str, str], pattern: str, *, wait: float = 60.0
) -> Iterator[str]:
    """Start ``command``; yield the first match of ``pattern`` (group 1) in its output (the
    URL it listens on); stop it (SIGTERM, then SIGKILL) afterwards."""
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + wait
        seen = b""
        found = None
        while found is None:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise AssertionError(f"{command[0]} did not start: {seen.decode()!r}")
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"{command[0]} ended: {seen.decode()!r}")
            seen += chunk
            found = re.search(pattern, seen.decode("utf-8", "replace"))
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def references(tmp_path: Path, count: int, clock: str = "system") -> Iterator[list[str]]:
    """``count`` serve-reference processes (under libfaketime for ``system``); their URLs."""
    with ExitStack() as stack:
        urls = []
        for index in range(count):
            env = (
                faketime_env(tmp_path / f"ref{index}.time")
                if clock == "system"
                else dict(os.environ)
            )
            urls.append(
                stack.enter_context(
                    started(
                        [*SIM, "serve-reference", "--port", "0", "--clock", clock],
                        env,
                        r"reference service on (http://127\.0\.0\.1:\d+)",
                    )
                )
            )
        yield urls


def run_library(
    target: str, report_dir: Path, *args: str, timeout: float = 600
) -> tuple[dict[str, Any], float]:
    """``twofa-sim run --target TARGET --json ...``: the run's data and its wall time."""
    begin = time.monotonic()
    done = subprocess.run(
        [*SIM, "run", "--target", target, "--report-dir", str(report_dir), "--json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    wall = time.monotonic() - begin
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(done.stdout), wall


def verdicts(data: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each scenario's verdict and its steps' verdicts."""
    return {
        s["id"]: (s["verdict"], tuple(step["verdict"] for step in s.get("steps", [])))
        for s in data["scenarios"]
    }
