"""Checking codes, throttling, and logging in with a second factor (part of the service).

Split out of :mod:`twofa_sim.reference.service` to keep each module one concept: that module
enrolls factors, this one checks them. Every check goes through the same gate (lockout, then
back-off), counts the same failures (one counter per user, across sessions and factors, RFC
4226 7.3), and treats a replay the same way (rejected, logged, the user told).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twofa_sim.core.otp import Reason, TotpVerifier
from twofa_sim.errors import InputError, LoginGoneError
from twofa_sim.reference import codes
from twofa_sim.reference.records import LoginAttempt, PendingCode, TotpCredential, UserRecord
from twofa_sim.reference.verdicts import Challenge, LoginResult, Outcome

if TYPE_CHECKING:
    from twofa_sim.core.clock import Clock
    from twofa_sim.providers import AuthyClient, TwilioClient
    from twofa_sim.reference.policy import SecurityPolicy
    from twofa_sim.reference.service import _Pending
    from twofa_sim.reference.store import Store

__all__ = ["LoginMixin"]

_TOTP_REASONS = {
    Reason.WRONG_CODE: "wrong_code",
    Reason.MALFORMED: "malformed",
    Reason.REPLAYED: "replayed",
    Reason.STALE: "stale",
    Reason.OUTSIDE_WINDOW: "outside_window",
}


class LoginMixin:
    """Code checks and login; mixed into :class:`~twofa_sim.reference.service.ReferenceService`."""

    if TYPE_CHECKING:
        clock: Clock
        policy: SecurityPolicy
        store: Store
        twilio: TwilioClient
        authy: AuthyClient
        random: codes.Random

        def _user(self, username: str, *, create: bool = False) -> Any: ...
        def _event(
            self, pending: _Pending, user: str, event: str, outcome: str, **d: Any
        ) -> None: ...
        def _notify(self, pending: _Pending, user: str, kind: str, message: str) -> None: ...
        def _id(self) -> str: ...
        def _queue(self, record: UserRecord, **fields: Any) -> PendingCode: ...
        def _send_sms(self, record: UserRecord, code: PendingCode, to: str, what: str) -> None: ...
        def _push(
            self, record: UserRecord, pending: _Pending, code: PendingCode, message: str
        ) -> None: ...
        def _cooldown(self, record: UserRecord) -> None: ...
        def _password_ok(self, record: UserRecord, password: str) -> bool: ...
        def _refused(self, pending: _Pending, u: str, event: str, o: Outcome) -> Outcome: ...
        def _unavailable(self, provider: str, exc: Exception) -> Exception: ...

    # --- the gate: lockout, then back-off ------------------------------------------------------

    def _blocked(self, record: UserRecord) -> Outcome | None:
        """Refuse while locked (NIST 800-63B 5.2.2) or backing off (django-otp's 2**(n-1))."""
        now = self.clock.now()
        if record.locked_until is not None:
            if now < record.locked_until:
                return Outcome(False, "locked", record.locked_until - now, "too many failures")
            record.locked_until, record.failures = None, 0
        if record.failures and record.last_failure_at is not None and self.policy.backoff_factor:
            wait = min(
                self.policy.backoff_cap, self.policy.backoff_factor * 2 ** (record.failures - 1)
            )
            if now < record.last_failure_at + wait:
                return Outcome(False, "throttled", record.last_failure_at + wait - now)
        return None

    def _failed(self, record: UserRecord, pending: _Pending, reason: str) -> None:
        """Count a failure (a password or a code); lock the account at the limit."""
        now = self.clock.now()
        record.failures += 1
        record.last_failure_at = now
        if record.failures >= self.policy.max_consecutive_failures:
            record.locked_until = now + self.policy.lockout_duration
            self._event(
                pending,
                record.username,
                "account.locked",
                "locked",
                failures=record.failures,
                rule="throttle",
            )
            self._notify(
                pending,
                record.username,
                "locked",
                "Your account is locked after too many failed attempts",
            )

    def _succeeded(self, record: UserRecord) -> None:
        record.failures, record.last_failure_at = 0, None

    def _replay(self, record: UserRecord, pending: _Pending, factor: str) -> None:
        self._event(
            pending,
            record.username,
            "replay.rejected",
            "rejected",
            factor=factor,
            rule="notify-replay",
        )
        self._notify(
            pending,
            record.username,
            "replay",
            "Someone tried to reuse a code that was already used to log in as you",
        )

    # --- one code against one pending request ---------------------------------------------------

    def _check(
        self,
        record: UserRecord,
        pending: _Pending,
        found: PendingCode,
        code: str | None,
        *,
        rule: str,
    ) -> Outcome:
        """Check ``code`` (or the push's status) against a pending request, under every rule.

        The lock and the back-off come first: while they hold, nothing is examined, so no
        answer (not even "that code is spent") leaks and no attempt restarts the lock."""
        blocked = self._blocked(record)
        if blocked is not None:
            return blocked
        if found.used:
            if (
                found.accepted
                and found.channel == "sms"
                and code is not None
                and self._matches(found, code)
            ):
                self._replay(record, pending, found.channel)
                self._failed(record, pending, "replayed")
                return Outcome(False, "replayed")
            return Outcome(False, "used", detail="that code is spent; ask for a new one")
        if self.clock.now() >= found.expires_at:
            found.used = True
            return Outcome(False, "expired", detail="the code expired; ask for a new one")
        if found.channel == "authy-push":
            return self._check_push(record, pending, found, code)
        if code is None or not code.isascii() or not code.isdigit() or len(code) > 12:
            return Outcome(False, "malformed", detail="a code is digits only")
        if found.channel == "authy-app":
            ok = self._authy_token_ok(record, pending, found.authy_id, code)
            if ok is None:
                return Outcome(False, "replayed")
        else:
            ok = self._matches(found, code)
        if ok:
            found.used = found.accepted = True
            self._succeeded(record)
            return Outcome(True, "accepted")
        found.attempts += 1
        self._failed(record, pending, "wrong_code")
        if found.attempts >= self.policy.sms_code_attempts:
            found.used = True
            return Outcome(False, "too_many_attempts", detail="ask for a new code")
        return Outcome(False, "wrong_code")

    def _matches(self, found: PendingCode, code: str) -> bool:
        digest = codes.code_digest(bytes.fromhex(found.salt), code)
        return codes.same_digest(digest, found.digest)

    def _authy_token_ok(
        self, record: UserRecord, pending: _Pending, authy_id: int | None, token: str
    ) -> bool | None:
        """Authy's verdict on an app token; None when it is a replay of one already used."""
        from twofa_sim.providers.authy import AuthyApiError

        seen = codes.code_digest(bytes.fromhex(record.password_salt), f"authy:{token}")
        now = self.clock.now()
        used = [u for u in record.authy_used if u[1] > now]
        if any(codes.same_digest(digest, seen) for digest, _ in used):
            self._replay(record, pending, "authy-app")
            self._failed(record, pending, "replayed")
            return None
        try:
            ok = self.authy.verify(authy_id or 0, token)
        except AuthyApiError as exc:
            raise self._unavailable("Authy", exc) from exc
        if ok:
            # Authy accepts a token for two 10 s steps; remember it that long to refuse reuse.
            record.authy_used = [*used, [seen, now + 30.0]]
        return ok

    def _check_push(
        self, record: UserRecord, pending: _Pending, found: PendingCode, number: str | None
    ) -> Outcome:
        from twofa_sim.providers.authy import AuthyApiError

        try:
            status = self.authy.approval_status(found.push_uuid or "")
        except AuthyApiError as exc:
            raise self._unavailable("Authy", exc) from exc
        if status == "pending":
            return Outcome(False, "push_pending", detail="approve the request in the Authy app")
        if status not in ("approved", "denied", "expired"):
            # Fail closed: only an explicit approval approves (ASVS 5.0 6.6.4).
            from twofa_sim.errors import ProviderUnavailableError

            raise ProviderUnavailableError("Authy", f"unexpected approval status {status!r}")
        found.used = True
        if status == "expired":
            return Outcome(False, "expired")
        if status == "denied":
            self._event(pending, record.username, "push.denied", "denied", rule="push-rate-limit")
            self._notify(pending, record.username, "push_denied", "A login request was denied")
            return Outcome(False, "push_denied")
        if found.push_number is not None and number != found.push_number:
            self._failed(record, pending, "number_mismatch")
            return Outcome(False, "number_mismatch", detail="the number did not match the push")
        found.accepted = True
        self._succeeded(record)
        return Outcome(True, "accepted")

    def _totp(
        self,
        record: UserRecord,
        pending: _Pending,
        credential: TotpCredential,
        code: str,
        event: str,
    ) -> Outcome:
        verifier = TotpVerifier(credential.secret, policy=self.policy.totp)
        result = verifier.verify(code, self.clock.now(), credential.state)
        if result.accepted:
            credential.remember(result.state)
            self._succeeded(record)
            self._event(
                pending, record.username, event, "ok", offset=result.offset, rule="totp-window"
            )
            return Outcome(True, "accepted")
        reason = _TOTP_REASONS.get(result.reason, "wrong_code")
        if reason in ("replayed", "stale"):
            self._replay(record, pending, "totp")
        if reason != "malformed":
            self._failed(record, pending, reason)
        self._event(pending, record.username, event, "failed", reason=reason, offset=result.offset)
        return Outcome(False, reason)

    # --- login ----------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        """The first step: the (simulated) password. An unknown user and a wrong password get
        the same answer (ASVS 5.0 6.3.8: users are not deducible from failures)."""
        if self.store.load(username) is None:
            # Do the work a wrong password costs, so the answer's timing says nothing either.
            codes.password_digest(b"\0" * 16, password, self.policy.code_hash_iterations)
            return LoginResult("refused", reason="bad_credentials")
        with self._user(username) as (record, pending):
            # Wrong passwords count in the same counter as wrong codes (NIST 800-63B 5.2.2), so
            # guessing the password locks the account too; a locked account refuses every
            # password, right or wrong, and says so (a guesser learns the name exists only after
            # the limit's worth of guesses). The back-off gates the second step, where codes are
            # guessed: a user who mistyped a code may start a new login straight away.
            blocked = self._blocked(record)
            if blocked is not None and blocked.reason == "locked":
                self._refused(pending, username, "login.password", blocked)
                return LoginResult(
                    "refused", reason=blocked.reason, retry_after=blocked.retry_after
                )
            if not self._password_ok(record, password):
                self._failed(record, pending, "bad_credentials")
                self._event(pending, username, "login.password", "failed", reason="bad_credentials")
                return LoginResult("refused", reason="bad_credentials")
            must_enroll = not record.two_factor and self._team_requires(username)
            if not record.factors:
                self._succeeded(record)
                self._event(pending, username, "login", "ok", factor="password")
                return LoginResult("logged_in", must_enroll=must_enroll)
            now = self.clock.now()
            attempt = LoginAttempt(self._id(), now, now + self.policy.login_ttl)
            record.logins = {k: v for k, v in record.logins.items() if v.expires_at > now}
            record.logins[attempt.login_id] = attempt
            self._event(pending, username, "login.password", "ok", login=attempt.login_id)
            return LoginResult("second_factor", attempt.login_id, tuple(record.factors))

    def send_login_code(self, username: str, login_id: str, channel: str) -> Challenge:
        """Send the second-factor code for a login: by SMS, or an Authy push; for an Authy app
        token nothing is sent (the app shows it)."""
        with self._user(username) as (record, pending):
            attempt = self._attempt(record, login_id)
            if channel not in record.factors or channel in ("totp", "recovery"):
                raise _no_factor(channel, record)
            blocked = self._blocked(record)
            if blocked is not None:
                from twofa_sim.errors import RetryLaterError

                raise RetryLaterError(blocked.reason, blocked.retry_after or 0.0, "not now")
            if channel == "sms":
                self._cooldown(record)
            code = self._queue(
                record,
                purpose="login",
                channel=channel,
                login_id=attempt.login_id,
                phone=record.phone,
                authy_id=record.authy_id,
            )
            if channel == "sms":
                self._send_sms(record, code, record.phone or "", "login")
                record.last_sent_at = self.clock.now()
            elif channel == "authy-push":
                self._push(record, pending, code, "Log in?")
            self._event(
                pending, username, "login.code_sent", "ok", channel=channel, request=code.request_id
            )
            from twofa_sim.core.phone import parse_e164

            masked = parse_e164(record.phone).masked() if record.phone else ""
            return Challenge(code.request_id, channel, code.expires_at, masked)

    def verify_login(
        self, username: str, login_id: str, factor: str, code: str | None = None
    ) -> Outcome:
        """The second step: check a code (or the push) for this login; ``accepted`` logs in."""
        with self._user(username) as (record, pending):
            try:
                attempt = self._attempt(record, login_id)
            except LoginGoneError as gone:
                self._event(pending, username, "login.verify", "failed", reason=gone.reason)
                return Outcome(False, gone.reason)
            spent_recovery = factor == "recovery" and record.two_factor and bool(record.recovery)
            blocked = self._blocked(record)
            if factor not in record.factors and not spent_recovery:
                # Logged like any refusal: probing for factors is an authentication event too.
                outcome = Outcome(False, "no_such_factor", detail=f"{factor} is not set up")
            elif blocked is not None:
                # An Outcome is falsy when refused: compare with None, never use `or`.
                outcome = blocked
            elif factor == "totp" and record.totp is not None:
                outcome = self._totp(record, pending, record.totp, code or "", "login.totp")
            elif factor == "recovery":
                # Every code spent, recovery is no longer a factor; a spent code typed again is
                # still a replay (logged, told, counted), and any other code a wrong one.
                outcome = self._recovery(record, pending, code or "")
            else:
                found = self._latest(record, login_id, factor)
                if found is None and factor == "authy-app":
                    found = self._queue(
                        record,
                        purpose="login",
                        channel=factor,
                        login_id=login_id,
                        authy_id=record.authy_id,
                    )
                if found is None:
                    outcome = Outcome(False, "nothing_pending", detail="send a code first")
                else:
                    outcome = self._check(record, pending, found, code, rule="oob-bound")
            if outcome.ok:
                attempt.done, attempt.factor = True, factor
            self._event(
                pending,
                username,
                "login.verify",
                "ok" if outcome.ok else "failed",
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

    def _recovery(self, record: UserRecord, pending: _Pending, code: str) -> Outcome:
        digest = codes.recovery_digest(
            bytes.fromhex(record.password_salt), code, self.policy.code_hash_iterations
        )
        for entry in record.recovery:
            if codes.same_digest(digest, entry["hash"]):
                if entry["used"]:
                    self._replay(record, pending, "recovery")
                    self._failed(record, pending, "replayed")
                    return Outcome(False, "replayed")
                entry["used"] = True
                self._succeeded(record)
                left = sum(not e["used"] for e in record.recovery)
                self._notify(
                    pending,
                    record.username,
                    "recovery_used",
                    f"A recovery code was used; {left} left",
                )
                return Outcome(True, "accepted")
        self._failed(record, pending, "wrong_code")
        return Outcome(False, "wrong_code")

    def _attempt(self, record: UserRecord, login_id: str) -> LoginAttempt:
        attempt = record.logins.get(login_id)
        if attempt is None:
            raise LoginGoneError("unknown_request")
        if attempt.done:
            raise LoginGoneError("used")
        if self.clock.now() >= attempt.expires_at:
            raise LoginGoneError("login_expired")
        return attempt

    def _latest(self, record: UserRecord, login_id: str, channel: str) -> PendingCode | None:
        candidates = [
            p for p in record.pending.values() if p.login_id == login_id and p.channel == channel
        ]
        return max(candidates, key=lambda p: p.sent_at) if candidates else None

    def _team_requires(self, username: str) -> bool:
        return any(t.require_two_factor and username in t.members for t in self.store.teams())


def _no_factor(channel: str, record: UserRecord) -> Exception:
    return InputError(
        f"{channel!r} is not a factor that sends codes for this user",
        where="channel",
        hint=f"set up: {', '.join(record.factors) or 'none'}",
    )
