"""The reference service on Twilio Verify v2: codes, TOTP factors and pushes held by Verify.

With ``provider: verify`` (:meth:`~twofa_sim.world.World.reference_service`) the service keeps the
same rules, but Verify holds what it used to hold itself:

- **SMS codes** are Verify Verifications. Verify draws the code, texts it and checks it; the
  service stores the verification's SID with the request, never a code (``oob-hashed`` holds
  trivially). *Binding* (``oob-bound``): a request is checked by its own ``VerificationSid``, never
  by ``To``, so a code answers only the request (and login) that sent it. *Expiry* (``oob-ttl``):
  Verify's code lives 10 minutes from the first send; a shorter ``sms_code_ttl`` is enforced by
  the service on top (and the verification canceled). *Single use* (``oob-single-use``): an
  approved verification is gone at Verify (a check answers 404); the service keeps a salted
  hash of the code it accepted (after use: the code is then worthless) to tell a replay from a
  stale code, as with Messages. *Attempts* (``oob-rate-limit``): Verify allows 5 checks; the
  service counts its own ``sms_code_attempts`` too, and when either limit is reached it cancels
  the verification, so the user can ask for a new code after the cooldown (Verify would refuse a
  new one for that number until the old one expired). *Resends*: a resend while the code is
  live re-sends the same code on the same verification (Verify's behaviour); the 6th send is
  refused by Verify (60203) and the user is told to wait (``rate_limited``).
- **Authenticator apps** get a Verify TOTP Factor: the QR carries the otpauth URI Verify
  returned (the service never sees the secret); the first code verifies the factor
  (``totp-confirm``), later codes are TOTP Challenges. Verify's window is its ``skew``
  (the policy's wider side, at most 2 steps). Verify does not refuse a code used before within
  its window, so the service keeps a salted hash of each accepted code for the window's length
  (``totp-replay``); it cannot see steps, so an *older* code after a newer one is not
  ``stale`` but accepted, and drift is not tracked (scenarios tagged ``messages-only``).
- **Pushes** are Verify Push Challenges to the factor a phone's Verify Push app enrolled for the
  number's identity (:func:`push_identity`): channel ``verify-push``, with number matching
  (the number shown on the page, in the challenge's fields) and the policy's ``push_ttl`` as
  the challenge's expiration date.

A Verify error that is not one of these decisions is ``provider_unavailable`` (the provider is
named ``Verify``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from twofa_sim.errors import InputError, RetryLaterError
from twofa_sim.reference.checks import PendingCodeCheck, TotpCheck, unavailable
from twofa_sim.reference.codes import code_digest, digits, same_digest
from twofa_sim.reference.delivery import CodeSender
from twofa_sim.reference.journal import Journal
from twofa_sim.reference.records import PendingCode, TotpCredential, UserRecord
from twofa_sim.reference.verdicts import Outcome

if TYPE_CHECKING:  # the provider's client, for annotations only
    from twofa_sim.providers.verify import VerifyClient

__all__ = [
    "VerifyCodeCheck",
    "VerifySender",
    "VerifyTotpCheck",
    "on_verify",
    "push_identity",
    "user_identity",
    "verify_skew",
]


def push_identity(number: str) -> str:
    """The Verify identity of a phone number's push factor: a hash of the E.164 number (Verify
    asks for no personal data in identities; a phone's app enrolls under it)."""
    return "ph-" + hashlib.sha256(number.encode()).hexdigest()[:40]


def user_identity(issuer: str, username: str) -> str:
    """The Verify identity of a user's TOTP factors: a hash of the issuer and the username."""
    return "u-" + hashlib.sha256(f"{issuer}\0{username}".encode()).hexdigest()[:40]


def verify_skew(steps_back: int, steps_forward: int) -> int:
    """Verify's one ``skew`` for the policy's window: its wider side, at most 2 steps."""
    return max(0, min(2, max(steps_back, steps_forward)))


class VerifySender(CodeSender):
    """:class:`CodeSender` with SMS codes as Verify Verifications and pushes as Verify Push
    Challenges (the same rules: cooldown, push rate limit, one live request at a time)."""

    verify: VerifyClient

    def __init__(self, *, verify: VerifyClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if verify is not None:
            self.connect(verify)

    def connect(self, verify: VerifyClient) -> None:
        """Send and push through ``verify`` (the service connects a part it built)."""
        self.verify = verify

    def queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        """A new request; Verify keeps one verification per number, so every other open one of
        this user is canceled (``oob-bound``), except a live one for the same purpose and login
        to the same number, which Verify re-sends (the same code)."""
        others = [o for o in record.pending.values() if o.verification_sid]
        code = super().queue(record, **fields)
        if code.channel == "verify-push":
            code.expires_at = code.sent_at + self.policy.push_ttl
        now = self.clock.now()
        for other in others:
            resend = (
                code.channel == "sms"
                and other.purpose == code.purpose
                and other.login_id == code.login_id
                and other.phone == code.phone
                and other.expires_at > now
                and other.attempts < self.policy.sms_code_attempts
            )
            if not resend:
                close_verification(self.verify, other)
        return code

    def send_sms(self, code: PendingCode, to: str, what: str) -> None:
        """Start (or re-send) the Verify verification of ``to``; the code is Verify's."""
        from twofa_sim.providers.verify import VerifyError
        from twofa_sim.providers.verify.exceptions import MaxCheckAttempts, MaxSendAttempts

        try:
            started = self.verify.start_verification(to, "sms")
        except MaxSendAttempts as exc:
            wait = self.policy.sms_code_ttl
            raise RetryLaterError(
                "rate_limited",
                wait,
                f"too many codes were sent to this number; try again in {wait / 60:.0f} minutes",
                rule="oob-rate-limit",
            ) from exc
        except MaxCheckAttempts as exc:
            raise RetryLaterError(
                "rate_limited",
                self.policy.sms_code_ttl,
                "too many wrong codes for this number; try again later",
                rule="oob-rate-limit",
            ) from exc
        except VerifyError as exc:
            raise unavailable("Verify", exc) from exc
        code.verification_sid = started.sid

    def push(self, record: UserRecord, journal: Journal, code: PendingCode, message: str) -> None:
        """A Verify Push challenge for ``code``, at most ``push_limit`` per ``push_window``."""
        from twofa_sim.providers.verify import VerifyError

        now = self.clock.now()
        recent = self.recent_pushes(record, journal, now)
        number = digits(self.random, 2)
        fields = [("Number", number)] if self.policy.number_matching else []
        expires = datetime.fromtimestamp(int(code.expires_at), UTC)
        try:
            challenge = self.verify.create_challenge(
                code.identity or "",
                code.factor_sid or "",
                message=message,
                fields=fields,
                expires_at=expires,
            )
        except VerifyError as exc:
            raise unavailable("Verify", exc) from exc
        code.challenge_sid = challenge.sid
        code.push_number = number if self.policy.number_matching else None
        record.pushes = [*recent, now]

    def authy_user(self, username: str, number: Any) -> tuple[int | None, bool]:
        """No Authy with Verify: nobody is an Authy user."""
        return None, False

    def push_factor(self, number: str) -> str | None:
        """The verified push factor a phone's app enrolled for ``number``, if any."""
        from twofa_sim.providers.verify import VerifyError
        from twofa_sim.providers.verify.exceptions import ResourceNotFound

        try:
            factors = self.verify.list_factors(push_identity(number))
        except ResourceNotFound:
            return None
        except VerifyError as exc:
            raise unavailable("Verify", exc) from exc
        for factor in factors:
            if factor.factor_type == "push" and factor.status == "verified":
                return factor.sid
        return None


def close_verification(verify: VerifyClient, code: PendingCode) -> None:
    """Cancel ``code``'s verification at Verify (already gone is fine) and forget its SID."""
    from twofa_sim.providers.verify import VerifyError
    from twofa_sim.providers.verify.exceptions import ResourceNotFound

    sid, code.verification_sid = code.verification_sid, None
    if not sid:
        return
    try:
        verify.cancel(sid)
    except ResourceNotFound:
        pass
    except VerifyError as exc:
        raise unavailable("Verify", exc) from exc


class VerifyCodeCheck(PendingCodeCheck):
    """:class:`PendingCodeCheck` asking Verify: an SMS code by its verification's SID, a push by
    its challenge's status. The same rules, in the same order; see the module's notes."""

    verify: VerifyClient

    def __init__(self, *, verify: VerifyClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if verify is not None:
            self.connect(verify)

    def connect(self, verify: VerifyClient) -> None:
        """Check codes and pushes with ``verify`` (the service connects a part it built)."""
        self.verify = verify

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        found: PendingCode,
        code: str | None,
        *,
        rule: str,
    ) -> Outcome:
        if found.channel == "verify-push":
            return self._push(record, journal, found, code)
        if found.channel != "sms":
            return super().check(record, journal, found, code, rule=rule)
        blocked = self.gate.blocked(record)
        if blocked is not None:
            return blocked
        if found.used:
            if found.accepted and code is not None and found.digest and self.matches(found, code):
                self.alarm.sound(record, journal, found.channel)
                return Outcome(False, "replayed", rule="oob-single-use")
            replayed = self.replay(record, journal, code)
            if replayed is not None:
                return replayed
            return Outcome(
                False, "used", detail="that code is spent; ask for a new one", rule="oob-single-use"
            )
        if self.clock.now() >= found.expires_at:
            found.used = True
            close_verification(self.verify, found)
            return Outcome(
                False, "expired", detail="the code expired; ask for a new one", rule="oob-ttl"
            )
        if code is None or not code.isascii() or not code.isdigit() or len(code) > 12:
            return Outcome(False, "malformed", detail="a code is digits only", rule=rule)
        verdict = self._ask(found, code) if 4 <= len(code) <= 10 else "pending"
        if verdict == "gone":
            found.used = True
            found.verification_sid = None
            return Outcome(
                False, "expired", detail="the code expired; ask for a new one", rule="oob-ttl"
            )
        if verdict == "approved":
            found.used = found.accepted = True
            found.verification_sid = None
            salt = self.random_salt(found)
            found.salt, found.digest = salt.hex(), code_digest(salt, code)
            self.remember_used(record, found)
            self.gate.succeeded(record)
            return Outcome(True, "accepted", rule=rule)
        if verdict == "pending":  # not this request's code: a spent one is a replay
            replayed = self.replay(record, journal, code)
            if replayed is not None:
                return replayed
        found.attempts += 1
        self.gate.failed(record, journal)
        if verdict == "max_attempts_reached" or found.attempts >= self.policy.sms_code_attempts:
            found.used = True
            close_verification(self.verify, found)
            journal.event(
                "code.spent", "too_many_attempts", rule="oob-rate-limit", attempts=found.attempts
            )
            return Outcome(
                False, "too_many_attempts", detail="ask for a new code", rule="oob-rate-limit"
            )
        return Outcome(False, "wrong_code", rule=rule)

    @staticmethod
    def random_salt(found: PendingCode) -> bytes:
        """A salt for the accepted code's hash: the request's id is random and unique."""
        return hashlib.sha256(f"accepted:{found.request_id}".encode()).digest()[:16]

    def _ask(self, found: PendingCode, code: str) -> str:
        """Verify's verdict: ``approved``, ``pending`` (wrong), ``max_attempts_reached`` or
        ``gone`` (expired or canceled at Verify)."""
        from twofa_sim.providers.verify import VerifyError
        from twofa_sim.providers.verify.exceptions import MaxCheckAttempts, ResourceNotFound

        if not found.verification_sid:
            return "gone"
        try:
            checked = self.verify.check(code, verification_sid=found.verification_sid)
        except ResourceNotFound:
            return "gone"
        except MaxCheckAttempts:
            return "max_attempts_reached"
        except VerifyError as exc:
            raise unavailable("Verify", exc) from exc
        return checked.status

    def _push(
        self, record: UserRecord, journal: Journal, found: PendingCode, number: str | None
    ) -> Outcome:
        """The challenge's status at Verify, and the number the user typed (``push-approval``,
        ``push-number-matching``)."""
        from twofa_sim.providers.verify import VerifyError

        blocked = self.gate.blocked(record)
        if blocked is not None:
            return blocked
        if found.used:
            return Outcome(False, "used", detail="that push is answered", rule="oob-single-use")
        try:
            status = self.verify.fetch_challenge(
                found.identity or "", found.challenge_sid or ""
            ).status
        except VerifyError as exc:
            raise unavailable("Verify", exc) from exc
        return self.judge_push(
            ("Verify", "the app", "challenge"), status, found, number, record, journal
        )


class VerifyTotpCheck(TotpCheck):
    """:class:`TotpCheck` asking Verify: the first code verifies the factor, later ones are
    TOTP challenges; accepted codes are remembered (hashed) for the window, against replay."""

    client: VerifyClient

    def __init__(self, *, verify: VerifyClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if verify is not None:
            self.connect(verify)

    def connect(self, verify: VerifyClient) -> None:
        """Check codes with ``verify`` (the service connects a part it built)."""
        self.client = verify

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        if not credential.factor_sid:
            return super().check(record, journal, credential, code, event)
        if not code.isascii() or not code.isdigit() or not 3 <= len(code) <= 8:
            journal.event(event, "failed", rule="totp-window", reason="malformed")
            return Outcome(False, "malformed", rule="totp-window")
        salt = bytes.fromhex(record.password_salt)
        seen = code_digest(salt, f"totp:{credential.factor_sid}:{code}")
        now = self.clock.now()
        used = [u for u in record.totp_used if u[1] > now]
        if any(same_digest(digest, seen) for digest, _ in used):
            self.alarm.sound(record, journal, "totp")
            journal.event(event, "failed", rule="totp-replay", reason="replayed")
            return Outcome(False, "replayed", rule="totp-replay")
        ok = self._ask(credential, code)
        if ok:
            window = self.policy.totp
            skew = verify_skew(window.steps_back, window.steps_forward)
            record.totp_used = [*used, [seen, now + (2 * skew + 1) * 30.0]]
            self.gate.succeeded(record)
            journal.event(event, "ok", rule="totp-window")
            return Outcome(True, "accepted", rule="totp-window")
        self.gate.failed(record, journal)
        journal.event(event, "failed", rule="totp-window", reason="wrong_code")
        return Outcome(False, "wrong_code", rule="totp-window")

    def _ask(self, credential: TotpCredential, code: str) -> bool:
        from twofa_sim.providers.verify import VerifyError
        from twofa_sim.providers.verify.exceptions import (
            ChallengeAttemptsReached,
            FactorAttemptsReached,
            InvalidParameter,
        )

        identity, sid = credential.identity or "", credential.factor_sid or ""
        try:
            if not credential.confirmed:
                return self.client.verify_factor(identity, sid, code).status == "verified"
            return self.client.create_challenge(identity, sid, code=code).status == "approved"
        except (ChallengeAttemptsReached, FactorAttemptsReached, InvalidParameter):
            return False  # Verify refused the code (its own attempt limits, a bad length)
        except VerifyError as exc:
            raise unavailable("Verify", exc) from exc


def on_verify(part: type[Any], variant: type[Any], default: type[Any]) -> type[Any]:
    """The class a :class:`~twofa_sim.reference.ServiceParts` part is built from when the service
    runs on Verify: ``variant`` (:class:`VerifySender`, :class:`VerifyCodeCheck`,
    :class:`VerifyTotpCheck`) for the ``default`` part; ``part`` itself if it already derives
    from ``variant``; otherwise a class deriving from ``part`` then ``variant``, so a variant
    written against the Messages part (a subclass overriding one method) applies its change on
    top of Verify's. The class is built with the part's own keyword arguments, then connected
    to the client (``connect``), so its constructor need not take ``verify``."""
    if part is default:
        return variant
    if issubclass(part, variant):
        return part
    return type(part.__name__, (part, variant), {"__doc__": part.__doc__})


def refuse_seed_compat() -> InputError:
    """The error for ``confirm_totp: false`` with Verify: a factor needs its first code."""
    return InputError(
        "a Verify TOTP factor is active only once a first code verifies it: "
        "confirm_totp cannot be off with provider verify",
        where="policy.confirm_totp",
        hint="use provider messages for the seed's unconfirmed QR",
    )
