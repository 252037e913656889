"""The Twilio fake and the SMS network against a small model, as a Hypothesis state machine."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from twofa_sim.core.clock import VirtualClock
from twofa_sim.providers import Delivery, SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.twilio import TwilioApiError, TwilioClient, TwilioService

START = 1_714_564_800.0
FROM = "+15005550006"
REFUSED = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
    "4155550100": 21211,
}
REACHABLE = ("+14155550100", "+14155550101", "+447700900123", "+15005550006")
NUMBERS = (*REACHABLE, *REFUSED)


@dataclass(frozen=True)
class Expected:
    """What the model knows of an accepted message: the earliest and latest it may arrive."""

    sid: str
    to: str
    body: str
    created: float
    earliest: float
    latest: float


class TwilioDelivery(RuleBasedStateMachine):
    """Accepted messages arrive once each, within the policy window, never early; refused never."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(START)
        self.network = SmsNetwork(self.clock, SeededRandom(0, "network"))
        self.twilio = TwilioService(self.clock, SeededRandom(0, "twilio"), self.network)
        self.client = TwilioClient(self.twilio.account_sid, self.twilio.auth_token)
        self.stack = ExitStack()
        self.stack.enter_context(mounted(self.twilio))
        self.stack.callback(self.client.close)
        self.accepted: dict[str, Expected] = {}
        self.refused = 0

    def teardown(self) -> None:
        self.stack.close()

    @rule(to=st.sampled_from(NUMBERS))
    def send(self, to: str) -> None:
        body = f"Your code is {len(self.accepted) + self.refused:06d}"
        if to in REFUSED:
            with pytest.raises(TwilioApiError) as caught:
                self.client.send_sms(to, FROM, body)
            assert caught.value.code == REFUSED[to]
            self.refused += 1
            return
        now, policy = self.clock.now(), self.network.delivery
        sent = self.client.send_sms(to, FROM, body)
        assert sent.status == "queued"
        assert sent.sid not in self.accepted
        self.accepted[sent.sid] = Expected(
            sent.sid, to, body, now, now + policy.delay, now + policy.delay + policy.jitter
        )

    @rule(seconds=st.floats(min_value=0, max_value=10, allow_nan=False))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: bool(self.network.in_flight()))
    @rule(just_before=st.booleans())
    def advance_to_next_arrival(self, just_before: bool) -> None:
        """Land exactly on the next arrival, or a millisecond before it (never backwards)."""
        arrival = min(m.delivered_at for m in self.network.in_flight())
        self.clock.set(max(self.clock.now(), arrival - 0.001) if just_before else arrival)

    @rule(
        delay=st.floats(min_value=0, max_value=5, allow_nan=False),
        jitter=st.floats(min_value=0, max_value=3, allow_nan=False),
    )
    def set_delivery(self, delay: float, jitter: float) -> None:
        self.network.delivery = Delivery(delay=delay, jitter=jitter)

    @rule(to=st.sampled_from(NUMBERS))
    def read_inbox(self, to: str) -> None:
        now = self.clock.now()
        inbox = self.network.inbox(to)
        assert [m.delivered_at for m in inbox] == sorted(m.delivered_at for m in inbox)
        for sms in inbox:
            expected = self.accepted[sms.sid]
            assert (sms.to, sms.body, sms.sender) == (expected.to, expected.body, FROM)
            assert sms.delivered_at <= now
        for expected in self.accepted.values():
            if expected.to == to and now >= expected.latest:
                assert expected.sid in {m.sid for m in inbox}

    @precondition(lambda self: bool(self.accepted))
    @rule(data=st.data())
    def fetch_status(self, data: st.DataObject) -> None:
        sid = data.draw(st.sampled_from(sorted(self.accepted)))
        expected = self.accepted[sid]
        status = self.client.fetch(sid).status
        assert status == self.expected_status(expected)

    def expected_status(self, expected: Expected) -> str:
        """Delivered once in the inbox; before that sent from a second after creation."""
        if any(m.sid == expected.sid for m in self.network.inbox(expected.to)):
            return "delivered"
        return "sent" if self.clock.now() >= expected.created + 1 else "queued"

    @invariant()
    def each_accepted_message_arrives_once_on_time(self) -> None:
        now = self.clock.now()
        assert self.network.lost == []
        for expected in self.accepted.values():
            arrival = self.twilio.backend.message(expected.sid).arrives_at
            assert expected.earliest <= arrival <= expected.latest
            copies = [m for m in self.network.inbox(expected.to) if m.sid == expected.sid]
            assert len(copies) == (1 if now >= arrival else 0)
            assert all(m.delivered_at == arrival for m in copies)
            assert self.twilio.backend.status(expected.sid) == self.expected_status(expected)

    @invariant()
    def refused_messages_are_never_sent(self) -> None:
        assert len(self.twilio.backend.messages) == len(self.accepted)
        for number in REFUSED:
            assert self.network.inbox(number) == []
            assert self.network.in_flight(number) == []


TwilioDelivery.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
TestTwilioDelivery = TwilioDelivery.TestCase
