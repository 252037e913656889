"""Turning two-factor off, changing the phone number, and teams that require two-factor."""

from __future__ import annotations

import pytest

from tests.reference.harness import ALICE, BOB, CAROL, PASSWORD, Harness
from twofa_sim.errors import InputError, UnknownUserError


def test_disabling_needs_the_password(h: Harness) -> None:
    """notify-change, audit: a wrong password turns nothing off, and the attempt is logged."""
    h.enable_sms()
    h.enroll_totp()
    outcome = h.service.disable_two_factor("alice", "guess")
    assert (outcome.ok, outcome.reason) == (False, "bad_password")
    assert h.service.record("alice").factors == ["totp", "sms"]
    failed = [e for e in h.service.audit_log() if e.event == "two_factor.disable"]
    assert [(e.outcome, e.details["reason"]) for e in failed] == [("failed", "bad_password")]


def test_after_disabling_no_factor_works(h: Harness) -> None:
    """A disabled factor never works (ASVS 5.0 6.5.6): TOTP, SMS and recovery codes are all
    refused in a login opened before, the user is told, and the password alone logs in."""
    h.enable_sms()
    h.enroll_totp()
    recovery = h.service.generate_recovery_codes("alice")
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    sms = h.sms(ALICE)
    h.service.notifications.clear()
    assert h.service.disable_two_factor("alice", PASSWORD).ok
    assert [n.kind for n in h.service.notifications] == ["factor_changed"]
    assert "two_factor.disabled" in [e.event for e in h.service.audit_log()]
    record = h.service.record("alice")
    assert (record.two_factor, record.phone, record.totp, record.recovery) == (
        False,
        None,
        None,
        [],
    )
    for factor, code in [("totp", h.app_code()), ("sms", sms), ("recovery", recovery[0])]:
        outcome = h.service.verify_login("alice", login, factor, code)
        assert (outcome.ok, outcome.reason) == (False, "no_such_factor")
    assert not h.service.logged_in("alice", login)
    assert h.service.login("alice", PASSWORD).status == "logged_in"


def test_disabled_factors_stay_dead_when_two_factor_comes_back(h: Harness) -> None:
    """A disabled factor never works: after turning two-factor on again with a phone, the old
    app, the old recovery codes and an SMS sent before are all refused."""
    h.enable_sms()
    h.enroll_totp()
    recovery = h.service.generate_recovery_codes("alice")
    open_login = h.login()
    h.service.send_login_code("alice", open_login, "sms")
    old_sms = h.sms(ALICE)
    assert h.service.disable_two_factor("alice", PASSWORD).ok
    h.cool_down()
    assert h.verify_phone("alice", ALICE).ok
    assert h.service.record("alice").factors == ["sms"]
    assert not h.service.verify_login("alice", open_login, "sms", old_sms).ok
    login = h.login()
    assert not h.service.verify_login("alice", login, "totp", h.app_code()).ok
    assert not h.service.verify_login("alice", login, "recovery", recovery[1]).ok
    h.service.generate_qr("alice")
    h.advance(60)
    assert not h.service.confirm_totp("alice", h.app_code()).ok
    assert not h.service.logged_in("alice", login)


def test_an_authy_phone_stops_working_when_disabled(h: Harness) -> None:
    """A disabled factor never works: an Authy token after disabling logs in nothing."""
    h.register("bob")
    assert h.verify_phone("bob", BOB, method="app").ok
    login = h.login("bob")
    assert h.service.disable_two_factor("bob", PASSWORD).ok
    authy = h.world.phone(BOB).authy
    assert authy is not None
    h.advance(30)
    assert not h.service.verify_login("bob", login, "authy-app", authy.token()).ok
    assert not h.service.logged_in("bob", login)


def test_change_phone_keeps_the_old_number_until_the_new_is_confirmed(h: Harness) -> None:
    """phone-validated, notify-change (NIST 800-63B 5.1.3.3): a new number is a new
    authenticator: the old one stays until the new one is verified; then codes go to the new
    number and the user is told."""
    h.enable_sms()
    challenge = h.service.change_phone("alice", CAROL)
    new_code = h.sms(CAROL)
    assert h.service.record("alice").phone == ALICE
    h.cool_down()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    assert h.service.verify_login("alice", login, "sms", h.sms(ALICE)).ok
    wrong = "".join(str((int(c) + 5) % 10) for c in new_code)
    assert not h.service.confirm_phone("alice", challenge.request_id, wrong).ok
    assert h.service.record("alice").phone == ALICE
    h.advance(2)
    h.service.notifications.clear()
    assert h.service.confirm_phone("alice", challenge.request_id, new_code).ok
    assert h.service.record("alice").phone == CAROL
    assert [n.message for n in h.service.notifications] == ["Your phone number was changed"]
    h.cool_down()
    login = h.login()
    challenge = h.service.send_login_code("alice", login, "sms")
    assert challenge.destination == "+1******0003"
    assert h.service.verify_login("alice", login, "sms", h.sms(CAROL)).ok


def test_change_phone_needs_a_phone(h: Harness) -> None:
    """phone-validated: there is nothing to change before a number is verified."""
    h.register()
    with pytest.raises(InputError):
        h.service.change_phone("alice", CAROL)


def test_a_team_lists_members_without_two_factor(h: Harness) -> None:
    """ASVS 5.0 6.3.3: a team requiring two-factor lists who has not turned it on, and their
    next login says they must enroll."""
    h.enable_sms()
    h.register("carol")
    team = h.service.create_team("ops", require_two_factor=True)
    assert team.members == []
    h.service.add_member("ops", "alice")
    h.service.add_member("ops", "carol")
    h.service.add_member("ops", "carol")
    assert h.service.members_without_two_factor("ops") == ["carol"]
    result = h.service.login("carol", PASSWORD)
    assert (result.status, result.must_enroll) == ("logged_in", True)
    h.verify_phone("carol", CAROL)
    assert h.service.members_without_two_factor("ops") == []


def test_a_team_that_does_not_require_it_asks_nothing(h: Harness) -> None:
    """ASVS 5.0 6.3.3: only a requiring team makes enrollment a must."""
    h.register("carol")
    h.service.create_team("fun")
    h.service.add_member("fun", "carol")
    assert h.service.login("carol", PASSWORD).must_enroll is False
    assert h.service.members_without_two_factor("fun") == ["carol"]


def test_teams_name_real_teams_and_users(h: Harness) -> None:
    """Unknown teams and users are typed input errors."""
    h.register()
    with pytest.raises(InputError):
        h.service.add_member("nope", "alice")
    h.service.create_team("ops", require_two_factor=True)
    with pytest.raises(UnknownUserError):
        h.service.add_member("ops", "nobody")
    with pytest.raises(InputError):
        h.service.members_without_two_factor("nope")
