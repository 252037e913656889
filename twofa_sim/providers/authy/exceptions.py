"""Authy's errors: the fake's error codes (rendered as Authy's envelope), the client's exceptions.

::

    TwofaSimError
    ├── AuthyServerError                 the fake answers with it (envelope below); code 60000
    │   ├── InvalidApiKey                60001, 401
    │   ├── InvalidRequest               60002, 400
    │   ├── DosProtection                60003, 429
    │   ├── InvalidParameter             60004, 400
    │   ├── TokenInvalid                 60020, 401 (its body also says "token": "is invalid")
    │   ├── UserNotFound                 60026, 404
    │   ├── UserNotValid                 60027, 400 (field errors in "errors")
    │   ├── ApprovalRequestNotFound      60000, 404
    │   └── ApprovalRequestClosed        60000, 400 (a response to an expired or final request)
    ├── AuthyApiError                    the client got an error answer: code, message, status
    │   └── AuthyUnavailable             the client got no answer at all (timeout, connection)
    └── InputError
        └── AuthyFormatError             the client refused to send (token or id malformed)

Codes, statuses and messages are Twilio's "Authy Return and Error Codes" table, as summarised in
standards.md section 6.4: 60000 (400) "An error occurred", 60001 (401) "Invalid API key", 60002
(400) "Invalid request", 60003 (429) "DoS protection", 60004 (400) "Invalid parameter", 60020
"Token is invalid" (401 with the body in standards.md), 60026 "User not found", 60027 "User was
not valid" (body in standards.md). Not in standards.md, and so chosen here: 60026's status (404:
the Authy clients map 404 to "not found", e.g. uphold-forks/authy-client
``src/parsers/response-parser.js``) and its message's full stop ("User not found.", as asserted by
authy-ruby's API spec); the unknown-approval-request and closed-request errors, which reuse the
generic 60000 code.

The envelope, with ``error_code`` a *string*::

    {"message": "...", "success": false, "errors": {"message": "..."}, "error_code": "600xx"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from twofa_sim.errors import InputError, TwofaSimError

__all__ = [
    "ApprovalRequestClosed",
    "ApprovalRequestNotFound",
    "AuthyApiError",
    "AuthyFormatError",
    "AuthyServerError",
    "AuthyUnavailable",
    "DosProtection",
    "InvalidApiKey",
    "InvalidParameter",
    "InvalidRequest",
    "TokenInvalid",
    "UserNotFound",
    "UserNotValid",
]


class AuthyServerError(TwofaSimError):
    """An error the fake Authy API answers with; :meth:`body` is Authy's error envelope.

    ``fields`` are per-field errors (``{"cellphone": "is invalid"}``) that go into ``errors``
    before its ``message``; ``status`` overrides the class's HTTP status (a 503 is a 60000 too).
    """

    code: ClassVar[str] = "60000"
    default_status: ClassVar[int] = 400
    default_message: ClassVar[str] = "An error occurred"

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = dict(fields or {})
        self.status = status if status is not None else self.default_status
        super().__init__(f"Authy {self.code} ({self.status}): {self.message}")

    def body(self) -> dict[str, object]:
        """The JSON body Authy answers with."""
        return {
            "message": self.message,
            "success": False,
            "errors": {**self.fields, "message": self.message},
            "error_code": self.code,
        }


class InvalidApiKey(AuthyServerError):
    """The ``X-Authy-API-Key`` header is missing or names no Authy application."""

    code = "60001"
    default_status = 401
    default_message = "Invalid API key"


class InvalidRequest(AuthyServerError):
    """A request the API cannot read (a JSON body that is not JSON, say)."""

    code = "60002"
    default_message = "Invalid request"


class DosProtection(AuthyServerError):
    """Too many requests per time unit on an endpoint (the fake's injected 429)."""

    code = "60003"
    default_status = 429
    default_message = "DoS protection"


class InvalidParameter(AuthyServerError):
    """A parameter is missing or out of range (``Invalid parameter: message``)."""

    code = "60004"
    default_message = "Invalid parameter"


class TokenInvalid(AuthyServerError):
    """The token is not one the user's devices or SMS show now."""

    code = "60020"
    default_status = 401
    default_message = "Token is invalid"

    def body(self) -> dict[str, object]:
        # standards.md 6.4: {"message", "token": "is invalid", "success": false, "errors", ...}
        return {
            "message": self.message,
            "token": "is invalid",
            "success": False,
            "errors": {**self.fields, "message": self.message},
            "error_code": self.code,
        }


class UserNotFound(AuthyServerError):
    """No user with that Authy ID in this application."""

    code = "60026"
    default_status = 404
    default_message = "User not found."


class UserNotValid(AuthyServerError):
    """``users/new`` with an e-mail, cellphone or country code Authy refuses."""

    code = "60027"
    default_message = "User was not valid"


class ApprovalRequestNotFound(AuthyServerError):
    """No OneTouch approval request with that UUID."""

    default_status = 404
    default_message = "Approval request not found"


class ApprovalRequestClosed(AuthyServerError):
    """A device answered an approval request that had expired or was already answered."""

    default_message = "Approval request is no longer pending"


# --- the client's side -----------------------------------------------------------------------


class AuthyApiError(TwofaSimError):
    """The Authy API answered with an error: its ``code`` (a string such as ``"60020"``, or None
    when the body carried none), ``message`` and HTTP ``status``; ``fields`` are per-field errors.
    """

    def __init__(
        self,
        code: str | None,
        message: str,
        status: int | None,
        *,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.fields = dict(fields or {})
        where = f"Authy {code}" if code else "Authy"
        super().__init__(f"{where} ({status}): {message}" if status else f"{where}: {message}")

    @property
    def retryable(self) -> bool:
        """True for answers worth retrying later: rate limited (429), service failing (5xx)."""
        return self.status is None or self.status == 429 or self.status >= 500


class AuthyUnavailable(AuthyApiError):
    """No answer at all: a timeout or a failed connection (``code`` and ``status`` are None)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message, None)


class AuthyFormatError(InputError):
    """The client refused to send a request: an Authy ID or token in the wrong format."""
