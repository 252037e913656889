"""Conformance semantics: scenarios ask the standard with the target's own numbers, the
reference's own choices stay apart, reasons are checked only where a target reports them, and
the TOTP window is measured, never read off a declaration."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.scenario.conftest import Write
from twofa_sim.core.verdicts import requirement_verdict
from twofa_sim.errors import ScenarioFileError
from twofa_sim.reference import Outcome
from twofa_sim.scenario.declared import Declared
from twofa_sim.scenario.loader import load_paths, load_scenarios
from twofa_sim.scenario.runner import ScenarioResult, run_scenario
from twofa_sim.scenario.targets.reference import ReferenceTarget

LIBRARY = Path(__file__).parents[2] / "scenarios"

HEAD = """
id: t
title: T
covers: [NIST-63B-5.1.3.2]
tags: [sms]
given:
  start: 2026-03-01T09:00:00Z
  users: [alice]
  phones:
    - {number: "+12015550101", apps: [google-authenticator]}
steps:
"""


class AcceptsAnyCode(ReferenceTarget):
    """A verifier that checks nothing: every authenticator code logs in (it still declares the
    reference's window)."""

    name = "accepts-any-code"
    profiles = frozenset[str]()

    def verify_login(self, user: str, login_id: str, factor: str, code: str | None) -> Outcome:
        if factor == "totp":
            return Outcome(True, "accepted")
        return super().verify_login(user, login_id, factor, code)


class Declares(ReferenceTarget):
    """The reference, declaring other numbers (and not the reference profile)."""

    name = "declares"
    profiles = frozenset[str]()
    declared: ClassVar[dict[str, Any]] = {}

    @classmethod
    def default_policy(cls) -> dict[str, Any]:
        return dict(cls.declared)


class ShortCodes(Declares):
    declared: ClassVar[dict[str, Any]] = {"sms_code_ttl": 30.0}

    def __init__(self, context: Any) -> None:
        context.policy = {**context.policy, "sms_code_ttl": 30}
        super().__init__(context)


class LongCodes(Declares):
    """Declares (and has) 30-minute SMS codes: beyond ASVS 5.0 6.5.5's ten minutes."""

    declared: ClassVar[dict[str, Any]] = {"sms_code_ttl": 1800.0}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        # The reference refuses a policy beyond 10 minutes: bypass its check to build one.
        object.__setattr__(self.policy, "sms_code_ttl", 1800.0)
        self.service = self._start()


class SaysNoReasons(ReferenceTarget):
    """The reference, answering only yes or no (as django-otp does)."""

    name = "says-no-reasons"
    reports_reasons = False


def one(write: Write, steps: str, target: Any = "reference", head: str = HEAD) -> ScenarioResult:
    (scenario,) = load_scenarios(write(head + steps))
    return run_scenario(scenario, target=target)


def test_a_verifier_that_checks_nothing_fails_the_pinned_window() -> None:
    """RFC 6238 5.2 (issue 11 §4): expect_acceptance drives the target with real codes; a
    target that accepts every code, whatever window it declares, fails
    clock-window-acceptance-pinned (it passed when the step read the declared policy)."""
    scenarios = load_scenarios(LIBRARY / "clock" / "window-pinned.scenario.yaml")
    pinned = next(s for s in scenarios if s.id == "clock-window-acceptance-pinned")
    assert run_scenario(pinned).verdict == "passed"
    result = run_scenario(pinned, target=AcceptsAnyCode)
    assert result.verdict == "failed"
    failed = [s for s in result.steps if s.verdict == "failed"]
    assert "measured 1.0000 with real codes" in failed[0].detail
    evidence = next(e for e in failed[0].evidence if e["kind"] == "acceptance")
    assert evidence["measured"] == 1.0 and evidence["declared"] < 1.0


def test_the_measurement_matches_the_closed_form_at_every_phase(write: Write) -> None:
    """The measured probability is exact (one probe per phase piece), for any offset and
    typing delay: it equals the closed form of the reference's window to 1e-6."""
    steps = "".join(
        f"  - expect_acceptance: {{offset: {o}, entry_delay: {d}, probability: {p}}}\n"
        for o, d, p in [
            ("40s", "0s", 0.666667),
            ("-40s", "0s", 0.666667),
            ("45s", "15s", 1),
            ("-7s", "20s", 1),
            ("75s", "0s", 0),
            ("50s", "5s", 0.5),
        ]
    )
    result = one(write, steps)
    assert result.verdict == "passed", result.detail


def test_a_number_comes_from_the_target_within_the_standards_bound() -> None:
    """ASVS 5.0 6.5.5 / NIST SP 800-63B 5.2.2: {policy.NAME} is the declared value, capped at
    the cited bound, the bound itself when nothing is declared; a number no standard bounds
    and the target does not declare has no value."""
    declared = Declared("t", {"sms_code_ttl": 30.0, "resend_cooldown": "1m"})
    assert declared.value("sms_code_ttl") == (30, "declared by t")
    assert declared.value("resend_cooldown") == (60, "declared by t")
    value, source = Declared("t", {"sms_code_ttl": 1800}).value("sms_code_ttl") or (None, "")
    assert value == 600 and "beyond the standard's bound" in source
    value, source = Declared("t", {}).value("max_consecutive_failures") or (None, "")
    assert value == 100 and "NIST SP 800-63B 5.2.2" in source
    assert Declared("t", {"max_consecutive_failures": None}).value("lockout_duration") is None


EXPIRY = """
  - submit_phone: {user: alice}
  - advance: 5s
  - read_code: {user: alice, from: sms, capture: code}
  - expect_policy: {setting: sms_code_ttl, at_most: 10m}
  - advance: "{policy.sms_code_ttl}s"
  - enter_code: {user: alice, code: "{code}", expect: expired}
"""


def test_a_code_lifetime_is_asked_at_the_targets_own_number(write: Write) -> None:
    """ASVS 5.0 6.5.5: a 30-second SMS code is conformant; the scenario waits the target's 30 s
    (not the reference's ten minutes) and the step's evidence says where the number came from."""
    result = one(write, EXPIRY, target=ShortCodes)
    assert result.verdict == "passed", result.detail
    advance = next(s for s in result.steps if s.action == "advance" and s.evidence)
    assert advance.evidence[0] == {
        "kind": "policy",
        "setting": "sms_code_ttl",
        "value": 30,
        "source": "declared by declares",
    }


def test_a_code_lifetime_beyond_ten_minutes_fails_however_it_is_declared(write: Write) -> None:
    """ASVS 5.0 6.5.5: a target with 30-minute codes is asked at ten minutes, where the code
    must be refused: the declaration cannot make it pass (both checks fail)."""
    result = one(write, EXPIRY, target=LongCodes)
    assert result.verdict == "failed"
    failed = [s.action for s in result.steps if s.verdict == "failed"]
    assert failed == ["expect_policy", "enter_code"]


def test_a_number_the_target_does_not_have_makes_the_scenario_not_applicable(
    write: Write,
) -> None:
    """A scenario that takes a number no standard fixes (a resend cooldown) from a target
    that declares none is not applicable, with the reason; nothing runs."""
    steps = '  - submit_phone: {user: alice}\n  - advance: "{policy.resend_cooldown}s"\n'
    result = one(write, steps, target=Declares)
    assert result.verdict == "not_applicable"
    assert "declares no resend_cooldown" in result.detail
    assert {s.verdict for s in result.steps} == {"skipped"}


def test_reference_scenarios_run_on_the_reference_only_and_prove_nothing(write: Write) -> None:
    """Issue 11 §3: a scenario tagged reference checks the reference's own choice: it runs
    (and passes) on the reference, is not applicable elsewhere with the reason, and is no
    conformance evidence for what it covers, even where it passed."""
    head = HEAD.replace("tags: [sms]", "tags: [sms, reference]")
    steps = "  - submit_phone: {user: alice}\n"
    passed = one(write, steps, head=head)
    assert passed.verdict == "passed"
    assert requirement_verdict("NIST-63B-5.1.3.2", passed.as_dict()) == "not_applicable"
    other = one(write, steps, target=Declares, head=head)
    assert other.verdict == "not_applicable"
    assert other.detail == "reference-specific behaviour, not a requirement of the cited standard"


REPLAY = """
  - generate_qr: {user: alice}
  - scan_qr: {user: alice}
  - confirm_app: {user: alice}
  - advance: 1m
  - login: {user: alice, expect: second_factor}
  - read_code: {user: alice, from: totp, capture: code}
  - submit_code: {user: alice, factor: totp, code: "{code}"}
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: "{code}", expect: REASON}
"""


def test_a_reason_is_checked_where_the_target_reports_it(write: Write) -> None:
    """RFC 6238 5.2: the reference must say replayed; expecting another reason fails."""
    assert one(write, REPLAY.replace("REASON", "replayed")).verdict == "passed"
    wrong = one(write, REPLAY.replace("REASON", "expired"))
    assert wrong.verdict == "failed"
    assert "expected expired, got rejected (replayed)" in wrong.detail


def test_a_target_without_reasons_is_checked_for_the_refusal_and_told_so(write: Write) -> None:
    """A target that answers only yes or no: an expected reason is checked as a refusal (no
    harness-made failure), the step's evidence says the reason was not checked, and an
    acceptance where a refusal is expected still fails (no false pass)."""
    result = one(write, REPLAY.replace("REASON", "expired"), target=SaysNoReasons)
    assert result.verdict == "passed", result.detail
    last = result.steps[-1]
    assert last.evidence == [
        {
            "kind": "reason_not_checked",
            "note": "reason expired not checked: the target does not report reasons "
            "(reports_reasons false); checked that it refused",
        }
    ]
    fresh = REPLAY.replace(
        "  - login: {user: alice, expect: second_factor}\n  - submit_code: {user: alice, factor: "
        'totp, code: "{code}", expect: REASON}',
        "  - advance: 30s\n  - login: {user: alice, expect: second_factor}\n"
        "  - submit_code: {user: alice, factor: totp, expect: {reason: [replayed]}}",
    )
    assert fresh != REPLAY
    accepted = one(write, fresh, target=SaysNoReasons)
    assert accepted.verdict == "failed"
    assert "expected rejected, got accepted" in accepted.detail


def test_a_policy_placeholder_names_a_policy_field(write: Write) -> None:
    """A misspelt {policy.NAME} is a located load error with a suggestion."""
    path = write(HEAD + '  - advance: "{policy.sms_code_tll}s"\n')
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(path)
    text = str(caught.value)
    assert ":11:5:" in text and "no policy setting 'sms_code_tll'" in text
    assert "did you mean 'sms_code_ttl'?" in text


PROVES = """
id: t
title: T
covers: [RFC6238-5.2-ONCE, ASVS5-16.3.1]
given:
  start: 2026-03-01T09:00:00Z
  users: [alice]
  phones:
    - {number: "+12015550101", apps: [google-authenticator]}
steps:
  - generate_qr: {user: alice}
  - scan_qr: {user: alice}
  - confirm_app: {user: alice}
  - advance: 1m
  - login: {user: alice, expect: second_factor}
  - read_code: {user: alice, from: totp, capture: code}
  - submit_code: {user: alice, factor: totp, code: "{code}", proves: []}
  - login: {user: alice, expect: second_factor}
  - submit_code: {user: alice, factor: totp, code: "{code}", expect: replayed,
                  proves: [RFC6238-5.2-ONCE]}
  - expect_logged_in: {user: alice, logged_in: true, proves: [ASVS5-16.3.1]}
"""


def test_a_step_proves_what_its_proves_names(write: Write) -> None:
    """Issue 11 §1: ``proves:`` overrides the step kind's default. The failed check proves
    only what it names (ASVS5-16.3.1 fails), the replay check proves RFC6238-5.2-ONCE (passes),
    and ``proves: []`` proves nothing; results.json keeps what each step was said to prove."""
    result = one(write, "", head=PROVES)
    assert result.verdict == "failed"
    data = result.as_dict()
    assert requirement_verdict("RFC6238-5.2-ONCE", data) == "passed"
    assert requirement_verdict("ASVS5-16.3.1", data) == "failed"
    assert [s.get("proves") for s in data["steps"]][6:] == [
        [],
        None,
        ["RFC6238-5.2-ONCE"],
        ["ASVS5-16.3.1"],
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("proves: [RFC6238-5.2-ONC]", "unknown requirement 'RFC6238-5.2-ONC'"),
        ("proves: [NIST-63B-5.2.2]", "NIST-63B-5.2.2 is not in the scenario's covers"),
    ],
)
def test_proves_names_covered_requirements(write: Write, written: str, message: str) -> None:
    """A step's proves: must name requirements of the catalog that the scenario covers: a
    located load error otherwise."""
    text = PROVES.replace("proves: [ASVS5-16.3.1]", written)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(write(text))
    assert ":20:63:" in str(caught.value) and message in str(caught.value)


def test_every_policy_field_is_documented_and_completed_in_the_schema() -> None:
    """Issue 11 §6: the policy field names and their meaning are documented (FIELDS), and the
    shipped schema's given.policy is generated from the dataclasses, so an editor completes
    every field (totp's too) and a misspelt one is flagged."""
    from twofa_sim.reference.policy import FIELDS
    from twofa_sim.scenario.declared import POLICY_FIELDS
    from twofa_sim.scenario.loader import document_schema

    assert set(POLICY_FIELDS) | {"seed_compat"} == set(FIELDS)
    policy = document_schema()["properties"]["given"]["properties"]["policy"]
    assert policy["additionalProperties"] is False
    assert set(policy["properties"]["totp"]["properties"]) == {
        name.split(".", 1)[1] for name in POLICY_FIELDS if name.startswith("totp.")
    }
    assert policy["properties"]["sms_code_ttl"]["format"] == "duration"
    assert all(p.get("description") for p in policy["properties"].values())


class FixedWindow(ReferenceTarget):
    """The reference with a fixed TOTP window it declares and cannot change (no settings)."""

    name = "fixed-window"
    profiles = frozenset[str]()
    policy_settings = frozenset[str]()
    window: ClassVar[int] = 0

    @classmethod
    def default_policy(cls) -> dict[str, Any]:
        return {"totp": {"steps_back": cls.window, "steps_forward": cls.window}}

    def __init__(self, context: Any) -> None:
        context.policy = {"totp": {"steps_back": self.window, "steps_forward": self.window}}
        super().__init__(context)


class FixedOneStep(FixedWindow):
    name = "fixed-one-step"
    window: ClassVar[int] = 1


WINDOW_SCENARIOS = (
    "clock-window-acceptance-pinned",
    "clock-window-one-step-each-side",
    "clock-device-offset-within-window-property",
)


def test_a_stricter_fixed_window_is_not_applicable_where_a_window_of_one_step_is_measured() -> None:
    """RFC 6238 5.2 recommends *at most* one step each way: a target whose fixed window is
    narrower refuses a code from a phone 20 s fast, as it may. The scenarios that measure a
    window of one step are not applicable to it (they failed it before); a target whose fixed
    window is one step (pyotp's valid_window=1) runs them, since the value it declares is the
    one they ask for."""
    scenarios = [s for s in load_paths([LIBRARY / "clock"]) if s.id in WINDOW_SCENARIOS]
    assert len(scenarios) == len(WINDOW_SCENARIOS)
    for scenario in scenarios:
        strict = run_scenario(scenario, target=FixedWindow)
        assert strict.verdict == "not_applicable", (scenario.id, strict.detail)
        assert "has no setting for policy totp.steps_back, totp.steps_forward" in strict.detail
        one = run_scenario(scenario, target=FixedOneStep)
        assert one.verdict == "passed", (scenario.id, one.detail)
    # Nothing else about the strict window is excused: it still logs in with a fresh code.
    (login,) = [s for s in load_paths([LIBRARY / "login"]) if s.id == "login-with-totp"]
    assert run_scenario(login, target=FixedWindow).verdict == "passed"
