"""A scenario's ``given.policy`` is read once, at load, into typed overrides (issue 11 §6): a
bad setting is a located error before anything runs, the runner never parses it again, and a
target receives the checked values with durations in seconds."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.scenario.conftest import Write
from twofa_sim.errors import ScenarioFileError
from twofa_sim.scenario.loader import load_scenarios
from twofa_sim.scenario.overrides import PolicyOverrides
from twofa_sim.scenario.runner import run_scenario
from twofa_sim.scenario.targets.reference import ReferenceTarget

SCENARIO = """
id: t
title: T
covers: [NIST-63B-5.1.3.2]
given:
  start: 2026-03-01T09:00:00Z
  users: [alice]
  policy: {POLICY}
  phones:
    - {number: "+12015550101", apps: [google-authenticator]}
FOR_ALL
steps:
  - submit_phone: {user: alice}
  - advance: 5s
  - enter_code: {user: alice}
  - advance: 1m
  - login: {user: alice, expect: second_factor}
  - request_code: {user: alice, channel: sms}
  - advance: 2m
  - read_code: {user: alice, from: sms, capture: code}
  - submit_code: {user: alice, factor: sms, code: "{code}", expect: accepted}
"""


class Records(ReferenceTarget):
    """The reference, keeping every policy it was handed."""

    name = "records"
    seen: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, context: Any) -> None:
        Records.seen.append(dict(context.policy))
        super().__init__(context)


@pytest.fixture(autouse=True)
def _forget() -> None:
    Records.seen.clear()


def scenario_text(policy: str, for_all: str = "") -> str:
    return SCENARIO.replace("{POLICY}", policy).replace("FOR_ALL", for_all)


def test_the_policy_is_read_at_load_and_handed_over_in_seconds(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule: ``5m`` is 300 seconds for the target, and running parses nothing again (the
    harness's own reader is broken after load, and the run is unaffected)."""
    (scenario,) = load_scenarios(
        write(scenario_text("{sms_code_ttl: 5m, totp: {steps_back: 2, steps_forward: 2}}"))
    )
    assert scenario.policy == PolicyOverrides(
        (("sms_code_ttl", 300.0), ("totp.steps_back", 2), ("totp.steps_forward", 2))
    )

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("given.policy parsed again at run time")

    monkeypatch.setattr("twofa_sim.reference.policy.read_overrides", broken)
    result = run_scenario(scenario, target=Records)
    assert result.verdict == "passed", result.detail
    assert Records.seen == [{"sms_code_ttl": 300.0, "totp": {"steps_back": 2, "steps_forward": 2}}]


def test_a_bad_setting_is_a_located_error_at_load(write: Write) -> None:
    """Rule: a misspelt setting and an out-of-bounds one are both reported, each at its line
    and column, before anything runs."""
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(write(scenario_text("{sms_code_tll: 5m, login_ttl: soon}")))
    message = str(caught.value)
    assert ":7:" in message
    assert "no policy setting 'sms_code_tll'" in message
    assert "did you mean 'sms_code_ttl'?" in message
    assert "login_ttl" in message


def test_for_all_values_in_the_policy_are_read_per_example(write: Write) -> None:
    """Rule: a policy that takes for_all values is read for each example: the target gets
    each drawn number, and a drawn value the policy refuses (a code living past ASVS 5.0
    6.5.5's ten minutes) errs the scenario with the located reason, never a traceback."""
    good = scenario_text(
        "{sms_code_ttl: '{ttl}'}", "for_all:\n  ttl: {integers: [180, 600]}\nexamples: 5"
    )
    (scenario,) = load_scenarios(write(good))
    assert scenario.policy is None  # read per example
    result = run_scenario(scenario, target=Records)
    assert result.verdict == "passed", result.detail
    ttls = [seen["sms_code_ttl"] for seen in Records.seen]
    assert ttls and all(180 <= ttl <= 600 for ttl in ttls)
    bad = good.replace("[180, 600]", "[700, 800]")
    (scenario,) = load_scenarios(write(bad, name="bad"))
    result = run_scenario(scenario, target=Records)
    assert result.verdict == "error"
    assert "given: " in result.detail and "given.policy" in result.detail
    assert "10 minutes" in result.detail
