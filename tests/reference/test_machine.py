"""The reference service against a tiny model of its rules, as a Hypothesis state machine.

One user, Alice, with TOTP and SMS on, an SQLite store. Hypothesis mixes logins with right,
wrong and replayed TOTP codes, SMS logins (some hitting a Twilio fault), clock moves, restarts
of the service on the same file, turning two-factor off and on again, tries with the codes of a
secret that was turned off, and wrong passwords. The model predicts every answer (back-off,
lockout, replay, cooldown) and the machine checks, after every step:

- a replayed step is never accepted;
- a locked account never logs in, not even with the right password;
- a disabled factor never works;
- the audit chain always verifies.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.reference.harness import ALICE, PASSWORD, description, policy
from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.errors import ProviderUnavailableError, RetryLaterError
from twofa_sim.reference import ReferenceService, SqliteStore
from twofa_sim.world import World

POLICY = policy(max_consecutive_failures=3, lockout_duration=300, backoff_cap=60)
FAILED = {"wrong_code", "replayed", "stale", "outside_window"}


@dataclass
class Model:
    """What the rules say Alice's account is."""

    secret: str
    last_step: int
    totp_on: bool = True
    sms_on: bool = True
    failures: int = 0
    last_failure_at: float | None = None
    locked_until: float | None = None
    last_sent_at: float | None = None
    accepted_steps: set[int] = field(default_factory=set)
    dead_secrets: list[str] = field(default_factory=list)

    def gate(self, now: float) -> str | None:
        """``locked``, ``throttled`` or None: what the service's gate says now."""
        if self.locked_until is not None:
            if now < self.locked_until:
                return "locked"
            self.locked_until, self.failures = None, 0
        if self.failures and self.last_failure_at is not None:
            wait = min(POLICY.backoff_cap, POLICY.backoff_factor * 2 ** (self.failures - 1))
            if now < self.last_failure_at + wait:
                return "throttled"
        return None

    def failed(self, now: float) -> None:
        self.failures += 1
        self.last_failure_at = now
        if self.failures >= POLICY.max_consecutive_failures:
            self.locked_until = now + POLICY.lockout_duration

    def succeeded(self) -> None:
        self.failures, self.last_failure_at = 0, None

    def locked(self, now: float) -> bool:
        return self.locked_until is not None and now < self.locked_until


class ReferenceMachine(RuleBasedStateMachine):
    """Alice's account under random use; every answer checked against :class:`Model`."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="twofa-machine-"))
        self.world = World(description())
        self.world.__enter__()
        self.service = self._start()
        self.service.register("alice", PASSWORD)
        challenge = self.service.start_phone_verification("alice", ALICE)
        sent_at = self.now
        self.world.advance(2)
        code = self.world.phone(ALICE).latest_code() or ""
        assert self.service.confirm_phone("alice", challenge.request_id, code).ok
        secret = parse_uri(self.service.generate_qr("alice").uri).secret
        assert self.service.confirm_totp("alice", totp(secret, self.now)).ok
        self.model = Model(secret, self.step, last_sent_at=sent_at)
        self.model.accepted_steps.add(self.step)
        self.old_logins: list[str] = []

    def _start(self) -> ReferenceService:
        return self.world.reference_service(store=SqliteStore(self.tmp / "db"), policy=POLICY)

    def teardown(self) -> None:
        self.service.store.close()
        self.world.__exit__(None, None, None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def now(self) -> float:
        return self.world.now()

    @property
    def step(self) -> int:
        return int(self.now // 30)

    def _login(self) -> str | None:
        """The password step: a login id, or None when the model says the account is locked
        (and the service agreed)."""
        locked = self.model.gate(self.now) == "locked"
        result = self.service.login("alice", PASSWORD)
        if locked:
            assert (result.status, result.reason) == ("refused", "locked"), result
            event("password refused: locked")
            return None
        assert result.status == "second_factor", result
        assert result.login_id is not None
        self.old_logins.append(result.login_id)
        return result.login_id

    def _window_codes(self, secret: str) -> set[str]:
        return {totp(secret, self.now + 30 * k) for k in range(-12, 13)}

    # --- rules ----------------------------------------------------------------------------------

    @precondition(lambda self: self.model.totp_on)
    @rule(kind=st.sampled_from(["right", "wrong", "replay"]))
    def totp_login(self, kind: str) -> None:
        model, now = self.model, self.now
        if kind == "right":
            code = totp(model.secret, now)
        elif kind == "replay":
            old = max(model.accepted_steps)
            code = totp(model.secret, old * 30)
            fresh = {totp(model.secret, (self.step + k) * 30) for k in (-1, 0, 1)}
            if old < self.step - 1 and code in fresh:  # an old code that is also a new one
                return
        else:
            near = self._window_codes(model.secret)
            code = next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in near)
        login = self._login()
        if login is None:
            return
        outcome = self.service.verify_login("alice", login, "totp", code)
        event(f"totp {kind}: {outcome.reason}")
        blocked = model.gate(now)
        if blocked is not None:
            assert (outcome.ok, outcome.reason) == (False, blocked)
        elif kind == "right" and self.step > model.last_step:
            assert outcome.ok, outcome
            assert self.step not in model.accepted_steps  # a replayed step is never accepted
            model.accepted_steps.add(self.step)
            model.last_step = self.step
            model.succeeded()
        else:
            assert not outcome.ok and outcome.reason in FAILED, outcome
            model.failed(now)
        assert self.service.logged_in("alice", login) is outcome.ok

    @precondition(lambda self: self.model.sms_on)
    @rule(right=st.booleans(), fault=st.booleans())
    def sms_login(self, right: bool, fault: bool) -> None:
        model = self.model
        login = self._login()
        if login is None:
            return
        before = self.service.record("alice").as_dict()
        blocked = model.gate(self.now)
        cooling = model.last_sent_at is not None and self.now < model.last_sent_at + 30
        if fault:
            self.world.twilio.faults.add("http_500", times=1)
        try:
            if blocked is not None or cooling:
                with pytest.raises(RetryLaterError) as caught:
                    self.service.send_login_code("alice", login, "sms")
                assert caught.value.reason == (blocked or "cooldown")
                event(f"sms refused: {caught.value.reason}")
                return
            if fault:
                with pytest.raises(ProviderUnavailableError):
                    self.service.send_login_code("alice", login, "sms")
                assert self.service.record("alice").as_dict() == before
                event("sms refused: provider fault")
                return
        finally:
            self.world.twilio.faults.clear()
        self.service.send_login_code("alice", login, "sms")
        model.last_sent_at = self.now
        self.world.advance(2)
        code = self.world.phone(ALICE).latest_code() or ""
        typed = code if right else "".join(str((int(c) + 1) % 10) for c in code)
        outcome = self.service.verify_login("alice", login, "sms", typed)
        event(f"sms {'right' if right else 'wrong'}: {outcome.reason}")
        blocked = model.gate(self.now)
        if blocked is not None:
            assert (outcome.ok, outcome.reason) == (False, blocked)
        elif right:
            assert outcome.ok, outcome
            model.succeeded()
        else:
            assert (outcome.ok, outcome.reason) == (False, "wrong_code")
            model.failed(self.now)

    @rule(seconds=st.sampled_from([1, 2, 5, 29, 31, 61, 150, 301, 700]))
    def advance(self, seconds: int) -> None:
        self.world.advance(seconds)

    @rule()
    def restart(self) -> None:
        self.service.store.close()
        self.service = self._start()

    @precondition(lambda self: self.model.totp_on or self.model.sms_on)
    @rule()
    def disable(self) -> None:
        outcome = self.service.disable_two_factor("alice", PASSWORD)
        if self.model.gate(self.now) == "locked":
            assert (outcome.ok, outcome.reason) == (False, "locked")
            return
        assert outcome.ok, outcome
        if self.model.totp_on:
            self.model.dead_secrets.append(self.model.secret)
        self.model.totp_on = self.model.sms_on = False

    @precondition(lambda self: not self.model.totp_on)
    @rule()
    def enable_totp(self) -> None:
        model, now = self.model, self.now
        secret = parse_uri(self.service.generate_qr("alice").uri).secret
        outcome = self.service.confirm_totp("alice", totp(secret, now))
        blocked = model.gate(now)
        if blocked is not None:
            assert (outcome.ok, outcome.reason) == (False, blocked)
            return
        assert outcome.ok, outcome
        model.secret, model.last_step, model.totp_on = secret, self.step, True
        model.accepted_steps = {self.step}
        model.succeeded()

    @precondition(lambda self: self.model.dead_secrets)
    @rule(data=st.data())
    def try_a_disabled_secret(self, data: st.DataObject) -> None:
        model, now = self.model, self.now
        dead = data.draw(st.sampled_from(model.dead_secrets))
        code = totp(dead, now)
        if model.totp_on and code in self._window_codes(model.secret):
            return  # the dead secret's code happens to be a live one: nothing to learn
        if model.totp_on:
            login = self._login()
            if login is None:
                return
        elif self.old_logins:
            login = data.draw(st.sampled_from(self.old_logins))
        else:
            return
        was_in = self.service.logged_in("alice", login)
        outcome = self.service.verify_login("alice", login, "totp", code)
        event(f"disabled secret: {outcome.reason}")
        assert not outcome.ok  # a disabled factor never works
        assert self.service.logged_in("alice", login) is was_in
        if model.totp_on:
            blocked = model.gate(now)
            if blocked is not None:
                assert outcome.reason == blocked
            else:
                model.failed(now)

    @rule()
    def wrong_password(self) -> None:
        model, now = self.model, self.now
        result = self.service.login("alice", "not-the-password")
        event(f"wrong password: {result.reason}")
        if model.gate(now) == "locked":
            assert (result.status, result.reason) == ("refused", "locked")
        else:
            assert (result.status, result.reason) == ("refused", "bad_credentials")
            model.failed(now)

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def factors_match_the_model(self) -> None:
        factors = self.service.record("alice").factors
        assert ("totp" in factors) is self.model.totp_on
        assert ("sms" in factors) is self.model.sms_on

    @invariant()
    def a_locked_account_has_no_open_door(self) -> None:
        if self.model.locked(self.now):
            result = self.service.login("alice", PASSWORD)
            assert (result.status, result.reason) == ("refused", "locked")
        if self.model.locked(self.now) and self.model.totp_on and self.old_logins:
            login = self.old_logins[-1]
            if not self.service.logged_in("alice", login):
                outcome = self.service.verify_login(
                    "alice", login, "totp", totp(self.model.secret, self.now)
                )
                assert not outcome.ok
                assert outcome.reason in ("locked", "login_expired"), outcome

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert self.service.audit_intact()


# No shrinking: each example builds a world, and shrinking a failure would take minutes; an
# unshrunk failure is at most stateful_step_count steps, printed in full.
ReferenceMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
test_reference_machine = ReferenceMachine.TestCase
test_reference_machine.__doc__ = (
    "totp-replay, throttle, backoff, oob-rate-limit, audit: under any mix of logins, clock "
    "moves, restarts, faults and disable/enable, the service answers as the model says."
)
