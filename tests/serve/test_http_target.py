"""The HTTP target (``--target http://...``): a service is driven through the JSON contract, and
a service that answers outside it makes the step err with a located message, never a
traceback or a hang."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from twofa_sim.cli import main
from twofa_sim.errors import InputError
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.runner import run_scenario
from twofa_sim.scenario.target import load_target

SCENARIO = """\
id: http-contract-probe
title: A login over the HTTP contract
covers: [ASVS5-6.5.1]
given:
  start: 2026-03-01T09:00:00Z
  users: [alice]
steps:
  - advance: 90s
  - login: {user: alice, expect: logged_in}
"""


class Probe:
    """A contract service whose ``login`` answers as told; it records what it was sent."""

    def __init__(self) -> None:
        self.login: Any = {"status": "logged_in"}
        self.discovery: dict[str, Any] = {
            "contract": "twofa-sim-target/1",
            "name": "probe",
            "features": [],
            "policy_settings": [],
            "time": "hook",
        }
        self.now = 0.0
        self.seen: list[tuple[str, Any]] = []
        self.release = threading.Event()
        probe = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send(200, json.dumps(probe.discovery).encode())

            def do_POST(self) -> None:
                name = self.path.strip("/")
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                probe.seen.append((name, body))
                if name in ("clock", "reset"):
                    probe.now = body["now"]
                    self._send(200, json.dumps({"now": probe.now}).encode())
                elif name == "login":
                    answer = probe.login
                    if answer == "hang":
                        probe.release.wait(30)
                        return
                    if isinstance(answer, tuple):
                        self._send(*answer)
                    else:
                        self._send(200, json.dumps(answer).encode())
                else:
                    self._send(200, b"{}")

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def run(self, tmp_path: Path, query: str = "") -> Any:
        path = tmp_path / "probe.scenario.yaml"
        path.write_text(SCENARIO)
        (scenario,) = load_paths([path])
        return run_scenario(scenario, target=self.url + query)


@pytest.fixture
def probe() -> Iterator[Probe]:
    service = Probe()
    thread = threading.Thread(target=service.http.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield service
    finally:
        service.release.set()
        service.http.shutdown()
        thread.join()
        service.http.server_close()


def test_a_service_is_reset_per_scenario_and_told_where_the_fakes_and_the_time_are(
    probe: Probe, tmp_path: Path
) -> None:
    """Rule: before a scenario the service gets POST /reset with the served fakes' URLs and
    credentials and the virtual time; its clock hook hears every move; users are registered
    and the operation's answer is the step's."""
    result = probe.run(tmp_path)
    assert result.verdict == "passed", result.detail
    names = [name for name, _ in probe.seen]
    assert names[names.index("reset") :][:2] == ["reset", "register"]
    reset = dict(probe.seen)["reset"]
    assert reset["fakes"]["twilio"]["base_url"].startswith("http://127.0.0.1:")
    assert reset["fakes"]["twilio"]["base_url"].endswith("/twilio")
    assert reset["now"] == 1772355600.0 and reset["iso"] == "2026-03-01T09:00:00Z"
    clock = [body["now"] for name, body in probe.seen if name == "clock"]
    assert 1772355690.0 in clock  # the advance: 90s, told before the login
    assert dict(probe.seen)["register"]["user"] == "alice"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((200, b"<html>oops</html>"), "the answer is not JSON: '<html>oops</html>'"),
        ({"status": 42}, "field 'status' must be a string, got a number"),
        (
            {"status": "maybe"},
            "field 'status' must be 'logged_in', 'second_factor' or 'refused', got 'maybe'",
        ),
        ((500, b"Internal Server Error"), "answered HTTP 500: Internal Server Error"),
        ([1, 2], "expected a JSON object, got a list"),
        ({"refused": {"kind": "nope"}}, "refused: field 'kind' must be 'retry_later'"),
    ],
)
def test_an_answer_outside_the_contract_errs_the_step_naming_the_request(
    probe: Probe, tmp_path: Path, answer: Any, message: str
) -> None:
    """Rule: a wrong answer is the step's error, naming the request and what was wrong (not a
    traceback, not a verdict about the service)."""
    probe.login = answer
    result = probe.run(tmp_path)
    assert result.verdict == "error"
    step = next(s for s in result.steps if s.action == "login")
    assert step.verdict == "error"
    assert step.detail.startswith(f"POST {probe.url}/login") and message in step.detail, step.detail


def test_a_service_that_does_not_answer_errs_within_the_timeout(
    probe: Probe, tmp_path: Path
) -> None:
    """Rule: no answer is an error after the timeout (?timeout=S), never a hang."""
    probe.login = "hang"
    result = probe.run(tmp_path, "?timeout=0.5")
    assert result.verdict == "error"
    assert "/login: no answer within 0.5 s" in result.detail


def test_a_refusal_is_the_refusal_a_python_adapter_raises(probe: Probe, tmp_path: Path) -> None:
    """Rule: {"refused": {"kind": "retry_later", "reason": "locked"}} is a refusal with that
    reason (the scenario expected logged_in: it fails, as it would in process)."""
    probe.login = {"refused": {"kind": "retry_later", "reason": "locked", "retry_after": 60}}
    result = probe.run(tmp_path)
    assert result.verdict == "failed"
    assert "locked" in result.detail


def test_a_service_declaring_features_gets_unsupported_steps(probe: Probe, tmp_path: Path) -> None:
    """Rule: discovery's declarations are the target's: a scenario setting a policy the
    service does not honour is not_applicable, before anything runs."""
    (tmp_path / "p.scenario.yaml").write_text(
        SCENARIO.replace("  users: [alice]", "  users: [alice]\n  policy: {resend_cooldown: 5s}")
    )
    (scenario,) = load_paths([tmp_path / "p.scenario.yaml"])
    result = run_scenario(scenario, target=probe.url + "/?x=1")
    assert result.verdict == "not_applicable"
    assert "resend_cooldown" in result.detail


def test_discovery_problems_are_bad_input_naming_the_target(probe: Probe) -> None:
    """Rule: a service that is down, or is not a contract layer, is bad input at --target."""
    probe.discovery["contract"] = "something-else/2"
    with pytest.raises(InputError) as caught:
        load_target(probe.url + "/wrong-contract")
    assert caught.value.where == "--target"
    assert "contract must be 'twofa-sim-target/1'" in str(caught.value)
    probe.discovery["contract"] = "twofa-sim-target/1"
    probe.discovery["time"] = "faketime"
    with pytest.raises(InputError, match="no faketime_file"):
        load_target(probe.url + "/no-file")


def test_run_against_a_closed_port_is_exit_2_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rule: nothing listening is one line on stderr naming --target, exit 2, no traceback."""
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    capsys.readouterr()
    code = main(["run", "--target", f"http://127.0.0.1:{port}", "-k", "replay"])
    err = capsys.readouterr().err
    assert code == 2
    (line,) = err.strip().splitlines()
    assert "--target: GET http://127.0.0.1:" in line and "cannot connect" in line


def test_a_service_on_another_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """Rule: the served fakes listen on loopback, so a service elsewhere is bad input."""
    capsys.readouterr()
    code = main(["run", "--target", "http://192.0.2.1:3000"])
    err = capsys.readouterr().err
    assert code == 2 and "not a loopback address" in err


def test_a_service_whose_clock_does_not_follow_is_told_how_to_start_it(
    probe: Probe, tmp_path: Path
) -> None:
    """Rule: the service's answer to reset says what its clock reads; far from the virtual
    time, the scenario errs before any step, saying how time reaches the service."""
    probe.discovery["name"] = "probe-wrong-clock"
    original = probe.http.RequestHandlerClass.do_POST

    def stale_clock(handler: Any) -> None:
        if handler.path.strip("/") == "reset":
            handler.rfile.read(int(handler.headers["Content-Length"]))
            handler._send(200, json.dumps({"now": 0}).encode())
        else:
            original(handler)

    probe.http.RequestHandlerClass.do_POST = stale_clock  # type: ignore[method-assign]
    result = probe.run(tmp_path, "?clock=stale")
    assert result.verdict == "error"
    # A setup error is masked for codes, but the address and the times stay readable.
    assert f"POST {probe.url}/reset: the service's clock reads 1970-01-01" in result.detail
    assert "2026-03-01" in result.detail
    assert "is it following its clock hook" in result.detail


def test_the_contract_document_lists_every_operation_the_target_speaks() -> None:
    """Rule: the shipped OpenAPI document and the HTTP target agree on the operations, the
    reasons and the contract's name; serve-reference answers every operation."""
    from twofa_sim.scenario.target import REASONS
    from twofa_sim.scenario.targets.http import CONTRACT, OPERATIONS
    from twofa_sim.serve import refservice

    document = json.loads(
        (Path(__file__).parents[2] / "twofa_sim/data/target-contract.openapi.json").read_text()
    )
    assert document["info"]["version"] == CONTRACT == refservice.CONTRACT
    assert set(document["paths"]) == {"/"} | {f"/{name}" for name in OPERATIONS}
    assert set(document["components"]["schemas"]["Reason"]["enum"]) == set(REASONS)
    assert set(OPERATIONS) - {"reset", "clock"} == refservice.OPERATIONS


def test_serve_reference_under_the_system_clock_needs_libfaketime(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule: --clock system without FAKETIME_TIMESTAMP_FILE would read the wall clock: bad
    input, one line naming --clock, exit 2."""
    monkeypatch.delenv("FAKETIME_TIMESTAMP_FILE", raising=False)
    capsys.readouterr()
    code = main(["serve-reference", "--port", "0", "--clock", "system"])
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "--clock: FAKETIME_TIMESTAMP_FILE is not set" in line


def test_a_service_gets_the_policy_overrides_checked_and_in_seconds(
    probe: Probe, tmp_path: Path
) -> None:
    """Rule (issue 11 §6): a service behind the contract never parses the scenario's duration
    syntax: reset carries given.policy as read at load, ``5m`` as 300 seconds."""
    probe.discovery["policy_settings"] = ["login_ttl", "totp"]
    path = tmp_path / "policy.scenario.yaml"
    path.write_text(
        SCENARIO.replace(
            "  users: [alice]\n",
            "  users: [alice]\n"
            "  policy: {login_ttl: 5m, totp: {steps_back: 2, steps_forward: 2}}\n",
        )
    )
    (scenario,) = load_paths([path])
    result = run_scenario(scenario, target=probe.url)
    assert result.verdict == "passed", result.detail
    reset = dict(probe.seen)["reset"]
    assert reset["policy"] == {"login_ttl": 300.0, "totp": {"steps_back": 2, "steps_forward": 2}}


def test_a_service_may_name_the_reasons_it_tells_apart(probe: Probe) -> None:
    """Rule: discovery's reports_reasons takes true, false or a list of the vocabulary's
    reasons (checked: a reason that is not one is bad input naming it)."""
    probe.discovery["reports_reasons"] = ["throttled", "locked"]
    assert load_target(probe.url + "/some").reports_reasons == {"throttled", "locked"}
    probe.discovery["reports_reasons"] = ["throttled", "too_many"]
    with pytest.raises(InputError, match="'too_many' is not one"):
        load_target(probe.url + "/unknown")
