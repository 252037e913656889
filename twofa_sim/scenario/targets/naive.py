"""``pyotp-naive``: the 2FA an honest developer writes in an afternoon with pyotp and Twilio.

It does what the seed document's flow asks, and nothing more: a phone verified by an SMS code,
a QR code for an authenticator app, a second factor at login. It is a target to run scenarios
against (``twofa-sim run --target pyotp-naive``): the scenarios that check a rule it lacks should
fail on it, and those that check the flow should pass. Nothing here is broken on purpose: every
flaw is what the plain use of the libraries gives.

What it lacks, point by point (the reference service's rule id, then the requirement broken):

1. **No replay protection** (``totp-replay``; RFC 6238 5.2, ASVS 5.0 6.5.1): ``TOTP.verify``
   is stateless, so an accepted code is accepted again for as long as it is inside the window
   (up to 90 s).
2. **No lockout, no back-off** (``throttle``, ``backoff``; NIST 800-63B 5.2.2, RFC 4226 7.3):
   wrong codes, and wrong passwords, may be tried without end; :attr:`AccountView.locked` is
   always false. No attempt limit per SMS code either (``oob-rate-limit``; ASVS 5.0 6.6.3).
3. **SMS codes are reusable and never expire** (``oob-single-use``, ``oob-ttl``; ASVS 5.0
   6.5.1, 6.5.5): a code is a dict lookup, ``codes[request_id] == code``, never deleted and with
   no timestamp. A :class:`Challenge` says so: ``expires_at`` is ``math.inf``. Sending again has
   no cooldown, and a login attempt itself never expires nor gets used up.
4. **No confirmation of the QR secret** (``totp-confirm``; peer practice, Fortify#201): a new
   secret replaces the old one the moment the QR is shown (:class:`Enrollment` ``confirmed`` is
   true); a user who fails to scan it is locked out of the app factor.
5. **Codes stored in clear** (``oob-hashed``; ASVS 4.0.3 2.7.5): SMS codes are kept as typed.
   Passwords are one unsalted SHA-256 (not plaintext, but not the salted, costly hash ASVS 4.0.3
   2.4.1 / NIST 800-63B 5.1.1.2 ask for).
6. **No audit log** (``audit``; ASVS 5.0 16.3.1): :meth:`NaiveTarget.audit_events` is empty and
   the ``audit`` feature is absent, so a scenario step that reads the log fails with a finding.
7. **No notifications** (``notify-change``; ASVS 5.0 6.3.7): the user is never told that a
   factor changed; the ``notifications`` feature is absent.
8. **No drift tracking** (``totp-drift``; RFC 6238 6): a phone whose clock drifts past one step
   is refused for good.
9. **No recovery codes, no Authy**: the ``recovery`` and ``authy`` features are absent; phone
   verification is always by SMS, even for an Authy user.

Time: ``TOTP.verify`` is called without ``for_time``, so it reads ``time.time()``. That is why
:attr:`NaiveTarget.reads_system_time` is true: the runner calls it inside the freezegun bridge
(:func:`~twofa_sim.core.clock.frozen_system_time`), which keeps the system time equal to the
virtual clock. Randomness (secrets, codes, ids) comes from ``context.random`` so a run replays
byte for byte; a developer would write ``pyotp.random_base32()`` and ``secrets``.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import phonenumbers
import pyotp

from twofa_sim.core.phone import parse_e164
from twofa_sim.core.qr import render_png
from twofa_sim.errors import InputError, ProviderUnavailableError, UnknownUserError
from twofa_sim.providers.twilio import TwilioClient, TwilioError
from twofa_sim.scenario.target import (
    AccountView,
    AuditView,
    Challenge,
    Enrollment,
    LoginResult,
    Notification,
    Outcome,
    TargetContext,
)

__all__ = ["NaiveTarget"]


@dataclass
class _User:
    """One row of the naive app's users table."""

    password_sha256: str
    phone: str | None = None
    """The verified number, E.164."""
    totp_secret: str | None = None
    sms_codes: dict[str, str] = field(default_factory=dict)
    """Phone-verification request id -> code, in clear, kept forever."""
    requested_phones: dict[str, str] = field(default_factory=dict)
    """Phone-verification request id -> the number it was sent to."""
    logins: dict[str, bool] = field(default_factory=dict)
    """Login id -> whether its second factor passed."""
    login_codes: dict[str, str] = field(default_factory=dict)
    """Login id -> the last SMS code sent for it, in clear, kept forever."""

    @property
    def factors(self) -> tuple[str, ...]:
        found = []
        if self.totp_secret is not None:
            found.append("totp")
        if self.phone is not None:
            found.append("sms")
        return tuple(found)


class NaiveTarget:
    """A minimal pyotp + Twilio 2FA app, honest and naive (see the module docstring)."""

    name = "pyotp-naive"
    features: frozenset[str] = frozenset({"restart", "storage"})
    policy_settings: frozenset[str] = frozenset()
    """pyotp's quick start has no settings: a fixed window of one step, codes that never
    expire, no limits. A scenario that sets a policy is not applicable to it, unless it asks
    for the window it has."""
    reads_system_time: ClassVar[bool] = True
    """``TOTP.verify`` reads ``time.time()``: run it inside the freezegun bridge."""
    reports_reasons: ClassVar[bool] = False
    """``TOTP.verify`` and a dict lookup answer yes or no: every refusal is "invalid code" to
    the user (``wrong_code`` here), whatever the cause, so expected reasons are checked as
    refusals."""

    @classmethod
    def default_policy(cls) -> dict[str, Any]:
        """Its one number: ``TOTP.verify(code, valid_window=1)``, a step each way."""
        return {"totp": {"steps_back": 1, "steps_forward": 1}}

    def __init__(self, context: TargetContext) -> None:
        from types import SimpleNamespace

        from twofa_sim.core.otp import TotpPolicy

        self.context = context
        # What TOTP.verify(valid_window=1) accepts, stated for expect_acceptance; scenario
        # policy overrides are ignored (the app has no settings), which scenarios can see.
        self.policy = SimpleNamespace(totp=TotpPolicy(steps_back=1, steps_forward=1))
        self.users: dict[str, _User] = {}
        self.twilio = TwilioClient(context.twilio_account_sid, context.twilio_auth_token)

    # --- helpers ----------------------------------------------------------------------------------

    def _user(self, user: str) -> _User:
        try:
            return self.users[user]
        except KeyError:
            raise UnknownUserError(f"no user {user!r}", where="user") from None

    def _id(self) -> str:
        return self.context.random(8).hex()

    def _code(self) -> str:
        # What a developer writes; the modulo bias of 2**32 % 10**6 is about 2e-4, harmless.
        return f"{int.from_bytes(self.context.random(4), 'big') % 1_000_000:06d}"

    def send_code_sms(self, to: str, code: str) -> None:
        """Text ``code`` to ``to`` (through the fake Twilio, as the app would)."""
        try:
            self.twilio.send_sms(to, self.context.sms_from, f"Your code is {code}")
        except TwilioError as exc:
            raise ProviderUnavailableError("SMS", type(exc).__name__) from exc

    @staticmethod
    def _hash(password: str) -> str:
        return hashlib.sha256(password.encode("utf-8")).hexdigest()

    @staticmethod
    def _totp_ok(secret: str, code: str | None) -> bool:
        # No for_time: pyotp reads time.time() (the bridge keeps it on the virtual clock).
        return pyotp.TOTP(secret).verify(code or "", valid_window=1)

    @staticmethod
    def _checked(ok: bool) -> Outcome:
        return Outcome(True, "accepted") if ok else Outcome(False, "wrong_code")

    # --- the flow ---------------------------------------------------------------------------------

    def register(self, user: str, password: str) -> None:
        if user in self.users:
            raise InputError(f"user {user!r} exists already", where="user")
        self.users[user] = _User(self._hash(password))

    def start_phone_verification(self, user: str, phone: str, method: str) -> Challenge:
        """Always an SMS (``method`` is ignored: the app knows nothing of Authy)."""
        record = self._user(user)
        try:
            parsed = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            raise InputError(f"{phone!r} is not a phone number", where="phone") from None
        # is_possible, not is_valid: the simulated numbers (+1 555 ...) are not assigned ones.
        if not phonenumbers.is_possible_number(parsed):
            raise InputError(f"{phone!r} is not a phone number", where="phone")
        number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        code = self._code()
        self.send_code_sms(number, code)
        request_id = self._id()
        record.sms_codes[request_id] = code
        record.requested_phones[request_id] = number
        return Challenge(request_id, "sms", math.inf, parse_e164(number).masked())

    def confirm_phone(self, user: str, request_id: str, code: str | None) -> Outcome:
        record = self._user(user)
        if request_id not in record.sms_codes:
            return Outcome(False, "unknown_request")
        if record.sms_codes[request_id] != code:
            return Outcome(False, "wrong_code")
        record.phone = record.requested_phones[request_id]
        return Outcome(True, "accepted")

    def change_phone(self, user: str, phone: str, method: str) -> Challenge:
        """The old number stays until the new one is confirmed (it is set only on confirm)."""
        return self.start_phone_verification(user, phone, method)

    def generate_qr(self, user: str) -> Enrollment:
        """A new secret, active at once, replacing the old one (no confirmation step)."""
        record = self._user(user)
        secret = base64.b32encode(self.context.random(20)).decode("ascii")
        record.totp_secret = secret
        uri = pyotp.TOTP(secret).provisioning_uri(name=user, issuer_name=self.context.issuer)
        return Enrollment(uri, render_png(uri), confirmed=True)

    def confirm_totp(self, user: str, code: str) -> Outcome:
        """Nothing to confirm (the secret is already active): just checks the code."""
        record = self._user(user)
        if record.totp_secret is None:
            return Outcome(False, "nothing_pending")
        return self._checked(self._totp_ok(record.totp_secret, code))

    def login(self, user: str, password: str) -> LoginResult:
        record = self.users.get(user)
        if record is None or record.password_sha256 != self._hash(password):
            return LoginResult("refused", reason="bad_credentials")
        if not record.factors:
            return LoginResult("logged_in")
        login_id = self._id()
        record.logins[login_id] = False
        return LoginResult("second_factor", login_id, record.factors)

    def send_login_code(self, user: str, login_id: str, channel: str) -> Challenge:
        record = self._user(user)
        if channel != "sms":
            raise InputError("pyotp-naive supports sms and totp only", where="channel")
        if login_id not in record.logins:
            raise InputError(f"no login {login_id!r}", where="login_id")
        if record.phone is None:
            raise InputError("no phone number is set up", where="channel")
        code = self._code()
        self.send_code_sms(record.phone, code)
        record.login_codes[login_id] = code
        return Challenge(login_id, "sms", math.inf, parse_e164(record.phone).masked())

    def verify_login(self, user: str, login_id: str, factor: str, code: str | None) -> Outcome:
        record = self._user(user)
        if login_id not in record.logins:
            return Outcome(False, "unknown_request")
        if factor not in record.factors:
            return Outcome(False, "no_such_factor")
        if factor == "totp":
            assert record.totp_secret is not None  # "totp" is a factor only with a secret
            outcome = self._checked(self._totp_ok(record.totp_secret, code))
        elif login_id not in record.login_codes:
            return Outcome(False, "nothing_pending")
        else:
            outcome = self._checked(record.login_codes[login_id] == code)
        if outcome.ok:
            record.logins[login_id] = True
        return outcome

    def logged_in(self, user: str, login_id: str) -> bool:
        record = self.users.get(user)
        return record is not None and record.logins.get(login_id, False)

    def generate_recovery_codes(self, user: str) -> list[str]:
        raise InputError("pyotp-naive has no recovery codes", where="recovery")

    def disable_two_factor(self, user: str, password: str) -> Outcome:
        record = self._user(user)
        if record.password_sha256 != self._hash(password):
            return Outcome(False, "bad_password")
        record.phone = record.totp_secret = None
        return Outcome(True, "disabled")

    # --- what a scenario may look at ------------------------------------------------------------

    def account(self, user: str) -> AccountView:
        record = self._user(user)
        return AccountView(bool(record.factors), record.factors, record.phone, locked=False)

    def audit_events(self) -> Sequence[AuditView]:
        """Always empty: the app logs nothing (feature ``audit`` absent)."""
        return []

    def notifications(self) -> Sequence[Notification]:
        """Always empty: the app tells the user nothing (feature ``notifications`` absent)."""
        return []

    def stored_bytes(self) -> bytes:
        """The users table as the app's database would hold it (feature ``storage``)."""
        import dataclasses
        import json

        rows = {name: dataclasses.asdict(user) for name, user in self.users.items()}
        return json.dumps(rows, sort_keys=True).encode()

    def restart(self) -> None:
        """A no-op: the users dict stands for the app's database, which survives a restart."""
