"""The SMS network under loss and duplication, checked against a small model (hypothesis)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from twofa_sim.core.clock import VirtualClock
from twofa_sim.providers import Delivery, SeededRandom, SmsNetwork

NUMBERS = ("+14155550100", "+14155550101")


class LossyNetwork(RuleBasedStateMachine):
    """Each message is lost or delivered (once, or twice when duplicated), never early, and a
    duplicate never arrives before its original."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(1_700_000_000)
        self.network = SmsNetwork(self.clock, SeededRandom(3, "network"))
        self.sent: dict[str, tuple[str, float, Delivery]] = {}

    @rule(
        delay=st.floats(0, 5, allow_nan=False),
        jitter=st.floats(0, 3, allow_nan=False),
        loss=st.sampled_from([0.0, 0.3, 1.0]),
        duplicate=st.sampled_from([0.0, 0.5, 1.0]),
    )
    def set_delivery(self, delay: float, jitter: float, loss: float, duplicate: float) -> None:
        self.network.delivery = Delivery(delay, jitter, loss, duplicate)

    @rule(to=st.sampled_from(NUMBERS))
    def send(self, to: str) -> None:
        sid = f"SM{len(self.sent):032x}"
        self.sent[sid] = (to, self.clock.now(), self.network.delivery)
        self.network.send(sid=sid, sender="+15005550006", to=to, body="code 123456", provider="t")

    @rule(seconds=st.floats(0, 6, allow_nan=False))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def lost_or_delivered_never_early_duplicates_after_originals(self) -> None:
        now = self.clock.now()
        lost = {m.sid for m in self.network.lost}
        for sid, (to, sent_at, policy) in self.sent.items():
            copies = [m for m in self.network.inbox(to) if m.sid == sid]
            pending = [m for m in self.network.in_flight(to) if m.sid == sid]
            if sid in lost:
                assert copies == [] and pending == []
                continue
            assert 1 <= len(copies) + len(pending) <= 2
            for message in copies + pending:
                assert message.delivered_at >= sent_at + policy.delay
                assert (message.delivered_at <= now) == (message in copies)
            originals = [m for m in copies + pending if m.copy == 0]
            duplicates = [m for m in copies + pending if m.copy == 1]
            assert len(originals) == 1
            assert all(d.delivered_at >= originals[0].delivered_at for d in duplicates)
            if policy.loss == 0.0:
                assert sid not in lost
            if policy.duplicate == 1.0:
                assert len(duplicates) == 1


LossyNetwork.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestLossyNetwork = LossyNetwork.TestCase
