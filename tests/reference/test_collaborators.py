"""The service as collaborators: every decision names its rule, and one rule can be swapped.

The swap is the documented extension point (:class:`ServiceParts`) a mutation review builds its
deliberately broken variants with; the tests here show that a swapped part is the one the
service uses everywhere, and that the reference's own tests notice the break.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reference.harness import ALICE, CAROL, PASSWORD, Harness, description, policy
from twofa_sim.core.clock import Clock
from twofa_sim.core.otp import Reason, TotpState, Verification
from twofa_sim.reference import (
    RULES,
    CodeSender,
    FailureGate,
    Journal,
    Outcome,
    PendingCodeCheck,
    ReplayAlarm,
    SecurityPolicy,
    ServiceParts,
    TotpCheck,
    VerifyCodeCheck,
    VerifySender,
    VerifyTotpCheck,
)
from twofa_sim.reference.records import PendingCode, TotpCredential, UserRecord
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all
from twofa_sim.scenario.targets.reference import ReferenceTarget
from twofa_sim.world import World

LOCKOUT_SCENARIOS = Path(__file__).parents[2] / "scenarios" / "lockout"


def _busy_day(h: Harness) -> list[Outcome]:
    """A user's day touching most rules: SMS and TOTP set up, right, wrong, replayed and
    malformed codes, recovery codes, a lockout, two-factor turned off. The outcomes seen."""
    seen: list[Outcome] = []
    h.enable_sms()
    secret = h.enroll_totp()
    codes = h.service.generate_recovery_codes("alice")
    login = h.login()
    seen.append(h.service.verify_login("alice", login, "totp", "12ab56"))
    seen.append(h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)))
    seen.append(h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)))
    h.settle()
    code = h.totp(secret)
    seen.append(h.service.verify_login("alice", login, "totp", code))
    seen.append(h.service.verify_login("alice", login, "totp", code))
    seen.append(h.service.verify_login("alice", h.login(), "totp", code))
    h.settle()
    seen.append(h.service.verify_login("alice", h.login(), "recovery", codes[0]))
    h.settle()
    seen.append(h.service.verify_login("alice", h.login(), "recovery", codes[0]))
    h.settle()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    sms = h.sms(ALICE)
    seen.append(h.service.verify_login("alice", login, "sms", sms))
    seen.append(h.service.verify_login("alice", h.login(), "authy-push"))
    h.next_step()
    for _ in range(h.policy.max_consecutive_failures):
        login = h.login()
        seen.append(h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)))
        h.settle()
    seen.append(h.service.verify_login("alice", login, "totp", h.totp(secret)))
    seen.append(h.service.disable_two_factor("alice", PASSWORD))
    h.advance(h.policy.lockout_duration)
    seen.append(h.service.disable_two_factor("alice", PASSWORD))
    return seen


def test_every_audit_event_names_a_rule_of_the_policy(h: Harness) -> None:
    """audit: every event the service logs names the rule of RULES it applies (`audit` for one
    that only records), so each entry says which requirement it serves."""
    _busy_day(h)
    entries = h.service.audit_log()
    assert len(entries) > 30
    unnamed = [e.event for e in entries if e.details.get("rule") not in RULES]
    assert unnamed == []
    named = {e.details["rule"] for e in entries}
    assert {"throttle", "backoff", "totp-window", "totp-replay", "notify-replay"} <= named


def test_every_outcome_names_the_rule_that_decided(h: Harness) -> None:
    """throttle, backoff, totp-window, totp-replay, recovery-hashed, login-bound: every answer
    to a code names the rule of RULES that decided it, and the right one."""
    seen = _busy_day(h)
    assert [o.rule for o in seen if o.rule not in RULES] == []
    by_reason: dict[str, set[str]] = {}
    for outcome in seen:
        by_reason.setdefault(outcome.reason, set()).add(outcome.rule)
    assert by_reason["malformed"] == {"totp-window"}
    assert by_reason["wrong_code"] == {"totp-window"}
    assert by_reason["replayed"] == {"totp-replay", "recovery-hashed"}
    assert by_reason["used"] == {"login-bound"}
    assert by_reason["no_such_factor"] == {"login-bound"}
    assert by_reason["locked"] == {"throttle"}
    assert by_reason["disabled"] == {"notify-change"}
    assert {"totp-window", "recovery-hashed", "oob-bound"} <= by_reason["accepted"]
    throttled = h.service.gate.blocked(
        UserRecord("x", "", "", failures=3, last_failure_at=h.world.now())
    )
    assert throttled is not None and (throttled.reason, throttled.rule) == ("throttled", "backoff")


class NeverLocks(FailureGate):
    """A broken gate: failures are not counted, so there is no back-off and no lockout."""

    def failed(self, record: UserRecord, journal: Journal) -> None:
        pass


class AcceptsReplays(TotpCheck):
    """A broken TOTP check: a code already used is accepted again (no replay protection)."""

    def verify(self, credential: TotpCredential, code: str) -> Verification[TotpState]:
        result = super().verify(credential, code)
        if result.reason in (Reason.REPLAYED, Reason.STALE):
            return Verification(Reason.ACCEPTED, result.state, result.offset, result.matched)
        return result


class NeverLocksTarget(ReferenceTarget):
    """The reference target with the broken gate: what a mutation review runs the library on."""

    parts = ServiceParts(gate=NeverLocks)


def _guess(h: Harness, secret: str, times: int) -> list[str]:
    login = h.login()
    return [
        h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)).reason
        for _ in range(times)
    ]


def test_a_part_swapped_through_service_parts_is_used_everywhere(world: World) -> None:
    """throttle (mutation review's extension point): a variant built with
    ServiceParts(gate=...) uses its gate in every check, and the lockout rule's tests see it."""
    reference = Harness.build(world, policy_=policy(max_consecutive_failures=3, backoff_factor=0))
    reference.register()
    secret = reference.enroll_totp()
    assert _guess(reference, secret, 4) == ["wrong_code", "wrong_code", "wrong_code", "locked"]

    service = world.reference_service(
        policy=policy(max_consecutive_failures=3, backoff_factor=0),
        parts=ServiceParts(gate=NeverLocks),
    )
    mutant = Harness(world, service)
    assert type(service.gate) is NeverLocks
    assert service.pending_codes.gate is service.gate is service.totp_check.gate
    mutant.register()
    secret = mutant.enroll_totp()
    assert _guess(mutant, secret, 4) == ["wrong_code"] * 4  # the break, as a test sees it


def test_a_totp_check_swapped_for_one_without_replay_protection(h: Harness, world: World) -> None:
    """totp-replay (mutation review's extension point): a variant whose TOTP check accepts
    replays logs in twice with one code; the reference refuses the second."""
    h.register()
    secret = h.enroll_totp()
    code = h.totp(secret)
    assert h.service.verify_login("alice", h.login(), "totp", code).ok
    assert h.service.verify_login("alice", h.login(), "totp", code).reason == "replayed"

    mutant = Harness(world, world.reference_service(parts=ServiceParts(totp=AcceptsReplays)))
    mutant.register("bob")
    secret = mutant.enroll_totp("bob")
    code = mutant.totp(secret)
    assert mutant.service.verify_login("bob", mutant.login("bob"), "totp", code).ok
    assert mutant.service.verify_login("bob", mutant.login("bob"), "totp", code).ok


def test_the_totp_check_keeps_one_verifier_per_credential(h: Harness) -> None:
    """totp-window: the verifier of a credential is made once and kept (its decoded key and
    keyed HMAC), at most KEEP of them; a new secret gets its own."""
    h.register()
    secret = h.enroll_totp()
    check = h.service.totp_check
    credential = h.service.record("alice").totp
    assert credential is not None and credential.secret == secret
    first = check.verifier(credential)
    assert h.service.verify_login("alice", h.login(), "totp", h.app_code()).ok
    assert check.verifier(h.service.record("alice").totp or credential) is first
    other = TotpCredential("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 0.0)
    assert check.verifier(other) is not first
    check.KEEP = 2
    for n in range(5):
        check.verifier(TotpCredential(f"JBSWY3DPEHPK3PX{'ABCDE'[n]}", 0.0))
    assert check.verifier(credential) is not first  # forgotten: only the last two are kept


def test_the_library_catches_a_variant_target_built_with_service_parts() -> None:
    """throttle, backoff (mutation review's extension point): a target subclass that sets
    ``parts`` runs the scenario library on the variant (``--target module:Class``); the lockout
    scenarios the reference passes fail on a gate that never locks."""
    scenarios = load_paths([LOCKOUT_SCENARIOS])
    mutant = f"{__name__}:NeverLocksTarget"
    failed = {}
    for target in ("reference", mutant):
        results = run_all(scenarios, target=target, seed=0).results
        failed[target] = {r.scenario.id for r in results if r.verdict != "passed"}
    assert failed["reference"] == set()
    assert {
        "lockout-brute-force-totp",
        "lockout-password-guessing",
        "lockout-backoff-after-wrong-code",
        "lockout-refuses-every-factor",
        "lockout-survives-restart",
    } <= failed[mutant]


class SmsCodesNeverExpire(CodeSender):
    """A variant written against the Messages sender: every request lives a year."""

    def queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        code = super().queue(record, **fields)
        code.expires_at = code.sent_at + 365 * 86400.0
        return code


class ChecksWithAnotherPolicy(PendingCodeCheck):
    """A variant whose constructor is explicit (no ``verify``), calling its base directly."""

    def __init__(
        self,
        *,
        clock: Clock,
        policy: SecurityPolicy,
        gate: FailureGate,
        alarm: ReplayAlarm,
        authy: Any,
    ) -> None:
        PendingCodeCheck.__init__(
            self, clock=clock, policy=policy, gate=gate, alarm=alarm, authy=authy
        )


@pytest.mark.parametrize("provider", ["messages", "verify"])
def test_a_variant_built_with_service_parts_runs_under_each_provider(provider: str) -> None:
    """oob-ttl (mutation review's extension point, issue 11): replacing the sender, the code
    check and the TOTP check builds a service under either provider (no part is handed a
    ``verify`` argument it does not take); under Verify each replacement runs on top of the
    Verify part (the codes still come from Verify), and its change holds: under a 1-minute
    code lifetime, a code typed after 3 minutes still verifies the phone (Verify's own code
    lives 10), where the reference says ``expired``."""
    outcomes = {}
    with World(description(provider=provider)) as world:
        for name, parts in {
            "reference": ServiceParts(),
            "variant": ServiceParts(
                sender=SmsCodesNeverExpire,
                pending_codes=ChecksWithAnotherPolicy,
                totp=AcceptsReplays,
            ),
        }.items():
            service = world.reference_service(policy=policy(sms_code_ttl=60.0), parts=parts)
            h = Harness(world, service)
            user = h.register(f"{name}-user")
            phone = ALICE if name == "reference" else CAROL
            challenge = service.start_phone_verification(user, phone)
            code = h.sms(phone)
            sent_by = world.phone(phone).inbox()[-1].provider
            assert sent_by == ("verify" if provider == "verify" else "twilio")
            h.advance(3 * 60)
            outcomes[name] = service.confirm_phone(user, challenge.request_id, code).reason
            if name == "variant":
                assert isinstance(service.sender, SmsCodesNeverExpire)
                assert isinstance(service.pending_codes, ChecksWithAnotherPolicy)
                assert isinstance(service.totp_check, AcceptsReplays)
                on_verify = (VerifySender, VerifyCodeCheck, VerifyTotpCheck)
                built = (service.sender, service.pending_codes, service.totp_check)
                assert [isinstance(p, k) for p, k in zip(built, on_verify, strict=True)] == [
                    provider == "verify"
                ] * 3
    assert outcomes == {"reference": "expired", "variant": "accepted"}
