"""Twilio's error codes as exceptions: what the fake raises and renders, what the client raises.

::

    TwofaSimError
    └── TwilioError                    anything the Twilio client (or fake) can raise
        ├── TwilioUnavailable          no answer at all: timeout, connection refused or reset
        └── TwilioApiError             Twilio answered with its error envelope (code, message ...)
            ├── AuthenticationFailed   20003 (401)
            ├── ResourceNotFound       20404 (404)
            ├── TooManyRequests        20429 (429)
            ├── InternalServerError    20500 (500)
            ├── ServiceUnavailable     20503 (503)
            ├── InvalidToNumber        21211
            ├── InvalidFromNumber      21212
            ├── RegionNotEnabled       21408
            ├── BodyRequired           21602
            ├── FromRequired           21603
            ├── ToRequired             21604
            ├── FromNotOwned           21606
            ├── RecipientBlocked       21610
            ├── QueueFull              21611 (429)
            ├── ToUnreachable          21612
            ├── ToNotMobile            21614
            ├── BodyTooLong            21617
            ├── InvalidMessagingService 21701
            └── MessagingServiceEmpty  21704

The fake's backend raises these and the HTTP layer renders :meth:`TwilioApiError.envelope`
(``{"code", "message", "more_info", "status"}``); the client reads an envelope back with
:meth:`TwilioApiError.from_envelope`, which picks the subclass for a known code, so callers may
catch ``InvalidToNumber`` or test ``error.code == 21211`` alike.

Message texts are the ones Twilio returned to test-credential requests, as recorded by projects
that asserted whole response bodies against the live API (see each class); ``standards.md`` 6.1
for the codes and 6.3 for 20429's text.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from twofa_sim.errors import TwofaSimError
from twofa_sim.providers.envelope import CodedError, EnvelopeError, error_url

__all__ = [
    "AuthenticationFailed",
    "BodyRequired",
    "BodyTooLong",
    "FromNotOwned",
    "FromRequired",
    "InternalServerError",
    "InvalidFromNumber",
    "InvalidMessagingService",
    "InvalidToNumber",
    "MessagingServiceEmpty",
    "QueueFull",
    "RecipientBlocked",
    "RegionNotEnabled",
    "ResourceNotFound",
    "ServiceUnavailable",
    "ToNotMobile",
    "ToRequired",
    "ToUnreachable",
    "TooManyRequests",
    "TwilioApiError",
    "TwilioError",
    "TwilioUnavailable",
    "error_url",
]


class TwilioError(TwofaSimError):
    """Base of everything the Twilio client raises: catch this to handle any Twilio failure."""


class TwilioUnavailable(TwilioError):
    """Twilio gave no answer (timeout, connection refused or reset); ``__cause__`` is the
    ``requests`` exception. Whether the message was sent is unknown.
    """

    def __init__(self, message: str, *, url: str = "") -> None:
        self.url = url
        super().__init__(message)


class TwilioApiError(TwilioError, EnvelopeError):
    """Twilio answered with an error: ``code`` (None when the body was no Twilio envelope),
    ``message``, HTTP ``status``, ``more_info`` (the error's page) and, for 20003, ``detail``.
    """

    CODES: ClassVar[dict[int, type[Any]]] = {}


class _CodedError(CodedError, TwilioApiError):
    """An error with a fixed code and default status and message."""


# --- account and platform ---------------------------------------------------------------------


class AuthenticationFailed(_CodedError):
    """20003: missing or wrong credentials. Twilio adds a ``detail`` to this one envelope
    (recorded 401 bodies in twilio-python-based and Dart client test fixtures).
    """

    CODE = 20003
    STATUS = 401
    MESSAGE = "Authenticate"
    DETAIL = "Your AccountSid or AuthToken was incorrect."

    @classmethod
    def credentials(cls) -> Self:
        return cls(detail=cls.DETAIL)


class ResourceNotFound(_CodedError):
    """20404: no such resource (an unknown path, message SID or account SID)."""

    CODE = 20404
    STATUS = 404
    MESSAGE = "The requested resource was not found"

    @classmethod
    def at(cls, path: str) -> Self:
        return cls(f"The requested resource {path} was not found")


class TooManyRequests(_CodedError):
    """20429 (standards.md 6.3: Twilio's own 429 example)."""

    CODE = 20429
    STATUS = 429
    MESSAGE = "Too many requests"


class InternalServerError(_CodedError):
    """20500."""

    CODE = 20500
    STATUS = 500
    MESSAGE = "Internal Server Error"


class ServiceUnavailable(_CodedError):
    """20503."""

    CODE = 20503
    STATUS = 503
    MESSAGE = "Service Unavailable"


# --- message creation (standards.md 6.1) --------------------------------------------------------


class InvalidToNumber(_CodedError):
    """21211: the 'To' number is malformed (not E.164) or the magic +15005550001."""

    CODE = 21211

    @classmethod
    def for_number(cls, to: str) -> Self:
        return cls(f"The 'To' number {to} is not a valid phone number.")


class InvalidFromNumber(_CodedError):
    """21212: the 'From' number is invalid (magic +15005550001)."""

    CODE = 21212

    @classmethod
    def for_number(cls, sender: str) -> Self:
        return cls(
            f"The 'From' number {sender} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID."
        )


class RegionNotEnabled(_CodedError):
    """21408: no permission to send to the 'To' number's region (magic +15005550003)."""

    CODE = 21408

    @classmethod
    def for_number(cls, to: str) -> Self:
        return cls(
            "Permission to send an SMS has not been enabled for the region indicated by "
            f"the 'To' number: {to}."
        )


class BodyRequired(_CodedError):
    """21602: neither ``Body`` nor ``MediaUrl``."""

    CODE = 21602
    MESSAGE = "Message body is required."


class FromRequired(_CodedError):
    """21603: neither ``From`` nor ``MessagingServiceSid``."""

    CODE = 21603
    MESSAGE = "A 'From' phone number is required."


class ToRequired(_CodedError):
    """21604: no ``To``."""

    CODE = 21604
    MESSAGE = "A 'To' phone number is required."


class FromNotOwned(_CodedError):
    """21606: the 'From' number is not the account's SMS-capable number (magic +15005550007,
    and every number the account does not own).
    """

    CODE = 21606

    @classmethod
    def for_number(cls, sender: str) -> Self:
        return cls(
            f"The From phone number {sender} is not a valid, SMS-capable inbound phone number "
            "or short code for your account."
        )


class RecipientBlocked(_CodedError):
    """21610: the recipient is blocked for the account (magic +15005550004)."""

    CODE = 21610
    MESSAGE = "The message From/To pair violates a blacklist rule."


class QueueFull(_CodedError):
    """21611: the 'From' number's queue is full (magic +15005550008). Answered with HTTP 429
    (the live test API as recorded in whole-body assertions; one older record shows 400).
    """

    CODE = 21611
    STATUS = 429
    MESSAGE = "SMS queue is full."


class ToUnreachable(_CodedError):
    """21612: Twilio cannot route to the 'To' number (magic +15005550002)."""

    CODE = 21612

    @classmethod
    def for_numbers(cls, to: str, sender: str) -> Self:
        return cls(
            f"The 'To' phone number: {to}, is not currently reachable using the 'From' "
            f"phone number: {sender} via SMS."
        )


class ToNotMobile(_CodedError):
    """21614: the 'To' number cannot receive SMS (magic +15005550009)."""

    CODE = 21614

    @classmethod
    def for_number(cls, to: str) -> Self:
        return cls(f"To number: {to}, is not a mobile number")


class BodyTooLong(_CodedError):
    """21617: ``Body`` longer than 1600 characters."""

    CODE = 21617
    MESSAGE = "The concatenated message body exceeds the 1600 character limit"


class InvalidMessagingService(_CodedError):
    """21701: ``MessagingServiceSid`` is not an ``MG`` SID."""

    CODE = 21701

    @classmethod
    def for_sid(cls, sid: str) -> Self:
        return cls(f"The Messaging Service Sid {sid} is invalid.")


class MessagingServiceEmpty(_CodedError):
    """21704: a Messaging Service with no number to send from (the account owns none)."""

    CODE = 21704
    MESSAGE = "The Messaging Service contains no phone numbers"
