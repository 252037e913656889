"""Logging in: the password, then one second factor bound to that login."""

from __future__ import annotations

import pytest

from tests.reference.harness import ALICE, CAROL, PASSWORD, Harness, policy
from twofa_sim.errors import InputError, RetryLaterError
from twofa_sim.reference import LoginResult
from twofa_sim.world import World


def test_unknown_user_and_wrong_password_get_the_same_answer(h: Harness) -> None:
    """no-enumeration (ASVS 5.0 6.3.8): a failed password says nothing about whether the user
    exists, and the refusal names the rule."""
    h.enable_sms()
    unknown = h.service.login("mallory", PASSWORD)
    wrong = h.service.login("alice", "Tr0ub4dor&3")
    expected = LoginResult("refused", reason="bad_credentials", rule="no-enumeration")
    assert unknown == wrong == expected


def test_unknown_user_costs_the_same_password_hash(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """no-enumeration (ASVS 5.0 6.3.8, timing): an unknown user costs the same password hash as
    a known one."""
    from twofa_sim.reference import codes

    h.enable_sms()
    calls: list[int] = []
    real = codes.password_digest

    def counting(salt: bytes, password: str, iterations: int) -> str:
        calls.append(iterations)
        return real(salt, password, iterations)

    monkeypatch.setattr("twofa_sim.reference.checks.password_digest", counting)
    h.service.login("alice", "Tr0ub4dor&3")
    known = list(calls)
    h.service.login("mallory", "Tr0ub4dor&3")
    assert known == [h.policy.code_hash_iterations]
    assert calls[len(known) :] == known


def test_wrong_passwords_are_throttled_too(h: Harness) -> None:
    """throttle, backoff (NIST 800-63B 5.2.2): a run of wrong passwords slows or locks the
    account like wrong codes do: the right password straight after is not let through."""
    h.enable_sms()
    for attempt in range(h.policy.max_consecutive_failures):
        assert h.service.login("alice", f"guess-{attempt}").status == "refused"
    assert h.service.login("alice", PASSWORD).status == "refused"


def test_the_password_alone_logs_in_only_without_two_factor(h: Harness) -> None:
    """ASVS 5.0 6.3.3: with two-factor on, the password leads to a second-factor step."""
    h.register("carol")
    assert h.service.login("carol", PASSWORD).status == "logged_in"
    h.enable_sms()
    result = h.service.login("alice", PASSWORD)
    assert (result.status, result.factors) == ("second_factor", ("sms",))
    assert result.login_id is not None
    assert not h.service.logged_in("alice", result.login_id)


def test_login_with_a_totp_code(h: Harness) -> None:
    """totp-window: the app's current code completes the login."""
    h.register()
    h.enroll_totp()
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", h.app_code()).reason == "accepted"
    assert h.service.logged_in("alice", login)


def test_login_with_an_sms_code(h: Harness) -> None:
    """phone-validated: the login code goes by SMS to the verified number and logs in."""
    h.enable_sms()
    login = h.login()
    challenge = h.service.send_login_code("alice", login, "sms")
    assert (challenge.channel, challenge.destination) == ("sms", "+1******0001")
    code = h.sms(ALICE)
    assert h.service.verify_login("alice", login, "sms", code).ok
    assert h.service.logged_in("alice", login)


def test_a_login_code_works_for_its_login_only(h: Harness) -> None:
    """oob-bound, ASVS 5.0 6.6.2: a code sent for one login does not complete another (which
    has its own code, or none), and still completes its own."""
    h.enable_sms()
    first = h.login()
    h.service.send_login_code("alice", first, "sms")
    first_code = h.sms(ALICE)
    second = h.login()
    assert h.service.verify_login("alice", second, "sms", first_code).reason == "nothing_pending"
    h.cool_down()
    h.service.send_login_code("alice", second, "sms")
    second_code = h.sms(ALICE)
    assert not h.service.verify_login("alice", second, "sms", first_code).ok
    h.advance(5)
    assert not h.service.logged_in("alice", second)
    assert h.service.verify_login("alice", first, "sms", first_code).ok
    assert h.service.verify_login("alice", second, "sms", second_code).ok


def test_a_login_id_belongs_to_its_user(h: Harness) -> None:
    """oob-bound: another user's login id is unknown to this user."""
    h.register()
    h.enroll_totp()
    h.register("carol")
    h.enroll_totp("carol", CAROL)
    login = h.login()
    outcome = h.service.verify_login("carol", login, "totp", h.app_code("carol", CAROL))
    assert outcome.reason == "unknown_request"
    assert not h.service.logged_in("carol", login)


def test_a_phone_verification_code_does_not_log_in(h: Harness) -> None:
    """oob-bound: a code sent to verify a (new) number is not a login code."""
    h.enable_sms()
    h.service.change_phone("alice", CAROL)
    code = h.sms(CAROL)
    login = h.login()
    assert h.service.verify_login("alice", login, "sms", code).reason == "nothing_pending"
    assert not h.service.logged_in("alice", login)


def test_a_login_expires(world: World) -> None:
    """login-bound (ASVS 5.0 6.5.5): a login left at the second factor for login_ttl is over,
    right code or not."""
    h = Harness.build(world, policy_=policy(login_ttl=300))
    h.register()
    h.enroll_totp()
    login = h.login()
    h.advance(300)
    outcome = h.service.verify_login("alice", login, "totp", h.app_code())
    assert (outcome.ok, outcome.reason) == (False, "login_expired")
    assert not h.service.logged_in("alice", login)


def test_a_login_sms_code_expires_before_its_login(world: World) -> None:
    """oob-ttl, ASVS 5.0 6.5.5: the login's SMS code dies after sms_code_ttl."""
    h = Harness.build(world, policy_=policy(sms_code_ttl=120))
    h.enable_sms()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    code = h.sms(ALICE)
    h.advance(118)
    assert h.service.verify_login("alice", login, "sms", code).reason == "expired"
    assert not h.service.logged_in("alice", login)


def test_a_completed_login_takes_no_more_codes(h: Harness) -> None:
    """oob-single-use: once a login is done, its code (or any other) does nothing more."""
    h.enable_sms()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    code = h.sms(ALICE)
    assert h.service.verify_login("alice", login, "sms", code).ok
    again = h.service.verify_login("alice", login, "sms", code)
    assert (again.ok, again.reason) == (False, "used")


def test_an_sms_login_code_does_not_work_in_the_next_login(h: Harness) -> None:
    """oob-single-use, ASVS 5.0 6.5.1: a used SMS code does not complete a later login."""
    h.enable_sms()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    code = h.sms(ALICE)
    assert h.service.verify_login("alice", login, "sms", code).ok
    h.cool_down()
    later = h.login()
    h.service.send_login_code("alice", later, "sms")
    fresh = h.sms(ALICE)
    if fresh != code:  # the odd chance the new code is the same six digits
        assert not h.service.verify_login("alice", later, "sms", code).ok
    assert not h.service.logged_in("alice", later)


def test_a_replayed_totp_step_is_rejected_logged_and_notified(h: Harness) -> None:
    """totp-replay, notify-replay (RFC 6238 5.2, ASVS 4.0.3 2.8.5): the same code in a second
    login is refused, written to the audit log and the user is told."""
    h.register()
    h.enroll_totp()
    code = h.app_code()
    first = h.login()
    assert h.service.verify_login("alice", first, "totp", code).ok
    second = h.login()
    outcome = h.service.verify_login("alice", second, "totp", code)
    assert (outcome.ok, outcome.reason) == (False, "replayed")
    assert not h.service.logged_in("alice", second)
    assert [n.kind for n in h.service.notifications if n.kind == "replay"] == ["replay"]
    replays = [e for e in h.service.audit_log() if e.event == "replay.rejected"]
    assert [(e.user, e.outcome, e.details["factor"]) for e in replays] == [
        ("alice", "rejected", "totp")
    ]


def test_an_older_step_after_a_newer_one_is_rejected(h: Harness) -> None:
    """totp-replay, RFC 6238 5.2: once a step is accepted, no earlier step is (even unused)."""
    h.register()
    secret = h.enroll_totp()
    h.advance(60)
    first = h.login()
    assert h.service.verify_login("alice", first, "totp", h.totp(secret, 1)).ok
    second = h.login()
    outcome = h.service.verify_login("alice", second, "totp", h.totp(secret, 0))
    assert not outcome.ok
    assert outcome.reason in ("replayed", "stale")
    assert "replay" in [n.kind for n in h.service.notifications]


def test_the_same_code_in_the_next_step_is_still_a_replay(h: Harness) -> None:
    """totp-replay: a code stays spent for as long as the window would accept it."""
    h.register()
    h.enroll_totp()
    code = h.app_code()
    assert h.service.verify_login("alice", h.login(), "totp", code).ok
    h.advance(30)
    assert h.service.verify_login("alice", h.login(), "totp", code).reason == "replayed"


def test_factors_that_send_nothing_cannot_be_sent(h: Harness) -> None:
    """Only SMS and Authy send login codes; asking for another factor is an InputError."""
    h.enable_sms()
    login = h.login()
    for channel in ("totp", "recovery", "authy-push", "carrier-pigeon"):
        with pytest.raises(InputError):
            h.service.send_login_code("alice", login, channel)


def test_login_codes_respect_the_resend_cooldown(h: Harness) -> None:
    """oob-rate-limit, ASVS 5.0 2.4.1: a second login SMS within the cooldown is refused."""
    h.enable_sms()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    with pytest.raises(RetryLaterError) as caught:
        h.service.send_login_code("alice", h.login(), "sms")
    assert caught.value.reason == "cooldown"
    assert 0 < caught.value.retry_after <= h.policy.resend_cooldown


def test_an_unknown_login_id_is_refused(h: Harness) -> None:
    """oob-bound: a made-up login id completes nothing."""
    h.register()
    h.enroll_totp()
    outcome = h.service.verify_login("alice", "0" * 24, "totp", h.app_code())
    assert (outcome.ok, outcome.reason) == (False, "unknown_request")
