"""Sending codes: queued per request, by SMS through Twilio or as an Authy push, rate limited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twofa_sim.core.clock import Clock
from twofa_sim.core.phone import PhoneNumber
from twofa_sim.errors import RetryLaterError
from twofa_sim.reference.checks import unavailable
from twofa_sim.reference.codes import Random, code_digest, digits
from twofa_sim.reference.journal import Journal
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import PendingCode, UserRecord

if TYPE_CHECKING:  # the providers' clients, for annotations only
    from twofa_sim.providers import AuthyClient, TwilioClient

__all__ = ["CodeSender", "new_id"]


def new_id(random: Random) -> str:
    """A request or login id: 96 random bits, hex."""
    return random(12).hex()


class CodeSender:
    """Rules ``oob-entropy`` (random digits), ``oob-hashed`` (only the code's salted hash is
    kept), ``oob-ttl``, ``oob-rate-limit`` (the resend cooldown) and ``push-rate-limit``."""

    def __init__(
        self,
        *,
        clock: Clock,
        policy: SecurityPolicy,
        random: Random,
        twilio: TwilioClient,
        authy: AuthyClient,
        sms_from: str,
        issuer: str,
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.random = random
        self.twilio = twilio
        self.authy = authy
        self.sms_from = sms_from
        self.issuer = issuer

    def queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        """A new pending request (``purpose``, ``channel``, ...); older unused ones for the same
        purpose (and login) are spent: one live code at a time."""
        now = self.clock.now()
        ttl = (
            self.policy.push_ttl
            if fields.get("channel") == "authy-push"
            else self.policy.sms_code_ttl
        )
        code = PendingCode(
            request_id=new_id(self.random), sent_at=now, expires_at=now + ttl, **fields
        )
        for other in record.pending.values():
            if other.purpose == code.purpose and other.login_id == code.login_id:
                other.used = True
        record.pending[code.request_id] = code
        return code

    def cooldown(self, record: UserRecord) -> None:
        """Refuse a new SMS within ``resend_cooldown`` of the last (raises RetryLaterError)."""
        if record.last_sent_at is None:
            return
        wait = record.last_sent_at + self.policy.resend_cooldown - self.clock.now()
        if wait > 0:
            message = f"a code was just sent; resend in {wait:.0f} s"
            raise RetryLaterError("cooldown", wait, message, rule="oob-rate-limit")

    def sms_code(self) -> str:
        """A fresh SMS code: ``sms_code_digits`` random digits (``oob-entropy``)."""
        return digits(self.random, self.policy.sms_code_digits)

    def keep(self, code: PendingCode, value: str) -> None:
        """What is kept of a sent code: its salted hash, never the code (``oob-hashed``)."""
        salt = self.random(16)
        code.salt, code.digest = salt.hex(), code_digest(salt, value)

    def send_sms(self, code: PendingCode, to: str, what: str) -> None:
        """Draw the code (:meth:`sms_code`), keep it (:meth:`keep`), and text it."""
        from twofa_sim.providers.twilio import TwilioError

        value = self.sms_code()
        self.keep(code, value)
        minutes = int(self.policy.sms_code_ttl // 60)
        body = f"Your {self.issuer} {what} code is {value}. It expires in {minutes} minutes."
        try:
            self.twilio.send_sms(to, self.sms_from, body)
        except TwilioError as exc:
            raise unavailable("SMS", exc) from exc

    def recent_pushes(self, record: UserRecord, journal: Journal, now: float) -> list[float]:
        """The user's pushes inside ``push_window``; at ``push_limit`` already, the push is
        refused (RetryLaterError) and logged: what push bombing looks like (ASVS 5.0 16.3.3)."""
        recent = [t for t in record.pushes if t > now - self.policy.push_window]
        if len(recent) >= self.policy.push_limit:
            retry = min(recent) + self.policy.push_window - now
            journal.event(
                "push.refused",
                "rate_limited",
                rule="push-rate-limit",
                recent=len(recent),
                reason="rate_limited",
            )
            raise RetryLaterError(
                "rate_limited",
                retry,
                f"too many push requests; try again in {retry:.0f} s",
                rule="push-rate-limit",
            )
        return recent

    def push(self, record: UserRecord, journal: Journal, code: PendingCode, message: str) -> None:
        """Raise an Authy push for ``code``, at most ``push_limit`` per ``push_window``; a refused
        push is logged (what push bombing looks like, ASVS 5.0 16.3.3)."""
        from twofa_sim.providers.authy import AuthyApiError

        now = self.clock.now()
        recent = self.recent_pushes(record, journal, now)
        number = digits(self.random, 2)
        details = {"Number": number} if self.policy.number_matching else {}
        try:
            code.push_uuid = self.authy.create_approval_request(
                code.authy_id or 0, message, details, self.policy.push_ttl
            )
        except AuthyApiError as exc:
            raise unavailable("Authy", exc) from exc
        code.push_number = number if self.policy.number_matching else None
        record.pushes = [*recent, now]

    def authy_user(self, username: str, number: PhoneNumber) -> tuple[int | None, bool]:
        """Whether ``number`` is an Authy user with the app (registering it with Authy asks)."""
        from twofa_sim.providers.authy import AuthyApiError

        try:
            authy_id = self.authy.register_user(
                f"{username}@users.{self.issuer}.invalid",
                number.national_number,
                number.country_code,
            )
            registered = bool(self.authy.user_status(authy_id).get("registered"))
        except AuthyApiError as exc:
            raise unavailable("Authy", exc) from exc
        return authy_id, registered
