"""The failure gate (lockout, then back-off) and the replay alarm: what every check goes through.

One failure counter per user, across sessions and factors (RFC 4226 7.3): wrong passwords and
wrong codes alike. A replayed code is rejected, logged, told to the user and counted.
"""

from __future__ import annotations

from twofa_sim.core.clock import Clock
from twofa_sim.reference.journal import Journal
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import UserRecord
from twofa_sim.reference.verdicts import Outcome

__all__ = ["FailureGate", "ReplayAlarm"]


class FailureGate:
    """Rules ``throttle`` (lockout after consecutive failures) and ``backoff`` (a growing wait
    between them)."""

    def __init__(self, *, clock: Clock, policy: SecurityPolicy) -> None:
        self.clock = clock
        self.policy = policy

    def blocked(self, record: UserRecord) -> Outcome | None:
        """Refuse while locked (NIST 800-63B 5.2.2) or backing off (django-otp's 2**(n-1));
        None when the user may try. An expired lock is lifted (and the count reset) here."""
        now = self.clock.now()
        if record.locked_until is not None:
            if now < record.locked_until:
                return Outcome(
                    False, "locked", record.locked_until - now, "too many failures", "throttle"
                )
            record.locked_until, record.failures = None, 0
        policy = self.policy
        if record.failures and record.last_failure_at is not None and policy.backoff_factor:
            wait = min(policy.backoff_cap, policy.backoff_factor * 2 ** (record.failures - 1))
            if now < record.last_failure_at + wait:
                return Outcome(
                    False, "throttled", record.last_failure_at + wait - now, rule="backoff"
                )
        return None

    def failed(self, record: UserRecord, journal: Journal) -> None:
        """Count a failure (a password or a code); lock the account at the limit, and say so."""
        now = self.clock.now()
        record.failures += 1
        record.last_failure_at = now
        if record.failures >= self.policy.max_consecutive_failures:
            record.locked_until = now + self.policy.lockout_duration
            journal.event("account.locked", "locked", rule="throttle", failures=record.failures)
            journal.notify("locked", "Your account is locked after too many failed attempts")

    def succeeded(self, record: UserRecord) -> None:
        """A success clears the count (NIST 800-63B 5.2.2)."""
        record.failures, record.last_failure_at = 0, None


class ReplayAlarm:
    """Rule ``notify-replay``: a code used before, again, is logged, told and counted."""

    def __init__(self, *, gate: FailureGate) -> None:
        self.gate = gate

    def sound(self, record: UserRecord, journal: Journal, factor: str) -> None:
        journal.event("replay.rejected", "rejected", rule="notify-replay", factor=factor)
        journal.notify(
            "replay", "Someone tried to reuse a code that was already used to log in as you"
        )
        self.gate.failed(record, journal)
