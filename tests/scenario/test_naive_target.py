"""The ``pyotp-naive`` target: the flow works, and its flaws are real (the target is honest).

Each test runs a real world (fake Twilio on ``requests``, phones with their own clocks); TOTP
checks run inside the freezegun bridge, as the runner runs a target with ``reads_system_time``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from twofa_sim.core.clock import frozen_system_time
from twofa_sim.core.keyuri import lint_uri, parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.errors import InputError, ProviderUnavailableError
from twofa_sim.scenario.target import AccountView, Outcome, Target, TargetContext, load_target
from twofa_sim.scenario.targets.naive import NaiveTarget
from twofa_sim.world import World

ALICE = "+15551230001"
"""An ordinary phone with an authenticator app, clock right."""
FAST = "+15551230004"
"""A phone whose clock is 25 s fast (less than one step)."""
FAR = "+15551230005"
"""A phone whose clock is 100 s fast (more than three steps)."""
BOB = "+15551230002"
"""An Authy user: the naive app still sends an SMS."""
APP = "google-authenticator-android-2012"
PASSWORD = "correct horse battery staple"
START = "2031-03-01T09:00:00Z"
"""A whole minute (a step starts), years away from the real clock."""


def description(**extra: Any) -> dict[str, Any]:
    return {
        "seed": 11,
        "start": START,
        "sms": {"delay": "2s"},
        "phones": [
            {"number": ALICE, "apps": [APP]},
            {"number": FAST, "offset": "25s", "apps": [APP]},
            {"number": FAR, "offset": "100s", "apps": [APP]},
            {"number": BOB, "authy": True},
        ],
        **extra,
    }


def context(world: World) -> TargetContext:
    return TargetContext.for_world(world)


@pytest.fixture
def world() -> Iterator[World]:
    with World(description()) as entered:
        yield entered


@pytest.fixture
def target(world: World) -> NaiveTarget:
    return NaiveTarget(context(world))


def sms(world: World, phone: str) -> str:
    """Let the SMS arrive and read its code, as the user would."""
    before = len(world.phone(phone).inbox())
    world.advance(world.network.delivery.delay)
    assert len(world.phone(phone).inbox()) == before + 1, f"no new SMS on {phone}"
    code = world.phone(phone).latest_code()
    assert code is not None
    return code


def enable_sms(world: World, target: NaiveTarget, user: str = "alice", phone: str = ALICE) -> None:
    target.register(user, PASSWORD)
    challenge = target.start_phone_verification(user, phone, "push")
    assert target.confirm_phone(user, challenge.request_id, sms(world, phone)).ok


def enroll_totp(world: World, target: NaiveTarget, *phones: str, user: str = "alice") -> str:
    """Register, show the QR, scan it on each phone's app; the secret."""
    target.register(user, PASSWORD)
    enrollment = target.generate_qr(user)
    for phone in phones or (ALICE,):
        assert world.phone(phone).app().scan(enrollment.png).accepted
    return parse_uri(enrollment.uri).secret


def login(target: NaiveTarget, user: str = "alice") -> str:
    result = target.login(user, PASSWORD)
    assert result.status == "second_factor", result
    assert result.login_id is not None
    return result.login_id


def app_code(world: World, phone: str = ALICE, user: str = "alice") -> str:
    return world.phone(phone).app().code("twofa-sim", user)


def wrong_totp(secret: str, now: float) -> str:
    """A well-formed code that matches no step near ``now``."""
    near = {totp(secret, now + 30 * k) for k in range(-5, 6)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


# --- the protocol ---------------------------------------------------------------------------------


def test_it_is_a_target_and_says_what_it_lacks(target: NaiveTarget) -> None:
    """The Target protocol holds; the built-in name loads it; only ``restart`` is offered, and
    the runner is told to bridge the system time."""
    assert isinstance(target, Target)
    assert load_target("pyotp-naive") is NaiveTarget
    assert (target.name, target.features) == ("pyotp-naive", frozenset({"restart", "storage"}))
    assert NaiveTarget.reads_system_time is True


# --- phone verification by SMS --------------------------------------------------------------------


def test_sms_flow_end_to_end(world: World, target: NaiveTarget) -> None:
    """The seed's flow: the code reaches the phone through the Twilio fake after the network
    delay, confirming it turns two-factor on, and a login passes with a second SMS code."""
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", ALICE, "push")
    assert (challenge.channel, challenge.destination) == ("sms", "+1******0001")
    assert world.phone(ALICE).inbox() == []
    code = sms(world, ALICE)
    assert world.phone(ALICE).inbox()[-1].body == f"Your code is {code}"
    assert target.confirm_phone("alice", challenge.request_id, code).reason == "accepted"
    assert target.account("alice") == AccountView(True, ("sms",), ALICE, locked=False)

    login_id = login(target)
    assert target.login("alice", PASSWORD).factors == ("sms",)
    assert not target.logged_in("alice", login_id)
    target.send_login_code("alice", login_id, "sms")
    assert target.verify_login("alice", login_id, "sms", sms(world, ALICE)).reason == "accepted"
    assert target.logged_in("alice", login_id)


def test_an_authy_user_still_gets_an_sms(world: World, target: NaiveTarget) -> None:
    """The naive app knows nothing of Authy: ``method`` is ignored, the channel is SMS."""
    target.register("bob", PASSWORD)
    challenge = target.start_phone_verification("bob", BOB, "app")
    assert challenge.channel == "sms"
    assert target.confirm_phone("bob", challenge.request_id, sms(world, BOB)).ok
    assert target.account("bob").factors == ("sms",)


def test_sms_codes_are_reused_and_never_expire(world: World, target: NaiveTarget) -> None:
    """ASVS 5.0 6.5.1, 6.5.5 broken: a phone code confirms twice, a month later too; a login
    SMS code logs in twice, and still works a day later (the challenge says: never expires)."""
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", ALICE, "push")
    assert challenge.expires_at == float("inf")
    code = sms(world, ALICE)
    assert target.confirm_phone("alice", challenge.request_id, code).ok
    assert target.confirm_phone("alice", challenge.request_id, code).ok
    world.advance("30d")
    assert target.confirm_phone("alice", challenge.request_id, code).ok

    login_id = login(target)
    target.send_login_code("alice", login_id, "sms")
    code = sms(world, ALICE)
    assert target.verify_login("alice", login_id, "sms", code).ok
    assert target.verify_login("alice", login_id, "sms", code).ok
    world.advance("1d")
    assert target.verify_login("alice", login_id, "sms", code).reason == "accepted"


def test_sms_code_answers(world: World, target: NaiveTarget) -> None:
    """Wrong, missing and letter codes are all ``wrong_code`` (no ``malformed``); an unknown
    request is ``unknown_request``; the number is untouched until a right code comes."""
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", ALICE, "push")
    code = sms(world, ALICE)
    wrong = "".join(str((int(c) + 1) % 10) for c in code)
    for typed in (wrong, None, "abcdef", ""):
        assert target.confirm_phone("alice", challenge.request_id, typed).reason == "wrong_code"
    assert target.account("alice") == AccountView(False)
    assert target.confirm_phone("alice", "nope", code).reason == "unknown_request"


def test_numbers_are_normalised_with_phonenumbers(world: World, target: NaiveTarget) -> None:
    """A number with spaces is normalised to E.164 (the SMS reaches the phone); a number that
    is not one is refused as input."""
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", "+1 555 123 0001", "push")
    assert target.confirm_phone("alice", challenge.request_id, sms(world, ALICE)).ok
    assert target.account("alice").phone == ALICE
    for bad in ("+1555", "not a number", "5551230001"):
        with pytest.raises(InputError):
            target.start_phone_verification("alice", bad, "push")


def test_a_twilio_failure_is_provider_unavailable() -> None:
    """A Twilio 503 becomes ProviderUnavailableError (the runner's ``provider_unavailable``),
    and no code was kept for a message that never left."""
    faults = {"twilio": [{"kind": "http_503"}]}
    with World(description(faults=faults)) as world:
        target = NaiveTarget(context(world))
        target.register("alice", PASSWORD)
        with pytest.raises(ProviderUnavailableError):
            target.start_phone_verification("alice", ALICE, "push")
        assert target.users["alice"].sms_codes == {}


def test_change_phone_keeps_the_old_number_until_confirmed(
    world: World, target: NaiveTarget
) -> None:
    """The new number replaces the old one only once its code is confirmed."""
    enable_sms(world, target)
    challenge = target.change_phone("alice", FAST, "push")
    assert target.account("alice").phone == ALICE
    assert target.confirm_phone("alice", challenge.request_id, sms(world, FAST)).ok
    assert target.account("alice").phone == FAST


# --- the authenticator app ------------------------------------------------------------------------


def test_qr_uri_parses_and_the_scanned_app_gets_the_same_codes(
    world: World, target: NaiveTarget
) -> None:
    """pyotp's URI is a standard one (160-bit secret, defaults left out) and the linter finds
    nothing in it; an app scanning the PNG shows the codes pyotp computes for the secret."""
    target.register("alice", PASSWORD)
    enrollment = target.generate_qr("alice")
    assert enrollment.confirmed is True
    key = parse_uri(enrollment.uri)
    assert (key.type, key.issuer, key.account) == ("totp", "twofa-sim", "alice")
    assert (key.algorithm, key.digits, key.period) == ("SHA1", 6, 30)
    assert len(key.secret_bytes()) == 20
    assert lint_uri(enrollment.uri) == []
    assert world.phone(ALICE).app().scan(enrollment.png).accepted
    with frozen_system_time(world.clock):
        for _ in range(3):
            assert app_code(world) == pyotp.TOTP(key.secret).now() == totp(key.secret, world.now())
            world.advance(30)


def test_the_secret_is_active_at_once_and_replaces_the_old_one(
    world: World, target: NaiveTarget
) -> None:
    """No confirmation step: totp is a factor the moment the QR is shown, and a new QR makes
    the codes of the app that scanned the old one stop working."""
    secret = enroll_totp(world, target)
    assert target.account("alice") == AccountView(True, ("totp",))
    with frozen_system_time(world.clock):
        assert target.confirm_totp("alice", app_code(world)).reason == "accepted"
        target.generate_qr("alice")
        old = totp(secret, world.now())
        assert target.verify_login("alice", login(target), "totp", old) == Outcome(
            False, "wrong_code"
        )


def test_a_totp_code_is_accepted_again(world: World, target: NaiveTarget) -> None:
    """RFC 6238 5.2, ASVS 5.0 6.5.1 broken: the same code logs in twice within its step, and
    on a third login a step later (it is still inside the window)."""
    enroll_totp(world, target)
    with frozen_system_time(world.clock):
        code = app_code(world)
        first, second = login(target), login(target)
        assert target.verify_login("alice", first, "totp", code).reason == "accepted"
        assert target.verify_login("alice", second, "totp", code).reason == "accepted"
        world.advance(30)
        third = login(target)
        assert target.verify_login("alice", third, "totp", code).reason == "accepted"
        assert all(target.logged_in("alice", i) for i in (first, second, third))


def test_the_window_is_one_step_on_the_virtual_clock(world: World, target: NaiveTarget) -> None:
    """valid_window=1 through the bridge: 10 s into a step, a phone 25 s fast (already one step
    ahead) is accepted and one 100 s fast (three steps ahead) refused; outside the bridge pyotp
    reads the real clock, years away, and refuses the right code: the bridge is needed."""
    secret = enroll_totp(world, target, ALICE, FAST, FAR)
    world.advance(10)
    login_id = login(target)
    fast, far = app_code(world, FAST), app_code(world, FAR)
    assert fast == totp(secret, world.now() + 30) != app_code(world, ALICE)
    with frozen_system_time(world.clock):
        assert target.verify_login("alice", login_id, "totp", fast).reason == "accepted"
        assert target.verify_login("alice", login_id, "totp", far).reason == "wrong_code"
        world.advance(90)  # the bridge follows the clock: fast's step is now two behind
        assert target.verify_login("alice", login_id, "totp", fast).reason == "wrong_code"
    now = world.now()
    for code in (totp(secret, now), totp(secret, now + 30)):
        assert target.verify_login("alice", login_id, "totp", code).reason == "wrong_code"


def test_it_never_locks(world: World, target: NaiveTarget) -> None:
    """NIST 800-63B 5.2.2, RFC 4226 7.3 broken: 50 wrong TOTP codes, 50 wrong SMS codes and
    50 wrong passwords, and the right ones still work; the account never shows locked."""
    secret = enroll_totp(world, target)
    challenge = target.start_phone_verification("alice", ALICE, "push")
    phone_code = sms(world, ALICE)
    wrong_sms = "".join(str((int(c) + 1) % 10) for c in phone_code)
    with frozen_system_time(world.clock):
        login_id = login(target)
        wrong = wrong_totp(secret, world.now())
        for _ in range(50):
            assert target.verify_login("alice", login_id, "totp", wrong).reason == "wrong_code"
            assert target.confirm_phone("alice", challenge.request_id, wrong_sms).reason == (
                "wrong_code"
            )
            assert target.login("alice", "guess").reason == "bad_credentials"
        assert target.account("alice").locked is False
        assert target.verify_login("alice", login_id, "totp", app_code(world)).ok
    assert target.confirm_phone("alice", challenge.request_id, phone_code).ok
    assert target.login("alice", PASSWORD).status == "second_factor"


# --- login and the rest ---------------------------------------------------------------------------


def test_login_answers(world: World, target: NaiveTarget) -> None:
    """An unknown user and a wrong password get the same refusal; no factor logs in at once;
    factors the app does not have, and unknown logins, are refused by name."""
    assert target.login("nobody", PASSWORD).reason == "bad_credentials"
    target.register("alice", PASSWORD)
    assert target.login("alice", "wrong").reason == "bad_credentials"
    assert target.login("alice", PASSWORD).status == "logged_in"
    enroll_totp(world, target, user="carol")
    login_id = login(target, "carol")
    assert target.login("carol", PASSWORD).factors == ("totp",)
    for factor in ("recovery", "authy-app", "authy-push", "sms"):
        assert target.verify_login("carol", login_id, factor, "123456").reason == "no_such_factor"
    with frozen_system_time(world.clock):
        for typed in (None, "abcdef", ""):
            assert target.verify_login("carol", login_id, "totp", typed).reason == "wrong_code"
    assert target.verify_login("carol", "nope", "totp", "123456").reason == "unknown_request"
    assert not target.logged_in("carol", login_id)
    assert not target.logged_in("nobody", login_id)


def test_sms_login_needs_a_code_sent_and_only_sms_is_sent(
    world: World, target: NaiveTarget
) -> None:
    """Verifying an SMS login before any code was sent is ``nothing_pending``; other channels
    are refused as input (pyotp-naive sends SMS only)."""
    enable_sms(world, target)
    login_id = login(target)
    assert target.verify_login("alice", login_id, "sms", "123456").reason == "nothing_pending"
    for channel in ("authy-push", "authy-app", "totp"):
        with pytest.raises(InputError, match="sms and totp only"):
            target.send_login_code("alice", login_id, channel)


def test_no_recovery_codes(target: NaiveTarget) -> None:
    """The ``recovery`` feature is absent: asking for codes is refused as input."""
    target.register("alice", PASSWORD)
    with pytest.raises(InputError, match="no recovery codes"):
        target.generate_recovery_codes("alice")


def test_disable_two_factor(world: World, target: NaiveTarget) -> None:
    """The password is checked again; then every factor goes and a login needs none."""
    enable_sms(world, target)
    target.generate_qr("alice")
    assert target.account("alice").factors == ("totp", "sms")
    assert target.disable_two_factor("alice", "wrong") == Outcome(False, "bad_password")
    assert target.disable_two_factor("alice", PASSWORD).reason == "disabled"
    assert target.account("alice") == AccountView(False)
    assert target.login("alice", PASSWORD).status == "logged_in"


def test_no_audit_no_notifications_and_a_restart_keeps_state(
    world: World, target: NaiveTarget
) -> None:
    """ASVS 5.0 16.3.1 and 6.3.7 unmet: nothing is logged, nobody is told; a restart is a
    no-op, as the app's database survives it."""
    enable_sms(world, target)
    target.generate_qr("alice")
    assert list(target.audit_events()) == []
    assert list(target.notifications()) == []
    before = target.account("alice")
    target.restart()
    assert target.account("alice") == before


def test_same_seed_same_secrets_and_codes() -> None:
    """Randomness comes from the context: two worlds of one seed give the same QR URI and the
    same SMS code (a run replays byte for byte)."""
    seen = []
    for _ in range(2):
        with World(description()) as world:
            target = NaiveTarget(context(world))
            target.register("alice", PASSWORD)
            challenge = target.start_phone_verification("alice", ALICE, "push")
            seen.append((target.generate_qr("alice").uri, challenge.request_id, sms(world, ALICE)))
    assert seen[0] == seen[1]
