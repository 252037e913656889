"""serve() as a process: prints where it listens, serves, stops cleanly on SIGTERM / Ctrl-C;
bad input is a located InputError before anything listens."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.serve.conftest import WORLD
from twofa_sim.errors import InputError
from twofa_sim.serve import build, load_world

_SCRIPT = "from twofa_sim.serve import serve\nraise SystemExit(serve(port=0, seed=3))\n"


def _announcement(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """What serve prints on start (one print: once the first byte is there, all of it is)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "serve printed nothing"
    lines = [process.stdout.readline()]
    if not lines[0]:  # it exited: say why
        assert process.stderr is not None
        raise AssertionError(f"serve exited at start: {process.stderr.read()[-3000:]}")
    while lines[-1] and not lines[-1].startswith("Ctrl-C"):
        lines.append(process.stdout.readline())
    return "".join(lines)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_and_stops_cleanly_on_a_signal(stop: signal.Signals) -> None:
    """Rule: the first line names the base URL; SIGTERM or Ctrl-C (SIGINT) ends the process
    with status 0 and no traceback, even with a keep-alive connection open."""
    with subprocess.Popen(
        [sys.executable, "-c", _SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    ) as process:
        try:
            announced = _announcement(process)
            found = re.search(
                r"^twofa-sim serve: listening on (http://127\.0\.0\.1:\d+) ", announced
            )
            assert found, announced
            session = requests.Session()  # keeps its connection open
            clock = session.get(f"{found.group(1)}/_twofa/clock", timeout=10).json()
            assert clock["mode"] == "virtual"
            process.send_signal(stop)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and out.strip() == "twofa-sim serve: stopped"
    assert f"{found.group(1)}/twilio" in announced and f"{found.group(1)}/authy" in announced


def test_a_scenario_file_serves_its_given_world(tmp_path: Path) -> None:
    """Rule: --world takes a world description, or a scenario file whose given: is one."""
    path = tmp_path / "scenario.yaml"
    path.write_text(json.dumps({"name": "x", "given": WORLD, "steps": []}))
    assert load_world(path) == WORLD
    with build(port=0, world_description=path, seed=11) as server:
        world = requests.get(f"{server.base_url}/_twofa/world", timeout=10).json()
        assert world["seed"] == 11 and [p["number"] for p in world["phones"]] == [
            p["number"] for p in WORLD["phones"]
        ]


def test_a_bad_world_file_names_the_file_and_field(tmp_path: Path) -> None:
    """Rule: a world file error names the file (and line for YAML, field for content)."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("phones: [\n")
    with pytest.raises(InputError) as caught:
        build(port=0, world_description=broken)
    assert caught.value.where.startswith(f"{broken}:")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("phones:\n  - number: 12\n")
    with pytest.raises(InputError) as caught:
        build(port=0, world_description=wrong)
    assert caught.value.where == f"{wrong}.phones[0].number"


def test_freezing_the_servers_own_time_is_refused() -> None:
    """Rule: freeze_system_time would freeze the server, not the service under test: refused
    with a hint towards --faketime-file."""
    with pytest.raises(InputError) as caught:
        build(port=0, world_description={"freeze_system_time": True})
    assert "faketime" in caught.value.hint


def test_a_port_in_use_is_bad_input() -> None:
    """Rule: a port another process holds is a located error, not a traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(InputError) as caught:
            build(port=port)
    assert caught.value.where == "port"


def test_an_empty_token_is_refused() -> None:
    """Rule: --token '' would guard nothing: refused."""
    with pytest.raises(InputError):
        build(port=0, token=" ")


def test_the_world_file_is_read_with_a_cap(tmp_path: Path) -> None:
    """Rule: a world file is read bounded (a huge file is refused, not loaded)."""
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as out:
        out.truncate(2 * 1024 * 1024)
    with pytest.raises(InputError):
        load_world(huge)
    assert os.path.getsize(huge) == 2 * 1024 * 1024
