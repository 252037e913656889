"""Running scenarios: verdicts, located failures, captures, repeat, properties, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run, run  # noqa: F401 - the CLI fixture
from tests.scenario.conftest import Write
from twofa_sim.scenario.loader import load_scenarios
from twofa_sim.scenario.results import run_all
from twofa_sim.scenario.runner import ScenarioResult, run_scenario
from twofa_sim.scenario.target import TargetContext

HEAD = """
id: t
title: T
given:
  start: 2026-03-01T09:00:00Z
  users: [alice]
  phones:
    - {number: "+15551230001", apps: [google-authenticator]}
steps:
"""

SMS_ON = """
  - submit_phone:
  - advance: 5s
  - enter_code:
"""

TOTP_ON = """
  - generate_qr:
  - scan_qr:
  - confirm_app:
  - advance: 30s
"""


def one(write: Write, steps: str, target: str = "reference", seed: int = 0) -> ScenarioResult:
    (scenario,) = load_scenarios(write(HEAD + steps))
    return run_scenario(scenario, target=target, seed=seed)


def test_a_passing_scenario_records_every_step_with_its_virtual_time(write: Write) -> None:
    result = one(write, SMS_ON + "  - expect_account: {two_factor: true, factors: [sms]}\n")
    assert result.verdict == "passed"
    assert [s.action for s in result.steps] == [
        "submit_phone",
        "advance",
        "enter_code",
        "expect_account",
    ]
    assert [s.t for s in result.steps] == ["2026-03-01T09:00:00Z"] * 2 + [
        "2026-03-01T09:00:05Z"
    ] * 2
    assert [s.line for s in result.steps] == [10, 11, 12, 13]
    sms = [e for e in result.steps[2].evidence if e["kind"] == "sms"]
    assert sms and "••••••" in sms[0]["text"]


def test_a_wrong_expectation_fails_at_its_line_with_expected_and_actual(write: Write) -> None:
    result = one(write, SMS_ON + "  - enter_code: {expect: accepted}\n  - advance: 1s\n")
    assert result.verdict == "failed"
    failed = result.failed_step
    assert failed is not None
    assert (failed.line, failed.action) == (13, "enter_code")
    assert (failed.expected, failed.actual) == ("accepted", "rejected (replayed)")
    assert result.steps[-1].verdict == "skipped"
    assert result.context, "the world's last events are kept for a failure"


def test_an_action_refused_without_expect_fails(write: Write) -> None:
    result = one(write, "  - submit_phone: {phone: '+1555'}\n")
    assert result.verdict == "failed"
    assert "submit_phone was refused: rejected (invalid_input)" in result.detail


def test_a_refusal_can_be_expected_with_its_reason(write: Write) -> None:
    result = one(write, SMS_ON + "  - enter_code: {expect: replayed}\n")
    assert result.verdict == "passed"


def test_captures_carry_codes_between_steps(write: Write) -> None:
    steps = (
        SMS_ON
        + TOTP_ON
        + """
  - read_code: {from: totp, capture: old}
  - login_with: {factor: totp}
  - advance: 5s
  - login:
  - submit_code: {factor: totp, code: "{old}", expect: replayed}
"""
    )
    assert one(write, steps).verdict == "passed"


def test_repeat_names_the_round_that_failed(write: Write) -> None:
    steps = (
        SMS_ON
        + TOTP_ON
        + """
  - repeat:
      times: 12
      steps:
        - advance: 20m
        - login:
        - submit_code: {factor: totp, code: "000000", expect: wrong_code}
"""
    )
    result = one(write, steps)
    assert result.verdict == "failed"
    repeat = next(s for s in result.steps if s.action == "repeat")
    # ten wrong codes lock the account (the default limit): the 11th login is refused
    assert repeat.detail.startswith("round 11 of 12: login was refused"), repeat.detail
    assert repeat.actual.startswith("rejected (locked)")


def test_a_step_needing_a_feature_the_target_lacks_is_unsupported_and_says_so(
    write: Write,
) -> None:
    """A missing audit log is a finding (unsupported), not a wrong answer; the checks after it
    still run and decide the scenario."""
    steps = SMS_ON + "  - expect_audit: {event: two_factor.enabled}\n"
    result = one(write, steps, "pyotp-naive")
    assert result.verdict == "unsupported"
    assert "target pyotp-naive does not provide audit" in result.detail
    assert [s.verdict for s in result.steps][-1] == "unsupported"
    failing = one(write, steps + "  - expect_account: {two_factor: false}\n", "pyotp-naive")
    assert failing.verdict == "failed"
    assert [s.verdict for s in failing.steps][-2:] == ["unsupported", "failed"]


def test_a_failed_expectation_does_not_hide_the_checks_after_it(write: Write) -> None:
    """Expectations are soft: a failed one is recorded and the independent checks after it
    still run (an action that fails still stops the scenario)."""
    steps = (
        SMS_ON + "  - expect_account: {two_factor: false}\n  - expect_account: {two_factor: true}\n"
    )
    result = one(write, steps)
    assert result.verdict == "failed"
    assert [s.verdict for s in result.steps][-2:] == ["failed", "passed"]
    assert "two-factor" in result.detail


def test_the_naive_target_fails_on_a_replayed_sms_code(write: Write) -> None:
    steps = SMS_ON + "  - enter_code: {expect: rejected}\n"
    assert one(write, steps).verdict == "passed"
    naive = one(write, steps, "pyotp-naive")
    assert (naive.verdict, naive.failed_step and naive.failed_step.actual) == (
        "failed",
        "accepted",
    )


def test_the_same_seed_gives_byte_identical_results(write: Write) -> None:
    path = write(HEAD + SMS_ON + TOTP_ON + "  - login_with: {factor: totp}\n")
    scenarios = load_scenarios(path)
    texts = [json.dumps(run_all(scenarios, seed=s).as_dict()) for s in (5, 5, 6)]
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


def test_no_code_or_secret_reaches_the_results(write: Write) -> None:
    steps = (
        SMS_ON
        + TOTP_ON
        + """
  - read_code: {from: totp, capture: c}
  - login: {password: wrong, expect: bad_credentials}
  - login:
  - submit_code: {factor: totp, code: "{c}"}
  - login:
  - submit_code: {factor: totp, code: "{c}", expect: accepted}
"""
    )
    result = one(write, steps)
    assert result.verdict == "failed"  # the replay, expected accepted: its detail shows values
    text = json.dumps(result.as_dict())
    assert len(result.secrets) >= 3
    for secret in result.secrets:
        assert secret not in text, secret


@pytest.mark.parametrize("target", ["reference", "pyotp-naive"])
def test_a_property_shrinks_to_the_smallest_counterexample(write: Write, target: str) -> None:
    """for_all: phones 0 to 200 s fast; a login fails past the window, and hypothesis shrinks
    the offset to the smallest one that fails (the window's edge), reported with the seed."""
    text = HEAD.replace(
        "given:", "for_all:\n  offset: {between: [0s, 200s]}\nexamples: 30\ngiven:"
    ).replace("apps: [google-authenticator]}", 'apps: [google-authenticator], offset: "{offset}"}')
    text += TOTP_ON.replace("  - confirm_app:\n", "  - confirm_app: {expect: rejected}\n") + (
        "  - expect_account: {two_factor: false}\n"
    )
    (scenario,) = load_scenarios(write(text))
    result = run_scenario(scenario, target=target, seed=3)
    assert result.verdict == "failed"
    assert result.counterexample is not None
    offset = result.counterexample["offset"]
    assert 0 <= offset <= 31, offset  # codes up to one step ahead are accepted: fails early
    assert "smallest counter-example" in result.detail
    assert result.examples is not None and result.examples >= 1


def test_a_property_that_holds_passes_with_the_examples_counted(write: Write) -> None:
    text = HEAD.replace(
        "given:", "for_all:\n  offset: {between: [-29s, 29s]}\nexamples: 8\ngiven:"
    ).replace("apps: [google-authenticator]}", 'apps: [google-authenticator], offset: "{offset}"}')
    (scenario,) = load_scenarios(write(text + TOTP_ON + "  - login_with: {factor: totp}\n"))
    result = run_scenario(scenario, seed=1)
    assert (result.verdict, result.examples) == ("passed", 8)


def test_a_restart_with_sqlite_keeps_the_lockout(write: Write) -> None:
    text = HEAD.replace(
        "given:", "given:\n  store: sqlite\n  policy: {max_consecutive_failures: 3}"
    )
    steps = (
        TOTP_ON
        + """
  - repeat:
      times: 3
      steps:
        - advance: 20s
        - login:
        - submit_code: {factor: totp, code: "000000", expect: rejected}
  - restart:
  - login: {expect: locked}
  - expect_account: {locked: true}
"""
    )
    (scenario,) = load_scenarios(write(text + steps))
    assert run_scenario(scenario).verdict == "passed"


def test_results_json_has_the_documented_shape(write: Write, tmp_path: Path) -> None:
    (scenario,) = load_scenarios(
        write(HEAD.replace("title: T", "title: T\ncovers: [ASVS5-6.5.1]") + SMS_ON)
    )
    data = run_all([scenario], seed=2).as_dict()
    assert data["schema_version"] == 2 and data["seed"] == 2 and data["target"] == "reference"
    assert data["summary"] | {} == data["summary"]
    assert {k: data["summary"][k] for k in ("passed", "failed", "errors")} == {
        "passed": 1,
        "failed": 0,
        "errors": 0,
    }
    (entry,) = data["scenarios"]
    assert set(entry) >= {"id", "title", "file", "line", "covers", "verdict", "steps"}
    assert set(entry["steps"][0]) >= {"line", "action", "verdict", "t", "detail"}
    rows = {r["id"]: r for r in data["requirements"]}
    assert rows["ASVS5-6.5.1"]["verdict"] == "passed"
    assert rows["ASVS5-6.5.1"]["scenarios"] == ["t"]
    assert rows["NIST-63B-5.2.2"]["verdict"] == "uncovered"


def test_the_masked_qr_evidence_is_drawn_once_per_masked_uri(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16.23: every generate_qr shows the QR with its secret masked; secrets differ but
    masked URIs repeat, so the image is drawn once per masked URI (same bytes each time)."""
    import twofa_sim.core.qr as qr

    drawn: list[str] = []
    real = qr.render_png

    def counting(uri: str, *args: object, **kwargs: object) -> bytes:
        drawn.append(uri)
        return real(uri, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(qr, "render_png", counting)
    result = one(write, "  - generate_qr:\n  - generate_qr:\n  - generate_qr:\n", seed=31)
    assert result.verdict == "passed"
    images = [e["png"] for s in result.steps for e in s.evidence if e["kind"] == "qr"]
    assert len(images) == 3 and len(set(images)) == 1
    masked = [uri for uri in drawn if "secret=" not in uri or "…" in uri]
    assert len(masked) <= 1, masked


def test_for_all_draws_do_not_depend_on_the_code_loaded(
    write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis mixes the literals of every local module loaded into its draws; a scenario's
    for_all values must depend only on its seed, not on which modules (a user's adapter, an
    edited constant in twofa-sim) happen to be imported, or the same seed gives another
    results.json."""
    import importlib
    import sys

    from twofa_sim.scenario.targets.reference import ReferenceTarget

    drawn: list[object] = []

    def recording(context: TargetContext) -> ReferenceTarget:
        drawn.append(context.policy["lockout_duration"])
        return ReferenceTarget(context)

    text = HEAD.replace(
        "given:\n", "for_all:\n  wait: {between: [1s, 25s]}\nexamples: 60\ngiven:\n"
    ).replace("users: [alice]", "users: [alice]\n  policy: {lockout_duration: '{wait}'}")
    (scenario,) = load_scenarios(write(text + "  - advance: 1s\n"))
    run_scenario(scenario, target=recording, seed=3)
    before, drawn[:] = list(drawn), []
    module = tmp_path / "constants_here.py"
    module.write_text(
        "VALUES = [" + ", ".join(f"{n / 8}" for n in range(8, 200)) + "]\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("constants_here")
    try:
        run_scenario(scenario, target=recording, seed=3)
    finally:
        sys.modules.pop("constants_here", None)
    assert len(before) > 50
    assert drawn == before


def test_a_run_leaves_no_hypothesis_folder_where_it_was_started(tmp_path: Path) -> None:
    """Issue 16.12: ``twofa-sim run`` with a for_all scenario leaves the user's working
    directory as it found it (hypothesis keeps nothing there: no .hypothesis/)."""
    import os
    import subprocess
    import sys

    text = HEAD.replace(
        "given:\n", "for_all:\n  wait: {between: [1s, 25s]}\nexamples: 20\ngiven:\n"
    )
    (tmp_path / "p.scenario.yaml").write_text(text + "  - advance: '{wait}'\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")}
    done = subprocess.run(
        [sys.executable, "-m", "twofa_sim", "run", "p.scenario.yaml", "--report-dir", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "p.scenario.yaml"]


def test_results_name_files_relative_to_the_scenario_root_wherever_the_run_starts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run: Run,  # noqa: F811
) -> None:
    """Issue 16.20: a run started outside the checkout records no absolute path of the machine,
    and the same seed gives the same results.json from any folder, into any --report-dir."""
    library = tmp_path / "lib"
    (library / "area").mkdir(parents=True)
    (library / "area" / "a.scenario.yaml").write_text(HEAD + SMS_ON, encoding="utf-8")
    seen = []
    for where, out in (("here", "o1"), ("there", "o2")):
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        result = run("run", str(library), "--seed", "5", "--report-dir", str(tmp_path / out))
        assert result.code == 0, result.err
        text = (tmp_path / out / "latest" / "results.json").read_text(encoding="utf-8")
        assert str(tmp_path) not in text
        data = json.loads(text)
        assert data["scenarios"][0]["file"] == "lib/area/a.scenario.yaml"
        data["reproducibility"].pop("git", None)
        seen.append(data)
    assert seen[0] == seen[1]
