"""Each command imports what it uses and no more (issue 16, item 24): start-up a user feels.

Measured in a fresh interpreter, since this test process has imported everything already. The
figures (CPU time against ``python -c pass``) are in ``make bench`` (benchmarks/bench_startup.py);
these tests pin the modules, which is what a figure moves with.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from twofa_sim.core.qr import render_png

URI = "otpauth://totp/ACME:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME"
SIMULATION = (
    "twofa_sim.providers",
    "twofa_sim.reference",
    "twofa_sim.world",
    "twofa_sim.scenario.loader",
    "twofa_sim.scenario.runner",
    "requests",
    "responses",
    "numpy",
    "matplotlib",
)
"""The simulation stack: what a command that only reads or renders must not load."""


def modules_after(*args: str) -> set[str]:
    """Every module loaded after running ``twofa-sim ARGS`` in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from twofa_sim.cli import main\n"
        f"code = main({list(args)!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    return set(json.loads(last))


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_version_loads_no_command() -> None:
    """`twofa-sim --version` loads click and the command line, nothing a command uses."""
    modules = modules_after("--version")
    assert loaded(modules, (*SIMULATION, "jinja2", "segno", "PIL", "twofa_sim.core")) == []


def test_report_loads_no_simulation(tmp_path: Path) -> None:
    """`twofa-sim report results.json` renders without the providers, HTTP clients, the world,
    the scenario loader or NumPy: reading a JSON file does not start a simulation."""
    from twofa_sim.cli import main

    reports = tmp_path / "reports"
    assert main(["run", "-k", "totp-replay-within-window", "--report-dir", str(reports)]) == 0
    results = reports / "latest" / "results.json"
    modules = modules_after("report", str(results), "-o", str(tmp_path / "report.html"))
    assert "jinja2" in modules  # it did render
    assert loaded(modules, SIMULATION) == []


@pytest.mark.parametrize("shape", ["text", "json"])
def test_qr_read_loads_no_qr_writer(tmp_path: Path, shape: str) -> None:
    """`twofa-sim qr read` loads the decoders but none of segno (whose writers bring urllib,
    http.client and email), and nothing of the simulation."""
    png = tmp_path / "code.png"
    png.write_bytes(render_png(URI))
    modules = modules_after("qr", "read", str(png), *(["--json"] if shape == "json" else []))
    assert "zxingcpp" in modules  # it did decode
    assert loaded(modules, ("segno", "http.client", "email", *SIMULATION)) == []
