"""The simulated phone network: SMS delivery in virtual time, and an inbox per phone number.

Every fake provider that sends SMS (the Twilio Messages fake, Authy's SMS tokens) hands messages
to one :class:`SmsNetwork`, which decides when (and whether, and how often) each reaches the
handset: a delay with jitter, loss, duplicates; jitter larger than the gap between two messages
delivers them out of order. A message is in the recipient's inbox once the virtual clock has
reached its delivery time. Tests and scenarios read inboxes as QA reads a Mailpit inbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from twofa_sim.core.clock import Clock
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import InputError

__all__ = ["Delivery", "Sms", "SmsNetwork", "extract_code"]


@dataclass
class Delivery:
    """How the network treats messages: ``delay`` seconds plus up to ``jitter`` more (uniform),
    ``loss`` and ``duplicate`` probabilities (a duplicate arrives up to ``jitter`` + 1 s later).
    """

    delay: float = 2.0
    jitter: float = 0.0
    loss: float = 0.0
    duplicate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("delay", "jitter"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be >= 0 seconds", where=name)
        for name in ("loss", "duplicate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InputError(f"{name} must be a probability 0-1", where=name)


@dataclass(frozen=True)
class Sms:
    """One SMS as the handset receives it."""

    sid: str
    """The sender's message ID (Twilio SID, or the Authy request's)."""
    sender: str
    to: str
    body: str
    sent_at: float
    delivered_at: float
    provider: str
    copy: int = 0
    """0 for the message, 1 for a duplicate the network made."""


_CODE = re.compile(r"(?<![0-9])([0-9]{4,10})(?![0-9])")
# A code announced as one: "code is 654321", "token: 1234567", "OTP 998877", "PIN 4821".
_ANNOUNCED = re.compile(
    r"(?i)\b(?:code|token|passcode|password|otp|pin)\b[^0-9\n]{0,24}?([0-9]{4,10})(?![0-9])"
)


@dataclass
class SmsNetwork:
    """Carries SMS from providers to phones in virtual time."""

    clock: Clock
    rng: SeededRandom
    delivery: Delivery = field(default_factory=Delivery)
    _scheduled: list[Sms] = field(default_factory=list)
    _by_number: dict[str, list[Sms]] = field(default_factory=dict)
    """The same messages per number: a served world's inbox reads stay cheap as it grows."""
    lost: list[Sms] = field(default_factory=list)
    """Messages the network dropped (for inspection: they never reach an inbox)."""

    def send(self, *, sid: str, sender: str, to: str, body: str, provider: str) -> None:
        """Hand a message to the network now; it arrives (or not) per :attr:`delivery`."""
        now = self.clock.now()
        policy = self.delivery
        arrive = now + policy.delay + (self.rng.uniform(0, policy.jitter) if policy.jitter else 0)
        message = Sms(sid, sender, to, body, now, arrive, provider)
        if policy.loss and self.rng.random() < policy.loss:
            self.lost.append(message)
            return
        copies = [message]
        if policy.duplicate and self.rng.random() < policy.duplicate:
            later = arrive + self.rng.uniform(0, policy.jitter + 1.0)
            copies.append(Sms(sid, sender, to, body, now, later, provider, copy=1))
        self._scheduled += copies
        self._by_number.setdefault(to, []).extend(copies)

    def inbox(self, number: str) -> list[Sms]:
        """Messages delivered to ``number`` by now, in the order they arrived."""
        now = self.clock.now()
        arrived = [m for m in self._by_number.get(number, ()) if m.delivered_at <= now]
        return sorted(arrived, key=lambda m: (m.delivered_at, m.sent_at, m.copy))

    def in_flight(self, number: str | None = None) -> list[Sms]:
        """Messages sent but not yet delivered (to ``number``, or to anyone)."""
        now = self.clock.now()
        scheduled = self._scheduled if number is None else self._by_number.get(number, [])
        return [m for m in scheduled if m.delivered_at > now]

    def numbers(self) -> list[str]:
        """Every number a message was handed to the network for (lost ones aside), first first."""
        return list(self._by_number)

    def latest_code(self, number: str) -> str | None:
        """The one-time code in the newest message delivered to ``number`` (None if none)."""
        for message in reversed(self.inbox(number)):
            code = extract_code(message.body)
            if code is not None:
                return code
        return None

    def reset(self) -> None:
        self._scheduled.clear()
        self._by_number.clear()
        self.lost.clear()


def extract_code(body: str) -> str | None:
    """The one-time code a person would type from an SMS body, or None.

    A run of 4 to 10 ASCII digits announced as a code ("code is", "token:", "OTP", "PIN") wins;
    otherwise the first run of 6 to 8 digits (the usual OTP lengths); otherwise the only run of
    4 to 10 digits. Dates, order numbers and years around a code are not taken for it.

    >>> extract_code("2026-03-01: your ACME code is 654321")
    '654321'
    >>> extract_code("Order 1234 - verification code 998877")
    '998877'
    >>> extract_code("482913 is your login code")
    '482913'
    """
    announced = _ANNOUNCED.search(body)
    if announced:
        return str(announced.group(1))
    runs: list[str] = _CODE.findall(body)
    usual = [run for run in runs if 6 <= len(run) <= 8]
    if usual:
        return usual[0]
    return runs[0] if len(runs) == 1 else None
