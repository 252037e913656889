"""``twofa-sim serve`` on the command line: bad input is one line and exit 2; a signal stops
it with exit 0."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.serve.test_entry import _announcement
from twofa_sim.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["serve", "--port", "0", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_faketime_file_with_the_real_clock_is_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Rule: contradictory options are one line on stderr naming the option, exit 2."""
    code, out, err = _run(capsys, "--clock", "real", "--faketime-file", str(tmp_path / "f"))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("twofa-sim serve: error: --faketime-file: ")


def test_a_bad_world_file_is_exit_2_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Rule: a world file with a bad field is one located line, before anything listens."""
    world = tmp_path / "world.yaml"
    world.write_text("phones:\n  - number: '12'\n")
    code, _, err = _run(capsys, "--world", str(world))
    assert code == 2
    (line,) = err.splitlines()
    assert f"{world}.phones[0].number" in line and "E.164" in line


def test_the_token_can_come_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule: --token - reads the token from stdin (out of shell history); an empty one is
    refused."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    code, _, err = _run(capsys, "--token", "-")
    assert code == 2 and "--token" in err


def test_the_command_serves_until_sigterm(tmp_path: Path) -> None:
    """Rule: `twofa-sim serve` prints its URL, serves the token-guarded control API, and a
    SIGTERM ends it with exit 0 and no traceback."""
    with subprocess.Popen(
        [sys.executable, "-m", "twofa_sim", "serve", "--port", "0", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TWOFA_SIM_SERVE_TOKEN": "t0ken"},
    ) as process:
        try:
            announced = _announcement(process)
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+) ", announced)
            assert found, announced
            url = f"{found.group(1)}/_twofa/world"
            assert requests.get(url, timeout=10).status_code == 401
            world = requests.get(url, headers={"Authorization": "Bearer t0ken"}, timeout=10)
            assert world.json()["seed"] == 5
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0 and "Traceback" not in err
