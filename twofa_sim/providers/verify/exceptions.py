"""Twilio Verify v2's error codes as exceptions: what the fake raises and renders, what the
client raises.

::

    TwofaSimError
    └── VerifyError                        anything the Verify client (or fake) can raise
        ├── VerifyUnavailable              no answer at all: timeout, connection refused or reset
        └── VerifyApiError                 Verify answered with Twilio's error envelope
            ├── AuthenticationFailed       20003 (401)
            ├── ResourceNotFound           20404 (404)
            ├── EntityTooLarge             20413 (413)
            ├── TooManyRequests            20429 (429)
            ├── InternalServerError        20500 (500)
            ├── ServiceUnavailable         20503 (503)
            ├── InvalidParameter           60200 (400)
            ├── MaxCheckAttempts           60202 (429)
            ├── MaxSendAttempts            60203 (429)
            ├── FeatureNotSupported        60204 (400)
            ├── NoTargetVerification       60221 (400)
            ├── ChallengeAttemptsReached   60308 (429)
            ├── FactorAttemptsReached      60310 (429)
            ├── FactorVerificationFailed   60311 (403)
            ├── FactorUnverified           60318 (403)
            ├── ChallengeAlreadyResponded  60322 (403)
            ├── ChallengeExpired           60323 (403)
            └── ChallengeVerificationFailed 60324 (403)

Codes, HTTP statuses and texts are Twilio's error dictionary (twilio.com/docs/api/errors/NNNNN,
../shared/reference/twilio-verify.md). The envelope is Twilio's ``{code, message, more_info,
status}`` (keys in that order; 20003 adds ``detail``). This module stands alone (the Verify fake
shares nothing with the Messages fake but :mod:`twofa_sim.providers._core`), so a world may run
either without the other.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from twofa_sim.errors import TwofaSimError
from twofa_sim.providers.envelope import CodedError, EnvelopeError, error_url

__all__ = [
    "AuthenticationFailed",
    "ChallengeAlreadyResponded",
    "ChallengeAttemptsReached",
    "ChallengeExpired",
    "ChallengeVerificationFailed",
    "CodedVerifyError",
    "EntityTooLarge",
    "FactorAttemptsReached",
    "FactorUnverified",
    "FactorVerificationFailed",
    "FeatureNotSupported",
    "InternalServerError",
    "InvalidParameter",
    "MaxCheckAttempts",
    "MaxSendAttempts",
    "NoTargetVerification",
    "ResourceNotFound",
    "ServiceUnavailable",
    "TooManyRequests",
    "VerifyApiError",
    "VerifyError",
    "VerifyUnavailable",
    "error_url",
]


class VerifyError(TwofaSimError):
    """Base of everything the Verify client raises: catch this to handle any Verify failure."""


class VerifyUnavailable(VerifyError):
    """Verify gave no answer (timeout, connection refused or reset); ``__cause__`` is the
    ``requests`` exception. Whether the code was sent is unknown.
    """

    def __init__(self, message: str, *, url: str = "") -> None:
        self.url = url
        super().__init__(message)


class VerifyApiError(VerifyError, EnvelopeError):
    """Verify answered with an error: ``code`` (None when the body was no envelope),
    ``message``, HTTP ``status``, ``more_info`` and, for 20003, ``detail``.
    """

    CODES: ClassVar[dict[int, type[Any]]] = {}


class CodedVerifyError(CodedError, VerifyApiError):
    """An error with a fixed code and default status and message (subclasses set them)."""


# --- platform -----------------------------------------------------------------------------------


class AuthenticationFailed(CodedVerifyError):
    """20003: missing or wrong HTTP Basic credentials (Account SID and Auth Token)."""

    CODE = 20003
    STATUS = 401
    MESSAGE = "Authenticate"
    DETAIL = "Your AccountSid or AuthToken was incorrect."

    @classmethod
    def credentials(cls) -> Self:
        return cls(detail=cls.DETAIL)


class ResourceNotFound(CodedVerifyError):
    """20404: no such resource. Verify names the path without its ``/v2`` prefix
    ("The requested resource /Services/VA.../VerificationCheck was not found", Verify docs).
    """

    CODE = 20404
    STATUS = 404
    MESSAGE = "The requested resource was not found"

    @classmethod
    def at(cls, path: str) -> Self:
        return cls(f"The requested resource {path.removeprefix('/v2')} was not found")


class EntityTooLarge(CodedVerifyError):
    """20413: the request body is larger than the fake accepts."""

    CODE = 20413
    STATUS = 413
    MESSAGE = "Request Entity Too Large"


class TooManyRequests(CodedVerifyError):
    """20429: the platform's own rate limit (an injected ``rate_limit`` fault)."""

    CODE = 20429
    STATUS = 429
    MESSAGE = "Too many requests"


class InternalServerError(CodedVerifyError):
    """20500."""

    CODE = 20500
    STATUS = 500
    MESSAGE = "Internal Server Error"


class ServiceUnavailable(CodedVerifyError):
    """20503."""

    CODE = 20503
    STATUS = 503
    MESSAGE = "Service Unavailable"


# --- verifications ------------------------------------------------------------------------------


class InvalidParameter(CodedVerifyError):
    """60200: a parameter is missing, malformed or out of range."""

    CODE = 60200
    MESSAGE = "Invalid parameter"

    @classmethod
    def missing(cls, name: str) -> Self:
        return cls(f"Invalid parameter: {name}")

    @classmethod
    def bad(cls, name: str, value: str) -> Self:
        shown = value if len(value) <= 64 else value[:61] + "..."
        return cls(f"Invalid parameter `{name}`: {shown}")


class MaxCheckAttempts(CodedVerifyError):
    """60202: the verification's 5 check attempts are spent."""

    CODE = 60202
    STATUS = 429
    MESSAGE = "Max check attempts reached"


class MaxSendAttempts(CodedVerifyError):
    """60203: 5 sends to the same ``To`` while its verification is pending."""

    CODE = 60203
    STATUS = 429
    MESSAGE = "Max send attempts reached"


class FeatureNotSupported(CodedVerifyError):
    """60204: the service (or the fake) does not offer this (a channel, custom codes)."""

    CODE = 60204
    MESSAGE = "Service does not support this feature"


class NoTargetVerification(CodedVerifyError):
    """60221: a check names neither ``To`` nor ``VerificationSid``."""

    CODE = 60221
    MESSAGE = "No target verification specified"


# --- factors and challenges ---------------------------------------------------------------------


class ChallengeAttemptsReached(CodedVerifyError):
    """60308: 5 wrong TOTP codes for one challenge."""

    CODE = 60308
    STATUS = 429
    MESSAGE = "Challenge verification attempts limit reached"


class FactorAttemptsReached(CodedVerifyError):
    """60310: 5 wrong TOTP codes while verifying a new factor."""

    CODE = 60310
    STATUS = 429
    MESSAGE = "Factor verification attempts reached"


class FactorVerificationFailed(CodedVerifyError):
    """60311: a push factor verified through the REST API without the device's signature."""

    CODE = 60311
    STATUS = 403
    MESSAGE = "Factor verification failed"


class FactorUnverified(CodedVerifyError):
    """60318: a challenge for a factor that has not been verified yet."""

    CODE = 60318
    STATUS = 403
    MESSAGE = "Factor is unverified"


class ChallengeAlreadyResponded(CodedVerifyError):
    """60322: the challenge was approved or denied before."""

    CODE = 60322
    STATUS = 403
    MESSAGE = "Challenge already responded"


class ChallengeExpired(CodedVerifyError):
    """60323: the challenge's expiration date has passed."""

    CODE = 60323
    STATUS = 403
    MESSAGE = "Challenge expired"


class ChallengeVerificationFailed(CodedVerifyError):
    """60324: a push challenge answered through the REST API without the device's signature."""

    CODE = 60324
    STATUS = 403
    MESSAGE = "Challenge verification failed"
