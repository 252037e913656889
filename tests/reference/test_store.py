"""Persistence: an SQLite store survives a restart; memory and SQLite behave the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reference.harness import ALICE, BOB, PASSWORD, Harness, policy
from twofa_sim.errors import RetryLaterError, UnknownUserError
from twofa_sim.reference import MemoryStore, SqliteStore, Store
from twofa_sim.world import World


@pytest.fixture
def sqlite(world: World, tmp_path: Path) -> Iterator[Harness]:
    """A service on an SQLite file; ``restart()`` below reopens the file in a new service."""
    h = Harness.build(world, store=SqliteStore(tmp_path / "db"))
    yield h
    h.service.store.close()


def restart(h: Harness) -> None:
    """The process stops (the store is closed) and a new one starts on the same file."""
    store = h.service.store
    assert isinstance(store, SqliteStore)
    store.close()
    h.restart(SqliteStore(store.path))


def test_enrollment_survives_a_restart(sqlite: Harness) -> None:
    """Persistence: the phone, the TOTP secret, recovery codes and the audit log survive."""
    h = sqlite
    h.enable_sms()
    h.enroll_totp()
    codes = h.service.generate_recovery_codes("alice")
    before = h.service.record("alice").as_dict()
    audit = h.service.audit_log()
    restart(h)
    assert h.service.record("alice").as_dict() == before
    assert h.service.audit_log() == audit
    assert h.service.verify_login("alice", h.login(), "totp", h.app_code()).ok
    assert h.service.verify_login("alice", h.login(), "recovery", codes[0]).ok
    assert h.service.audit_intact()
    assert len(h.service.audit_log()) > len(audit)


def test_a_used_totp_step_is_still_refused_after_a_restart(sqlite: Harness) -> None:
    """totp-replay, persistence: the last accepted step is stored: a restart opens no replay."""
    h = sqlite
    h.register()
    h.enroll_totp()
    code = h.app_code()
    assert h.service.verify_login("alice", h.login(), "totp", code).ok
    restart(h)
    outcome = h.service.verify_login("alice", h.login(), "totp", code)
    assert (outcome.ok, outcome.reason) == (False, "replayed")


def test_a_lockout_survives_a_restart(world: World, tmp_path: Path) -> None:
    """throttle, persistence: restarting the service does not unlock the account."""
    h = Harness.build(
        world,
        store=SqliteStore(tmp_path / "db"),
        policy_=policy(max_consecutive_failures=3, backoff_factor=0),
    )
    h.register()
    secret = h.enroll_totp()
    login = h.login()
    for _ in range(3):
        assert not h.service.verify_login("alice", login, "totp", h.wrong_totp(secret)).ok
    restart(h)
    assert h.service.verify_login("alice", login, "totp", h.totp(secret)).reason == "locked"
    assert h.service.login("alice", PASSWORD).reason == "locked"
    h.service.store.close()


def test_failures_and_back_off_survive_a_restart(sqlite: Harness) -> None:
    """backoff, persistence: the failure count and its wait survive a restart."""
    h = sqlite
    h.register()
    secret = h.enroll_totp()
    assert not h.service.verify_login("alice", h.login(), "totp", h.wrong_totp(secret)).ok
    restart(h)
    outcome = h.service.verify_login("alice", h.login(), "totp", h.totp(secret))
    assert (outcome.reason, outcome.retry_after) == ("throttled", 1.0)


def test_a_pending_code_survives_a_restart(sqlite: Harness) -> None:
    """Persistence: a code sent before the restart confirms after it, and the resend cooldown
    still holds."""
    h = sqlite
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    restart(h)
    with pytest.raises(RetryLaterError):
        h.service.start_phone_verification("alice", ALICE)
    assert h.service.confirm_phone("alice", challenge.request_id, h.sms(ALICE)).ok


def test_a_login_in_progress_survives_a_restart(sqlite: Harness) -> None:
    """Persistence: a login waiting for its SMS code completes after a restart."""
    h = sqlite
    h.enable_sms()
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    code = h.sms(ALICE)
    restart(h)
    assert h.service.verify_login("alice", login, "sms", code).ok
    assert h.service.logged_in("alice", login)


def test_used_authy_tokens_and_pushes_survive_a_restart(world: World, tmp_path: Path) -> None:
    """oob-single-use, push-rate-limit, persistence: a used Authy token stays used and the
    pushes already sent still count after a restart."""
    h = Harness.build(world, store=SqliteStore(tmp_path / "db"), policy_=policy(push_limit=1))
    h.register("bob")
    assert h.verify_phone("bob", BOB, method="app").ok
    authy = h.world.phone(BOB).authy
    assert authy is not None
    h.advance(30)
    token = authy.token()
    assert h.service.verify_login("bob", h.login("bob"), "authy-app", token).ok
    h.service.send_login_code("bob", h.login("bob"), "authy-push")
    restart(h)
    assert h.service.verify_login("bob", h.login("bob"), "authy-app", token).reason == "replayed"
    with pytest.raises(RetryLaterError):
        h.service.send_login_code("bob", h.login("bob"), "authy-push")
    h.service.store.close()


def test_teams_survive_a_restart(sqlite: Harness) -> None:
    """Persistence: teams and their members are stored."""
    h = sqlite
    h.register()
    h.service.create_team("ops", require_two_factor=True)
    h.service.add_member("ops", "alice")
    restart(h)
    assert h.service.members_without_two_factor("ops") == ["alice"]
    assert h.service.login("alice", PASSWORD).must_enroll


def test_a_new_memory_store_knows_nothing(h: Harness) -> None:
    """Persistence: the memory store lives and dies with the process."""
    h.enable_sms()
    h.restart(MemoryStore())
    with pytest.raises(UnknownUserError):
        h.service.record("alice")
    assert h.service.login("alice", PASSWORD).status == "refused"
    assert h.service.audit_log() == []


def story(h: Harness) -> list[str]:
    """A story touching every kind of state; the reasons the service gave, in order."""
    reasons = []
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    code = h.sms(ALICE)
    reasons.append(h.service.confirm_phone("alice", challenge.request_id, "000000").reason)
    h.advance(1)
    reasons.append(h.service.confirm_phone("alice", challenge.request_id, code).reason)
    h.advance(1)
    reasons.append(h.service.confirm_phone("alice", challenge.request_id, code).reason)
    h.advance(30)
    secret = h.enroll_totp()
    totp = h.totp(secret)
    for _ in range(2):
        h.advance(8)
        reasons.append(h.service.verify_login("alice", h.login(), "totp", totp).reason)
    recovery = h.service.generate_recovery_codes("alice")
    h.advance(8)
    for _ in range(2):
        reasons.append(h.service.verify_login("alice", h.login(), "recovery", recovery[0]).reason)
    reasons.append(h.service.verify_login("alice", h.login(), "recovery", recovery[1]).reason)
    h.advance(8)
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    reasons.append(h.service.verify_login("alice", login, "sms", h.sms(ALICE)).reason)
    reasons.append(h.service.disable_two_factor("alice", PASSWORD).reason)
    reasons.append(h.service.login("alice", PASSWORD).status)
    return reasons


def test_both_stores_behave_the_same(
    world: World, store_kind: str, make_store: Callable[[str], Store]
) -> None:
    """Persistence: the memory and SQLite stores give the same answers to the same story, and
    keep an intact audit chain."""
    h = Harness.build(world, store=make_store(store_kind))
    assert story(h) == [
        "wrong_code",
        "accepted",
        "replayed",
        "accepted",
        "replayed",
        "accepted",
        "replayed",
        "throttled",
        "accepted",
        "disabled",
        "logged_in",
    ]
    assert h.service.audit_intact()
