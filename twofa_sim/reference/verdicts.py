"""What the reference service answers: outcomes with reasons, challenges, enrollments."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Challenge", "Enrollment", "LoginResult", "Notification", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """The verdict on something the user entered: ``ok``, and always a reason.

    Reasons: ``accepted``, ``wrong_code``, ``malformed``, ``expired``, ``replayed`` (a code
    already accepted, again), ``used`` (a spent code), ``too_many_attempts``, ``locked``,
    ``throttled`` (back-off: ``retry_after`` says how long), ``outside_window``, ``stale``,
    ``push_pending``, ``push_denied``, ``number_mismatch``, ``unknown_request``,
    ``nothing_pending``, ``login_expired``, ``no_such_factor``, ``bad_password``, ``disabled``.
    """

    ok: bool
    reason: str
    retry_after: float | None = None
    detail: str = ""
    rule: str = ""
    """The id of the rule (:data:`~twofa_sim.reference.policy.RULES`) that decided, when the
    system says (the reference service always does; another target may leave it empty)."""

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class Challenge:
    """A code sent, a push raised, or an app token expected: what the page shows next."""

    request_id: str
    channel: str
    """``sms``, ``authy-app`` or ``authy-push``."""
    expires_at: float
    destination: str
    """The phone number, masked."""


@dataclass(frozen=True)
class Enrollment:
    """A generated authenticator-app secret: the otpauth URI and its QR PNG, shown once."""

    uri: str = field(repr=False)
    png: bytes = field(repr=False)
    confirmed: bool


@dataclass(frozen=True)
class LoginResult:
    """After the password: logged in, a second factor wanted (``factors``), or refused."""

    status: str
    """``logged_in``, ``second_factor`` or ``refused``."""
    login_id: str | None = None
    factors: tuple[str, ...] = ()
    reason: str = ""
    must_enroll: bool = False
    """A team of the user's requires two-factor, and the user has not turned it on."""
    retry_after: float | None = None
    """Seconds until the account may try again, when refused as ``locked`` or ``throttled``."""
    rule: str = ""
    """When refused: the id of the rule (:data:`~twofa_sim.reference.policy.RULES`) that
    refused."""


@dataclass(frozen=True)
class Notification:
    """A message to the user (simulated e-mail): factor changes, replays, lockouts."""

    at: float
    user: str
    kind: str
    message: str
