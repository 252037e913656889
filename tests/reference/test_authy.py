"""Phones of Authy users with the app: OneTouch pushes with number matching, and app tokens."""

from __future__ import annotations

import pytest

from tests.reference.harness import BOB, DAVE, Harness, policy
from twofa_sim.errors import RetryLaterError
from twofa_sim.world import World
from twofa_sim.world.apps import AuthyApp


def app(h: Harness, phone: str = BOB) -> AuthyApp:
    authy = h.world.phone(phone).authy
    assert authy is not None
    return authy


def enable_authy(h: Harness, user: str = "bob", phone: str = BOB) -> None:
    """Register and verify an Authy phone with an app token (no push spent)."""
    h.register(user)
    assert h.verify_phone(user, phone, method="app").ok
    h.cool_down()


def other_number(number: str) -> str:
    return f"{(int(number) + 1) % 100:02d}"


def test_an_authy_phone_is_verified_by_push_with_number_matching(h: Harness) -> None:
    """push-number-matching, NIST 800-63B 5.1.3.1: an Authy user's number is verified by a
    push; pending until answered; approved with the number it shows, two-factor is on."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB)
    assert challenge.channel == "authy-push"
    assert h.world.phone(BOB).inbox() == []
    [request] = app(h).pending()
    number = request.details["Number"]
    assert len(number) == 2 and number.isdigit()
    waiting = h.service.confirm_phone("bob", challenge.request_id, number)
    assert (waiting.ok, waiting.reason) == (False, "push_pending")
    app(h).approve(request.uuid)
    assert h.service.confirm_phone("bob", challenge.request_id, number).ok
    record = h.service.record("bob")
    assert (record.phone, record.authy_app, record.two_factor) == (BOB, True, True)
    assert record.factors == ["authy-app", "authy-push"]


def test_an_approved_push_with_the_wrong_number_is_refused(h: Harness) -> None:
    """push-number-matching: approving is not enough: the number typed must match the push,
    and a mismatched push is spent (the right number afterwards does not rescue it)."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB)
    number = h.approve_push(BOB)
    outcome = h.service.confirm_phone("bob", challenge.request_id, other_number(number))
    assert (outcome.ok, outcome.reason) == (False, "number_mismatch")
    h.advance(5)
    assert not h.service.confirm_phone("bob", challenge.request_id, number).ok
    assert not h.service.confirm_phone("bob", challenge.request_id, None).ok
    assert not h.service.record("bob").two_factor


def test_a_denied_push_is_refused_and_notified(h: Harness) -> None:
    """push-approval, ASVS 5.0 6.3.5: a denied push fails and the user hears of it."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB)
    [request] = app(h).pending()
    app(h).deny(request.uuid)
    outcome = h.service.confirm_phone("bob", challenge.request_id, request.details["Number"])
    assert (outcome.ok, outcome.reason) == (False, "push_denied")
    assert "push_denied" in [n.kind for n in h.service.notifications]
    assert not h.service.record("bob").two_factor


def test_an_unanswered_push_expires(h: Harness) -> None:
    """oob-ttl, NIST 800-63B 5.1.3.2: a push not answered within push_ttl is expired."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB)
    [request] = app(h).pending()
    h.advance(h.policy.push_ttl)
    outcome = h.service.confirm_phone("bob", challenge.request_id, request.details["Number"])
    assert (outcome.ok, outcome.reason) == (False, "expired")
    assert app(h).pending() == []


def test_an_authy_phone_is_verified_with_an_app_token(h: Harness) -> None:
    """phone-validated: with authy_method="app" the code is the Authy app's token."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB, authy_method="app")
    assert challenge.channel == "authy-app"
    assert app(h).pending() == []
    wrong = h.service.confirm_phone("bob", challenge.request_id, app(h, DAVE).token())
    assert (wrong.ok, wrong.reason) == (False, "wrong_code")
    h.advance(1)
    assert h.service.confirm_phone("bob", challenge.request_id, app(h).token()).ok
    assert h.service.record("bob").factors == ["authy-app", "authy-push"]


def test_login_with_an_authy_app_token(h: Harness) -> None:
    """The Authy app's token completes a login; no code is sent for it."""
    enable_authy(h)
    login = h.login("bob")
    assert h.service.verify_login("bob", login, "authy-app", app(h).token()).ok
    assert h.service.logged_in("bob", login)


def test_an_authy_token_is_not_accepted_twice(h: Harness) -> None:
    """oob-single-use, notify-replay (ASVS 5.0 6.5.1): Authy accepts a token twice within its
    window; the service does not, and tells the user."""
    enable_authy(h)
    h.advance(30)
    token = app(h).token()
    assert h.service.verify_login("bob", h.login("bob"), "authy-app", token).ok
    second = h.login("bob")
    outcome = h.service.verify_login("bob", second, "authy-app", token)
    assert (outcome.ok, outcome.reason) == (False, "replayed")
    assert not h.service.logged_in("bob", second)
    assert "replay" in [n.kind for n in h.service.notifications]
    assert [e.details["factor"] for e in h.service.audit_log() if e.event == "replay.rejected"] == [
        "authy-app"
    ]


def test_an_authy_token_stays_spent_while_authy_would_still_take_it(h: Harness) -> None:
    """oob-single-use, ASVS 5.0 6.5.1: 15 s later Authy still accepts the token (current or
    previous 10 s step); the service still refuses it."""
    enable_authy(h)
    h.advance(30 + 10 - h.world.now() % 10)  # the start of a 10 s Authy step
    token = app(h).token()
    assert h.service.verify_login("bob", h.login("bob"), "authy-app", token).ok
    h.advance(15)
    assert token != app(h).token()
    assert h.world.authy.backend.verify(app(h).authy_id, token) == "app"
    assert h.service.verify_login("bob", h.login("bob"), "authy-app", token).reason == "replayed"


def test_the_verification_token_cannot_log_in(h: Harness) -> None:
    """oob-single-use: the token that verified the phone is spent for the login after it."""
    h.register("bob")
    challenge = h.service.start_phone_verification("bob", BOB, authy_method="app")
    token = app(h).token()
    assert h.service.confirm_phone("bob", challenge.request_id, token).ok
    assert not h.service.verify_login("bob", h.login("bob"), "authy-app", token).ok


def test_login_with_an_authy_push(h: Harness) -> None:
    """push-number-matching: a login push, approved with its number, logs in."""
    enable_authy(h)
    login = h.login("bob")
    challenge = h.service.send_login_code("bob", login, "authy-push")
    assert (challenge.channel, challenge.destination) == ("authy-push", "+1******0002")
    [request] = app(h).pending()
    assert h.service.verify_login("bob", login, "authy-push", "00").reason == "push_pending"
    app(h).approve(request.uuid)
    outcome = h.service.verify_login("bob", login, "authy-push", request.details["Number"])
    assert outcome.ok
    assert h.service.logged_in("bob", login)


@pytest.mark.parametrize("answer", ["mismatch", "deny", "expire"])
def test_a_login_push_that_is_not_approved_rightly_does_not_log_in(h: Harness, answer: str) -> None:
    """push-number-matching, oob-ttl: a wrong number, a denial or silence never logs in."""
    enable_authy(h)
    login = h.login("bob")
    h.service.send_login_code("bob", login, "authy-push")
    [request] = app(h).pending()
    number = request.details["Number"]
    if answer == "mismatch":
        app(h).approve(request.uuid)
        number = other_number(number)
    elif answer == "deny":
        app(h).deny(request.uuid)
    else:
        h.advance(h.policy.push_ttl)
    expected = {"mismatch": "number_mismatch", "deny": "push_denied", "expire": "expired"}
    assert h.service.verify_login("bob", login, "authy-push", number).reason == expected[answer]
    assert not h.service.logged_in("bob", login)


def test_a_push_belongs_to_its_login(h: Harness) -> None:
    """oob-bound, ASVS 5.0 6.6.2: an approved push for one login does not complete another."""
    enable_authy(h)
    first, second = h.login("bob"), h.login("bob")
    h.service.send_login_code("bob", first, "authy-push")
    number = h.approve_push(BOB)
    outcome = h.service.verify_login("bob", second, "authy-push", number)
    assert (outcome.ok, outcome.reason) == (False, "nothing_pending")
    assert h.service.verify_login("bob", first, "authy-push", number).ok


def test_pushes_are_rate_limited(h: Harness) -> None:
    """push-rate-limit, ASVS 5.0 6.6.4: at most push_limit pushes per push_window, across
    logins; the next is refused with when to retry, and never reaches the phone."""
    enable_authy(h)
    start = h.world.now()
    for _ in range(h.policy.push_limit):
        h.service.send_login_code("bob", h.login("bob"), "authy-push")
        h.advance(10)
    with pytest.raises(RetryLaterError) as caught:
        h.service.send_login_code("bob", h.login("bob"), "authy-push")
    assert (caught.value.reason, caught.value.rule) == ("rate_limited", "push-rate-limit")
    assert caught.value.retry_after == pytest.approx(start + h.policy.push_window - h.world.now())
    assert len(h.world.authy.backend.requests) == h.policy.push_limit
    h.advance(caught.value.retry_after)
    h.service.send_login_code("bob", h.login("bob"), "authy-push")
    assert len(h.world.authy.backend.requests) == h.policy.push_limit + 1


def test_the_verification_push_counts_against_the_limit(world: World) -> None:
    """push-rate-limit: every push counts, the phone-verification one included."""
    h = Harness.build(world, policy_=policy(push_limit=2))
    h.register("bob")
    assert h.verify_phone("bob", BOB).ok
    h.service.send_login_code("bob", h.login("bob"), "authy-push")
    with pytest.raises(RetryLaterError):
        h.service.send_login_code("bob", h.login("bob"), "authy-push")


def test_without_number_matching_an_approval_is_enough(world: World) -> None:
    """push-number-matching is a policy option: switched off, the push shows no number and
    approving it logs in."""
    h = Harness.build(world, policy_=policy(number_matching=False))
    enable_authy(h)
    login = h.login("bob")
    h.service.send_login_code("bob", login, "authy-push")
    [request] = app(h).pending()
    assert "Number" not in request.details
    app(h).approve(request.uuid)
    assert h.service.verify_login("bob", login, "authy-push").ok
