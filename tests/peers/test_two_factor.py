"""The ``django-two-factor-auth`` target maps django-two-factor-auth's phone device faithfully:
its number validation, its SMS through its Twilio gateway (the ``twilio`` library, reaching the
fake Twilio), its code window (the send step and five before the current one), its throttling,
and no record of a code as used (a delivered code works again inside its window)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("two_factor", reason="the target needs the [django] extra")
pytest.importorskip("phonenumber_field", reason="the target needs the [django] extra")
pytest.importorskip("django_otp", reason="the target needs the [django] extra")

from twofa_sim.errors import InputError, RetryLaterError
from twofa_sim.peers.two_factor import TwoFactorAuthTarget
from twofa_sim.scenario.target import Target, TargetContext
from twofa_sim.world import World

ALICE = "+12015550101"
"""A number libphonenumber accepts (the fictional 555-01xx range)."""
PASSWORD = "correct horse battery staple"
START = "2031-03-01T09:00:00Z"


def description(**extra: Any) -> dict[str, Any]:
    return {
        "seed": 7,
        "start": START,
        "sms": {"delay": "2s"},
        "phones": [{"number": ALICE}],
        "freeze_system_time": True,
        **extra,
    }


@pytest.fixture
def world() -> Iterator[World]:
    with World(description()) as entered:
        yield entered


@pytest.fixture
def target(world: World) -> Iterator[TwoFactorAuthTarget]:
    made = TwoFactorAuthTarget(TargetContext.for_world(world))
    yield made
    made.close()


def sms(world: World) -> str:
    before = len(world.phone(ALICE).inbox())
    world.advance(world.network.delivery.delay)
    assert len(world.phone(ALICE).inbox()) == before + 1, "no new SMS"
    code = world.phone(ALICE).latest_code()
    assert code is not None
    return code


def enable_sms(world: World, target: TwoFactorAuthTarget) -> None:
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", ALICE, "sms")
    assert target.confirm_phone("alice", challenge.request_id, sms(world)).ok


def not_a_code_of(target: TwoFactorAuthTarget) -> str:
    """A well-formed code none of the steps the phone device accepts now gives."""
    from django.apps import apps
    from django_otp.oath import totp

    target.site.activate()
    key = apps.get_model("phonenumber.phonedevice").objects.get().bin_key
    valid = {f"{totp(key, drift=d):06d}" for d in range(-5, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)


def login(target: TwoFactorAuthTarget) -> str:
    result = target.login("alice", PASSWORD)
    assert result.status == "second_factor", result
    return result.login_id


def test_it_is_a_target_naming_what_it_tests(target: TwoFactorAuthTarget) -> None:
    """The Target protocol holds; the versions recorded are those of the packages under test;
    a phone code's lifetime is fixed, so sms_code_ttl is not a setting it honours."""
    from importlib import metadata

    assert isinstance(target, Target)
    assert target.name == "django-two-factor-auth"
    versions = TwoFactorAuthTarget.versions()
    assert versions["django-two-factor-auth"] == metadata.version("django-two-factor-auth")
    assert "sms_code_ttl" not in TwoFactorAuthTarget.policy_settings
    assert TwoFactorAuthTarget.default_policy()["sms_code_ttl"] == 180.0


def test_the_sms_goes_through_its_twilio_gateway_and_verifies_the_phone(
    world: World, target: TwoFactorAuthTarget
) -> None:
    """The code arrives by SMS through the fake Twilio (sent by the twilio library); typed, it
    confirms the phone device, which becomes the user's SMS factor."""
    enable_sms(world, target)
    body = world.phone(ALICE).inbox()[-1].body
    assert "Your OTP token is" in body
    account = target.account("alice")
    assert account.two_factor
    assert account.factors == ("sms",)
    assert account.phone == ALICE


def test_a_number_libphonenumber_refuses_is_invalid_input(target: TwoFactorAuthTarget) -> None:
    """validate_international_phonenumber decides: +15551230001 is no valid number."""
    target.register("alice", PASSWORD)
    with pytest.raises(InputError):
        target.start_phone_verification("alice", "+15551230001", "sms")


def test_a_delivered_code_logs_in_twice(world: World, target: TwoFactorAuthTarget) -> None:
    """django-two-factor-auth records no code as used: the code that completed one login
    completes the next one too, inside its window (their issue #97; ASVS 5.0 6.5.1)."""
    enable_sms(world, target)
    first = login(target)
    target.send_login_code("alice", first, "sms")
    code = sms(world)
    assert target.verify_login("alice", first, "sms", code).ok
    assert target.logged_in("alice", first)
    world.advance(10)
    second = login(target)
    assert target.verify_login("alice", second, "sms", code).ok
    assert target.logged_in("alice", second)


@pytest.mark.parametrize(("wait", "accepted"), [(140.0, True), (181.0, False)])
def test_a_code_lives_six_steps(
    world: World, target: TwoFactorAuthTarget, wait: float, accepted: bool
) -> None:
    """Sent at the start of a step, the code is accepted 140 s later and refused after 180 s
    (PhoneDevice.validate_token: drift -5 to 0)."""
    enable_sms(world, target)
    world.advance(30 - world.now() % 30)  # the start of a step
    login_id = login(target)
    target.send_login_code("alice", login_id, "sms")
    code = sms(world)
    world.advance(wait - 2)
    assert target.verify_login("alice", login_id, "sms", code).ok is accepted


def test_nothing_is_sent_while_the_device_throttles(
    world: World, target: TwoFactorAuthTarget
) -> None:
    """After a wrong code the device throttles (1 s, then 2 s...): generate_challenge sends
    nothing meanwhile, reported as a refusal to send with django-otp's wait."""
    enable_sms(world, target)
    login_id = login(target)
    wrong = target.verify_login("alice", login_id, "sms", not_a_code_of(target))
    assert not wrong.ok
    before = len(world.phone(ALICE).inbox())
    with pytest.raises(RetryLaterError) as caught:
        target.send_login_code("alice", login_id, "sms")
    assert caught.value.reason == "throttled"
    world.advance(5)
    assert len(world.phone(ALICE).inbox()) == before
