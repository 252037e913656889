"""Broken collaborators of the reference service, each breaking one rule the way developers do.

Every class here is a public subclass of a public part (:class:`~twofa_sim.reference.ServiceParts`
fields), overriding public methods or changing the public arguments the part is built with
(its policy, its gate, its Authy client, its operations). Nothing reaches a private name: a
rename in the reference makes these fail loudly (or their probe stop differing), never turn
silently into no-ops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from twofa_sim.core.otp import Reason, TotpState, Verification
from twofa_sim.core.phone import normalise_phone
from twofa_sim.reference import (
    AccountFlow,
    CodeSender,
    FailureGate,
    Journal,
    LoginFlow,
    LoginResult,
    Operations,
    Outcome,
    PasswordCheck,
    PendingCodeCheck,
    RecoveryCheck,
    ReplayAlarm,
    SecurityPolicy,
    StoreView,
    TotpCheck,
    UserRecord,
)
from twofa_sim.reference.audit import AuditEntry, make_entry
from twofa_sim.reference.codes import digits, recovery_digest, same_digest
from twofa_sim.reference.records import LoginAttempt, PendingCode, TotpCredential
from twofa_sim.reference.store import Transaction
from twofa_sim.reference.verdicts import Challenge

__all__ = ["untold", "with_policy", "with_totp_window"]


# --- building blocks -----------------------------------------------------------------------------


def with_policy(base: type[Any], name: str, **changes: Any) -> type[Any]:
    """``base`` built with its ``policy`` argument changed (the part's own view of the policy)."""

    def __init__(self: Any, **kwargs: Any) -> None:
        policy: SecurityPolicy = kwargs["policy"]
        kwargs["policy"] = dataclasses.replace(policy, **changes)
        base.__init__(self, **kwargs)

    return type(name, (base,), {"__init__": __init__, "__doc__": f"{base.__name__}: {changes}"})


def with_totp_window(name: str, change: Callable[[Any], dict[str, Any]]) -> type[TotpCheck]:
    """A TOTP check whose verifier policy is ``change(policy.totp)`` applied to the scenario's."""

    def __init__(self: Any, **kwargs: Any) -> None:
        policy: SecurityPolicy = kwargs["policy"]
        totp = dataclasses.replace(policy.totp, **change(policy.totp))
        kwargs["policy"] = dataclasses.replace(policy, totp=totp)
        TotpCheck.__init__(self, **kwargs)

    return type(name, (TotpCheck,), {"__init__": __init__})


class UncountingGate(FailureGate):
    """A gate whose ``failed`` counts nothing (given to one check: its failures go uncounted)."""

    def failed(self, record: UserRecord, journal: Journal) -> None:
        return None


class UnresettingGate(FailureGate):
    """A gate whose ``succeeded`` forgets to clear the count."""

    def succeeded(self, record: UserRecord) -> None:
        return None


class OpenGate(FailureGate):
    """A gate that never refuses (given to one step: that step is not throttled)."""

    def blocked(self, record: UserRecord) -> Outcome | None:
        return None


def gate_like(kind: type[FailureGate], gate: FailureGate) -> FailureGate:
    return kind(clock=gate.clock, policy=gate.policy)


class FilteredJournal(Journal):
    """The operation's journal, dropping the audit events (or notifications) ``drop`` matches."""

    def __init__(
        self,
        inner: Journal,
        *,
        events: Callable[[str, str], bool] = lambda _e, _o: False,
        notes: Callable[[str], bool] = lambda _k: False,
    ) -> None:
        super().__init__(inner.clock, inner.user, inner.events)
        self.notes = inner.notes
        self.drop_event, self.drop_note = events, notes

    def event(self, event: str, outcome: str, *, rule: str, **details: Any) -> None:
        if not self.drop_event(event, outcome):
            super().event(event, outcome, rule=rule, **details)

    def notify(self, kind: str, message: str) -> None:
        if not self.drop_note(kind):
            super().notify(kind, message)


class RefusalsUnloggedOperations(Operations):
    """Operations whose journals drop every failed or refused event (an audit log that records
    only successes)."""

    @contextmanager
    def on(self, username: str, *, create: bool = False) -> Iterator[tuple[UserRecord, Journal]]:
        with super().on(username, create=create) as (record, journal):
            yield record, FilteredJournal(journal, events=lambda _e, o: o in ("failed", "refused"))


class UntoldOperations(Operations):
    """Operations whose journals drop every notification (the user is told nothing)."""

    @contextmanager
    def on(self, username: str, *, create: bool = False) -> Iterator[tuple[UserRecord, Journal]]:
        with super().on(username, create=create) as (record, journal):
            yield record, FilteredJournal(journal, notes=lambda _k: True)


@contextmanager
def swapped(part: Any, name: str, value: Any) -> Iterator[None]:
    """``part.name`` is ``value`` for the block (one step of a part runs with another helper)."""
    saved = getattr(part, name)
    setattr(part, name, value)
    try:
        yield
    finally:
        setattr(part, name, saved)


def untold(name: str, method: str, *, when: Callable[[UserRecord], bool] | None = None) -> type:
    """An :class:`AccountFlow` whose ``method`` tells the user nothing (its notices dropped);
    ``when``: only for users whose record (before the step) it matches."""

    def quiet(self: AccountFlow, username: str, *args: Any, **kwargs: Any) -> Any:
        step = getattr(AccountFlow, method)
        if when is not None and not when(self.record(username)):
            return step(self, username, *args, **kwargs)
        o = self.operations
        silent = UntoldOperations(store=o.store, clock=o.clock, deliver=o.deliver)
        with swapped(self, "operations", silent):
            return step(self, username, *args, **kwargs)

    return type(name, (AccountFlow,), {method: quiet, "__doc__": f"{method} tells nothing"})


# --- the failure gate (throttle, backoff) --------------------------------------------------------


class LockNotEnforced(FailureGate):
    """The lock is written (and shown) but never checked: only the back-off remains."""

    def blocked(self, record: UserRecord) -> Outcome | None:
        saved = record.locked_until
        record.locked_until = None
        try:
            return super().blocked(record)
        finally:
            record.locked_until = saved


class LocksOneLate(FailureGate):
    """Off by one: locks after limit + 1 failures (``>`` for ``>=``)."""

    def failed(self, record: UserRecord, journal: Journal) -> None:
        now = self.clock.now()
        record.failures += 1
        record.last_failure_at = now
        if record.failures > self.policy.max_consecutive_failures:
            record.locked_until = now + self.policy.lockout_duration
            journal.event("account.locked", "locked", rule="throttle", failures=record.failures)
            journal.notify("locked", "Your account is locked after too many failed attempts")


class LockoutUnaudited(FailureGate):
    """Locks, tells the user, but writes no audit entry."""

    def failed(self, record: UserRecord, journal: Journal) -> None:
        super().failed(record, FilteredJournal(journal, events=lambda e, _o: e == "account.locked"))


class LockoutUntold(FailureGate):
    """Locks and audits, but never tells the user."""

    def failed(self, record: UserRecord, journal: Journal) -> None:
        super().failed(record, FilteredJournal(journal, notes=lambda k: k == "locked"))


class LockInMemory(FailureGate):
    """The lock lives in the process (a dict), not in the user's record: a restart lifts it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.locks: dict[str, float] = {}

    def failed(self, record: UserRecord, journal: Journal) -> None:
        super().failed(record, journal)
        if record.locked_until is not None:
            self.locks[record.username] = record.locked_until
            record.locked_until, record.failures = None, 0

    def blocked(self, record: UserRecord) -> Outcome | None:
        until = self.locks.get(record.username)
        now = self.clock.now()
        if until is not None and now < until:
            return Outcome(False, "locked", until - now, "too many failures", "throttle")
        return super().blocked(record)


# --- the replay alarm (notify-replay) ------------------------------------------------------------


class ReplayUnaudited(ReplayAlarm):
    def sound(self, record: UserRecord, journal: Journal, factor: str) -> None:
        quiet = FilteredJournal(journal, events=lambda e, _o: e == "replay.rejected")
        super().sound(record, quiet, factor)


class ReplayUntold(ReplayAlarm):
    def sound(self, record: UserRecord, journal: Journal, factor: str) -> None:
        super().sound(record, FilteredJournal(journal, notes=lambda k: k == "replay"), factor)


class ReplayUncounted(ReplayAlarm):
    def __init__(self, *, gate: FailureGate) -> None:
        super().__init__(gate=gate_like(UncountingGate, gate))


class SilentAlarm(ReplayAlarm):
    """A replay only counts as a failure: no audit entry, no notification."""

    def sound(self, record: UserRecord, journal: Journal, factor: str) -> None:
        self.gate.failed(record, journal)


# --- authenticator-app codes ---------------------------------------------------------------------


class TotpForgetsUsedStep(TotpCheck):
    """Verifies without the last accepted step: a code works again and again in its window."""

    def verify(self, credential: TotpCredential, code: str) -> Verification[TotpState]:
        state = TotpState(None, credential.drift)
        return self.verifier(credential).verify(code, self.clock.now(), state)


class TotpAcceptsStale(TotpCheck):
    """Refuses the very step it accepted last, but an older code still in the window passes."""

    def verify(self, credential: TotpCredential, code: str) -> Verification[TotpState]:
        result = super().verify(credential, code)
        if result.reason is Reason.STALE:
            state = credential.state
            return Verification(
                Reason.ACCEPTED, state, result.offset, result.matched, False, result.candidates
            )
        return result


class TotpUsedStepInMemory(TotpCheck):
    """Remembers the last accepted step in the process, not in the store: lost on restart."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.used: dict[str, int | None] = {}

    def verify(self, credential: TotpCredential, code: str) -> Verification[TotpState]:
        state = TotpState(self.used.get(credential.secret), credential.drift)
        return self.verifier(credential).verify(code, self.clock.now(), state)

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        outcome = super().check(record, journal, credential, code, event)
        if outcome.ok:
            self.used[credential.secret] = credential.last_step
            credential.last_step = None
        return outcome


class TotpDriftInMemory(TotpCheck):
    """The drift seen at each success is remembered in the process: a restart forgets it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drifts: dict[str, int] = {}

    def verify(self, credential: TotpCredential, code: str) -> Verification[TotpState]:
        state = TotpState(credential.last_step, self.drifts.get(credential.secret, 0))
        return self.verifier(credential).verify(code, self.clock.now(), state)

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        outcome = super().check(record, journal, credential, code, event)
        if outcome.ok:
            self.drifts[credential.secret], credential.drift = credential.drift, 0
        return outcome


class TotpOldSecretStillValid(TotpCheck):
    """A user's earlier secrets keep working after a new QR code is confirmed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history: dict[str, list[TotpCredential]] = {}

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        history = self.history.setdefault(record.username, [])
        for old in history:
            if old.secret != credential.secret:
                result = self.verify(old, code)
                if result.accepted:
                    old.remember(result.state)
                    self.gate.succeeded(record)
                    journal.event(event, "ok", rule="totp-window", offset=result.offset)
                    return Outcome(True, "accepted", rule="totp-window")
        outcome = super().check(record, journal, credential, code, event)
        if outcome.ok and all(c.secret != credential.secret for c in history):
            history.append(credential)
        return outcome


class TotpFailuresUncounted(TotpCheck):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate_like(UncountingGate, self.gate)


class TotpSuccessKeepsCount(TotpCheck):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate_like(UnresettingGate, self.gate)


class TotpRefusalUnaudited(TotpCheck):
    def check(
        self,
        record: UserRecord,
        journal: Journal,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        quiet = FilteredJournal(journal, events=lambda _e, o: o == "failed")
        return super().check(record, quiet, credential, code, event)


class TotpVerifierCacheOfOne(TotpCheck):
    """CONTROL: keeps one verifier instead of 4096 (a cache: only the cost changes)."""

    KEEP = 1


# --- codes sent by SMS, Authy tokens and pushes --------------------------------------------------


class SmsNeverExpires(CodeSender):
    def queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        code = super().queue(record, **fields)
        if code.channel == "sms":
            code.expires_at = code.sent_at + 10 * 365 * 86400.0
        return code


class SmsLivesFifteenMinutes(CodeSender):
    """SMS codes live 15 minutes, past the 10 the policy (and the standards) allow: the policy
    refuses such a setting, so the sender sets each code's expiry itself."""

    def queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        code = super().queue(record, **fields)
        if code.channel == "sms":
            code.expires_at = code.sent_at + 900.0
        return code


class SmsCodeKeptInClear(CodeSender):
    """Keeps the hash, and also the code itself "for support" (in a spare field)."""

    def keep(self, code: PendingCode, value: str) -> None:
        super().keep(code, value)
        code.push_number = value


class SmsCodeFourDigits(CodeSender):
    """SMS codes of four digits ("easier to type"): 10,000 values, under the 20 bits the
    standards ask of an out-of-band secret (stored hashed, as it should)."""

    def sms_code(self) -> str:
        return digits(self.random, 4)


class SmsCodeFixed(CodeSender):
    """A test code left in production: every SMS code is 000000 (stored hashed, as it should)."""

    def sms_code(self) -> str:
        return "0" * self.policy.sms_code_digits


class NewCodeResetsCount(CodeSender):
    """Sending a new code clears the failure count (NIST SP 800-63B-4 3.1.3.2: it must not)."""

    def queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        record.failures, record.last_failure_at = 0, None
        return super().queue(record, **fields)


class CooldownInMemory(CodeSender):
    """The resend cooldown is timed from a send remembered in the process: a restart lifts it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: dict[str, float] = {}

    def cooldown(self, record: UserRecord) -> None:
        record.last_sent_at = self.sent.get(record.username)
        super().cooldown(record)
        self.sent[record.username] = self.clock.now()


class PushesCountedInMemory(CodeSender):
    """Recent pushes are counted in the process, not in the store: a restart forgets them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recent: dict[str, list[float]] = {}

    def push(self, record: UserRecord, journal: Journal, code: PendingCode, message: str) -> None:
        record.pushes = self.recent.get(record.username, [])
        try:
            super().push(record, journal, code, message)
        finally:
            self.recent[record.username], record.pushes = record.pushes, []


class SmsCodeReusable(PendingCodeCheck):
    def check(
        self,
        record: UserRecord,
        journal: Journal,
        found: PendingCode,
        code: str | None,
        *,
        rule: str,
    ) -> Outcome:
        outcome = super().check(record, journal, found, code, rule=rule)
        if outcome.ok and found.channel == "sms":
            found.used = found.accepted = False
        return outcome


class SmsUsedInMemory(PendingCodeCheck):
    """Remembers which SMS codes were accepted in the process, not in the store."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spent: set[str] = set()

    def check(
        self,
        record: UserRecord,
        journal: Journal,
        found: PendingCode,
        code: str | None,
        *,
        rule: str,
    ) -> Outcome:
        if found.request_id in self.spent:
            found.used = found.accepted = True
            try:
                return super().check(record, journal, found, code, rule=rule)
            finally:
                found.used = found.accepted = False
        outcome = super().check(record, journal, found, code, rule=rule)
        if outcome.ok and found.channel == "sms":
            self.spent.add(found.request_id)
            found.used = found.accepted = False
        return outcome


class SmsReplayNotRecognised(PendingCodeCheck):
    """A spent SMS code is refused only at its own request: typed at a later login it is an
    ordinary wrong code (or "nothing pending"), neither logged as a replay nor told."""

    def replay(self, record: UserRecord, journal: Journal, code: str | None) -> Outcome | None:
        return None


class SmsSpentCodesInMemory(PendingCodeCheck):
    """Spent SMS codes are remembered (hashed) in the process, not in the user's record: after
    a restart a spent code typed at a later login is no longer recognised as a replay."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kept: dict[str, list[list[Any]]] = {}

    def remember_used(self, record: UserRecord, found: PendingCode) -> None:
        record.sms_used = self.kept.get(record.username, [])
        super().remember_used(record, found)
        self.kept[record.username], record.sms_used = record.sms_used, []

    def used_before(self, record: UserRecord, code: str) -> bool:
        record.sms_used = self.kept.get(record.username, [])
        try:
            return super().used_before(record, code)
        finally:
            record.sms_used = []


class CodeFailuresUncounted(PendingCodeCheck):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate_like(UncountingGate, self.gate)


class AuthyTokenReusable(PendingCodeCheck):
    def authy_token(
        self, record: UserRecord, journal: Journal, authy_id: int | None, token: str
    ) -> bool | None:
        ok = super().authy_token(record, journal, authy_id, token)
        record.authy_used = []
        return ok


class PushNumberNotCompared(PendingCodeCheck):
    """Shows a number on the phone, but never compares what the user typed."""

    def push(
        self, record: UserRecord, journal: Journal, found: PendingCode, number: str | None
    ) -> Outcome:
        found.push_number = None
        return super().push(record, journal, found, number)


class StatusMap:
    """An Authy client whose approval statuses are read through ``mapping`` (fail open)."""

    def __init__(self, inner: Any, mapping: dict[str, str]) -> None:
        self.inner, self.mapping = inner, mapping

    def approval_status(self, uuid: str) -> str:
        status: str = self.inner.approval_status(uuid)
        return self.mapping.get(status, status)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def authy_read_as(name: str, mapping: dict[str, str]) -> type[PendingCodeCheck]:
    def __init__(self: Any, **kwargs: Any) -> None:
        kwargs["authy"] = StatusMap(kwargs["authy"], mapping)
        PendingCodeCheck.__init__(self, **kwargs)

    return type(name, (PendingCodeCheck,), {"__init__": __init__})


# --- recovery codes ------------------------------------------------------------------------------


class RecoveryReusable(RecoveryCheck):
    def check(self, record: UserRecord, journal: Journal, code: str) -> Outcome:
        before = [entry["used"] for entry in record.recovery]
        outcome = super().check(record, journal, code)
        if outcome.ok:
            for entry, used in zip(record.recovery, before, strict=True):
                entry["used"] = used
        return outcome


class RecoveryUsedInMemory(RecoveryCheck):
    """Remembers spent recovery codes in the process, not in the store."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spent: set[tuple[str, str]] = set()

    def check(self, record: UserRecord, journal: Journal, code: str) -> Outcome:
        salt = bytes.fromhex(record.password_salt)
        digest = recovery_digest(salt, code, self.policy.code_hash_iterations)
        live = any(same_digest(digest, entry["hash"]) for entry in record.recovery)
        if live and (record.username, digest) in self.spent:
            self.alarm.sound(record, journal, "recovery")
            return Outcome(False, "replayed", rule="recovery-hashed")
        before = [entry["used"] for entry in record.recovery]
        outcome = super().check(record, journal, code)
        if outcome.ok:
            self.spent.add((record.username, digest))
            for entry, used in zip(record.recovery, before, strict=True):
                entry["used"] = used
        return outcome


class RecoveryFailuresUncounted(RecoveryCheck):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate_like(UncountingGate, self.gate)


class RecoveryReplaySilent(RecoveryCheck):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alarm = SilentAlarm(gate=self.gate)


class RecoveryUseUntold(RecoveryCheck):
    def check(self, record: UserRecord, journal: Journal, code: str) -> Outcome:
        quiet = FilteredJournal(journal, notes=lambda k: k == "recovery_used")
        return super().check(record, quiet, code)


# --- the login steps -----------------------------------------------------------------------------


class PasswordFailuresUncounted(LoginFlow):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate_like(UncountingGate, self.gate)


class PasswordStepUnthrottled(LoginFlow):
    """A locked account still gets past the password (the lock is checked at the codes only)."""

    def login(self, username: str, password: str) -> LoginResult:
        gate = self.gate
        self.gate = gate_like(OpenGate, gate)
        try:
            return super().login(username, password)
        finally:
            self.gate = gate


class PasswordResetsCount(LoginFlow):
    """The right password clears the failure count, so guessing codes never reaches the lock."""

    def login(self, username: str, password: str) -> LoginResult:
        result = super().login(username, password)
        if result.status == "second_factor":
            with self.operations.on(username) as (record, _journal):
                self.gate.succeeded(record)
        return result


class SecondFactorSkipped(LoginFlow):
    """The password alone logs in; the second factor is asked for but not waited for."""

    def login(self, username: str, password: str) -> LoginResult:
        result = super().login(username, password)
        if result.status == "second_factor" and result.login_id is not None:
            with self.operations.on(username) as (record, _journal):
                record.logins[result.login_id].done = True
            return LoginResult("logged_in", result.login_id)
        return result


class LoginSecondFactorReusable(LoginFlow):
    """A login attempt that passed its second factor takes another one (and another...)."""

    def attempt(self, record: UserRecord, login_id: str) -> LoginAttempt:
        found = record.logins.get(login_id)
        if found is not None and found.done and self.clock.now() < found.expires_at:
            return found
        return super().attempt(record, login_id)


class SmsBoundToUserNotLogin(LoginFlow):
    """Takes the user's newest login code, whichever login it was sent for."""

    def latest(self, record: UserRecord, login_id: str, channel: str) -> PendingCode | None:
        candidates = [
            p for p in record.pending.values() if p.purpose == "login" and p.channel == channel
        ]
        return max(candidates, key=lambda p: p.sent_at) if candidates else None


class UnknownUserTold(LoginFlow):
    def login(self, username: str, password: str) -> LoginResult:
        if self.store.load(username) is None:
            return LoginResult("refused", reason="unknown_user", rule="no-enumeration")
        return super().login(username, password)


class LoginRefusalsUnlogged(LoginFlow):
    def __init__(self, **kwargs: Any) -> None:
        operations: Operations = kwargs["operations"]
        kwargs["operations"] = RefusalsUnloggedOperations(
            store=operations.store, clock=operations.clock, deliver=operations.deliver
        )
        super().__init__(**kwargs)


# --- the enrollment steps (phone, QR, recovery codes, turning it off) ---------------------------


class PhoneChangedBeforeConfirmed(AccountFlow):
    """A new number replaces the verified one as soon as it is typed, before its code."""

    def change_phone(self, username: str, phone: str, *, authy_method: str = "push") -> Challenge:
        challenge = super().change_phone(username, phone, authy_method=authy_method)
        with self.operations.on(username) as (record, _journal):
            record.phone = normalise_phone(phone).e164
        return challenge


class QrRevokesActiveSecret(AccountFlow):
    """Generating a new QR code revokes the active secret at once (before the new one is
    confirmed): an abandoned re-enrollment locks the user out of their app."""

    def hold_secret(self, record: UserRecord, journal: Journal, credential: TotpCredential) -> None:
        super().hold_secret(record, journal, credential)
        if record.totp is not credential:
            record.totp = None


class RecoveryCodesInClear(AccountFlow):
    """Keeps each recovery code in clear next to its hash ("so support can read it out")."""

    def recovery_entry(self, salt: bytes, code: str) -> dict[str, Any]:
        return {**super().recovery_entry(salt, code), "note": code}


class RecoveryOldCodesKept(AccountFlow):
    """New recovery codes are added to the old ones instead of replacing them."""

    def generate_recovery_codes(self, username: str) -> list[str]:
        before = self.record(username).recovery
        fresh = super().generate_recovery_codes(username)
        with self.operations.on(username) as (record, _journal):
            record.recovery = [*before, *record.recovery]
        return fresh


class DisableWhileLocked(AccountFlow):
    """Turning two-factor off does not look at the lock: the password alone undoes it."""

    def disable_two_factor(self, username: str, password: str) -> Outcome:
        with swapped(self, "gate", gate_like(OpenGate, self.gate)):
            return super().disable_two_factor(username, password)


class ConfirmIgnoresBackoff(AccountFlow):
    """Confirming a QR code does not look at the back-off: wrong codes can be tried at once."""

    def confirm_totp(self, username: str, code: str) -> Outcome:
        with swapped(self, "gate", gate_like(OpenGate, self.gate)):
            return super().confirm_totp(username, code)


class AnyPassword(PasswordCheck):
    def matches(self, record: UserRecord, password: str) -> bool:
        return True


class DisableWithoutPassword(AccountFlow):
    """Turning two-factor off takes any password (the session is trusted instead)."""

    def disable_two_factor(self, username: str, password: str) -> Outcome:
        with swapped(self, "passwords", AnyPassword(policy=self.policy)):
            return super().disable_two_factor(username, password)


# --- the store: records and the audit log --------------------------------------------------------


class AuditInProcess(StoreView):
    """The audit log is kept in the process (a list), chained, next to a store that keeps the
    records: a restart loses every entry."""

    def __init__(self, *, inner: Any) -> None:
        super().__init__(inner=inner)
        self.entries: list[AuditEntry] = []

    @contextmanager
    def user(self, username: str) -> Iterator[Transaction]:
        with self.inner.user(username) as tx:
            try:
                yield tx
            finally:
                events, tx.events[:] = list(tx.events), []
                for event in events:
                    self.entries.append(
                        make_entry(self.entries[-1] if self.entries else None, **event)
                    )

    def audit(self) -> list[AuditEntry]:
        return list(self.entries)


class AuditFirstEventOnly(StoreView):
    """A transaction keeps only the first audit entry of its operation (one row per commit):
    the lock after a wrong code, the verdict after a replay, ... are lost."""

    @contextmanager
    def user(self, username: str) -> Iterator[Transaction]:
        with self.inner.user(username) as tx:
            try:
                yield tx
            finally:
                del tx.events[1:]


class AuditLostOnError(StoreView):
    """An operation that fails (a provider down, a refused request) writes no audit entry: the
    log records only what went through."""

    @contextmanager
    def user(self, username: str) -> Iterator[Transaction]:
        with self.inner.user(username) as tx:
            try:
                yield tx
            except BaseException:
                tx.events.clear()
                raise


class UnknownUserCostsNothing(PasswordCheck):
    """CONTROL: an unknown user's login skips the password hash (a timing difference only)."""

    def waste(self, password: str) -> None:
        return None
