"""Logging in: the password, then one second factor, each login attempt bound to its own codes.

:class:`LoginFlow` is the part of the service that logs users in; it holds no rule itself but
asks its collaborators (the failure gate, the password check, the code checks, the sender),
which are passed in. Every answer names the rule that decided it.
"""

from __future__ import annotations

from twofa_sim.core.clock import Clock
from twofa_sim.core.phone import parse_e164
from twofa_sim.errors import InputError, LoginGoneError, RetryLaterError
from twofa_sim.reference.checks import PasswordCheck, PendingCodeCheck, RecoveryCheck, TotpCheck
from twofa_sim.reference.codes import Random
from twofa_sim.reference.delivery import CodeSender, new_id
from twofa_sim.reference.gate import FailureGate
from twofa_sim.reference.journal import Operations
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import LoginAttempt, PendingCode, UserRecord
from twofa_sim.reference.store import Store
from twofa_sim.reference.verdicts import Challenge, LoginResult, Outcome

__all__ = ["LoginFlow"]


class LoginFlow:
    """``login`` (the password), ``send_login_code``, ``verify_login`` and ``logged_in``.

    Rules: ``no-enumeration`` and ``throttle`` on the password; ``login-bound`` (a second factor
    completes only its own attempt, once, within ``login_ttl``); then whatever check the factor
    has (:mod:`twofa_sim.reference.checks`).
    """

    def __init__(
        self,
        *,
        operations: Operations,
        store: Store,
        clock: Clock,
        policy: SecurityPolicy,
        random: Random,
        gate: FailureGate,
        passwords: PasswordCheck,
        sender: CodeSender,
        pending_codes: PendingCodeCheck,
        totp: TotpCheck,
        recovery: RecoveryCheck,
    ) -> None:
        self.operations = operations
        self.store = store
        self.clock = clock
        self.policy = policy
        self.random = random
        self.gate = gate
        self.passwords = passwords
        self.sender = sender
        self.pending_codes = pending_codes
        self.totp = totp
        self.recovery = recovery

    def login(self, username: str, password: str) -> LoginResult:
        """The first step: the (simulated) password. An unknown user and a wrong password get
        the same answer (ASVS 5.0 6.3.8: users are not deducible from failures)."""
        if self.store.load(username) is None:
            # Do the work a wrong password costs, so the answer's timing says nothing either.
            self.passwords.waste(password)
            return LoginResult("refused", reason="bad_credentials", rule="no-enumeration")
        with self.operations.on(username) as (record, journal):
            # Wrong passwords count in the same counter as wrong codes (NIST 800-63B 5.2.2), so
            # guessing the password locks the account too; a locked account refuses every
            # password, right or wrong, and says so (a guesser learns the name exists only after
            # the limit's worth of guesses). The back-off gates the second step, where codes are
            # guessed: a user who mistyped a code may start a new login straight away.
            blocked = self.gate.blocked(record)
            if blocked is not None and blocked.reason == "locked":
                journal.event("login.password", "refused", rule=blocked.rule, reason=blocked.reason)
                return LoginResult(
                    "refused",
                    reason=blocked.reason,
                    retry_after=blocked.retry_after,
                    rule=blocked.rule,
                )
            if not self.passwords.matches(record, password):
                self.gate.failed(record, journal)
                journal.event(
                    "login.password", "failed", rule="no-enumeration", reason="bad_credentials"
                )
                return LoginResult("refused", reason="bad_credentials", rule="no-enumeration")
            must_enroll = not record.two_factor and self._team_requires(username)
            if not record.factors:
                self.gate.succeeded(record)
                journal.event("login", "ok", rule="audit", factor="password")
                return LoginResult("logged_in", must_enroll=must_enroll)
            now = self.clock.now()
            attempt = LoginAttempt(new_id(self.random), now, now + self.policy.login_ttl)
            record.logins = {k: v for k, v in record.logins.items() if v.expires_at > now}
            record.logins[attempt.login_id] = attempt
            journal.event("login.password", "ok", rule="login-bound", login=attempt.login_id)
            return LoginResult("second_factor", attempt.login_id, tuple(record.factors))

    def send_login_code(self, username: str, login_id: str, channel: str) -> Challenge:
        """Send the second-factor code for a login: by SMS, or an Authy push; for an Authy app
        token nothing is sent (the app shows it)."""
        with self.operations.on(username) as (record, journal):
            attempt = self.attempt(record, login_id)
            if channel not in record.factors or channel in ("totp", "recovery"):
                raise _no_factor(channel, record)
            blocked = self.gate.blocked(record)
            if blocked is not None:
                wait = blocked.retry_after or 0.0
                raise RetryLaterError(blocked.reason, wait, "not now", rule=blocked.rule)
            if channel == "sms":
                self.sender.cooldown(record)
            code = self.sender.queue(
                record,
                purpose="login",
                channel=channel,
                login_id=attempt.login_id,
                phone=record.phone,
                authy_id=record.authy_id,
                factor_sid=record.push_factor if channel == "verify-push" else None,
                identity=record.push_identity if channel == "verify-push" else None,
            )
            if channel == "sms":
                self.sender.send_sms(code, record.phone or "", "login")
                record.last_sent_at = self.clock.now()
            elif channel in ("authy-push", "verify-push"):
                self.sender.push(record, journal, code, "Log in?")
            journal.event(
                "login.code_sent", "ok", rule="oob-bound", channel=channel, request=code.request_id
            )
            masked = parse_e164(record.phone).masked() if record.phone else ""
            return Challenge(code.request_id, channel, code.expires_at, masked)

    def verify_login(
        self, username: str, login_id: str, factor: str, code: str | None = None
    ) -> Outcome:
        """The second step: check a code (or the push) for this login; ``accepted`` logs in."""
        with self.operations.on(username) as (record, journal):
            try:
                attempt = self.attempt(record, login_id)
            except LoginGoneError as gone:
                journal.event("login.verify", "failed", rule="login-bound", reason=gone.reason)
                return Outcome(False, gone.reason, rule="login-bound")
            spent_recovery = factor == "recovery" and record.two_factor and bool(record.recovery)
            blocked = self.gate.blocked(record)
            if factor not in record.factors and not spent_recovery:
                # Logged like any refusal: probing for factors is an authentication event too.
                outcome = Outcome(
                    False, "no_such_factor", detail=f"{factor} is not set up", rule="login-bound"
                )
            elif blocked is not None:
                # An Outcome is falsy when refused: compare with None, never use `or`.
                outcome = blocked
            elif factor == "totp" and record.totp is not None:
                outcome = self.totp.check(record, journal, record.totp, code or "", "login.totp")
            elif factor == "recovery":
                # Every code spent, recovery is no longer a factor; a spent code typed again is
                # still a replay (logged, told, counted), and any other code a wrong one.
                outcome = self.recovery.check(record, journal, code or "")
            else:
                found = self.latest(record, login_id, factor)
                if found is None and factor == "authy-app":
                    found = self.sender.queue(
                        record,
                        purpose="login",
                        channel=factor,
                        login_id=login_id,
                        authy_id=record.authy_id,
                    )
                if found is None:
                    # A spent code typed here is still a replay (logged, told, counted).
                    outcome = self.pending_codes.unrequested(record, journal, factor, code)
                else:
                    outcome = self.pending_codes.check(
                        record, journal, found, code, rule="oob-bound"
                    )
            if outcome.ok:
                attempt.done, attempt.factor = True, factor
            journal.event(
                "login.verify",
                "ok" if outcome.ok else "failed",
                rule=outcome.rule,
                factor=factor,
                reason=outcome.reason,
                login=login_id,
            )
            return outcome

    def logged_in(self, username: str, login_id: str) -> bool:
        """Whether that login attempt has passed its second factor."""
        record = self.store.load(username)
        attempt = None if record is None else record.logins.get(login_id)
        return attempt is not None and attempt.done

    def attempt(self, record: UserRecord, login_id: str) -> LoginAttempt:
        """The live login attempt ``login_id`` (``login-bound``); LoginGoneError if it is
        unknown, done or expired."""
        attempt = record.logins.get(login_id)
        if attempt is None:
            raise LoginGoneError("unknown_request")
        if attempt.done:
            raise LoginGoneError("used")
        if self.clock.now() >= attempt.expires_at:
            raise LoginGoneError("login_expired")
        return attempt

    def latest(self, record: UserRecord, login_id: str, channel: str) -> PendingCode | None:
        """The last request sent on ``channel`` for this login (``oob-bound``: no other's)."""
        candidates = [
            p for p in record.pending.values() if p.login_id == login_id and p.channel == channel
        ]
        return max(candidates, key=lambda p: p.sent_at) if candidates else None

    def _team_requires(self, username: str) -> bool:
        return any(t.require_two_factor and username in t.members for t in self.store.teams())


def _no_factor(channel: str, record: UserRecord) -> InputError:
    return InputError(
        f"{channel!r} is not a factor that sends codes for this user",
        where="channel",
        hint=f"set up: {', '.join(record.factors) or 'none'}",
    )
