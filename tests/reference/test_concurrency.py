"""The same code submitted by two threads at once is accepted at most once."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial

from tests.reference.harness import ALICE, BOB, Harness
from twofa_sim.reference import Outcome

ROUNDS = 8


def race(*calls: Callable[[], Outcome]) -> list[Outcome]:
    """Run the calls in threads released together by a barrier; their outcomes."""
    barrier = threading.Barrier(len(calls))
    results: list[Outcome | BaseException] = [Outcome(False, "not run")] * len(calls)

    def run(index: int, call: Callable[[], Outcome]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # reported below, in the test's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: a missing lock shows up
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sys.setswitchinterval(interval)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, Outcome)]


def accepted(outcomes: list[Outcome]) -> int:
    return sum(1 for outcome in outcomes if outcome.ok)


def test_one_totp_code_in_two_logins_at_once(hs: Harness) -> None:
    """totp-replay (RFC 6238 5.2): two logins racing with the same code: exactly one wins."""
    hs.register()
    secret = hs.enroll_totp()
    for _ in range(ROUNDS):
        first, second = hs.login(), hs.login()
        code = hs.totp(secret)
        outcomes = race(
            partial(hs.service.verify_login, "alice", first, "totp", code),
            partial(hs.service.verify_login, "alice", second, "totp", code),
        )
        assert accepted(outcomes) == 1, outcomes
        assert [hs.service.logged_in("alice", x) for x in (first, second)].count(True) == 1
        hs.next_step()
        hs.settle()


def test_one_sms_code_twice_at_once(hs: Harness) -> None:
    """oob-single-use (ASVS 5.0 6.5.1): the same login SMS code sent twice at once logs in
    once."""
    hs.enable_sms()
    for _ in range(ROUNDS):
        login = hs.login()
        hs.service.send_login_code("alice", login, "sms")
        code = hs.sms(ALICE)
        outcomes = race(*[partial(hs.service.verify_login, "alice", login, "sms", code)] * 2)
        assert accepted(outcomes) == 1, outcomes
        hs.cool_down()
        hs.settle()


def test_one_phone_code_saved_twice_at_once(hs: Harness) -> None:
    """oob-single-use: "Save Changes" clicked twice at once turns two-factor on once."""
    for round_ in range(ROUNDS):
        user = hs.register(f"user{round_}")
        challenge = hs.service.start_phone_verification(user, ALICE)
        code = hs.sms(ALICE)
        outcomes = race(*[partial(hs.service.confirm_phone, user, challenge.request_id, code)] * 2)
        assert accepted(outcomes) == 1, outcomes
        enabled = [e for e in hs.service.audit_log() if e.event == "two_factor.enabled"]
        assert [e.user for e in enabled].count(user) == 1
    assert hs.service.audit_intact()


def test_one_recovery_code_in_two_logins_at_once(hs: Harness) -> None:
    """recovery-hashed (ASVS 5.0 6.5.1): a recovery code raced in two logins works once."""
    hs.register()
    hs.enroll_totp()
    codes = hs.service.generate_recovery_codes("alice")
    for code in codes[:4]:
        first, second = hs.login(), hs.login()
        outcomes = race(
            partial(hs.service.verify_login, "alice", first, "recovery", code),
            partial(hs.service.verify_login, "alice", second, "recovery", code),
        )
        assert accepted(outcomes) == 1, outcomes
        hs.settle()


def test_one_authy_token_in_two_logins_at_once(hs: Harness) -> None:
    """oob-single-use: an Authy app token raced in two logins works once."""
    hs.register("bob")
    assert hs.verify_phone("bob", BOB, method="app").ok
    authy = hs.world.phone(BOB).authy
    assert authy is not None
    for _ in range(4):
        hs.advance(30)
        hs.settle("bob")
        first, second = hs.login("bob"), hs.login("bob")
        token = authy.token()
        outcomes = race(
            partial(hs.service.verify_login, "bob", first, "authy-app", token),
            partial(hs.service.verify_login, "bob", second, "authy-app", token),
        )
        assert accepted(outcomes) == 1, outcomes
