"""OneTouch approval requests against a tiny model, as a Hypothesis state machine.

The model: a request made at ``created`` with ``ttl`` seconds is *pending* until answered or until
``created + ttl``; answered before that instant it is *approved* or *denied*; unanswered at that
instant it is *expired*; an answer at or after it is refused; a final status never changes.
Requests are made and read through the HTTP API with the client; answers come from the device
through the backend, as the Authy app gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from twofa_sim.core.clock import VirtualClock
from twofa_sim.providers import SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.authy import AuthyClient, AuthyService
from twofa_sim.providers.authy.exceptions import ApprovalRequestClosed

START = 1_767_225_600.0
KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class Modelled:
    created: float
    ttl: int
    answer: str | None = None

    @property
    def deadline(self) -> float:
        return self.created + self.ttl

    def status(self, now: float) -> str:
        if self.answer is not None:
            return self.answer
        return "expired" if now >= self.deadline else "pending"


class ApprovalRequests(RuleBasedStateMachine):
    """Approval requests follow the model in virtual time."""

    requests = Bundle("requests")

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(START)
        rng = SeededRandom("approval-machine")
        network = SmsNetwork(self.clock, rng.stream("network"))
        self.service = AuthyService(self.clock, rng.stream("authy"), network, api_key=KEY)
        self.backend = self.service.backend
        self.mount = mounted(self.service)
        self.mount.__enter__()
        self.client = AuthyClient(KEY)
        self.authy_id = self.backend.create_user("ana@example.com", "4155551118").authy_id
        self.device = self.backend.register_device(self.authy_id)
        self.model: dict[str, Modelled] = {}
        self.final: dict[str, str] = {}

    def teardown(self) -> None:
        self.mount.__exit__(None, None, None)

    @rule(target=requests, ttl=st.integers(min_value=1, max_value=300))
    def create(self, ttl: int) -> str:
        uuid = self.client.create_approval_request(self.authy_id, "Log in?", seconds_to_expire=ttl)
        self.model[uuid] = Modelled(self.clock.now(), ttl)
        return uuid

    @rule(seconds=st.floats(min_value=0, max_value=400) | st.sampled_from([0.001, 1.0, 60.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(uuid=requests, offset=st.sampled_from([-1.0, -0.001, 0.0, 0.001]))
    def approach_deadline(self, uuid: str, offset: float) -> None:
        """Jump (forwards only) to just before, exactly at, or just after a deadline."""
        target = self.model[uuid].deadline + offset
        if target > self.clock.now():
            self.clock.set(target)

    @rule(uuid=requests, approve=st.booleans())
    def respond(self, uuid: str, approve: bool) -> None:
        modelled, now = self.model[uuid], self.clock.now()
        if modelled.answer is None and now < modelled.deadline:
            self.backend.respond(uuid, approve, device_id=self.device.id)
            modelled.answer = "approved" if approve else "denied"
        else:
            with pytest.raises(ApprovalRequestClosed):
                self.backend.respond(uuid, approve, device_id=self.device.id)

    @rule(uuid=requests)
    def read(self, uuid: str) -> None:
        assert self.client.approval_status(uuid) == self.model[uuid].status(self.clock.now())

    @invariant()
    def statuses_follow_the_model_and_final_ones_stay(self) -> None:
        now = self.clock.now()
        for uuid, modelled in self.model.items():
            status = self.backend.status(uuid)
            assert status == modelled.status(now)
            assert self.final.get(uuid, status) == status  # a final status never changes
            if status != "pending":
                self.final[uuid] = status
        pending = {r.uuid for r in self.backend.pending_requests(self.authy_id)}
        assert pending == {u for u, m in self.model.items() if m.status(now) == "pending"}


ApprovalRequests.TestCase.settings = settings(
    max_examples=30, stateful_step_count=20, deadline=None
)
TestApprovalRequests = ApprovalRequests.TestCase
TestApprovalRequests.__doc__ = (
    "Approval requests: pending, answered before the deadline, or expired."
)
