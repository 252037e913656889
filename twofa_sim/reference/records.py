"""What the reference service stores about a user, as plain values that serialise to JSON.

A store keeps one :class:`UserRecord` per user (a JSON document), so a transaction is "load the
document, change it, save it" under that user's lock, and a restart reads back exactly what was
saved. Codes are never stored: only a salted hash (:mod:`twofa_sim.reference.codes`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from twofa_sim.core.otp import TotpState

__all__ = ["LoginAttempt", "PendingCode", "Team", "TotpCredential", "UserRecord"]


@dataclass
class PendingCode:
    """A code sent (or a push raised) and not yet used: bound to ``request_id`` and a purpose."""

    request_id: str
    purpose: str
    """``phone`` (verifying a number) or ``login`` (a second factor for ``login_id``)."""
    channel: str
    """``sms``, ``authy-app`` (a token from the Authy app) or ``authy-push``."""
    sent_at: float
    expires_at: float
    salt: str = ""
    digest: str = ""
    """HMAC-SHA256 of the code under ``salt`` (sms only)."""
    attempts: int = 0
    used: bool = False
    accepted: bool = False
    """Used because it was accepted (a later match is a replay), not merely spent."""
    phone: str | None = None
    authy_id: int | None = None
    login_id: str | None = None
    push_uuid: str | None = None
    push_number: str | None = None
    verification_sid: str | None = None
    """With Verify: the verification that holds the code (None once closed)."""
    challenge_sid: str | None = None
    """With Verify: the push challenge raised for this request."""
    factor_sid: str | None = None
    identity: str | None = None
    """With Verify: the push factor and its identity the challenge goes to."""


@dataclass
class TotpCredential:
    """An authenticator-app secret and its verifier state (last accepted step, drift)."""

    secret: str
    created_at: float
    confirmed: bool = False
    last_step: int | None = None
    drift: int = 0
    factor_sid: str | None = None
    """With Verify: the TOTP factor that holds the secret (``secret`` is then empty)."""
    identity: str | None = None

    @property
    def state(self) -> TotpState:
        return TotpState(self.last_step, self.drift)

    def remember(self, state: TotpState) -> None:
        self.last_step, self.drift = state.last_step, state.drift


@dataclass
class LoginAttempt:
    """A login between the password and the second factor."""

    login_id: str
    started_at: float
    expires_at: float
    done: bool = False
    factor: str | None = None


@dataclass
class UserRecord:
    """Everything the service knows about one user."""

    username: str
    password_salt: str
    password_hash: str
    phone: str | None = None
    """The verified number (E.164), once verified."""
    authy_id: int | None = None
    authy_app: bool = False
    """The verified number belongs to an Authy user with the app (codes come by Authy)."""
    push_factor: str | None = None
    push_identity: str | None = None
    """With Verify: the push factor of the verified number's app, and its identity."""
    two_factor: bool = False
    totp: TotpCredential | None = None
    totp_pending: TotpCredential | None = None
    recovery: list[dict[str, Any]] = field(default_factory=list)
    """Recovery codes as ``{"salt", "hash", "used"}``."""
    failures: int = 0
    last_failure_at: float | None = None
    locked_until: float | None = None
    pushes: list[float] = field(default_factory=list)
    authy_used: list[list[Any]] = field(default_factory=list)
    """Recently accepted Authy app tokens as ``[hash, until]``: Authy itself accepts a token
    twice within its window; the service does not (ASVS 5.0 6.5.1)."""
    totp_used: list[list[Any]] = field(default_factory=list)
    """With Verify: recently accepted TOTP codes as ``[hash, until]`` (Verify does not refuse a
    code twice within its window; the service does)."""
    sms_used: list[list[Any]] = field(default_factory=list)
    """Accepted SMS codes as ``[salt, hash, until]`` (HMAC-SHA256 under a per-code salt, never
    the code): each is kept until the code would have expired, so a spent code typed at a later
    login (or a later phone verification) is told apart as a replay (ASVS 5.0 6.5.1, 4.0.3
    2.8.5), and a restart forgets none."""
    last_sent_at: float | None = None
    pending: dict[str, PendingCode] = field(default_factory=dict)
    logins: dict[str, LoginAttempt] = field(default_factory=dict)
    audit_seq: int | None = None
    audit_hash: str | None = None
    """The audit entry the last saved change of this record wrote (its ``seq`` and hash), set by
    the store in the same transaction: the audit check finds a change saved without its entry."""

    @property
    def factors(self) -> list[str]:
        """The second factors this user can log in with now."""
        found = []
        if self.two_factor and self.totp is not None and self.totp.confirmed:
            found.append("totp")
        if self.two_factor and self.phone is not None:
            found.extend(["authy-app", "authy-push"] if self.authy_app else ["sms"])
            if self.push_factor is not None:
                found.append("verify-push")
        if self.two_factor and any(not code["used"] for code in self.recovery):
            found.append("recovery")
        return found

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UserRecord:
        values = dict(data)
        for name in ("totp", "totp_pending"):
            if values.get(name) is not None:
                values[name] = TotpCredential(**values[name])
        values["pending"] = {k: PendingCode(**v) for k, v in values.get("pending", {}).items()}
        values["logins"] = {k: LoginAttempt(**v) for k, v in values.get("logins", {}).items()}
        return cls(**values)


@dataclass
class Team:
    """A team whose members may be required to use two-factor authentication."""

    name: str
    require_two_factor: bool = False
    members: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
