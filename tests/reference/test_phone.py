"""Phone verification by SMS: the seed's "Verify Phone Number" and "Save Changes" steps."""

from __future__ import annotations

import json

import pytest

from tests.reference.harness import ALICE, CAROL, Harness, description, policy, wrong_code
from twofa_sim.errors import InputError, RetryLaterError, UnknownUserError
from twofa_sim.world import World


def test_sms_code_arrives_after_the_network_delay_and_turns_two_factor_on(h: Harness) -> None:
    """phone-validated, ASVS 5.0 6.6.1: the code reaches the phone in virtual time; saving it
    verifies the number and turns two-factor on."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    assert challenge.channel == "sms"
    assert challenge.destination == "+1******0001"
    assert h.world.phone(ALICE).inbox() == []
    h.advance(1.9)
    assert h.world.phone(ALICE).inbox() == []
    code = h.sms(ALICE)
    assert h.service.confirm_phone("alice", challenge.request_id, code).reason == "accepted"
    record = h.service.record("alice")
    assert (record.phone, record.two_factor, record.factors) == (ALICE, True, ["sms"])


def test_turning_two_factor_on_notifies_the_user(h: Harness) -> None:
    """notify-change, ASVS 5.0 6.3.7: the user is told when a phone becomes a factor."""
    h.enable_sms()
    assert [(n.user, n.kind) for n in h.service.notifications] == [("alice", "factor_changed")]


def test_sms_codes_are_six_random_digits(h: Harness) -> None:
    """oob-entropy, ASVS 5.0 6.5.4: every code is 6 ASCII digits, a new one each time."""
    h.register()
    seen = []
    for _ in range(6):
        h.service.start_phone_verification("alice", ALICE)
        seen.append(h.sms(ALICE))
        h.cool_down()
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in seen)
    assert len(set(seen)) == len(seen)


def test_sms_codes_come_from_the_injected_random_source() -> None:
    """oob-entropy, ASVS 5.0 6.5.3: codes are drawn from the service's random source (the
    CSPRNG in production, the seed in a world): same seed, same code; another seed, another."""

    def first_code(seed: int) -> str:
        with World(description(seed)) as world:
            h = Harness.build(world)
            h.register()
            h.service.start_phone_verification("alice", ALICE)
            return h.sms(ALICE)

    assert first_code(11) == first_code(11)
    assert len({first_code(seed) for seed in (11, 12, 13, 14)}) == 4


def test_a_wrong_code_is_refused_and_the_right_one_still_works(h: Harness) -> None:
    """oob-rate-limit: a wrong code is refused (nothing enabled); the right one then works."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    outcome = h.service.confirm_phone("alice", challenge.request_id, wrong_code(code))
    assert (outcome.ok, outcome.reason) == (False, "wrong_code")
    assert not h.service.record("alice").two_factor
    h.wait(h.service.confirm_phone("alice", challenge.request_id, code))
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok
    assert h.service.record("alice").two_factor


@pytest.mark.parametrize(("elapsed", "reason"), [(299.0, "accepted"), (300.0, "expired")])
def test_sms_code_expires_after_the_ttl(world: World, elapsed: float, reason: str) -> None:
    """oob-ttl, ASVS 5.0 6.5.5: a code sent at t works until t + sms_code_ttl, not after."""
    h = Harness.build(world, policy_=policy(sms_code_ttl=300))
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    assert challenge.expires_at == world.now() + 300
    code = h.sms(ALICE)
    h.advance(elapsed - 2)
    outcome = h.service.confirm_phone("alice", challenge.request_id, code)
    assert outcome.reason == reason
    assert h.service.record("alice").two_factor is (reason == "accepted")


def test_the_default_ttl_is_at_most_ten_minutes(h: Harness) -> None:
    """oob-ttl, NIST 800-63B 5.1.3.2: with the default policy a code is dead after 10 minutes,
    and no policy may allow longer."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    h.advance(600 - 2)
    assert h.service.confirm_phone("alice", challenge.request_id, code).reason == "expired"
    with pytest.raises(InputError):
        policy(sms_code_ttl=601)


def test_sms_code_works_once(h: Harness) -> None:
    """oob-single-use, ASVS 5.0 6.5.1: saving the same code a second time is refused, logged
    as a replay and the user told (notify-replay)."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok
    again = h.service.confirm_phone("alice", challenge.request_id, code)
    assert not again.ok
    assert again.reason == "replayed"
    assert "replay" in [n.kind for n in h.service.notifications]
    assert "replay.rejected" in [e.event for e in h.service.audit_log()]


def test_too_many_wrong_codes_spend_the_code(h: Harness) -> None:
    """oob-rate-limit, ASVS 5.0 6.6.3: after sms_code_attempts wrong guesses the code is spent:
    even the right one is refused and a new code must be sent."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    reasons = []
    for _ in range(h.policy.sms_code_attempts):
        outcome = h.service.confirm_phone("alice", challenge.request_id, wrong_code(code))
        reasons.append(outcome.reason)
        h.advance(2 ** len(reasons))  # out of the back-off
    assert reasons == ["wrong_code"] * (h.policy.sms_code_attempts - 1) + ["too_many_attempts"]
    late = h.service.confirm_phone("alice", challenge.request_id, code)
    assert not late.ok
    assert not h.service.record("alice").two_factor
    fresh = h.service.start_phone_verification("alice", ALICE)
    assert h.service.confirm_phone("alice", fresh.request_id, h.sms(ALICE)).ok


def test_resend_waits_for_the_cooldown(h: Harness) -> None:
    """oob-rate-limit, ASVS 5.0 2.4.1: a second code within resend_cooldown is refused with how
    long to wait; after it, a new code comes and the old one stops working."""
    h.register()
    first = h.service.start_phone_verification("alice", ALICE)
    old = h.sms(ALICE)
    h.advance(8)
    with pytest.raises(RetryLaterError) as caught:
        h.service.start_phone_verification("alice", ALICE)
    assert (caught.value.reason, caught.value.rule) == ("cooldown", "oob-rate-limit")
    assert caught.value.retry_after == pytest.approx(h.policy.resend_cooldown - 10)
    assert len(h.world.phone(ALICE).inbox()) == 1
    h.advance(caught.value.retry_after)
    second = h.service.start_phone_verification("alice", ALICE)
    new = h.sms(ALICE)
    assert not h.service.confirm_phone("alice", first.request_id, old).ok
    assert h.service.confirm_phone("alice", second.request_id, new).ok


def test_a_code_is_bound_to_the_request_that_sent_it(h: Harness) -> None:
    """oob-bound, ASVS 5.0 6.6.2: a code from one verification request does not confirm
    another, in either direction."""
    h.register()
    first = h.service.start_phone_verification("alice", ALICE)
    first_code = h.sms(ALICE)
    h.cool_down()
    second = h.service.start_phone_verification("alice", ALICE)
    second_code = h.sms(ALICE)
    assert first_code != second_code
    assert not h.service.confirm_phone("alice", second.request_id, first_code).ok
    h.advance(60)  # out of any back-off
    assert not h.service.confirm_phone("alice", first.request_id, second_code).ok
    assert not h.service.record("alice").two_factor
    h.advance(60)
    assert h.service.confirm_phone("alice", second.request_id, second_code).ok


def test_a_request_of_another_kind_or_user_confirms_nothing(h: Harness) -> None:
    """oob-bound, ASVS 5.0 6.6.2: a login code's request, or another user's request, cannot
    verify a phone."""
    h.enable_sms()
    login = h.login()
    sent = h.service.send_login_code("alice", login, "sms")
    code = h.sms(ALICE)
    assert h.service.confirm_phone("alice", sent.request_id, code).reason == "unknown_request"
    h.register("carol")
    carol = h.service.start_phone_verification("carol", CAROL)
    carol_code = h.sms(CAROL)
    assert h.service.confirm_phone("alice", carol.request_id, carol_code).reason == (
        "unknown_request"
    )
    assert h.service.record("alice").phone == ALICE
    assert h.service.verify_login("alice", login, "sms", code).ok


@pytest.mark.parametrize(
    "number", ["5551230001", "+1555", "+1 555 12", "call me", "+15551230001x", "+0123"]
)
def test_invalid_numbers_are_input_errors_and_nothing_is_sent(h: Harness, number: str) -> None:
    """phone-validated: what is not a possible number (or lacks a country code) is refused
    with an InputError naming the phone field, and nothing is sent."""
    h.register()
    with pytest.raises(InputError) as caught:
        h.service.start_phone_verification("alice", number)
    assert caught.value.where == "phone"
    assert any(w in caught.value.what for w in ("not a phone number", "country code", "digits"))
    assert h.world.twilio.exchanges == []
    assert h.service.record("alice").pending == {}


def test_unknown_users_are_typed_errors(h: Harness) -> None:
    """An unknown user is UnknownUserError (an InputError), with the name in the message."""
    with pytest.raises(UnknownUserError, match="nobody"):
        h.service.start_phone_verification("nobody", ALICE)
    with pytest.raises(UnknownUserError):
        h.service.confirm_phone("nobody", "00", "123456")
    with pytest.raises(UnknownUserError):
        h.service.record("nobody")
    assert h.world.twilio.exchanges == []


@pytest.mark.parametrize("typed", ["12a456", "\uff11\uff12\uff13\uff14\uff15\uff16", "1" * 13, ""])
def test_malformed_codes_are_refused_without_spending_the_code(h: Harness, typed: str) -> None:
    """oob-rate-limit: non-digit or oversize input is "malformed"; it does not burn the code."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    for _ in range(h.policy.sms_code_attempts + 1):
        outcome = h.service.confirm_phone("alice", challenge.request_id, typed)
        assert (outcome.ok, outcome.reason) == (False, "malformed")
    assert h.service.confirm_phone("alice", challenge.request_id, code).ok


def test_only_a_hash_of_the_code_is_stored(h: Harness) -> None:
    """oob-hashed, ASVS 4.0.3 2.7.5: the stored request holds a salted digest, never the code."""
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    record = h.service.record("alice")
    stored = record.pending[challenge.request_id]
    assert stored.digest and stored.salt
    assert code not in json.dumps(record.as_dict())
    # Salted: the same code under another request's salt would not give this digest.
    assert len(bytes.fromhex(stored.salt)) >= 8


def test_an_unconfirmed_number_never_receives_login_codes(h: Harness) -> None:
    """phone-validated, ASVS 5.0 6.6.1: SMS goes only to a number verified first; one being
    verified is not a factor until confirmed."""
    h.register()
    h.enroll_totp()
    h.service.start_phone_verification("alice", CAROL)
    assert h.service.record("alice").factors == ["totp"]
    login = h.login()
    with pytest.raises(InputError):
        h.service.send_login_code("alice", login, "sms")
    assert h.service.verify_login("alice", login, "sms", "123456").reason == "no_such_factor"
