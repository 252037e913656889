"""The audit log: every authentication event, virtual timestamps, a hash chain, no secrets."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reference.harness import ALICE, BOB, PASSWORD, Harness, policy
from twofa_sim.core.clock import parse_instant
from twofa_sim.errors import RetryLaterError
from twofa_sim.reference import RULES, AuditError, MemoryStore, SqliteStore, Store, verify_chain
from twofa_sim.reference.audit import make_entry
from twofa_sim.world import World


def full_story(h: Harness) -> None:
    """Every kind of event: codes sent, verifications ok and failed, QR, replay, lockout,
    recovery, disable."""
    h.enable_sms()
    secret = h.enroll_totp()
    h.service.generate_recovery_codes("alice")
    code = h.app_code()
    assert h.service.verify_login("alice", h.login(), "totp", code).ok
    h.service.verify_login("alice", h.login(), "totp", code)  # replay: the first failure
    for _ in range(h.policy.max_consecutive_failures - 1):
        h.advance(h.policy.backoff_cap)
        h.service.verify_login("alice", h.login(), "totp", h.wrong_totp(secret))
    h.advance(h.policy.lockout_duration)
    login = h.login()
    h.service.send_login_code("alice", login, "sms")
    assert h.service.verify_login("alice", login, "sms", h.sms(ALICE)).ok
    h.service.disable_two_factor("alice", PASSWORD)


def test_every_kind_of_event_is_logged(h: Harness) -> None:
    """audit, ASVS 5.0 16.3.1: codes sent, verifications ok and failed with the reason, the
    QR, the replay, the lockout, enable and disable are all in the log."""
    full_story(h)
    seen = {(e.event, e.outcome) for e in h.service.audit_log()}
    for expected in [
        ("user.registered", "ok"),
        ("phone.code_sent", "ok"),
        ("phone.verify", "ok"),
        ("two_factor.enabled", "ok"),
        ("totp.generated", "ok"),
        ("totp.confirm", "ok"),
        ("recovery.generated", "ok"),
        ("login.password", "ok"),
        ("login.verify", "ok"),
        ("login.verify", "failed"),
        ("replay.rejected", "rejected"),
        ("account.locked", "locked"),
        ("login.code_sent", "ok"),
        ("two_factor.disabled", "ok"),
    ]:
        assert expected in seen
    log = h.service.audit_log()
    failed = [e for e in log if (e.event, e.outcome) == ("login.verify", "failed")]
    assert {e.details["reason"] for e in failed} == {"replayed", "wrong_code"}
    assert all(e.user == "alice" for e in h.service.audit_log())


def test_each_second_factor_attempt_is_one_entry_with_its_verdict(h: Harness) -> None:
    """audit, ASVS 5.0 16.3.1: every verify_login, success or failure, is logged once with
    the factor and the reason the user was given."""
    h.register()
    secret = h.enroll_totp()
    login = h.login()
    given = []
    for code in [h.wrong_totp(secret), h.totp(secret), h.totp(secret)]:
        given.append(h.service.verify_login("alice", login, "totp", code).reason)
        h.settle()
    logged = [e for e in h.service.audit_log() if e.event == "login.verify"]
    assert [e.details["reason"] for e in logged] == given == ["wrong_code", "accepted", "used"]
    assert [e.outcome for e in logged] == ["failed", "ok", "failed"]
    assert [e.details["factor"] for e in logged[:2]] == ["totp", "totp"]
    assert [e.details["login"] for e in logged[:2]] == [login, login]


def test_entries_carry_the_virtual_time(h: Harness) -> None:
    """audit: each entry is stamped with the world's clock when it happened."""
    h.register()
    h.advance(42)
    h.service.start_phone_verification("alice", ALICE)
    registered, sent = h.service.audit_log()
    start = parse_instant("2026-03-01T09:00:00Z")
    assert (registered.at, sent.at) == (start, start + 42)
    assert sent.body()["at"].startswith("2026-03-01T09:00:42")


def test_rules_named_in_the_log_are_rules_of_the_policy(h: Harness) -> None:
    """audit: an event that applies a rule names one of RULES."""
    full_story(h)
    named = {e.details["rule"] for e in h.service.audit_log() if "rule" in e.details}
    assert named <= set(RULES)
    assert {"notify-replay", "throttle", "secret-csprng", "phone-validated"} <= named


def test_the_chain_verifies_on_both_stores(
    world: World, store_kind: str, make_store: Callable[[str], Store]
) -> None:
    """audit: seq counts from 1, each entry links the previous hash, the chain verifies."""
    h = Harness.build(world, store=make_store(store_kind))
    full_story(h)
    entries = h.service.audit_log()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(b.prev == a.hash for a, b in itertools.pairwise(entries))
    assert verify_chain(entries) is None
    assert h.service.audit_intact()


@pytest.mark.parametrize(
    ("index", "change"),
    [
        (0, {"outcome": "tampered"}),
        (5, {"user": "mallory"}),
        (-1, {"event": "nothing.happened"}),
        (7, {"at": 0.0}),
        (-3, {"details": {"reason": "accepted"}}),
    ],
)
def test_editing_one_memory_entry_is_detected_there(
    h: Harness, index: int, change: dict[str, object]
) -> None:
    """audit: an edited entry (its outcome, user, event, time or details) breaks the chain at
    its seq."""
    full_story(h)
    store = h.service.store
    assert isinstance(store, MemoryStore)
    target = store._audit[index]
    store._audit[index] = dataclasses.replace(target, **change)  # type: ignore[arg-type]
    assert verify_chain(store._audit) == target.seq
    assert not h.service.audit_intact()


def test_removing_or_reordering_entries_is_detected(h: Harness) -> None:
    """audit: dropping or swapping entries breaks the chain where it happened."""
    full_story(h)
    entries = h.service.audit_log()
    assert verify_chain(entries[:3] + entries[4:]) == entries[4].seq
    swapped = [*entries[:2], entries[3], entries[2], *entries[4:]]
    assert verify_chain(swapped) == entries[3].seq
    assert verify_chain(entries[:-1]) is None  # a truncated tail is a shorter valid chain


def test_editing_an_sqlite_row_is_detected_there(world: World, tmp_path: Path) -> None:
    """audit: an UPDATE on the audit table is found at that seq, also by a restarted service."""
    h = Harness.build(world, store=SqliteStore(tmp_path / "db"))
    full_story(h)
    target = h.service.audit_log()[6]
    h.service.store.close()
    with sqlite3.connect(tmp_path / "db") as db:
        (doc,) = db.execute("SELECT doc FROM audit WHERE seq = ?", (target.seq,)).fetchone()
        data = json.loads(doc)
        data["user"] = "mallory"
        db.execute("UPDATE audit SET doc = ? WHERE seq = ?", (json.dumps(data), target.seq))
    db.close()
    restarted = h.restart(SqliteStore(tmp_path / "db"))
    assert verify_chain(restarted.audit_log()) == target.seq
    assert not restarted.audit_intact()
    restarted.store.close()


@pytest.mark.parametrize(
    "key", ["code", "secret", "token", "password", "otp", "uri", "seed", "pin", "Code", "TOKEN"]
)
def test_details_that_could_hold_a_secret_are_refused(key: str) -> None:
    """audit: make_entry refuses detail keys that could hold a secret or a code."""
    with pytest.raises(AuditError):
        make_entry(None, at=0.0, event="x", user="alice", outcome="ok", details={key: "1"})


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_stores_refuse_secret_details_and_append_nothing(
    kind: str, make_store: Callable[[str], Store]
) -> None:
    """audit: neither store appends an entry that would hold a secret."""
    store = make_store(kind)
    store.append_audit(at=0.0, event="ok", user="a", outcome="ok", details={"n": 1})
    with pytest.raises(AuditError):
        store.append_audit(at=1.0, event="x", user="a", outcome="ok", details={"otp": "123456"})
    assert [e.event for e in store.audit()] == ["ok"]


def test_the_log_is_read_only_from_outside(h: Harness) -> None:
    """audit: the list audit_log() returns is a copy; changing it changes nothing stored."""
    h.enable_sms()
    log = h.service.audit_log()
    log.clear()
    assert h.service.audit_log() != []
    assert h.service.audit_intact()


def test_a_push_refused_by_the_rate_limit_is_logged(world: World) -> None:
    """push-rate-limit, audit (ASVS 5.0 16.3.3): an attempt the push limit refuses is logged."""
    h = Harness.build(world, policy_=policy(push_limit=1))
    h.register("bob")
    assert h.verify_phone("bob", BOB, method="app").ok
    h.service.send_login_code("bob", h.login("bob"), "authy-push")
    before = len(h.service.audit_log())
    with pytest.raises(RetryLaterError):
        h.service.send_login_code("bob", h.login("bob"), "authy-push")
    after = h.service.audit_log()[before:]
    assert any(e.details.get("reason") == "rate_limited" for e in after)
