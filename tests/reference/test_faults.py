"""Provider failures: the account stays exactly as it was, and the user is told to retry."""

from __future__ import annotations

import pytest

from tests.reference.harness import ALICE, BOB, CAROL, Harness
from twofa_sim.errors import ProviderUnavailableError
from twofa_sim.providers import Delivery

TWILIO_FAULTS = ["http_500", "http_503", "timeout", "connection_error"]


@pytest.mark.parametrize("kind", TWILIO_FAULTS)
def test_an_sms_failure_while_verifying_changes_nothing(hs: Harness, kind: str) -> None:
    """Failure rule (issue #4): Twilio failing mid-enrollment raises ProviderUnavailableError
    saying to retry; the account is exactly as before (either store); a retry then works."""
    hs.register()
    before = hs.service.record("alice").as_dict()
    hs.world.twilio.faults.add(kind, times=1)  # type: ignore[arg-type]
    with pytest.raises(ProviderUnavailableError) as caught:
        hs.service.start_phone_verification("alice", ALICE)
    assert caught.value.provider == "SMS"
    assert "try again" in str(caught.value)
    assert hs.service.record("alice").as_dict() == before
    challenge = hs.service.start_phone_verification("alice", ALICE)
    assert hs.service.confirm_phone("alice", challenge.request_id, hs.sms(ALICE)).ok


def test_a_code_lost_in_a_timeout_does_not_confirm_the_retry(h: Harness) -> None:
    """oob-bound: a timed-out send may still reach the phone; that code belongs to no request
    and does not confirm the retried one."""
    h.register()
    h.world.twilio.faults.add("timeout", times=1)
    with pytest.raises(ProviderUnavailableError):
        h.service.start_phone_verification("alice", ALICE)
    orphan = h.world.phone(ALICE).latest_code()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    if orphan is not None and orphan != code:
        assert not h.service.confirm_phone("alice", challenge.request_id, orphan).ok
        h.advance(2)
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok


def test_an_sms_failure_while_changing_phone_keeps_the_old_phone(hs: Harness) -> None:
    """Failure rule: a provider error during a phone change leaves the old number working."""
    hs.enable_sms()
    before = hs.service.record("alice").as_dict()
    hs.world.twilio.faults.add("http_500", times=1)
    with pytest.raises(ProviderUnavailableError):
        hs.service.change_phone("alice", CAROL)
    assert hs.service.record("alice").as_dict() == before
    login = hs.login()
    hs.service.send_login_code("alice", login, "sms")
    assert hs.service.verify_login("alice", login, "sms", hs.sms(ALICE)).ok


def test_an_sms_failure_at_login_changes_nothing(hs: Harness) -> None:
    """Failure rule: a failed login SMS leaves the account as it was (no cooldown spent) and
    the same login can ask again."""
    hs.enable_sms()
    login = hs.login()
    before = hs.service.record("alice").as_dict()
    hs.world.twilio.faults.add("http_503", times=1)
    with pytest.raises(ProviderUnavailableError):
        hs.service.send_login_code("alice", login, "sms")
    assert hs.service.record("alice").as_dict() == before
    hs.service.send_login_code("alice", login, "sms")
    assert hs.service.verify_login("alice", login, "sms", hs.sms(ALICE)).ok


def test_an_authy_failure_while_verifying_changes_nothing(hs: Harness) -> None:
    """Failure rule: Authy 503 while verifying an Authy phone changes nothing; retry works."""
    hs.register("bob")
    before = hs.service.record("bob").as_dict()
    hs.world.authy.faults.add("http_503", times=1)
    with pytest.raises(ProviderUnavailableError) as caught:
        hs.service.start_phone_verification("bob", BOB)
    assert caught.value.provider == "Authy"
    assert hs.service.record("bob").as_dict() == before
    assert hs.verify_phone("bob", BOB).ok


@pytest.mark.parametrize("endpoint", ["approval_requests.create", None])
def test_an_authy_failure_during_a_push_changes_nothing(hs: Harness, endpoint: str | None) -> None:
    """Failure rule, push-rate-limit: a push Authy failed to send changes nothing, and is not
    counted against the push limit."""
    hs.register("bob")
    assert hs.verify_phone("bob", BOB, method="app").ok
    login = hs.login("bob")
    before = hs.service.record("bob").as_dict()
    for _ in range(hs.policy.push_limit):
        hs.world.authy.faults.add("http_503", times=1, endpoint=endpoint)
        with pytest.raises(ProviderUnavailableError):
            hs.service.send_login_code("bob", login, "authy-push")
    assert hs.service.record("bob").as_dict() == before
    hs.service.send_login_code("bob", login, "authy-push")
    number = hs.approve_push(BOB)
    assert hs.service.verify_login("bob", login, "authy-push", number).ok


def test_an_authy_failure_while_checking_a_push_changes_nothing(hs: Harness) -> None:
    """Failure rule: Authy failing when asked for the push's status changes nothing; asking
    again works."""
    hs.register("bob")
    challenge = hs.service.start_phone_verification("bob", BOB)
    number = hs.approve_push(BOB)
    before = hs.service.record("bob").as_dict()
    hs.world.authy.faults.add("http_500", times=1)
    with pytest.raises(ProviderUnavailableError):
        hs.service.confirm_phone("bob", challenge.request_id, number)
    assert hs.service.record("bob").as_dict() == before
    assert hs.service.confirm_phone("bob", challenge.request_id, number).ok


def test_an_authy_failure_while_checking_a_token_is_not_a_failed_attempt(hs: Harness) -> None:
    """Failure rule, throttle: Authy down while checking a token neither counts a failure nor
    spends anything."""
    hs.register("bob")
    assert hs.verify_phone("bob", BOB, method="app").ok
    authy = hs.world.phone(BOB).authy
    assert authy is not None
    login = hs.login("bob")
    hs.advance(30)
    before = hs.service.record("bob").as_dict()
    hs.world.authy.faults.add("timeout", times=1)
    with pytest.raises(ProviderUnavailableError):
        hs.service.verify_login("bob", login, "authy-app", authy.token())
    assert hs.service.record("bob").as_dict() == before
    assert hs.service.verify_login("bob", login, "authy-app", authy.token()).ok


def test_an_sms_delivered_after_expiry_is_expired(h: Harness) -> None:
    """oob-ttl: a carrier that delivers the SMS after sms_code_ttl delivers a dead code."""
    h.register()
    h.world.network.delivery = Delivery(delay=700)
    challenge = h.service.start_phone_verification("alice", ALICE)
    h.advance(699)
    assert h.world.phone(ALICE).inbox() == []
    h.advance(1)
    code = h.world.phone(ALICE).latest_code()
    assert code is not None
    outcome = h.service.confirm_phone("alice", challenge.request_id, code)
    assert (outcome.ok, outcome.reason) == (False, "expired")
    assert not h.service.record("alice").two_factor
