"""Recovery codes: ten single-use lookup secrets, stored salted and hashed, regenerable."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.reference.harness import Harness, policy
from twofa_sim.errors import InputError
from twofa_sim.reference.codes import RECOVERY_ALPHABET
from twofa_sim.world import World


@pytest.fixture
def codes(h: Harness) -> list[str]:
    """Alice with TOTP on, and her recovery codes."""
    h.register()
    h.enroll_totp()
    return h.service.generate_recovery_codes("alice")


def test_recovery_codes_need_two_factor_on(h: Harness) -> None:
    """recovery-hashed: recovery codes back up a second factor; without one there are none."""
    h.register()
    with pytest.raises(InputError):
        h.service.generate_recovery_codes("alice")


def test_ten_distinct_readable_codes(codes: list[str]) -> None:
    """recovery-hashed, ASVS 5.0 6.5.4: 10 distinct codes of 10 unambiguous characters."""
    assert len(codes) == 10 == len(set(codes))
    pattern = re.compile(f"[{RECOVERY_ALPHABET}]{{5}}-[{RECOVERY_ALPHABET}]{{5}}")
    assert all(pattern.fullmatch(code) for code in codes)


def test_a_recovery_code_logs_in_once(h: Harness, codes: list[str]) -> None:
    """recovery-hashed, ASVS 5.0 6.5.1: a recovery code completes one login; used again it is
    refused as a replay, logged and the user told (notify-replay)."""
    assert "recovery" in h.service.record("alice").factors
    login = h.login()
    assert h.service.verify_login("alice", login, "recovery", codes[0]).ok
    assert h.service.logged_in("alice", login)
    used = [n for n in h.service.notifications if n.kind == "recovery_used"]
    assert [n.message for n in used] == ["A recovery code was used; 9 left"]
    again = h.login()
    outcome = h.service.verify_login("alice", again, "recovery", codes[0])
    assert (outcome.ok, outcome.reason) == (False, "replayed")
    assert not h.service.logged_in("alice", again)
    assert "replay" in [n.kind for n in h.service.notifications]
    replays = [e for e in h.service.audit_log() if e.event == "replay.rejected"]
    assert [e.details["factor"] for e in replays] == ["recovery"]
    h.advance(2)
    assert h.service.verify_login("alice", again, "recovery", codes[1]).ok


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: c.replace("-", " ").lower(),
        lambda c: f" {c[:3]} {c[3:]} ",
    ],
    ids=["lower", "no-dash", "spaces", "regrouped"],
)
def test_entry_ignores_case_dashes_and_spaces(h: Harness, codes: list[str], typed: object) -> None:
    """recovery-hashed: a person may type the code in lower case, without the dash, spaced."""
    entered = typed(codes[3])  # type: ignore[operator]
    assert h.service.verify_login("alice", h.login(), "recovery", entered).ok


def test_a_wrong_recovery_code_is_refused(h: Harness, codes: list[str]) -> None:
    """recovery-hashed: a code that was never issued does not log in (and counts as a
    failure: the next try waits)."""
    login = h.login()
    made_up = "".join("A" if ch != "-" else ch for ch in codes[0])
    if made_up in codes:
        made_up = "BBBBB-BBBBB"
    assert h.service.verify_login("alice", login, "recovery", made_up).reason == "wrong_code"
    assert h.service.verify_login("alice", login, "recovery", codes[0]).reason == "throttled"


def test_regenerating_invalidates_the_old_codes(h: Harness, codes: list[str]) -> None:
    """recovery-hashed, notify-change (Fortify#255): new codes replace the old ones, which stop
    working, and the user is told."""
    h.service.notifications.clear()
    fresh = h.service.generate_recovery_codes("alice")
    assert not set(fresh) & set(codes)
    assert [n.kind for n in h.service.notifications] == ["factor_changed"]
    login = h.login()
    assert h.service.verify_login("alice", login, "recovery", codes[0]).reason == "wrong_code"
    h.advance(2)
    assert h.service.verify_login("alice", login, "recovery", fresh[0]).ok


def test_codes_are_stored_salted_and_hashed(h: Harness, codes: list[str]) -> None:
    """recovery-hashed, ASVS 5.0 6.5.2: the store holds neither the codes (however written) nor
    an unsalted hash of them."""
    record = h.service.record("alice")
    stored = json.dumps(record.as_dict())
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower()):
            assert form not in stored
            assert hashlib.sha256(form.encode()).hexdigest() not in stored
    hashes = [entry["hash"] for entry in record.recovery]
    assert len(set(hashes)) == 10
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in hashes)


def test_the_same_code_hashes_differently_for_another_user(world: World) -> None:
    """recovery-hashed, ASVS 5.0 6.5.2: the hash is salted per user: two users who happen to
    get the same code (same random stream for the codes) store different hashes."""

    def stored_hash(user: str) -> tuple[str, str]:
        h = Harness.build(world, policy_=policy())
        h.service.random = world.rng.stream(f"salt-{user}").randbytes
        h.register(user)
        # The enrollment steps (AccountFlow) draw from the source they were built with.
        h.service.account.random = world.rng.stream("codes").randbytes
        h.enroll_totp(user, "+15551230003" if user == "carol" else "+15551230001")
        h.service.account.random = world.rng.stream("recovery").randbytes
        code = h.service.generate_recovery_codes(user)[0]
        return code, h.service.record(user).recovery[0]["hash"]

    alice_code, alice_hash = stored_hash("alice")
    carol_code, carol_hash = stored_hash("carol")
    assert alice_code == carol_code
    assert alice_hash != carol_hash


def test_when_every_code_is_used_recovery_is_no_longer_a_factor(h: Harness) -> None:
    """recovery-hashed: each code works once; after the last, recovery is not offered."""
    h.register()
    h.enroll_totp()
    few = Harness.build(h.world, store=h.service.store, policy_=policy(recovery_codes=2))
    codes = few.service.generate_recovery_codes("alice")
    for code in codes:
        assert few.service.verify_login("alice", few.login(), "recovery", code).ok
    assert "recovery" not in few.service.record("alice").factors
    # a spent code typed again is still a replay: refused, logged, told, counted
    assert few.service.verify_login("alice", few.login(), "recovery", codes[0]).reason == (
        "replayed"
    )
    assert few.service.record("alice").failures == 1
    assert [n.kind for n in few.service.notifications].count("replay") == 1
