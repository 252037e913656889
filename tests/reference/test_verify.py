"""The reference service on Twilio Verify (``provider: verify``): the same rules, Verify holding
the codes, the TOTP secrets and the pushes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.errors import InputError, RetryLaterError
from twofa_sim.providers.verify.exceptions import ResourceNotFound
from twofa_sim.reference import ReferenceService, SecurityPolicy, push_identity
from twofa_sim.world import World

ALICE = "+12015550101"
PUSHY = "+12015550102"
PASSWORD = "correct horse battery staple"
CHEAP = SecurityPolicy(code_hash_iterations=1000)


def description(**extra: Any) -> dict[str, Any]:
    return {
        "seed": 11,
        "start": "2026-03-01T09:00:00Z",
        "provider": "verify",
        "phones": [
            {"number": ALICE, "apps": ["google-authenticator-android-2012"]},
            {"number": PUSHY, "verify_push": True},
        ],
        **extra,
    }


@pytest.fixture
def world() -> Iterator[World]:
    with World(description()) as entered:
        yield entered


@pytest.fixture
def service(world: World) -> ReferenceService:
    made = world.reference_service(policy=CHEAP)
    made.register("alice", PASSWORD)
    return made


def sms_code(world: World, number: str = ALICE) -> str:
    world.advance(5)
    code = world.phone(number).latest_code()
    assert code is not None
    return code


def test_phone_verification_goes_through_verify_and_stores_no_code(
    world: World, service: ReferenceService
) -> None:
    """oob-hashed with Verify: the SMS comes from Verify, and the service keeps the
    verification's SID, not the code (nor a hash of it before it is used)."""
    challenge = service.start_phone_verification("alice", ALICE)
    code = sms_code(world)
    assert world.phone(ALICE).inbox()[-1].provider == "verify"
    assert not world.twilio.exchanges and not world.authy.exchanges
    pending = service.record("alice").pending[challenge.request_id]
    assert pending.verification_sid is not None and pending.digest == ""
    assert service.confirm_phone("alice", challenge.request_id, code).reason == "accepted"
    assert service.record("alice").factors == ["sms"]


def test_a_replayed_verify_code_is_told_apart_from_a_spent_one(
    world: World, service: ReferenceService
) -> None:
    """oob-single-use with Verify: the accepted code typed again is a replay (alarm), though
    Verify itself only answers 404 for the closed verification."""
    challenge = service.start_phone_verification("alice", ALICE)
    code = sms_code(world)
    assert service.confirm_phone("alice", challenge.request_id, code).ok
    again = service.confirm_phone("alice", challenge.request_id, code)
    assert again.reason == "replayed"
    assert any(e.event == "replay.rejected" for e in service.audit_log())


def test_five_wrong_codes_spend_the_verification_and_a_new_code_can_be_sent(
    world: World, service: ReferenceService
) -> None:
    """oob-rate-limit: at Verify's 5th wrong check the request is spent and the verification
    canceled, so after the cooldown a new code comes (Verify would refuse one otherwise)."""
    challenge = service.start_phone_verification("alice", ALICE)
    code = sms_code(world)
    wrong = "000000" if code != "000000" else "111111"
    reasons = []
    for _ in range(5):
        world.advance(20)  # past the back-off
        reasons.append(service.confirm_phone("alice", challenge.request_id, wrong).reason)
    assert reasons == ["wrong_code"] * 4 + ["too_many_attempts"]
    world.advance(20)
    assert service.confirm_phone("alice", challenge.request_id, code).reason == "used"
    world.advance(60)
    fresh = service.start_phone_verification("alice", ALICE)
    assert service.confirm_phone("alice", fresh.request_id, sms_code(world)).ok


def test_the_sixth_send_to_a_number_is_refused_with_a_message(
    world: World, service: ReferenceService
) -> None:
    """oob-rate-limit with Verify: resends re-send the same code; the 6th send within its life
    is refused by Verify and the user is told to wait (rate_limited)."""
    for _ in range(5):
        service.start_phone_verification("alice", ALICE)
        world.advance(31)
    with pytest.raises(RetryLaterError) as refused:
        service.start_phone_verification("alice", ALICE)
    assert refused.value.reason == "rate_limited"
    assert "too many codes" in str(refused.value)
    codes = {sms.body[-6:] for sms in world.phone(ALICE).inbox()}
    assert len(codes) == 1  # the same code each time


def test_totp_factor_qr_carries_verifys_uri_and_logins_use_challenges(
    world: World, service: ReferenceService
) -> None:
    """totp-confirm and totp-replay with Verify: the QR is Verify's URI, the first code
    verifies the factor, a login code is a challenge, the same code again is a replay."""
    enrollment = service.generate_qr("alice")
    uri = parse_uri(enrollment.uri)
    assert service.record("alice").totp_pending is not None
    assert service.record("alice").totp_pending.secret == ""  # type: ignore[union-attr]
    secret = uri.secret
    assert service.confirm_totp("alice", totp(secret, world.now())).ok
    world.advance(30)
    login = service.login("alice", PASSWORD)
    code = totp(secret, world.now())
    assert service.verify_login("alice", login.login_id or "", "totp", code).ok
    second = service.login("alice", PASSWORD)
    assert service.verify_login("alice", second.login_id or "", "totp", code).reason == "replayed"


def test_seed_compat_cannot_run_on_verify(world: World) -> None:
    """A Verify factor is active only once verified: the seed's unconfirmed QR is refused."""
    made = world.reference_service(policy=SecurityPolicy.seed_compat())
    made.register("bob", PASSWORD)
    with pytest.raises(InputError, match="confirm_totp"):
        made.generate_qr("bob")


def test_push_challenge_verifies_a_number_whose_phone_runs_the_push_app(
    world: World, service: ReferenceService
) -> None:
    """push-number-matching with Verify Push: the challenge goes to the phone's factor; once
    approved, the number shown completes it; the number then has a verify-push factor."""
    challenge = service.start_phone_verification("alice", PUSHY)
    assert challenge.channel == "verify-push"
    app = world.phone(PUSHY).push
    assert app is not None and app.identity == push_identity(PUSHY)
    pending = app.pending()
    assert len(pending) == 1
    number = pending[0].fields[0]["value"]
    app.approve(pending[0].sid)
    assert service.confirm_phone("alice", challenge.request_id, number).ok
    assert "verify-push" in service.record("alice").factors


def test_a_push_challenge_that_expires_is_refused(world: World, service: ReferenceService) -> None:
    """oob-ttl with Verify Push: a challenge unanswered past push_ttl is expired."""
    challenge = service.start_phone_verification("alice", PUSHY)
    world.advance(CHEAP.push_ttl + 1)
    assert service.confirm_phone("alice", challenge.request_id, "12").reason == "expired"


def test_world_keeps_messages_unless_told() -> None:
    """The provider is messages by default; an unknown one is a located error."""
    assert World({}).spec.provider == "messages"
    with pytest.raises(InputError) as bad:
        World({"provider": "pigeon"})
    assert bad.value.where == "given.provider"


@pytest.mark.parametrize("provider", ["messages", "verify"])
def test_an_email_address_is_refused_as_a_second_factor(provider: str) -> None:
    """oob-no-email: typed where a phone number goes, an e-mail address is refused with a
    reason, and nothing is sent (though Verify has an e-mail channel)."""
    world = World(description(provider=provider))
    with world:
        made = world.reference_service(policy=CHEAP)
        made.register("alice", PASSWORD)
        with pytest.raises(InputError, match="e-mail address is not a second factor"):
            made.start_phone_verification("alice", "alice@example.com")
    assert world.verify.backend.out_of_band == []
    assert not world.verify.exchanges and not world.twilio.exchanges


def test_a_replaced_verification_is_cancelled_at_verify(
    world: World, service: ReferenceService
) -> None:
    """oob-bound with Verify: a new request to another number cancels the first verification
    (Verify answers 404 for it), and its code is refused for either request."""
    first = service.start_phone_verification("alice", ALICE)
    code = sms_code(world)
    sid = service.record("alice").pending[first.request_id].verification_sid
    world.advance(31)
    second = service.start_phone_verification("alice", PUSHY.replace("102", "103"))
    with pytest.raises(ResourceNotFound):
        world.verify.backend.verification(world.verify_service_sid(), sid or "")
    assert service.confirm_phone("alice", first.request_id, code).reason == "used"
    assert service.confirm_phone("alice", second.request_id, code).reason == "wrong_code"


def test_a_verify_push_login_needs_the_approval_and_the_number(
    world: World, service: ReferenceService
) -> None:
    """push-approval and push-number-matching with Verify Push at login: pending until the
    phone answers; a denial is refused and told; an approval counts only with its number."""
    challenge = service.start_phone_verification("alice", PUSHY)
    app = world.phone(PUSHY).push
    assert app is not None
    first = app.pending()[-1]
    app.approve(first.sid)
    assert service.confirm_phone("alice", challenge.request_id, first.fields[0]["value"]).ok
    world.advance(60)

    login = service.login("alice", PASSWORD).login_id or ""
    service.send_login_code("alice", login, "verify-push")
    assert service.verify_login("alice", login, "verify-push", None).reason == "push_pending"
    denied = app.pending()[-1]
    app.deny(denied.sid)
    assert service.verify_login("alice", login, "verify-push", "00").reason == "push_denied"
    assert service.notifications[-1].kind == "push_denied"

    world.advance(60)
    login = service.login("alice", PASSWORD).login_id or ""
    service.send_login_code("alice", login, "verify-push")
    shown = app.pending()[-1]
    app.approve(shown.sid)
    number = shown.fields[0]["value"]
    wrong = "00" if number != "00" else "01"
    assert service.verify_login("alice", login, "verify-push", wrong).reason == "number_mismatch"
    assert not service.logged_in("alice", login)


def test_a_shorter_policy_ttl_holds_with_verify_and_the_next_code_is_new(world: World) -> None:
    """oob-ttl with Verify: sms_code_ttl below Verify's 10 minutes is enforced by the service;
    the expired verification is canceled, so the next request gets a new code, not the old."""
    made = world.reference_service(
        policy=SecurityPolicy(code_hash_iterations=1000, sms_code_ttl=120)
    )
    made.register("alice", PASSWORD)
    first = made.start_phone_verification("alice", ALICE)
    old = sms_code(world)
    world.advance(120)
    assert made.confirm_phone("alice", first.request_id, old).reason == "expired"
    second = made.start_phone_verification("alice", ALICE)
    new = sms_code(world)
    assert new != old
    assert made.confirm_phone("alice", second.request_id, old).reason == "wrong_code"
    world.advance(20)
    assert made.confirm_phone("alice", second.request_id, new).ok


def test_a_lower_policy_attempt_limit_holds_with_verify(world: World) -> None:
    """oob-rate-limit with Verify: sms_code_attempts below Verify's 5 spends the code first."""
    policy = SecurityPolicy(code_hash_iterations=1000, sms_code_attempts=2, backoff_factor=0.0)
    made = world.reference_service(policy=policy)
    made.register("alice", PASSWORD)
    challenge = made.start_phone_verification("alice", ALICE)
    code = sms_code(world)
    wrong = "000000" if code != "000000" else "111111"
    reasons = [made.confirm_phone("alice", challenge.request_id, wrong).reason for _ in range(2)]
    assert reasons == ["wrong_code", "too_many_attempts"]
    assert made.confirm_phone("alice", challenge.request_id, code).reason == "used"
