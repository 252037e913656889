"""The code checks, one per kind of factor: each decides one submission and names its rule.

- :class:`PendingCodeCheck`: a code the service sent (SMS), an Authy app token, or an Authy
  push, against the one request it answers;
- :class:`TotpCheck`: an authenticator app's code, through a verifier kept per credential;
- :class:`RecoveryCheck`: a recovery code;
- :class:`PasswordCheck`: the (simulated) password.

Every check that examines a code goes through the :class:`~twofa_sim.reference.gate.FailureGate`
first or is called after it, and counts its failures there.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from twofa_sim.core.clock import Clock
from twofa_sim.core.otp import Reason, TotpState, TotpVerifier, Verification
from twofa_sim.errors import ProviderUnavailableError
from twofa_sim.reference.codes import code_digest, password_digest, recovery_digest, same_digest
from twofa_sim.reference.gate import FailureGate, ReplayAlarm
from twofa_sim.reference.journal import Journal
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import PendingCode, TotpCredential, UserRecord
from twofa_sim.reference.verdicts import Outcome

if TYPE_CHECKING:  # the providers' clients, for annotations only
    from twofa_sim.providers import AuthyClient

__all__ = ["PasswordCheck", "PendingCodeCheck", "RecoveryCheck", "TotpCheck", "unavailable"]


def unavailable(provider: str, exc: Exception) -> ProviderUnavailableError:
    """The error a provider's failure becomes (naming the provider and the error's type only)."""
    return ProviderUnavailableError(provider, type(exc).__name__)


class PendingCodeCheck:
    """A code sent by SMS, an Authy app token or an Authy push, against its request.

    Rules: the gate first (``throttle``, ``backoff``: while they hold nothing is examined, so no
    answer leaks and no attempt restarts the lock); ``oob-single-use`` (a spent code, and a
    replay of an accepted one); ``oob-ttl``; ``oob-rate-limit`` (attempts per code); the
    caller's ``rule`` for the verdict on the code itself (``phone-validated`` when verifying a
    number, ``oob-bound`` at login); ``push-approval`` and ``push-number-matching`` for pushes.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        policy: SecurityPolicy,
        gate: FailureGate,
        alarm: ReplayAlarm,
        authy: AuthyClient,
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.gate = gate
        self.alarm = alarm
        self.authy = authy

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        found: PendingCode,
        code: str | None,
        *,
        rule: str,
    ) -> Outcome:
        """Check ``code`` (or the push's status) against ``found``; ``rule`` names what the
        verdict on the code serves."""
        blocked = self.gate.blocked(record)
        if blocked is not None:
            return blocked
        if found.used:
            if (
                found.accepted
                and found.channel == "sms"
                and code is not None
                and self.matches(found, code)
            ):
                self.alarm.sound(record, journal, found.channel)
                return Outcome(False, "replayed", rule="oob-single-use")
            if found.channel == "sms":
                replayed = self.replay(record, journal, code)
                if replayed is not None:
                    return replayed
            return Outcome(
                False, "used", detail="that code is spent; ask for a new one", rule="oob-single-use"
            )
        if self.clock.now() >= found.expires_at:
            found.used = True
            return Outcome(
                False, "expired", detail="the code expired; ask for a new one", rule="oob-ttl"
            )
        if found.channel == "authy-push":
            return self.push(record, journal, found, code)
        if code is None or not code.isascii() or not code.isdigit() or len(code) > 12:
            return Outcome(False, "malformed", detail="a code is digits only", rule=rule)
        if found.channel == "authy-app":
            ok = self.authy_token(record, journal, found.authy_id, code)
            if ok is None:
                return Outcome(False, "replayed", rule="oob-single-use")
        else:
            ok = self.matches(found, code)
        if ok:
            found.used = found.accepted = True
            if found.channel == "sms":
                self.remember_used(record, found)
            self.gate.succeeded(record)
            return Outcome(True, "accepted", rule=rule)
        if found.channel == "sms":
            replayed = self.replay(record, journal, code)
            if replayed is not None:
                return replayed
        found.attempts += 1
        self.gate.failed(record, journal)
        if found.attempts >= self.policy.sms_code_attempts:
            found.used = True
            return Outcome(
                False, "too_many_attempts", detail="ask for a new code", rule="oob-rate-limit"
            )
        return Outcome(False, "wrong_code", rule=rule)

    def matches(self, found: PendingCode, code: str) -> bool:
        """Whether ``code`` is the one sent (rule ``oob-hashed``: only its salted hash is kept)."""
        digest = code_digest(bytes.fromhex(found.salt), code)
        return same_digest(digest, found.digest)

    def remember_used(self, record: UserRecord, found: PendingCode) -> None:
        """Keep the accepted SMS code ``found`` as spent (``oob-single-use``): its salted hash,
        never the code, in the user's record (so a restart forgets nothing), until the code
        would have expired; after that it is worthless even unspent. Entries past their time
        are dropped here."""
        now = self.clock.now()
        kept = [entry for entry in record.sms_used if entry[2] > now]
        if found.digest and found.expires_at > now:
            kept.append([found.salt, found.digest, found.expires_at])
        record.sms_used = kept

    def used_before(self, record: UserRecord, code: str) -> bool:
        """Whether ``code`` is an SMS code this user already used, still remembered."""
        now = self.clock.now()
        return any(
            until > now and same_digest(code_digest(bytes.fromhex(salt), code), digest)
            for salt, digest, until in record.sms_used
        )

    def replay(self, record: UserRecord, journal: Journal, code: str | None) -> Outcome | None:
        """``replayed`` if ``code`` is a spent SMS code (of any request: an earlier login's, a
        phone verification's), with the alarm sounded (``notify-replay``: logged, told,
        counted); None if it is not one. Called once the code is not the request's own."""
        if code is None or not code.isascii() or not code.isdigit():
            return None
        if not self.used_before(record, code):
            return None
        self.alarm.sound(record, journal, "sms")
        return Outcome(False, "replayed", detail="that code was used before", rule="oob-single-use")

    def unrequested(
        self, record: UserRecord, journal: Journal, channel: str, code: str | None
    ) -> Outcome:
        """A code typed for a login that sent none on ``channel``: a spent SMS code is a replay
        (``replayed``, the alarm sounded); anything else ``nothing_pending``."""
        if channel == "sms":
            replayed = self.replay(record, journal, code)
            if replayed is not None:
                return replayed
        return Outcome(False, "nothing_pending", detail="send a code first", rule="oob-bound")

    def authy_token(
        self, record: UserRecord, journal: Journal, authy_id: int | None, token: str
    ) -> bool | None:
        """Authy's verdict on an app token; None when it is a replay of one already used."""
        from twofa_sim.providers.authy import AuthyApiError

        seen = code_digest(bytes.fromhex(record.password_salt), f"authy:{token}")
        now = self.clock.now()
        used = [u for u in record.authy_used if u[1] > now]
        if any(same_digest(digest, seen) for digest, _ in used):
            self.alarm.sound(record, journal, "authy-app")
            return None
        try:
            ok = self.authy.verify(authy_id or 0, token)
        except AuthyApiError as exc:
            raise unavailable("Authy", exc) from exc
        if ok:
            # Authy accepts a token for two 10 s steps; remember it that long to refuse reuse.
            record.authy_used = [*used, [seen, now + 30.0]]
        return ok

    def push(
        self, record: UserRecord, journal: Journal, found: PendingCode, number: str | None
    ) -> Outcome:
        """The push's status at Authy, and the number the user typed (``push-approval``,
        ``push-number-matching``)."""
        from twofa_sim.providers.authy import AuthyApiError

        try:
            status = self.authy.approval_status(found.push_uuid or "")
        except AuthyApiError as exc:
            raise unavailable("Authy", exc) from exc
        return self.judge_push(
            ("Authy", "the Authy app", "approval"), status, found, number, record, journal
        )

    def judge_push(
        self,
        carrier: tuple[str, str, str],
        status: str,
        found: PendingCode,
        number: str | None,
        record: UserRecord,
        journal: Journal,
    ) -> Outcome:
        """What a push's approval status means, whoever carried the push (Authy, Verify):
        pending waits, only an explicit approval approves (fail closed), a denial is audited
        and told, and the number typed must be the one the push showed. ``carrier``: the
        provider, the app the user approves in, and what the provider calls the status."""
        provider, app, kind = carrier
        if status == "pending":
            return Outcome(
                False,
                "push_pending",
                detail=f"approve the request in {app}",
                rule="push-approval",
            )
        if status not in ("approved", "denied", "expired"):
            # Fail closed: only an explicit approval approves.
            raise ProviderUnavailableError(provider, f"unexpected {kind} status {status!r}")
        found.used = True
        if status == "expired":
            return Outcome(False, "expired", rule="oob-ttl")
        if status == "denied":
            journal.event("push.denied", "denied", rule="push-approval")
            journal.notify("push_denied", "A login request was denied")
            return Outcome(False, "push_denied", rule="push-approval")
        if found.push_number is not None and number != found.push_number:
            self.gate.failed(record, journal)
            return Outcome(
                False,
                "number_mismatch",
                detail="the number did not match the push",
                rule="push-number-matching",
            )
        found.accepted = True
        self.gate.succeeded(record)
        matched = found.push_number is not None
        rule = "push-number-matching" if matched else "push-approval"
        return Outcome(True, "accepted", rule=rule)


_TOTP_REASONS = {
    Reason.WRONG_CODE: "wrong_code",
    Reason.MALFORMED: "malformed",
    Reason.REPLAYED: "replayed",
    Reason.STALE: "stale",
    Reason.OUTSIDE_WINDOW: "outside_window",
}


class TotpCheck:
    """An authenticator app's code: rules ``totp-window`` (and ``totp-drift`` within it) and
    ``totp-replay``; a replay sounds the alarm, any other wrong code counts a failure.

    The verifier of each credential (its decoded key and keyed HMAC states) is kept, so a login
    costs the HMACs of its window and little else; at most :attr:`KEEP` are kept (the oldest
    go first).
    """

    KEEP = 4096
    """How many credentials' verifiers are kept."""

    def __init__(
        self,
        *,
        clock: Clock,
        policy: SecurityPolicy,
        gate: FailureGate,
        alarm: ReplayAlarm,
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.gate = gate
        self.alarm = alarm
        self._verifiers: dict[str, TotpVerifier] = {}
        self._lock = threading.Lock()

    def verifier(self, credential: TotpCredential) -> TotpVerifier:
        """The verifier of this credential under the policy (made once, then kept)."""
        secret = credential.secret
        verifier = self._verifiers.get(secret)
        if verifier is None:
            verifier = TotpVerifier(secret, policy=self.policy.totp)
            with self._lock:
                while len(self._verifiers) >= self.KEEP:
                    del self._verifiers[next(iter(self._verifiers))]  # the oldest first
                self._verifiers[secret] = verifier
        return verifier

    def verify(self, credential: TotpCredential, code: str) -> Verification[TotpState]:
        """The verifier's verdict on ``code`` now, for the credential's state (no side effect)."""
        return self.verifier(credential).verify(code, self.clock.now(), credential.state)

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        """Check ``code``; on success the credential remembers the step (and drift). The event
        (``login.totp``, ``totp.confirm``) is logged either way."""
        result = self.verify(credential, code)
        if result.accepted:
            credential.remember(result.state)
            self.gate.succeeded(record)
            journal.event(event, "ok", rule="totp-window", offset=result.offset)
            return Outcome(True, "accepted", rule="totp-window")
        reason = _TOTP_REASONS.get(result.reason, "wrong_code")
        rule = "totp-replay" if reason in ("replayed", "stale") else "totp-window"
        if rule == "totp-replay":
            self.alarm.sound(record, journal, "totp")
        elif reason != "malformed":
            self.gate.failed(record, journal)
        journal.event(event, "failed", rule=rule, reason=reason, offset=result.offset)
        return Outcome(False, reason, rule=rule)


class RecoveryCheck:
    """A recovery code: rule ``recovery-hashed`` (salted PBKDF2, single use); a spent code typed
    again is a replay (``notify-replay``), any other a wrong code."""

    def __init__(self, *, policy: SecurityPolicy, gate: FailureGate, alarm: ReplayAlarm) -> None:
        self.policy = policy
        self.gate = gate
        self.alarm = alarm

    def check(self, record: UserRecord, journal: Journal, code: str) -> Outcome:
        digest = recovery_digest(
            bytes.fromhex(record.password_salt), code, self.policy.code_hash_iterations
        )
        for entry in record.recovery:
            if same_digest(digest, entry["hash"]):
                if entry["used"]:
                    self.alarm.sound(record, journal, "recovery")
                    return Outcome(False, "replayed", rule="recovery-hashed")
                entry["used"] = True
                self.gate.succeeded(record)
                left = sum(not e["used"] for e in record.recovery)
                journal.notify("recovery_used", f"A recovery code was used; {left} left")
                return Outcome(True, "accepted", rule="recovery-hashed")
        self.gate.failed(record, journal)
        return Outcome(False, "wrong_code", rule="recovery-hashed")


class PasswordCheck:
    """The simulated first factor: a salted PBKDF2 hash; rule ``no-enumeration`` (an unknown
    user costs the same work as a wrong password)."""

    def __init__(self, *, policy: SecurityPolicy) -> None:
        self.policy = policy

    def digest(self, salt: bytes, password: str) -> str:
        return password_digest(salt, password, self.policy.code_hash_iterations)

    def matches(self, record: UserRecord, password: str) -> bool:
        if not record.password_hash:
            return False
        digest = self.digest(bytes.fromhex(record.password_salt), password)
        return same_digest(digest, record.password_hash)

    def waste(self, password: str) -> None:
        """The work a wrong password costs, for a user that does not exist."""
        self.digest(b"\0" * 16, password)
