"""The fake Twilio account: plain state and logic, no HTTP.

:class:`TwilioBackend` validates a message as Twilio does with test credentials (the magic
numbers of standards.md 6.1 are always honoured), hands accepted ones to the
:class:`~twofa_sim.providers.network.SmsNetwork`, and keeps them. A :class:`Message` is
immutable: its status is a function of virtual time, read with :meth:`Message.status_at`.

Lifecycle (the network decides the arrival time and whether the message is lost)::

    created ── queued ("accepted" via a Messaging Service) ──  +1 s (or on arrival if sooner)
            ── sent ── arrival ── delivered
                               └─ undelivered, error 30003 (the network lost it)
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from twofa_sim.core.clock import Clock
from twofa_sim.core.phone import is_possible_e164
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.providers.network import SmsNetwork
from twofa_sim.providers.twilio.exceptions import (
    BodyRequired,
    BodyTooLong,
    FromNotOwned,
    FromRequired,
    InvalidFromNumber,
    InvalidMessagingService,
    InvalidToNumber,
    MessagingServiceEmpty,
    QueueFull,
    RecipientBlocked,
    RegionNotEnabled,
    ToNotMobile,
    ToRequired,
    ToUnreachable,
    TwilioApiError,
)

__all__ = [
    "DEFAULT_FROM_NUMBERS",
    "MAX_BODY_CHARS",
    "SENT_AFTER",
    "Message",
    "MessageStatus",
    "TwilioBackend",
    "segments",
]

MessageStatus = Literal["accepted", "queued", "sent", "delivered", "undelivered"]

DEFAULT_FROM_NUMBERS: tuple[str, ...] = ("+15005550006",)
"""Twilio's test-credential 'From' number that passes all validation."""

MAX_BODY_CHARS = 1600
SENT_AFTER = 1.0
"""Seconds a message stays queued before it is "sent" (capped by its arrival time)."""

UNDELIVERED_CODE = 30003
UNDELIVERED_MESSAGE = "Unreachable destination handset"

E164 = re.compile(r"\+[1-9]\d{1,14}")
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")

# Test-credential magic numbers (standards.md 6.1), honoured whatever the account owns.
_MAGIC_FROM_INVALID = "+15005550001"
_MAGIC_FROM_NOT_OWNED = "+15005550007"
_MAGIC_FROM_QUEUE_FULL = "+15005550008"
_MAGIC_TO_INVALID = "+15005550001"
_MAGIC_TO_UNROUTABLE = "+15005550002"
_MAGIC_TO_NO_PERMISSION = "+15005550003"
_MAGIC_TO_BLOCKED = "+15005550004"
_MAGIC_TO_NOT_MOBILE = "+15005550009"

# GSM 03.38: the basic alphabet is one septet a character, the extension table two.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")


def segments(body: str) -> int:
    """How many SMS segments ``body`` takes: GSM-7 (160 septets, 153 a part when split) when
    every character is in the GSM alphabet, else UCS-2 (70 UTF-16 units, 67 a part).

    >>> segments("Your code is 123456"), segments("x" * 161), segments("Hello! 👍")
    (1, 2, 1)
    """
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in body):
        units = sum(2 if c in _GSM_EXTENSION else 1 for c in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


@dataclass(frozen=True)
class Message:
    """One accepted message and its fate, all in virtual time (Unix seconds)."""

    sid: str
    account_sid: str
    to: str
    sender: str
    """The number it leaves from (chosen from the account's numbers for a Messaging Service)."""
    body: str
    num_media: int
    num_segments: int
    messaging_service_sid: str | None
    via_service: bool
    """Sent with ``MessagingServiceSid`` and no ``From``: "accepted", and no ``from`` until sent."""
    created_at: float
    sent_at: float
    arrives_at: float
    """When the network delivers it, or (if ``lost``) when the loss is reported."""
    lost: bool

    def status_at(self, now: float) -> MessageStatus:
        """The status Twilio reports at virtual time ``now``."""
        if now >= self.arrives_at:
            return "undelivered" if self.lost else "delivered"
        if now >= self.sent_at:
            return "sent"
        return "accepted" if self.via_service else "queued"

    def updated_at(self, now: float) -> float:
        """When the status last changed, as of ``now``."""
        if now >= self.arrives_at:
            return self.arrives_at
        if now >= self.sent_at:
            return self.sent_at
        return self.created_at

    def sender_at(self, now: float) -> str | None:
        """The ``from`` Twilio shows: unknown until a Messaging Service has sent the message."""
        return None if self.via_service and now < self.sent_at else self.sender

    def error_at(self, now: float) -> tuple[int, str] | None:
        """``(error_code, error_message)`` once the message is undelivered, else None."""
        if self.lost and now >= self.arrives_at:
            return UNDELIVERED_CODE, UNDELIVERED_MESSAGE
        return None


class TwilioBackend:
    """One Twilio account: its credentials, its 'From' numbers and the messages it sent."""

    def __init__(
        self,
        clock: Clock,
        rng: SeededRandom,
        network: SmsNetwork,
        *,
        account_sid: str,
        auth_token: str,
        from_numbers: Sequence[str] = DEFAULT_FROM_NUMBERS,
    ) -> None:
        self.clock = clock
        self.rng = rng
        self.network = network
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_numbers: tuple[str, ...] = tuple(from_numbers)
        self.messages: list[Message] = []
        """Every accepted message, oldest first."""
        self._by_sid: dict[str, Message] = {}

    # Inspection (the "backdoor": tests and scenarios, not the HTTP API) ----------------------

    def message(self, sid: str) -> Message:
        """The accepted message ``sid``; ``KeyError`` if there is none."""
        try:
            return self._by_sid[sid]
        except KeyError:
            raise KeyError(f"no Twilio message {sid!r}") from None

    def find(self, sid: str) -> Message | None:
        return self._by_sid.get(sid)

    def status(self, sid: str) -> MessageStatus:
        """The status of message ``sid`` now."""
        return self.message(sid).status_at(self.clock.now())

    def reset(self) -> None:
        """Forget every message (the network, shared with other providers, is left alone)."""
        self.messages.clear()
        self._by_sid.clear()

    # The account's logic ------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> bool:
        """Whether HTTP Basic credentials are this account's SID and auth token."""
        sid_ok = hmac.compare_digest(username.encode(), self.account_sid.encode())
        token_ok = hmac.compare_digest(password.encode(), self.auth_token.encode())
        return sid_ok and token_ok

    def create_message(
        self,
        *,
        to: str | None,
        sender: str | None = None,
        body: str | None = None,
        messaging_service_sid: str | None = None,
        media_urls: Sequence[str] = (),
    ) -> Message:
        """Validate, accept and hand a message to the network; raise a
        :class:`~twofa_sim.providers.twilio.exceptions.TwilioApiError` if Twilio would refuse it.

        Checks run in this order: required fields (21604, 21603, 21602), body length (21617),
        Messaging Service SID (21701), then the 'From' number (21212, 21611, 21606), then the
        'To' number (21211 format or magic, 21612, 21408, 21610, 21614).
        """
        text = body or ""
        if not to:
            raise ToRequired()
        if not sender and not messaging_service_sid:
            raise FromRequired()
        if not text and not media_urls:
            raise BodyRequired()
        if len(text) > MAX_BODY_CHARS:
            raise BodyTooLong()
        if messaging_service_sid and not MESSAGING_SERVICE_SID.fullmatch(messaging_service_sid):
            raise InvalidMessagingService.for_sid(messaging_service_sid)
        origin = self._check_sender(sender)
        self._check_recipient(to, origin)
        return self._accept(to, origin, text, messaging_service_sid, len(media_urls), sender)

    def _check_sender(self, sender: str | None) -> str:
        if not sender:  # a Messaging Service picks from the account's numbers
            if not self.from_numbers:
                raise MessagingServiceEmpty()
            return self.from_numbers[0]
        if sender == _MAGIC_FROM_INVALID:
            raise InvalidFromNumber.for_number(sender)
        if sender == _MAGIC_FROM_QUEUE_FULL:
            raise QueueFull()
        if sender == _MAGIC_FROM_NOT_OWNED or sender not in self.from_numbers:
            raise FromNotOwned.for_number(sender)
        return sender

    @staticmethod
    def _check_recipient(to: str, sender: str) -> None:
        error: TwilioApiError | None = None
        if not is_possible_e164(to) or to == _MAGIC_TO_INVALID:
            error = InvalidToNumber.for_number(to)
        elif to == _MAGIC_TO_UNROUTABLE:
            error = ToUnreachable.for_numbers(to, sender)
        elif to == _MAGIC_TO_NO_PERMISSION:
            error = RegionNotEnabled.for_number(to)
        elif to == _MAGIC_TO_BLOCKED:
            error = RecipientBlocked()
        elif to == _MAGIC_TO_NOT_MOBILE:
            error = ToNotMobile.for_number(to)
        if error is not None:
            raise error

    def _accept(
        self,
        to: str,
        origin: str,
        body: str,
        messaging_service_sid: str | None,
        num_media: int,
        sender: str | None,
    ) -> Message:
        now = self.clock.now()
        sid = self.rng.sid("SM")
        while sid in self._by_sid:  # pragma: no cover - 128 random bits
            sid = self.rng.sid("SM")
        arrives_at, lost = self._hand_over(sid, origin, to, body)
        message = Message(
            sid=sid,
            account_sid=self.account_sid,
            to=to,
            sender=origin,
            body=body,
            num_media=num_media,
            num_segments=segments(body),
            messaging_service_sid=messaging_service_sid,
            via_service=sender is None or sender == "",
            created_at=now,
            sent_at=min(now + SENT_AFTER, arrives_at),
            arrives_at=arrives_at,
            lost=lost,
        )
        self.messages.append(message)
        self._by_sid[sid] = message
        return message

    def _hand_over(self, sid: str, sender: str, to: str, body: str) -> tuple[float, bool]:
        """Send through the network; return when it arrives (or is reported lost) and whether
        it was lost. The network's own inspection API says which.
        """
        lost_before = len(self.network.lost)
        self.network.send(sid=sid, sender=sender, to=to, body=body, provider="twilio")
        if len(self.network.lost) > lost_before and self.network.lost[-1].sid == sid:
            return self.network.lost[-1].delivered_at, True
        copies = [
            m
            for m in (*self.network.in_flight(to), *self.network.inbox(to))
            if m.sid == sid and m.copy == 0
        ]
        return (copies[0].delivered_at if copies else self.clock.now()), False
