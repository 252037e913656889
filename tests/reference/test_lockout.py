"""Throttling the second factor: exponential back-off, lockout across sessions and factors."""

from __future__ import annotations

import pytest

from tests.reference.harness import ALICE, PASSWORD, Harness, policy, wrong_code
from twofa_sim.errors import InputError, RetryLaterError
from twofa_sim.reference import Outcome
from twofa_sim.world import World


def fail_totp(h: Harness, secret: str, login: str | None = None) -> Outcome:
    """One wrong TOTP code in a new login (or ``login``), after waiting out any back-off."""
    login = login or h.login()
    h.wait(h.service.verify_login("alice", login, "totp", "x"))  # malformed: only asks
    outcome = h.service.verify_login("alice", login, "totp", h.wrong_totp(secret))
    assert not outcome.ok
    return outcome


def lock(h: Harness, secret: str) -> str:
    """Lock alice with wrong TOTP codes, each in a new login but the last; that last login
    (still open, its password passed) is returned."""
    for _ in range(h.policy.max_consecutive_failures - 1):
        fail_totp(h, secret)
    login = h.login()
    fail_totp(h, secret, login)
    assert h.service.record("alice").locked_until is not None
    return login


def test_back_off_doubles_after_each_failure(h: Harness) -> None:
    """backoff, RFC 4226 7.3 (django-otp): after n failures the next try waits 2**(n-1) s;
    a try inside the wait is refused with retry_after and does not count."""
    h.register()
    secret = h.enroll_totp()
    login = h.login()
    waits = []
    for _ in range(4):
        assert h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)).reason == (
            "wrong_code"
        )
        refused = h.service.verify_login("alice", login, "totp", h.totp(secret))
        assert (refused.ok, refused.reason) == (False, "throttled")
        waits.append(refused.retry_after)
        h.advance(0.5)
        assert h.service.verify_login("alice", login, "totp", h.totp(secret)).reason == (
            "throttled"
        )
        h.wait(refused)
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert h.service.record("alice").failures == 4
    assert h.service.verify_login("alice", login, "totp", h.totp(secret)).ok


def test_back_off_is_capped(world: World) -> None:
    """backoff: the wait never exceeds backoff_cap."""
    h = Harness.build(world, policy_=policy(max_consecutive_failures=20, backoff_cap=10))
    h.register()
    secret = h.enroll_totp()
    waits = []
    for _ in range(6):
        fail_totp(h, secret)
        refused = h.service.verify_login("alice", h.login(), "totp", h.totp(secret))
        waits.append(refused.retry_after)
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_back_off_holds_across_logins(h: Harness) -> None:
    """backoff, RFC 4226 7.3: the wait is per account, not per login: a new login waits too."""
    h.register()
    secret = h.enroll_totp()
    fail_totp(h, secret)
    outcome = h.service.verify_login("alice", h.login(), "totp", h.totp(secret))
    assert (outcome.ok, outcome.reason, outcome.retry_after) == (False, "throttled", 1.0)


def test_lockout_after_max_failures_across_logins(h: Harness) -> None:
    """throttle, NIST 800-63B 5.2.2, RFC 4226 7.3: max_consecutive_failures wrong codes, each in
    a new login, lock the account; then even the right code is refused; the user is told."""
    h.register()
    secret = h.enroll_totp()
    for _ in range(h.policy.max_consecutive_failures - 1):
        assert fail_totp(h, secret).reason == "wrong_code"
    assert "locked" not in [n.kind for n in h.service.notifications]
    login = h.login()
    fail_totp(h, secret, login)
    outcome = h.service.verify_login("alice", login, "totp", h.totp(secret))
    assert (outcome.ok, outcome.reason) == (False, "locked")
    assert 0 < (outcome.retry_after or 0) <= h.policy.lockout_duration
    assert not h.service.logged_in("alice", login)
    again = h.service.login("alice", PASSWORD)
    assert (again.status, again.reason, again.retry_after) == (
        "refused",
        "locked",
        outcome.retry_after,
    )
    assert [n.kind for n in h.service.notifications if n.kind == "locked"] == ["locked"]
    locked = [e for e in h.service.audit_log() if e.event == "account.locked"]
    assert [(e.user, e.details["rule"]) for e in locked] == [("alice", "throttle")]


def test_failures_count_across_factors(world: World) -> None:
    """throttle, RFC 4226 7.3: TOTP, SMS and recovery failures add up to one lockout."""
    h = Harness.build(world, policy_=policy(max_consecutive_failures=7, backoff_factor=0))
    h.enable_sms()
    secret = h.enroll_totp()
    h.service.generate_recovery_codes("alice")
    for _ in range(2):
        fail_totp(h, secret)
        login = h.login()
        h.service.send_login_code("alice", login, "sms")
        code = h.sms(ALICE)
        assert not h.service.verify_login("alice", login, "sms", wrong_code(code)).ok
        assert not h.service.verify_login("alice", h.login(), "recovery", "AAAAA-AAAAA").ok
        h.cool_down()
    login = h.login()
    assert h.service.record("alice").locked_until is None
    assert not h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)).ok
    outcome = h.service.verify_login("alice", login, "totp", h.totp(secret))
    assert outcome.reason == "locked"


def test_a_locked_account_is_refused_on_every_factor(h: Harness) -> None:
    """throttle: while locked, the right TOTP, SMS or recovery code is refused, no SMS is even
    sent, and confirming a factor is refused too."""
    h.enable_sms()
    secret = h.enroll_totp()
    recovery = h.service.generate_recovery_codes("alice")
    login = lock(h, secret)
    assert h.service.verify_login("alice", login, "totp", h.totp(secret)).reason == "locked"
    assert h.service.verify_login("alice", login, "recovery", recovery[0]).reason == "locked"
    sent = len(h.world.twilio.exchanges)
    with pytest.raises(RetryLaterError) as caught:
        h.service.send_login_code("alice", login, "sms")
    assert (caught.value.reason, caught.value.rule) == ("locked", "throttle")
    assert len(h.world.twilio.exchanges) == sent
    h.service.generate_qr("alice")
    assert h.service.confirm_totp("alice", "123456").reason == "locked"
    assert not h.service.logged_in("alice", login)


def test_the_lock_lifts_after_lockout_duration(world: World) -> None:
    """throttle, NIST 800-63B 5.2.2: the account unlocks after lockout_duration, not before."""
    h = Harness.build(world, policy_=policy(max_consecutive_failures=3, lockout_duration=600))
    h.register()
    secret = h.enroll_totp()
    lock(h, secret)
    h.advance(599)
    assert h.service.login("alice", PASSWORD).reason == "locked"
    h.advance(1)
    assert h.service.verify_login("alice", h.login(), "totp", h.totp(secret)).ok
    assert h.service.record("alice").failures == 0


def test_a_success_resets_the_failures(h: Harness) -> None:
    """throttle, backoff (NIST 800-63B 5.2.2): a success forgets earlier failures: the next
    failure waits 1 s again and a full run of failures is needed to lock."""
    h.register()
    secret = h.enroll_totp()
    limit = h.policy.max_consecutive_failures
    for _ in range(limit - 1):
        fail_totp(h, secret)
    h.settle()
    assert h.service.verify_login("alice", h.login(), "totp", h.totp(secret)).ok
    assert h.service.record("alice").failures == 0
    fail_totp(h, secret)
    refused = h.service.verify_login("alice", h.login(), "totp", h.totp(secret))
    assert refused.retry_after == 1.0
    for _ in range(limit - 2):
        fail_totp(h, secret)
    h.settle()
    h.next_step()
    assert h.service.verify_login("alice", h.login(), "totp", h.totp(secret)).ok


def test_the_policy_allows_at_most_100_failures(h: Harness) -> None:
    """throttle, NIST 800-63B 5.2.2: no policy may allow more than 100 consecutive failures."""
    assert 1 <= h.policy.max_consecutive_failures <= 100
    with pytest.raises(InputError):
        policy(max_consecutive_failures=101)
    with pytest.raises(InputError):
        policy(max_consecutive_failures=0)


def test_a_locked_account_cannot_turn_two_factor_off_and_log_in(h: Harness) -> None:
    """throttle, ASVS 5.0 6.4.3: the lockout is not bypassed by turning two-factor off."""
    h.register()
    secret = h.enroll_totp()
    for _ in range(h.policy.max_consecutive_failures):
        fail_totp(h, secret)
    assert h.service.disable_two_factor("alice", PASSWORD).reason == "locked"
    assert h.service.login("alice", PASSWORD).reason == "locked"
    assert h.service.record("alice").two_factor
