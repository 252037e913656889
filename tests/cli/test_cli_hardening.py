"""Hostile input and killed runs (issue 16, items 3, 4, 7 and 8): one located line and exit 2 in
bounded time and memory, and no process left behind.

The kill tests start a real `twofa-sim run --jobs 2` whose target never answers
(tests/cli/hang_target.py), wait (polling, with a deadline) until both workers are busy, then
kill or stop the parent and wait, again with a deadline, for every worker to be gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0
"""Seconds a test waits for a process to start or end before it fails."""


def wait_until(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``deadline`` seconds."""
    tick = threading.Event()
    waited = 0.0
    while not condition():
        if waited >= deadline:
            pytest.fail(f"{what}: not after {deadline:g} s")
        tick.wait(0.02)
        waited += 0.02


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan's zombie waits for PID 1 to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@contextlib.contextmanager
def hung(tmp_path: Path, jobs: int) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """A `twofa-sim run --jobs JOBS` with every worker stuck in the target: the parent and the
    workers' process ids (none with one job: the parent runs the scenarios itself). Whatever
    the test does, every one of them is gone afterwards."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see processes")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "TWOFA_SIM_HANG_DIR": str(marks), "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [
            sys.executable, "-m", "twofa_sim", "run", "scenarios",
            "--jobs", str(jobs), "--target", "tests.cli.hang_target:Hang",
            "--report-dir", str(tmp_path / "reports"),
        ],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers: list[int] = []
    try:
        wait_until(lambda: len(list(marks.iterdir())) >= jobs, f"{jobs} worker(s) busy")
        workers = sorted(int(p.name) for p in marks.iterdir() if int(p.name) != parent.pid)
        yield parent, workers
    finally:
        for pid in [parent.pid, *workers]:  # only what this test started, by its id
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        parent.communicate(timeout=DEADLINE)


@pytest.fixture
def hung_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """:func:`hung` with two workers."""
    with hung(tmp_path, 2) as (parent, workers):
        assert len(workers) == 2
        yield parent, workers


def test_workers_exit_when_the_parent_is_killed(
    hung_run: tuple[subprocess.Popen[str], list[int]],
) -> None:
    """Item 3: SIGKILL to the parent of `run --jobs 2` (no handler runs, no goodbye): both
    workers notice their parent is gone and exit, instead of waiting under PID 1 for ever."""
    parent, workers = hung_run
    parent.kill()
    parent.wait(timeout=DEADLINE)
    wait_until(lambda: not any(alive(pid) for pid in workers), "workers gone after SIGKILL")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_cleanly(
    hung_run: tuple[subprocess.Popen[str], list[int]], signum: int, code: int
) -> None:
    """Item 3: SIGTERM or SIGINT stops the run: the workers are stopped, the parent exits 128 +
    the signal with one line saying so and where the finished scenarios are, no traceback."""
    parent, workers = hung_run
    parent.send_signal(signum)
    _, err = parent.communicate(timeout=DEADLINE)
    assert parent.returncode == code, err
    assert f"interrupted by {signal.Signals(signum).name}" in err
    assert re.search(r"stopped after 0 of \d+ scenarios", err) and "results.jsonl" in err
    assert "Traceback" not in err and err.count("\n") == 1
    wait_until(lambda: not any(alive(pid) for pid in workers), "workers gone after the signal")


def test_sigterm_stops_a_run_in_one_process(tmp_path: Path) -> None:
    """Item 3, without --jobs: SIGTERM in the middle of a scenario stops the run the same way
    (exit 143, one line), though the scenario's own code was running."""
    with hung(tmp_path, 1) as (parent, _):
        parent.send_signal(signal.SIGTERM)
        _, err = parent.communicate(timeout=DEADLINE)
    assert parent.returncode == 143, err
    assert re.search(r"interrupted by SIGTERM: stopped after 0 of \d+ scenarios", err)
    assert "Traceback" not in err and err.count("\n") == 1


# --- unbounded input, devices and loops ------------------------------------------------------


def one_line_exit_2(result: object, *needles: str) -> None:
    code, err = getattr(result, "code", None), getattr(result, "err", "")
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


def test_code_secret_from_dev_zero_is_capped() -> None:
    """Item 4: `code --secret - < /dev/zero` reads at most 64 KiB and exits 2 at once."""
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [sys.executable, "-m", "twofa_sim", "code", "--secret", "-"],
            stdin=zero, capture_output=True, text=True, timeout=DEADLINE, check=False, cwd=ROOT,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "larger than 64 KiB" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["report", "/dev/zero"],
        ["report", "render", "/dev/zero", "--format", "md"],
        ["report", "diff", "/dev/zero", "/dev/zero"],
    ],
)
def test_report_refuses_a_device(run: Run, args: list[str]) -> None:
    """Item 4: `report /dev/zero` and `report diff /dev/zero X` refuse the device in one line
    instead of reading until memory runs out."""
    one_line_exit_2(run(*args), "/dev/zero", "not a regular file")


def test_run_refuses_a_device(run: Run) -> None:
    """Item 8: `run /dev/zero` says the path is not a regular file, not that it is missing."""
    result = run("run", "/dev/zero")
    one_line_exit_2(result, "/dev/zero", "not a regular file")
    assert "no such file" not in result.err


def test_skew_population_refuses_a_device(run: Run) -> None:
    """Item 8: `skew --population /dev/zero` says not a regular file."""
    result = run("skew", "--population", "/dev/zero")
    one_line_exit_2(result, "--population", "not a regular file")
    assert "no such file" not in result.err


def test_report_verify_refuses_what_is_not_a_directory(run: Run, tmp_path: Path) -> None:
    """Item 8: `report verify /dev/zero` says what it is (not a regular file nor a directory);
    only a missing path is "no such" one."""
    result = run("report", "verify", "/dev/zero")
    one_line_exit_2(result, "/dev/zero", "not a regular file")
    assert "no such" not in result.err
    one_line_exit_2(run("report", "verify", str(tmp_path / "gone")), "no such")


def test_qr_make_into_a_symlink_loop_is_bad_input(run: Run, tmp_path: Path) -> None:
    """Item 7: `qr make ... -o a` where a is a symlink loop: exit 2, one located line (it was
    exit 3, RuntimeError)."""
    loop = tmp_path / "a"
    loop.symlink_to(loop)
    uri = "otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME"
    one_line_exit_2(run("qr", "make", uri, "-o", str(loop)), "--output", "symlink loop")
    two = tmp_path / "b"
    two.symlink_to(tmp_path / "c")
    (tmp_path / "c").symlink_to(two)
    one_line_exit_2(run("qr", "make", uri, "-o", str(two)), "--output", "symlink loop")


def test_a_plot_into_a_symlink_loop_is_bad_input(run: Run, tmp_path: Path) -> None:
    """Item 7, the same for `skew --plot`: refused before anything is computed."""
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    one_line_exit_2(run("skew", "--plot", str(loop)), "--plot", "symlink loop")
