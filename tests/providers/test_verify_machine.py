"""Verify verifications against a tiny model, as a Hypothesis state machine, through the official
``twilio`` helper library.

The model, per phone number: at most one *open* verification (pending, or at its check limit).
Starting one when none is open makes a new one with a fresh code; starting again re-sends the same
code on it, at most 5 sends (then 60203), and not at all once its checks are spent (60202). A
check names the open verification by ``To``: the right code approves it, a wrong one counts, the
5th wrong one spends its checks; a check past that answers 60202. Cancel and approve close it.
It expires 10 minutes after its first send. A closed verification answers 404 (20404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from twofa_sim.core.clock import VirtualClock
from twofa_sim.providers import Delivery, SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.verify import VerifyService

START = 1_767_225_600.0
NUMBERS = ("+14155550100", "+14155550101")


@dataclass
class Modelled:
    sid: str
    started: float
    sends: int = 1
    wrong: int = 0
    closed: str | None = None  # "approved" or "canceled"

    def status(self, now: float) -> str:
        if self.closed is not None:
            return self.closed
        if now >= self.started + 600:
            return "expired"
        return "max_attempts_reached" if self.wrong >= 5 else "pending"

    def open(self, now: float) -> bool:
        return self.status(now) in ("pending", "max_attempts_reached")


class Verifications(RuleBasedStateMachine):
    """Verify's verification lifecycle follows the model in virtual time."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(START)
        rng = SeededRandom("verify-machine")
        self.network = SmsNetwork(self.clock, rng.stream("network"), Delivery(delay=0.0))
        self.verify = VerifyService(self.clock, rng.stream("verify"), self.network)
        self.mount = mounted(self.verify)
        self.mount.__enter__()
        client = Client(self.verify.account_sid, self.verify.auth_token)
        created = client.verify.v2.services.create(friendly_name="Machine")
        self.service = client.verify.v2.services(created.sid)
        self.model: dict[str, list[Modelled]] = {number: [] for number in NUMBERS}

    def teardown(self) -> None:
        self.mount.__exit__(None, None, None)

    def current(self, to: str) -> Modelled | None:
        history = self.model[to]
        if history and history[-1].open(self.clock.now()):
            return history[-1]
        return None

    def code(self, to: str) -> str:
        code = self.network.latest_code(to)
        assert code is not None
        return code

    def expect_error(self, call: Callable[[], object], status: int, code: int) -> None:
        with pytest.raises(TwilioRestException) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (status, code)

    @rule(to=st.sampled_from(NUMBERS))
    def start(self, to: str) -> None:
        current = self.current(to)
        now = self.clock.now()

        def call() -> str:
            return str(self.service.verifications.create(to=to, channel="sms").sid)

        if current is not None and current.status(now) == "max_attempts_reached":
            self.expect_error(call, 429, 60202)
        elif current is not None and current.sends >= 5:
            self.expect_error(call, 429, 60203)
        elif current is not None:
            assert call() == current.sid
            current.sends += 1
        else:
            sid = call()
            assert all(sid != m.sid for m in self.model[to])
            self.model[to].append(Modelled(sid, now))

    @rule(to=st.sampled_from(NUMBERS), times=st.integers(min_value=2, max_value=6))
    def resends(self, to: str, times: int) -> None:
        """Several starts in a row (reaching the send limit in few steps)."""
        for _ in range(times):
            self.start(to)

    @rule(to=st.sampled_from(NUMBERS), right=st.booleans())
    def check(self, to: str, right: bool) -> None:
        current = self.current(to)
        if current is None:
            self.expect_error(
                lambda: self.service.verification_checks.create(to=to, code="123456"), 404, 20404
            )
            return
        code = self.code(to)
        if not right:
            code = "".join(str((int(c) + 1) % 10) for c in code)

        def call() -> str:
            return str(self.service.verification_checks.create(to=to, code=code).status)

        if current.status(self.clock.now()) == "max_attempts_reached":
            self.expect_error(call, 429, 60202)
            return
        if right:
            current.closed = "approved"
        else:
            current.wrong += 1
        assert call() == current.status(self.clock.now())

    @rule(to=st.sampled_from(NUMBERS), times=st.integers(min_value=2, max_value=6))
    def wrong_checks(self, to: str, times: int) -> None:
        """Several wrong codes in a row (reaching the check limit in few steps)."""
        for _ in range(times):
            self.check(to, right=False)

    @rule(to=st.sampled_from(NUMBERS), status=st.sampled_from(["canceled", "approved"]))
    def close(self, to: str, status: str) -> None:
        history = self.model[to]
        if not history:
            return
        last = history[-1]
        context = self.service.verifications(last.sid)
        if last.open(self.clock.now()):
            assert context.update(status=status).status == status
            last.closed = status
        else:
            self.expect_error(lambda: context.update(status=status), 404, 20404)

    @rule(seconds=st.sampled_from([1.0, 59.0, 299.0, 300.0, 599.0, 600.0, 601.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def statuses_follow_the_model(self) -> None:
        now = self.clock.now()
        for history in self.model.values():
            for modelled in history:
                stored = self.verify.backend.verifications[modelled.sid]
                assert stored.status_at(now) == modelled.status(now)
                assert len(stored.sends) == modelled.sends
                # One code a verification: each of its sends carried the same code.
                attempts = {a.sid for a in stored.sends}
                bodies = {m.body for m in self.network.inbox(stored.to) if m.sid in attempts}
                assert bodies == {f"Your Machine verification code is: {stored.code}"}


Verifications.TestCase.settings = settings(max_examples=20, stateful_step_count=20, deadline=None)
TestVerifications = Verifications.TestCase
TestVerifications.__doc__ = "Verifications: re-sends, check limits, closing and expiry."
