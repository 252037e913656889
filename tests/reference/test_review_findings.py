"""Rules a mutation review found untested: each test here failed on a deliberately broken
variant of the service that the rest of the suite let pass, and three bugs it turned up."""

from __future__ import annotations

import pytest

from tests.reference.harness import ALICE, BOB, PASSWORD, Harness, policy
from tests.reference.test_authy import enable_authy
from twofa_sim.errors import ProviderUnavailableError
from twofa_sim.reference import codes
from twofa_sim.world import World


def test_a_code_confirms_only_its_own_request(h: Harness) -> None:
    """oob-bound (ASVS 5.0 6.6.2): a right code sent for one request confirms no other."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    outcome = h.service.confirm_phone("alice", "00" * 12, code)
    assert (outcome.ok, outcome.reason) == (False, "unknown_request")
    assert not h.service.record("alice").two_factor
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok


def test_an_approved_login_push_without_the_number_is_refused(h: Harness) -> None:
    """push-number-matching: an approved push without the number shown does not log in."""
    enable_authy(h)
    login = h.login("bob")
    h.service.send_login_code("bob", login, "authy-push")
    h.approve_push(BOB)
    outcome = h.service.verify_login("bob", login, "authy-push", None)
    assert (outcome.ok, outcome.reason) == (False, "number_mismatch")
    assert not h.service.logged_in("bob", login)


def test_a_wrong_password_when_disabling_counts_toward_the_lockout(h: Harness) -> None:
    """throttle: guessing the password through "disable" locks like guessing at login."""
    h.enable_sms()
    for _ in range(h.policy.max_consecutive_failures):
        assert h.service.disable_two_factor("alice", "guess").reason == "bad_password"
    assert h.service.record("alice").locked_until is not None
    assert h.service.disable_two_factor("alice", PASSWORD).reason == "locked"


def test_an_expired_lockout_starts_counting_from_zero(h: Harness) -> None:
    """throttle: when a lock ends the count starts again; one failure does not re-lock."""
    h.register()
    secret = h.enroll_totp()
    for _ in range(h.policy.max_consecutive_failures):
        h.settle()
        h.service.verify_login("alice", h.login(), "totp", h.wrong_totp(secret))
    assert h.service.record("alice").locked_until is not None
    h.advance(h.policy.lockout_duration)
    outcome = h.service.verify_login("alice", h.login(), "totp", h.wrong_totp(secret))
    assert outcome.reason == "wrong_code"
    record = h.service.record("alice")
    assert (record.failures, record.locked_until) == (1, None)


def test_a_push_number_mismatch_is_a_failed_attempt(h: Harness) -> None:
    """push-number-matching, throttle: a wrong number counts as a failure."""
    enable_authy(h)
    login = h.login("bob")
    h.service.send_login_code("bob", login, "authy-push")
    number = h.approve_push(BOB)
    wrong = f"{(int(number) + 1) % 100:02d}"
    assert h.service.verify_login("bob", login, "authy-push", wrong).reason == "number_mismatch"
    assert h.service.record("bob").failures == 1


def test_a_replayed_sms_code_is_a_failed_attempt(h: Harness) -> None:
    """oob-single-use, throttle: a replayed SMS code counts as a failure."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok
    assert h.service.confirm_phone("alice", challenge.request_id, code).reason == "replayed"
    assert h.service.record("alice").failures == 1


def test_digits_reject_bytes_that_would_bias_the_code() -> None:
    """oob-entropy: code digits come by rejection sampling, so no digit is more likely."""
    stream = iter([255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    assert codes.digits(lambda n: bytes(next(stream) for _ in range(n)), 6) == "123456"


def test_each_sms_code_has_its_own_salt(h: Harness) -> None:
    """oob-hashed: every SMS code is hashed with its own salt, not the password's."""
    h.register()
    first = h.service.start_phone_verification("alice", ALICE)
    h.cool_down()
    second = h.service.start_phone_verification("alice", ALICE)
    record = h.service.record("alice")
    salts = {record.pending[first.request_id].salt, record.pending[second.request_id].salt}
    assert len(salts) == 2 and record.password_salt not in salts


def test_request_and_login_ids_are_unguessable(h: Harness) -> None:
    """oob-bound: request and login ids carry at least 96 random bits."""
    h.enable_sms()
    login = h.login()
    sent = h.service.send_login_code("alice", login, "sms")
    assert len(login) >= 24 and len(sent.request_id) >= 24  # >= 96 bits, hex


def test_a_push_approved_in_time_but_answered_late_is_expired(h: Harness) -> None:
    """oob-ttl: a push answered on the page after its lifetime is expired."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB)
    number = h.approve_push(BOB)
    h.advance(h.policy.push_ttl)
    outcome = h.service.confirm_phone("bob", challenge.request_id, number)
    assert (outcome.ok, outcome.reason) == (False, "expired")
    assert not h.service.record("bob").two_factor


def test_a_login_records_the_factor_that_passed(h: Harness) -> None:
    """audit: a completed login records which factor passed."""
    h.register()
    secret = h.enroll_totp()
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", h.totp(secret)).ok
    assert h.service.record("alice").logins[login].factor == "totp"


def test_an_unknown_approval_status_is_not_an_approval(world: World) -> None:
    """push-approval, fail closed: only Authy's explicit "approved" approves; any other
    status is a provider problem (nothing changes, retry), even without number matching."""
    h = Harness.build(world, policy_=policy(number_matching=False))
    enable_authy(h)
    login = h.login("bob")
    h.service.send_login_code("bob", login, "authy-push")
    h.service.authy.approval_status = lambda uuid: "error"  # type: ignore[method-assign]
    with pytest.raises(ProviderUnavailableError):
        h.service.verify_login("bob", login, "authy-push")
    assert not h.service.logged_in("bob", login)


def test_a_replay_while_locked_does_not_restart_the_lock(h: Harness) -> None:
    """throttle: while locked nothing is examined; a replayed phone code neither answers
    "replayed" nor pushes the lock further out."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok
    for _ in range(h.policy.max_consecutive_failures):
        assert h.service.login("alice", "guess").reason == "bad_credentials"
    locked_until = h.service.record("alice").locked_until
    assert locked_until is not None
    h.advance(60)
    assert h.service.confirm_phone("alice", challenge.request_id, code).reason == "locked"
    assert h.service.record("alice").locked_until == locked_until


def test_a_factor_the_user_lacks_is_refused_and_logged(h: Harness) -> None:
    """audit (ASVS 5.0 16.3.1): trying a factor that is not set up is an authentication event."""
    h.enable_sms()
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", "123456").reason == "no_such_factor"
    last = h.service.audit_log()[-1]
    assert (last.event, last.details["reason"]) == ("login.verify", "no_such_factor")
