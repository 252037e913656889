"""Start-up a user feels (issue 16, item 24): a command's wall time against ``python -c pass``.

Three commands, each run as a fresh process the way a user (or a script in a loop) runs it, and
``python -c pass`` with the same interpreter, measured in alternation, best of several rounds.
The figure is the child's CPU time (user + system, from ``getrusage``), not its wall time: on a
shared machine the wall time of a 50 ms process is mostly the queue for a core, while the CPU
time is what the process itself costs, and what a user waits for on a quiet machine.

* ``twofa-sim --version``: the command line itself (click and the group), nothing else;
* ``twofa-sim report results.json -o report.html``: reads one JSON file and renders it (jinja2),
  with no provider, no HTTP client, no scenario loader, no JSON Schema validator, no NumPy;
* ``twofa-sim qr read code.png``: the two decoders (PIL, zbar, zxing-cpp), none of segno's
  writers (which would pull in urllib, http.client and email).

Each figure is the ratio of the command's time to the bare interpreter's; the targets leave
room for a slower machine, and catch an import that creeps back into a command's path (a
scenario stack import costs the report a 3x to 5x more).
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._harness import Ratio

ROUNDS = 10
URI = "otpauth://totp/ACME:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME"
TARGETS = {"--version": 10.0, "report": 40.0, "qr read": 25.0}
"""Most a command may take, as a multiple of ``python -c pass`` (about 13 ms of CPU). Measured on
the development machine (two shared cores, load 9 to 17): 6.5-7.8x, 20-29x and 15-20x. The
report's share is mostly its JSON Schema check of the results and the template's compilation,
not imports; the scenario stack, if it crept back in, would add some 25x to 40x; segno's writers
add about 3x to ``qr read`` (tests/cli/test_cli_imports.py guards each command's imports
exactly)."""


def _command() -> list[str]:
    """``twofa-sim`` beside this interpreter (the console script), else ``python -m``."""
    script = Path(sys.executable).parent / "twofa-sim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "twofa_sim"]


def _cpu_seconds(argv: list[str]) -> float:
    """User + system CPU seconds of one run of ``argv`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best_cpu(commands: list[list[str]], rounds: int) -> list[float]:
    """The least CPU time of each command over ``rounds`` rounds, the commands alternating."""
    best = [float("inf")] * len(commands)
    for _ in range(rounds):
        for index, argv in enumerate(commands):
            best[index] = min(best[index], _cpu_seconds(argv))
    return best


def _inputs(work: Path) -> tuple[Path, Path]:
    """A results.json (the TOTP scenarios of the library) and a QR code PNG, made once."""
    from twofa_sim.core.qr import render_png

    png = work / "code.png"
    png.write_bytes(render_png(URI))
    reports = work / "reports"
    subprocess.run(
        [*_command(), "run", "--tag", "totp", "--report-dir", str(reports)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    found = sorted(reports.glob("*/results.json"))
    if not found:
        raise SystemExit("bench_startup: `twofa-sim run --tag totp` wrote no results.json")
    return found[0], png


def run() -> list[Ratio]:
    work = Path(tempfile.mkdtemp(prefix="twofa-bench-startup-"))
    try:
        results, png = _inputs(work)
        base = _command()
        commands = {
            "--version": [*base, "--version"],
            "report": [*base, "report", str(results), "-o", str(work / "report.html")],
            "qr read": [*base, "qr", "read", str(png)],
        }
        times = best_cpu([[sys.executable, "-c", "pass"], *commands.values()], ROUNDS)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [
        Ratio(
            f"start-up: twofa-sim {name}",
            ours,
            times[0],
            TARGETS[name],
            "at_most",
            "python -c pass",
        )
        for name, ours in zip(commands, times[1:], strict=True)
    ]
