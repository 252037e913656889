"""Enrolling and changing factors: the seed's profile page, each change audited and told.

:class:`AccountFlow` is the part of the service that changes a user's factors: verifying a phone
number (seed steps 1-2) and changing it, the authenticator app's QR code (step 3), recovery
codes, and turning two-factor off. Like :class:`~twofa_sim.reference.login.LoginFlow` it asks
its collaborators (the failure gate, the password check, the sender, the code checks), which
are passed in; the rules it applies itself are ``phone-validated`` (a number counts only once
verified; a change keeps the old number until then), ``totp-confirm`` (a new secret counts only
once confirmed), ``recovery-hashed`` (codes kept salted and hashed), ``notify-change`` (every
factor change is told) and ``oob-no-email``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twofa_sim.core.clock import Clock
from twofa_sim.core.keyuri import build_uri
from twofa_sim.core.phone import normalise_phone
from twofa_sim.core.qr import render_png
from twofa_sim.core.secret import generate_secret
from twofa_sim.errors import InputError, ProviderUnavailableError, UnknownUserError
from twofa_sim.reference.checks import PasswordCheck, PendingCodeCheck, TotpCheck
from twofa_sim.reference.codes import Random, recovery_code, recovery_digest
from twofa_sim.reference.delivery import CodeSender
from twofa_sim.reference.gate import FailureGate
from twofa_sim.reference.journal import Journal, Operations
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.reference.records import TotpCredential, UserRecord
from twofa_sim.reference.store import Store
from twofa_sim.reference.verdicts import Challenge, Enrollment, Outcome
from twofa_sim.reference.verify import (
    VerifySender,
    push_identity,
    refuse_seed_compat,
    user_identity,
    verify_skew,
)

if TYPE_CHECKING:  # the provider's client, for annotations only
    from twofa_sim.providers.verify import VerifyClient

__all__ = ["AccountFlow"]


class AccountFlow:
    """``start_phone_verification``, ``confirm_phone``, ``change_phone``, ``generate_qr``,
    ``confirm_totp``, ``generate_recovery_codes`` and ``disable_two_factor``.

    Each runs as one operation on the user (``operations``: the record and the operation's
    journal, saved together); the smaller decisions are methods of their own, so a variant can
    change one: :meth:`hold_secret` (where a new QR secret goes), :meth:`recovery_entry` (what
    is kept of a recovery code), :meth:`verify_factor` (a Verify TOTP factor). ``verify``: the
    Twilio Verify client when the service runs on Verify (None on Messages).
    """

    def __init__(
        self,
        *,
        operations: Operations,
        store: Store,
        clock: Clock,
        policy: SecurityPolicy,
        random: Random,
        issuer: str,
        verify: VerifyClient | None,
        gate: FailureGate,
        passwords: PasswordCheck,
        sender: CodeSender,
        pending_codes: PendingCodeCheck,
        totp: TotpCheck,
    ) -> None:
        self.operations = operations
        self.store = store
        self.clock = clock
        self.policy = policy
        self.random = random
        self.issuer = issuer
        self.verify = verify
        self.gate = gate
        self.passwords = passwords
        self.sender = sender
        self.pending_codes = pending_codes
        self.totp = totp

    def record(self, username: str) -> UserRecord:
        """What the store holds for the user (a copy)."""
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
        if isinstance(phone, str) and "@" in phone:
            # Rule oob-no-email: Verify would send a code by e-mail; the policy never does.
            raise InputError(
                "an e-mail address is not a second factor: codes go to a phone "
                "(NIST SP 800-63B 5.1.3, ASVS 5.0 6.3.6)",
                where="phone",
                hint="type a phone number with its country code",
            )
        number = normalise_phone(phone if isinstance(phone, str) else str(phone))
        sender = self.sender
        with self.operations.on(username) as (record, journal):
            sender.cooldown(record)
            authy_id, has_app = sender.authy_user(username, number)
            push = sender.push_factor(number.e164) if isinstance(sender, VerifySender) else None
            now = self.clock.now()
            if push is not None:
                code = sender.queue(
                    record,
                    purpose="phone",
                    channel="verify-push",
                    phone=number.e164,
                    factor_sid=push,
                    identity=push_identity(number.e164),
                )
                sender.push(record, journal, code, f"Verify your phone number for {self.issuer}")
            elif has_app:
                channel = "authy-push" if authy_method == "push" else "authy-app"
                code = sender.queue(
                    record, purpose="phone", channel=channel, phone=number.e164, authy_id=authy_id
                )
                if channel == "authy-push":
                    message = f"Verify your phone number for {self.issuer}"
                    sender.push(record, journal, code, message)
            else:
                code = sender.queue(record, purpose="phone", channel="sms", phone=number.e164)
                sender.send_sms(code, number.e164, "verification")
            record.last_sent_at = now
            journal.event(
                "phone.code_sent",
                "ok",
                rule="phone-validated",
                channel=code.channel,
                phone=number.masked(),
                request=code.request_id,
            )
            return Challenge(code.request_id, code.channel, code.expires_at, number.masked())

    def confirm_phone(self, username: str, request_id: str, code: str | None = None) -> Outcome:
        """ "Save Changes": check the code (or the approved push) and turn two-factor on."""
        with self.operations.on(username) as (record, journal):
            found = record.pending.get(request_id)
            if found is None or found.purpose != "phone":
                journal.event("phone.verify", "failed", rule="oob-bound", reason="unknown_request")
                return Outcome(
                    False,
                    "unknown_request",
                    detail="no such verification request",
                    rule="oob-bound",
                )
            outcome = self.pending_codes.check(record, journal, found, code, rule="phone-validated")
            if outcome.ok:
                changed = record.phone is not None and record.phone != found.phone
                record.phone = found.phone
                record.authy_id = found.authy_id
                record.authy_app = found.channel.startswith("authy")
                record.push_factor, record.push_identity = found.factor_sid, found.identity
                record.two_factor = True
                journal.event(
                    "two_factor.enabled", "ok", rule="phone-validated", channel=found.channel
                )
                journal.notify(
                    "factor_changed",
                    "Your phone number was changed"
                    if changed
                    else "Two-factor authentication is on",
                )
            journal.event(
                "phone.verify",
                "ok" if outcome.ok else "failed",
                rule=outcome.rule,
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
        with self.operations.on(username) as (record, journal):
            if self.verify is not None:
                credential, uri = self.verify_factor(username)
            else:
                secret = generate_secret(160, randbytes=self.random)
                uri = build_uri(secret=secret, account=username, issuer=self.issuer)
                credential = TotpCredential(secret, self.clock.now())
            self.hold_secret(record, journal, credential)
            journal.event(
                "totp.generated", "ok", rule="secret-csprng", confirmed=credential.confirmed
            )
            return Enrollment(uri, render_png(uri), credential.confirmed)

    def hold_secret(self, record: UserRecord, journal: Journal, credential: TotpCredential) -> None:
        """Where a generated secret goes (``totp-confirm``): pending until a code confirms it,
        replacing only a pending one (the active secret keeps working meanwhile); in
        seed-compatible mode active at once, replacing the old one, and the user is told."""
        if self.policy.confirm_totp:
            record.totp_pending = credential
        else:
            credential.confirmed = True
            record.totp, record.totp_pending = credential, None
            record.two_factor = True
            journal.notify("factor_changed", "An authenticator app was added")

    def verify_factor(self, username: str) -> tuple[TotpCredential, str]:
        """A new Verify TOTP factor: the credential keeps its SID (Verify keeps the secret) and
        the QR carries the URI Verify returned."""
        from twofa_sim.providers.verify import VerifyError

        if not self.policy.confirm_totp:
            raise refuse_seed_compat()
        assert self.verify is not None
        identity = user_identity(self.issuer, username)
        window = self.policy.totp
        try:
            factor = self.verify.create_totp_factor(
                identity,
                username[:64],
                skew=verify_skew(window.steps_back, window.steps_forward),
            )
        except VerifyError as exc:
            raise ProviderUnavailableError("Verify", type(exc).__name__) from exc
        credential = TotpCredential("", self.clock.now(), factor_sid=factor.sid, identity=identity)
        return credential, factor.uri or ""

    def confirm_totp(self, username: str, code: str) -> Outcome:
        """Activate the pending QR secret with one valid code from the app (``totp-confirm``)."""
        with self.operations.on(username) as (record, journal):
            credential = record.totp_pending
            if credential is None:
                journal.event(
                    "totp.confirm", "failed", rule="totp-confirm", reason="nothing_pending"
                )
                return Outcome(
                    False,
                    "nothing_pending",
                    detail="generate a QR code first",
                    rule="totp-confirm",
                )
            blocked = self.gate.blocked(record)
            if blocked is not None:
                journal.event("totp.confirm", "refused", rule=blocked.rule, reason=blocked.reason)
                return blocked
            outcome = self.totp.check(record, journal, credential, code, "totp.confirm")
            if outcome.ok:
                credential.confirmed = True
                record.totp, record.totp_pending = credential, None
                record.two_factor = True
                journal.event("two_factor.enabled", "ok", rule="totp-confirm", channel="totp")
                journal.notify("factor_changed", "An authenticator app was added")
            return outcome

    # --- recovery codes ------------------------------------------------------------------------

    def generate_recovery_codes(self, username: str) -> list[str]:
        """New recovery codes (shown once; stored salted and hashed); the old ones stop working."""
        with self.operations.on(username) as (record, journal):
            if not record.two_factor:
                raise InputError("turn two-factor on before making recovery codes", where="user")
            salt = bytes.fromhex(record.password_salt)
            policy = self.policy
            fresh = [
                recovery_code(self.random, policy.recovery_code_length)
                for _ in range(policy.recovery_codes)
            ]
            record.recovery = [self.recovery_entry(salt, code) for code in fresh]
            journal.event("recovery.generated", "ok", rule="recovery-hashed", count=len(fresh))
            journal.notify("factor_changed", "New recovery codes were made")
            return fresh

    def recovery_entry(self, salt: bytes, code: str) -> dict[str, Any]:
        """What is kept of a recovery code (``recovery-hashed``): its salted PBKDF2 hash under
        the user's salt, never the code, and whether it was used."""
        return {
            "hash": recovery_digest(salt, code, self.policy.code_hash_iterations),
            "used": False,
        }

    # --- turning it off ------------------------------------------------------------------------

    def disable_two_factor(self, username: str, password: str) -> Outcome:
        """Turn two-factor off (after the password again): every factor and code is dropped.
        Refused while the account is locked: the password alone must not undo a lockout."""
        with self.operations.on(username) as (record, journal):
            blocked = self.gate.blocked(record)
            if blocked is not None and blocked.reason == "locked":
                journal.event(
                    "two_factor.disable", "refused", rule=blocked.rule, reason=blocked.reason
                )
                return blocked
            if not self.passwords.matches(record, password):
                self.gate.failed(record, journal)  # no side door for guessing
                journal.event(
                    "two_factor.disable", "failed", rule="throttle", reason="bad_password"
                )
                return Outcome(False, "bad_password", rule="throttle")
            record.two_factor = False
            record.phone = record.totp = record.totp_pending = None
            record.authy_id, record.authy_app = None, False
            record.push_factor = record.push_identity = None
            record.recovery, record.pending = [], {}
            journal.event("two_factor.disabled", "ok", rule="notify-change")
            journal.notify("factor_changed", "Two-factor authentication is off")
            return Outcome(True, "disabled", rule="notify-change")
