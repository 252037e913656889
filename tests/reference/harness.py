"""A small driver for the reference service in a simulated world, shared by tests/reference.

It plays the user's part (reads the SMS on the phone, scans the QR, taps the Authy app) so each
test reads as the story it checks. Nothing here asserts a rule: the tests do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.reference import (
    Challenge,
    Enrollment,
    MemoryStore,
    Outcome,
    ReferenceService,
    SecurityPolicy,
    Store,
)
from twofa_sim.world import World

ALICE = "+15551230001"
"""An ordinary phone (SMS), running Google Authenticator."""
BOB = "+15551230002"
"""An Authy user with the Authy app."""
CAROL = "+15551230003"
"""A second ordinary phone (a new number, another user)."""
FAST = "+15551230004"
"""A phone whose clock is 40 s fast (one TOTP step, a little more)."""
FAR = "+15551230005"
"""A phone whose clock is 150 s fast (five TOTP steps)."""
DAVE = "+15551230006"
"""A second Authy user with the app."""

APP = "google-authenticator-android-2012"
ISSUER = "twofa-sim"
PASSWORD = "correct horse battery staple"
"""Everyone's password (the first factor is simulated)."""
START = "2026-03-01T09:00:00Z"
"""A whole minute: the world starts at the beginning of a TOTP step."""


def description(seed: int = 4, **extra: Any) -> dict[str, Any]:
    """The world every reference test lives in: SMS take exactly 2 s, six phones."""
    return {
        "seed": seed,
        "start": START,
        "sms": {"delay": "2s"},
        "phones": [
            {"number": ALICE, "apps": [APP]},
            {"number": BOB, "authy": True},
            {"number": CAROL, "apps": [APP]},
            {"number": FAST, "offset": "40s", "apps": [APP]},
            {"number": FAR, "offset": "150s", "apps": [APP]},
            {"number": DAVE, "authy": True},
        ],
        **extra,
    }


def policy(**changes: Any) -> SecurityPolicy:
    """The default policy, with cheap PBKDF2 so the suite stays fast."""
    return SecurityPolicy(code_hash_iterations=1000, **changes)


@dataclass
class Harness:
    """One world (entered), one service, and the user's side of every step."""

    world: World
    service: ReferenceService

    @classmethod
    def build(
        cls,
        world: World,
        *,
        store: Store | None = None,
        policy_: SecurityPolicy | None = None,
    ) -> Harness:
        service = world.reference_service(
            store=store if store is not None else MemoryStore(),
            policy=policy_ if policy_ is not None else policy(),
        )
        return cls(world, service)

    @property
    def policy(self) -> SecurityPolicy:
        return self.service.policy

    def restart(self, store: Store) -> ReferenceService:
        """A new service instance on ``store`` (what a process restart leaves)."""
        self.service = self.world.reference_service(store=store, policy=self.service.policy)
        return self.service

    # --- time -----------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        self.world.advance(seconds)

    def cool_down(self) -> None:
        """Wait out the resend cooldown."""
        self.world.advance(self.policy.resend_cooldown)

    def wait(self, outcome: Outcome) -> None:
        """Wait as long as a refusal says (back-off), if it says."""
        if outcome.retry_after:
            self.world.advance(outcome.retry_after)

    def settle(self, user: str = "alice") -> None:
        """Wait out the back-off the user's failures so far impose (none if none)."""
        failures = self.service.record(user).failures
        if failures:
            factor, cap = self.policy.backoff_factor, self.policy.backoff_cap
            self.world.advance(min(cap, factor * 2 ** (failures - 1)))

    def next_step(self) -> None:
        """Move to the start of the next 30 s TOTP step."""
        now = self.world.now()
        self.world.advance(30 - now % 30)

    # --- accounts -------------------------------------------------------------------------------

    def register(self, user: str = "alice") -> str:
        self.service.register(user, PASSWORD)
        return user

    def login(self, user: str = "alice") -> str:
        """Pass the password; the login id waiting for a second factor."""
        result = self.service.login(user, PASSWORD)
        assert result.status == "second_factor", result
        assert result.login_id is not None
        return result.login_id

    # --- SMS ------------------------------------------------------------------------------------

    def sms(self, phone: str) -> str:
        """Let the SMS arrive (2 s) and read the code in the newest message."""
        sent = len(self.world.phone(phone).inbox())
        self.world.advance(self.world.network.delivery.delay)
        inbox = self.world.phone(phone).inbox()
        assert len(inbox) > sent, f"no new SMS on {phone}"
        code = self.world.phone(phone).latest_code()
        assert code is not None
        return code

    def verify_phone(self, user: str, phone: str, *, method: str = "push") -> Outcome:
        """The whole "Verify Phone Number" + "Save Changes" step, done right."""
        challenge = self.service.start_phone_verification(user, phone, authy_method=method)
        return self.confirm(user, challenge, phone)

    def confirm(self, user: str, challenge: Challenge, phone: str) -> Outcome:
        """Answer a phone-verification challenge the way the phone allows."""
        if challenge.channel == "sms":
            return self.service.confirm_phone(user, challenge.request_id, self.sms(phone))
        authy = self.world.phone(phone).authy
        assert authy is not None
        if challenge.channel == "authy-app":
            return self.service.confirm_phone(user, challenge.request_id, authy.token())
        number = self.approve_push(phone)
        return self.service.confirm_phone(user, challenge.request_id, number)

    def approve_push(self, phone: str) -> str:
        """Approve the newest OneTouch push on the phone; the number it showed."""
        authy = self.world.phone(phone).authy
        assert authy is not None
        request = authy.pending()[-1]
        authy.approve(request.uuid)
        return request.details.get("Number", "")

    def enable_sms(self, user: str = "alice", phone: str = ALICE) -> None:
        """Register and turn two-factor on with a phone verified by SMS, cooldown waited."""
        self.register(user)
        outcome = self.verify_phone(user, phone)
        assert outcome.ok, outcome
        self.cool_down()

    # --- authenticator app ----------------------------------------------------------------------

    def scan(self, enrollment: Enrollment, phone: str = ALICE) -> str:
        """Scan the QR on the phone's app; the base32 secret it held."""
        result = self.world.phone(phone).app().scan(enrollment.png)
        assert result.accepted, result
        return parse_uri(enrollment.uri).secret

    def app_code(self, user: str = "alice", phone: str = ALICE) -> str:
        """The code the phone's authenticator app shows for ``user`` now."""
        return self.world.phone(phone).app().code(ISSUER, user)

    def enroll_totp(self, user: str = "alice", phone: str = ALICE) -> str:
        """Generate the QR, scan it, confirm one code; the secret. Ends at the next step."""
        enrollment = self.service.generate_qr(user)
        secret = self.scan(enrollment, phone)
        if not enrollment.confirmed:
            outcome = self.service.confirm_totp(user, self.app_code(user, phone))
            assert outcome.ok, outcome
        self.next_step()
        return secret

    def totp(self, secret: str, steps: int = 0) -> str:
        """The code of the step ``steps`` away from the server's current one."""
        return totp(secret, self.world.now() + 30 * steps)

    def wrong_totp(self, secret: str) -> str:
        """A well-formed code that matches no step near now (not even a distant one)."""
        near = {totp(secret, self.world.now() + 30 * k) for k in range(-30, 31)}
        candidate = 0
        while f"{candidate:06d}" in near:
            candidate += 1
        return f"{candidate:06d}"


def wrong_code(right: str) -> str:
    """A code of the same length that is not ``right``."""
    return "".join(str((int(c) + 1) % 10) for c in right)
