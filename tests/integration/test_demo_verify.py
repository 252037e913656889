"""``twofa-sim demo --provider verify``: the seed's story told through Twilio Verify."""

from __future__ import annotations

import json

import pytest

from twofa_sim.cli import main
from twofa_sim.labs.demo import demo_world, run_demo
from twofa_sim.reference import SecurityPolicy

CHEAP = SecurityPolicy(code_hash_iterations=1000)


def test_the_story_goes_through_verify_and_every_step_as_the_policy_says() -> None:
    """The same 13 judged steps pass with Verify holding the SMS code, the TOTP factor and the
    login challenges; no request goes to Twilio Messages or Authy."""
    world = demo_world(provider="verify", seed=5)
    report = run_demo(provider="verify", seed=5, world=world, policy=CHEAP)
    assert report.ok, report.text()
    touched = {e["actor"] for e in report.events if str(e["action"]).startswith("receives")}
    assert touched == {"verify"}
    endpoints = [e["endpoint"] for e in report.events if e["actor"] == "verify"]
    for needed in ("verifications.create", "factors.create", "challenges.create"):
        assert needed in endpoints
    assert world.twilio.exchanges == [] and world.authy.exchanges == []


def test_the_verify_story_shows_no_code_or_secret() -> None:
    """Codes and the factor's secret never reach the report (the AuthPayload field is hidden)."""
    world = demo_world(provider="verify", seed=5)
    report = run_demo(provider="verify", seed=5, world=world, policy=CHEAP)
    shown = json.dumps(report.as_json()) + report.text()
    for sms in world.phone("+15551230001").inbox():
        code = sms.body.rsplit(" ", 1)[-1]
        assert code not in shown
    assert "AuthPayload: ••••••" in report.text()


def test_an_authy_channel_with_verify_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """--channel authy-push --provider verify: exit 2, one line naming --channel."""
    code = main(["demo", "--provider", "verify", "--channel", "authy-push"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--channel" in err and "with Verify the code comes by SMS" in err
    assert len(err.strip().splitlines()) == 1
