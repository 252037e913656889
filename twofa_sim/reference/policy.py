"""The reference service's one security policy, and the requirement each rule serves.

Every number the service enforces lives here, with the rule it implements, so a scenario can
change one (``SecurityPolicy(sms_code_ttl=300)``) and a report can say why each one is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from twofa_sim.core.otp import TotpPolicy
from twofa_sim.errors import InputError

__all__ = ["RULES", "SecurityPolicy"]


@dataclass(frozen=True)
class SecurityPolicy:
    """What the reference service enforces. Defaults follow the standards; see :data:`RULES`."""

    totp: TotpPolicy = field(default_factory=TotpPolicy)
    """Window one step back and forward, replay protection, drift tracking with a limit."""
    sms_code_digits: int = 6
    sms_code_ttl: float = 600.0
    sms_code_attempts: int = 5
    """Wrong guesses one code survives; then it is spent and a new one must be sent."""
    resend_cooldown: float = 30.0
    max_consecutive_failures: int = 10
    """Second-factor failures in a row (across sessions) before the account locks."""
    lockout_duration: float = 3600.0
    backoff_factor: float = 1.0
    """After n failures in a row, the next attempt waits backoff_factor * 2**(n-1) s."""
    backoff_cap: float = 900.0
    push_limit: int = 3
    push_window: float = 600.0
    """At most push_limit OneTouch pushes per user in any push_window seconds."""
    push_ttl: int = 120
    number_matching: bool = True
    """A push counts only once the user types the number it shows on the login page."""
    login_ttl: float = 600.0
    """A login attempt (password done, second factor pending) expires after this long."""
    recovery_codes: int = 10
    recovery_code_length: int = 10
    code_hash_iterations: int = 50_000
    """PBKDF2-HMAC-SHA256 rounds for recovery codes (and the simulated passwords)."""
    confirm_totp: bool = True
    """False reproduces the seed document: a QR secret is active as soon as it is shown."""

    def __post_init__(self) -> None:
        import math

        for item in fields(self):
            value = getattr(self, item.name)
            default = getattr(_DEFAULTS, item.name, None) if _DEFAULTS is not None else None
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise InputError(f"{item.name} must be true or false", where=item.name)
                continue
            if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
                raise InputError(f"{item.name} must be a whole number", where=item.name)
            if isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise InputError(f"{item.name} must be a number of seconds", where=item.name)
                if not math.isfinite(value):
                    raise InputError(f"{item.name} must be finite", where=item.name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise InputError(f"{item.name} must not be negative", where=item.name)
        if not 6 <= self.sms_code_digits <= 10:
            raise InputError("SMS codes need 6 to 10 digits (ASVS 6.5.4)", where="sms_code_digits")
        if not 0 < self.sms_code_ttl <= 600:
            raise InputError(
                "an out-of-band code may live at most 10 minutes (ASVS 6.5.5)",
                where="sms_code_ttl",
            )
        if not 1 <= self.max_consecutive_failures <= 100:
            raise InputError(
                "at most 100 consecutive failures (NIST SP 800-63B 5.2.2)",
                where="max_consecutive_failures",
            )
        for name in ("sms_code_attempts", "push_limit", "recovery_codes", "code_hash_iterations"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1", where=name)
        for name in ("push_ttl", "login_ttl", "push_window"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name} must be more than 0 seconds", where=name)
        if self.recovery_code_length < 8:
            raise InputError(
                "recovery codes need at least 8 characters", where="recovery_code_length"
            )

    @classmethod
    def seed_compat(cls) -> SecurityPolicy:
        """The seed document's flow as written: the QR secret is active without confirmation."""
        return cls(confirm_totp=False)


_DEFAULTS: SecurityPolicy | None = None
_DEFAULTS = SecurityPolicy()
"""The defaults, whose types say what each field must be."""

RULES: dict[str, tuple[str, str]] = {
    "totp-window": ("RFC 6238 5.2", "accept at most one step back and one forward"),
    "totp-replay": (
        "RFC 6238 5.2; ASVS 5.0 6.5.1",
        "an accepted time step is never accepted again",
    ),
    "totp-drift": ("RFC 6238 6", "remember the drift seen at each success, within a limit"),
    "totp-confirm": (
        "peer practice (Fortify#201)",
        "a new QR secret is active only once confirmed",
    ),
    "secret-csprng": ("ASVS 5.0 6.5.3; RFC 4226 R6", "160-bit secrets from a CSPRNG"),
    "oob-entropy": ("ASVS 5.0 6.5.4", "SMS codes of at least 6 random digits"),
    "oob-ttl": ("ASVS 5.0 6.5.5; NIST 800-63B 5.1.3.2", "SMS codes expire within 10 minutes"),
    "oob-single-use": ("ASVS 5.0 6.5.1", "an SMS code works once"),
    "oob-bound": ("ASVS 5.0 6.6.2", "a code is bound to the request that sent it"),
    "oob-hashed": ("ASVS 4.0.3 2.7.5", "only a hash of a code is stored"),
    "oob-rate-limit": ("ASVS 5.0 6.6.3, 2.4.1", "attempts per code and resends are limited"),
    "throttle": ("NIST 800-63B 5.2.2; RFC 4226 7.3", "consecutive failures lock the account"),
    "backoff": ("RFC 4226 7.3 (django-otp)", "exponential back-off between failures"),
    "push-rate-limit": ("ASVS 5.0 6.6.4", "pushes are rate limited against push bombing"),
    "push-number-matching": ("NIST 800-63B 5.1.3.1", "a push counts only with the matching number"),
    "push-approval": (
        "NIST 800-63B 5.1.3.1",
        "only an explicit approval in the app approves a push (fail closed); a denial is told",
    ),
    "login-bound": (
        "ASVS 5.0 6.6.2; NIST 800-63B 5.1.3.2",
        "a second factor completes only its own login attempt, once, within its lifetime",
    ),
    "no-enumeration": (
        "ASVS 5.0 6.3.8",
        "an unknown user and a wrong password get the same answer, in the same time",
    ),
    "recovery-hashed": ("ASVS 5.0 6.5.2", "recovery codes stored salted and hashed, single use"),
    "notify-change": ("ASVS 5.0 6.3.7; NIST 800-63B 6.1.2.1", "the user is told of factor changes"),
    "notify-replay": ("ASVS 4.0.3 2.8.5", "a replayed code is logged and the user told"),
    "audit": ("ASVS 5.0 16.3.1", "every authentication event logged, no secrets"),
    "phone-validated": ("ASVS 5.0 6.6.1", "SMS only to a number verified first"),
    "oob-no-email": (
        "NIST 800-63B 5.1.3; ASVS 5.0 6.3.6",
        "e-mail is never a second factor, though Verify offers an e-mail channel",
    ),
}
"""Rule id -> (requirement, what the service does). Every audit event names the rule it applies
(``details["rule"]``; ``audit`` for an event that only records), and every
:class:`~twofa_sim.reference.verdicts.Outcome` the service answers names the rule that decided."""
