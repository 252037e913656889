"""The reference two-factor service: the seed document's profile-page flow, secure by the standards.

The flow, as the seed describes it (Runscope, 2016):

1. enter a phone number and "Verify Phone Number": an Authy user with the app gets the code by
   Authy (a push, or a token in the app); anyone else by SMS;
2. enter the code and "Save Changes": two-factor is on;
3. "Click here to generate" a QR code, scan it with an authenticator app (and, unlike the seed,
   confirm one code before it counts: :attr:`SecurityPolicy.confirm_totp`);
4. log in: password, then one second factor.

Providers are reached only through their ``requests`` clients. Time is the injected clock;
randomness the injected source. Each rule names the requirement it serves (``policy.RULES``);
every event goes to the hash-chained audit log, with no secret and no code in it.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from twofa_sim.core.clock import Clock
from twofa_sim.core.keyuri import build_uri
from twofa_sim.core.phone import normalise_phone
from twofa_sim.core.qr import render_png
from twofa_sim.core.secret import generate_secret
from twofa_sim.errors import InputError, TwofaSimError, UnknownUserError
from twofa_sim.reference import codes
from twofa_sim.reference.audit import AuditEntry, verify_chain
from twofa_sim.reference.login import LoginMixin
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import PendingCode, Team, TotpCredential, UserRecord
from twofa_sim.reference.store import MemoryStore, Store
from twofa_sim.reference.verdicts import Challenge, Enrollment, Notification, Outcome

if False:  # typing only; the providers package imports nothing from here
    from twofa_sim.providers import AuthyClient, TwilioClient

__all__ = ["ReferenceService"]


@dataclass
class _Pending:
    """Audit events and notifications gathered during an operation, written once it ends
    (a failed operation's events too: they record the failure)."""

    events: list[dict[str, Any]]
    notes: list[Notification]


class ReferenceService(LoginMixin):
    """The reference 2FA service. One instance per process; state lives in ``store``."""

    def __init__(
        self,
        *,
        clock: Clock,
        twilio: TwilioClient,
        authy: AuthyClient,
        sms_from: str,
        store: Store | None = None,
        policy: SecurityPolicy | None = None,
        random: codes.Random | None = None,
        issuer: str = "twofa-sim",
    ) -> None:
        self.clock = clock
        self.twilio = twilio
        self.authy = authy
        self.sms_from = sms_from
        self.store: Store = store if store is not None else MemoryStore()
        self.policy = policy if policy is not None else SecurityPolicy()
        self.random: codes.Random = random if random is not None else _secrets.token_bytes
        self.issuer = issuer
        self.notifications: list[Notification] = []

    # --- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _user(
        self, username: str, *, create: bool = False
    ) -> Iterator[tuple[UserRecord, _Pending]]:
        """The user's record, exclusively; saved if the block succeeds, untouched if it raises.
        Audit events and notifications recorded in the block are written either way."""
        pending = _Pending([], [])
        try:
            with self.store.user(username) as tx:
                if tx.record is None and not create:
                    raise UnknownUserError(f"no user {username!r}", where="username")
                if tx.record is None:
                    tx.record = UserRecord(username, "", "")
                yield tx.record, pending
        finally:
            for event in pending.events:
                self.store.append_audit(**event)
            self.notifications.extend(pending.notes)

    def _event(
        self, pending: _Pending, user: str, event: str, outcome: str, **details: Any
    ) -> None:
        pending.events.append(
            {
                "at": self.clock.now(),
                "event": event,
                "user": user,
                "outcome": outcome,
                "details": details,
            }
        )

    def _notify(self, pending: _Pending, user: str, kind: str, message: str) -> None:
        pending.notes.append(Notification(self.clock.now(), user, kind, message))

    def _id(self) -> str:
        return self.random(12).hex()

    # --- accounts -----------------------------------------------------------------------------

    def register(self, username: str, password: str) -> None:
        """Create a user (the first factor is simulated: a salted PBKDF2 password hash)."""
        if not username or not isinstance(username, str):
            raise InputError("a username is required", where="username")
        with self._user(username, create=True) as (record, pending):
            if record.password_hash:
                raise InputError(f"user {username!r} exists already", where="username")
            salt = self.random(16)
            record.password_salt = salt.hex()
            record.password_hash = codes.password_digest(
                salt, password, self.policy.code_hash_iterations
            )
            self._event(pending, username, "user.registered", "ok")

    def record(self, username: str) -> UserRecord:
        """What the store holds for the user (a copy: changing it changes nothing)."""
        record = self.store.load(username)
        if record is None:
            raise UnknownUserError(f"no user {username!r}", where="username")
        return record

    # --- phone verification (seed steps 1-2) -----------------------------------------------------

    def start_phone_verification(
        self, username: str, phone: str, *, authy_method: str = "push"
    ) -> Challenge:
        """ "Verify Phone Number": send a code to ``phone`` (SMS), or by Authy if the number is an
        Authy user with the app (``authy_method``: ``push`` or ``app``)."""
        if authy_method not in ("push", "app"):
            raise InputError("authy_method is 'push' or 'app'", where="authy_method")
        number = normalise_phone(phone if isinstance(phone, str) else str(phone))
        with self._user(username) as (record, pending):
            self._cooldown(record)
            authy_id, has_app = self._authy_user(username, number)
            now = self.clock.now()
            if has_app:
                channel = "authy-push" if authy_method == "push" else "authy-app"
                code = self._queue(
                    record, purpose="phone", channel=channel, phone=number.e164, authy_id=authy_id
                )
                if channel == "authy-push":
                    self._push(record, pending, code, f"Verify your phone number for {self.issuer}")
            else:
                code = self._queue(record, purpose="phone", channel="sms", phone=number.e164)
                self._send_sms(record, code, number.e164, "verification")
            record.last_sent_at = now
            self._event(
                pending,
                username,
                "phone.code_sent",
                "ok",
                channel=code.channel,
                phone=number.masked(),
                request=code.request_id,
                rule="phone-validated",
            )
            return Challenge(code.request_id, code.channel, code.expires_at, number.masked())

    def confirm_phone(self, username: str, request_id: str, code: str | None = None) -> Outcome:
        """ "Save Changes": check the code (or the approved push) and turn two-factor on."""
        with self._user(username) as (record, pending):
            found = record.pending.get(request_id)
            if found is None or found.purpose != "phone":
                self._event(pending, username, "phone.verify", "failed", reason="unknown_request")
                return Outcome(False, "unknown_request", detail="no such verification request")
            outcome = self._check(record, pending, found, code, rule="phone-validated")
            if outcome.ok:
                changed = record.phone is not None and record.phone != found.phone
                record.phone = found.phone
                record.authy_id = found.authy_id
                record.authy_app = found.channel.startswith("authy")
                record.two_factor = True
                self._event(pending, username, "two_factor.enabled", "ok", channel=found.channel)
                self._notify(
                    pending,
                    username,
                    "factor_changed",
                    "Your phone number was changed"
                    if changed
                    else "Two-factor authentication is on",
                )
            self._event(
                pending,
                username,
                "phone.verify",
                "ok" if outcome.ok else "failed",
                reason=outcome.reason,
                channel=found.channel,
            )
            return outcome

    def change_phone(self, username: str, phone: str, *, authy_method: str = "push") -> Challenge:
        """Start verifying a new number; the old one stays until the new one is confirmed."""
        if self.record(username).phone is None:
            raise InputError("no phone to change: verify one first", where="phone")
        return self.start_phone_verification(username, phone, authy_method=authy_method)

    # --- authenticator app (seed step 3) -------------------------------------------------------

    def generate_qr(self, username: str) -> Enrollment:
        """ "Click here to generate": a new 160-bit secret, its otpauth URI and QR PNG.

        With confirmation (the default) the secret is pending until :meth:`confirm_totp`; a
        generated-again secret replaces the pending one. In seed-compatible mode it replaces the
        active secret at once, and the old one's codes stop working.
        """
        with self._user(username) as (record, pending):
            secret = generate_secret(160, randbytes=self.random)
            uri = build_uri(secret=secret, account=username, issuer=self.issuer)
            credential = TotpCredential(secret, self.clock.now())
            if self.policy.confirm_totp:
                record.totp_pending = credential
            else:
                credential.confirmed = True
                record.totp, record.totp_pending = credential, None
                record.two_factor = True
                self._notify(pending, username, "factor_changed", "An authenticator app was added")
            self._event(
                pending,
                username,
                "totp.generated",
                "ok",
                confirmed=credential.confirmed,
                rule="secret-csprng",
            )
            return Enrollment(uri, render_png(uri), credential.confirmed)

    def confirm_totp(self, username: str, code: str) -> Outcome:
        """Activate the pending QR secret with one valid code from the app."""
        with self._user(username) as (record, pending):
            credential = record.totp_pending
            if credential is None:
                self._event(pending, username, "totp.confirm", "failed", reason="nothing_pending")
                return Outcome(False, "nothing_pending", detail="generate a QR code first")
            blocked = self._blocked(record)
            if blocked is not None:
                return self._refused(pending, username, "totp.confirm", blocked)
            outcome = self._totp(record, pending, credential, code, "totp.confirm")
            if outcome.ok:
                credential.confirmed = True
                record.totp, record.totp_pending = credential, None
                record.two_factor = True
                self._event(pending, username, "two_factor.enabled", "ok", channel="totp")
                self._notify(pending, username, "factor_changed", "An authenticator app was added")
            return outcome

    # --- recovery codes ------------------------------------------------------------------------

    def generate_recovery_codes(self, username: str) -> list[str]:
        """New recovery codes (shown once; stored salted and hashed); the old ones stop working."""
        with self._user(username) as (record, pending):
            if not record.two_factor:
                raise InputError("turn two-factor on before making recovery codes", where="user")
            salt = bytes.fromhex(record.password_salt)
            fresh = [
                codes.recovery_code(self.random, self.policy.recovery_code_length)
                for _ in range(self.policy.recovery_codes)
            ]
            record.recovery = [
                {
                    "hash": codes.recovery_digest(salt, code, self.policy.code_hash_iterations),
                    "used": False,
                }
                for code in fresh
            ]
            self._event(pending, username, "recovery.generated", "ok", count=len(fresh))
            self._notify(pending, username, "factor_changed", "New recovery codes were made")
            return fresh

    # --- turning it off, teams ------------------------------------------------------------------

    def disable_two_factor(self, username: str, password: str) -> Outcome:
        """Turn two-factor off (after the password again): every factor and code is dropped.
        Refused while the account is locked: the password alone must not undo a lockout."""
        with self._user(username) as (record, pending):
            blocked = self._blocked(record)
            if blocked is not None and blocked.reason == "locked":
                return self._refused(pending, username, "two_factor.disable", blocked)
            if not self._password_ok(record, password):
                self._failed(record, pending, "bad_password")  # no side door for guessing
                self._event(
                    pending, username, "two_factor.disable", "failed", reason="bad_password"
                )
                return Outcome(False, "bad_password")
            record.two_factor = False
            record.phone = record.totp = record.totp_pending = None
            record.authy_id, record.authy_app = None, False
            record.recovery, record.pending = [], {}
            self._event(pending, username, "two_factor.disabled", "ok")
            self._notify(pending, username, "factor_changed", "Two-factor authentication is off")
            return Outcome(True, "disabled")

    def create_team(self, name: str, *, require_two_factor: bool = False) -> Team:
        team = Team(name, require_two_factor)
        self.store.save_team(team)
        return team

    def add_member(self, team_name: str, username: str) -> None:
        team = self._team(team_name)
        self.record(username)
        if username not in team.members:
            team.members.append(username)
        self.store.save_team(team)

    def members_without_two_factor(self, team_name: str) -> list[str]:
        """The members of a team who have not turned two-factor on."""
        team = self._team(team_name)
        return [name for name in team.members if not self.record(name).two_factor]

    def _team(self, name: str) -> Team:
        team = self.store.team(name)
        if team is None:
            raise InputError(f"no team {name!r}", where="team")
        return team

    # --- the audit log ----------------------------------------------------------------------------

    def audit_log(self) -> list[AuditEntry]:
        return self.store.audit()

    def audit_intact(self) -> bool:
        """Whether the audit chain verifies end to end."""
        return verify_chain(self.store.audit()) is None

    # --- shared steps -------------------------------------------------------------------------

    def _authy_user(self, username: str, number: Any) -> tuple[int | None, bool]:
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
            raise self._unavailable("Authy", exc) from exc
        return authy_id, registered

    def _queue(self, record: UserRecord, **fields: Any) -> PendingCode:
        now = self.clock.now()
        ttl = (
            self.policy.push_ttl
            if fields.get("channel") == "authy-push"
            else self.policy.sms_code_ttl
        )
        code = PendingCode(request_id=self._id(), sent_at=now, expires_at=now + ttl, **fields)
        # Older unused codes for the same purpose (and login) are spent: one live code at a time.
        for other in record.pending.values():
            if other.purpose == code.purpose and other.login_id == code.login_id:
                other.used = True
        record.pending[code.request_id] = code
        return code

    def _send_sms(self, record: UserRecord, code: PendingCode, to: str, what: str) -> None:
        from twofa_sim.providers.twilio import TwilioError

        value = codes.digits(self.random, self.policy.sms_code_digits)
        salt = self.random(16)
        code.salt, code.digest = salt.hex(), codes.code_digest(salt, value)
        minutes = int(self.policy.sms_code_ttl // 60)
        body = f"Your {self.issuer} {what} code is {value}. It expires in {minutes} minutes."
        try:
            self.twilio.send_sms(to, self.sms_from, body)
        except TwilioError as exc:
            raise self._unavailable("SMS", exc) from exc

    def _push(self, record: UserRecord, pending: _Pending, code: PendingCode, message: str) -> None:
        from twofa_sim.providers.authy import AuthyApiError

        now = self.clock.now()
        recent = [t for t in record.pushes if t > now - self.policy.push_window]
        if len(recent) >= self.policy.push_limit:
            from twofa_sim.errors import RetryLaterError

            retry = min(recent) + self.policy.push_window - now
            # Refused pushes are what push bombing looks like: log them (ASVS 5.0 16.3.3).
            self._event(
                pending,
                record.username,
                "push.refused",
                "rate_limited",
                recent=len(recent),
                reason="rate_limited",
                rule="push-rate-limit",
            )
            raise RetryLaterError(
                "rate_limited", retry, f"too many push requests; try again in {retry:.0f} s"
            )
        number = codes.digits(self.random, 2)
        details = {"Number": number} if self.policy.number_matching else {}
        try:
            code.push_uuid = self.authy.create_approval_request(
                code.authy_id or 0, message, details, self.policy.push_ttl
            )
        except AuthyApiError as exc:
            raise self._unavailable("Authy", exc) from exc
        code.push_number = number if self.policy.number_matching else None
        record.pushes = [*recent, now]

    def _unavailable(self, provider: str, exc: Exception) -> TwofaSimError:
        from twofa_sim.errors import ProviderUnavailableError

        return ProviderUnavailableError(provider, type(exc).__name__)

    def _cooldown(self, record: UserRecord) -> None:
        from twofa_sim.errors import RetryLaterError

        if record.last_sent_at is None:
            return
        wait = record.last_sent_at + self.policy.resend_cooldown - self.clock.now()
        if wait > 0:
            raise RetryLaterError("cooldown", wait, f"a code was just sent; resend in {wait:.0f} s")

    def _password_ok(self, record: UserRecord, password: str) -> bool:
        if not record.password_hash:
            return False
        digest = codes.password_digest(
            bytes.fromhex(record.password_salt), password, self.policy.code_hash_iterations
        )
        return codes.same_digest(digest, record.password_hash)

    def _refused(self, pending: _Pending, username: str, event: str, outcome: Outcome) -> Outcome:
        self._event(pending, username, event, "refused", reason=outcome.reason)
        return outcome


_Random = Callable[[int], bytes]
