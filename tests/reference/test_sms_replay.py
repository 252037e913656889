"""A spent SMS code typed again, at a later login or after a restart, is a replay (issue 11, §4):
refused as ``replayed``, logged, told to the user and counted, with Messages and with Verify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reference.harness import ALICE, Harness, description, policy
from twofa_sim.reference import SqliteStore
from twofa_sim.world import World


@pytest.fixture(params=["messages", "verify"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    with World(description(provider=request.param)) as entered:
        yield entered


def _logged_in_once(h: Harness) -> str:
    """Alice turns SMS on and logs in once with a code sent for that login; the code."""
    h.enable_sms()
    first = h.login()
    h.service.send_login_code("alice", first, "sms")
    code = h.sms(ALICE)
    assert h.service.verify_login("alice", first, "sms", code).ok
    h.cool_down()
    return code


def _replays(h: Harness) -> tuple[list[str], list[str]]:
    """The factors of the replay audit entries, and the kinds of replay notices, so far."""
    events = [e.details["factor"] for e in h.service.audit_log() if e.event == "replay.rejected"]
    notes = [n.kind for n in h.service.notifications if n.kind == "replay"]
    return events, notes


def test_a_used_code_at_a_later_login_that_sent_none_is_a_replay(world: World) -> None:
    """oob-single-use, notify-replay (ASVS 5.0 6.5.1, 4.0.3 2.8.5): the spent code typed at a
    later login that asked for no code is ``replayed`` (not ``nothing_pending``), logged,
    told and counted as a failure."""
    h = Harness.build(world)
    code = _logged_in_once(h)
    later = h.login()
    outcome = h.service.verify_login("alice", later, "sms", code)
    assert (outcome.ok, outcome.reason, outcome.rule) == (False, "replayed", "oob-single-use")
    assert not h.service.logged_in("alice", later)
    assert _replays(h) == (["sms"], ["replay"])
    assert h.service.record("alice").failures == 1


def test_a_used_code_at_a_later_login_with_its_own_code_is_a_replay(world: World) -> None:
    """oob-single-use: at a later login that sent its own code, the spent one is ``replayed``
    (not ``wrong_code``) and does not use up the new code's attempts; the new code works."""
    h = Harness.build(world)
    code = _logged_in_once(h)
    later = h.login()
    h.service.send_login_code("alice", later, "sms")
    fresh = h.sms(ALICE)
    if fresh == code:  # one chance in a million: the new code is the old six digits
        pytest.skip("the new code equals the spent one")
    outcome = h.service.verify_login("alice", later, "sms", code)
    assert (outcome.ok, outcome.reason) == (False, "replayed")
    assert _replays(h) == (["sms"], ["replay"])
    h.settle()
    assert h.service.verify_login("alice", later, "sms", fresh).ok


def test_a_phone_verification_code_typed_at_a_login_is_a_replay(world: World) -> None:
    """oob-single-use: the code that verified the phone, spent, is a replay at a login too."""
    h = Harness.build(world)
    h.register()
    challenge = h.service.start_phone_verification("alice", ALICE)
    verified = h.sms(ALICE)
    assert h.service.confirm_phone("alice", challenge.request_id, verified).ok
    login = h.login()
    outcome = h.service.verify_login("alice", login, "sms", verified)
    assert (outcome.ok, outcome.reason) == (False, "replayed")


def test_used_codes_are_remembered_across_a_restart(world: World, tmp_path: Path) -> None:
    """oob-single-use: spent codes live in the store, so a restarted service still calls the
    reuse a replay."""
    store = SqliteStore(tmp_path / "ref.db")
    h = Harness.build(world, store=store)
    code = _logged_in_once(h)
    store.close()
    h.restart(SqliteStore(tmp_path / "ref.db"))
    later = h.login()
    outcome = h.service.verify_login("alice", later, "sms", code)
    assert (outcome.ok, outcome.reason) == (False, "replayed")
    assert _replays(h)[0] == ["sms"]
    h.service.store.close()


def test_used_codes_are_kept_hashed_and_only_until_they_would_have_expired(world: World) -> None:
    """oob-hashed, oob-single-use: what the record keeps of a spent code is a salted hash (the
    code appears nowhere in it), until the code's own expiry; then it is forgotten, and typing
    it is an ordinary refusal (it is worthless by then, spent or not)."""
    h = Harness.build(world)
    code = _logged_in_once(h)
    record = h.service.record("alice")
    assert len(record.sms_used) == 2  # the phone verification's code and the login's
    assert code not in str(record.as_dict())
    h.advance(h.policy.sms_code_ttl)
    later = h.login()
    outcome = h.service.verify_login("alice", later, "sms", code)
    assert (outcome.ok, outcome.reason) == (False, "nothing_pending")
    h.service.send_login_code("alice", later, "sms")
    assert h.service.verify_login("alice", later, "sms", h.sms(ALICE)).ok
    assert len(h.service.record("alice").sms_used) == 1  # the expired ones were dropped


def test_a_wrong_code_is_still_a_wrong_code(world: World) -> None:
    """oob-bound: a code that was never used is ``wrong_code``, not a replay, and not told."""
    h = Harness.build(world, policy_=policy())
    code = _logged_in_once(h)
    later = h.login()
    h.service.send_login_code("alice", later, "sms")
    fresh = h.sms(ALICE)
    other = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in (code, fresh, "000000"))
    outcome = h.service.verify_login("alice", later, "sms", other)
    assert (outcome.ok, outcome.reason) == (False, "wrong_code")
    assert _replays(h) == ([], [])
