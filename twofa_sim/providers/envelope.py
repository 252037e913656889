"""What every Twilio product the fakes speak (Messages, Verify) shares: the account's
credentials and Twilio's error envelope.

``{"code", "message", "more_info", "status"}`` (and ``detail`` for 20003): each product keeps its
own exception family (``TwilioApiError``, ``VerifyApiError``) and its own codes, built on
:class:`EnvelopeError` here, so the envelope is rendered and read back one way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self, cast

from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import InputError, TwofaSimError

__all__ = [
    "ACCOUNT_SID",
    "RETRYABLE_STATUSES",
    "CodedError",
    "EnvelopeError",
    "account_credentials",
    "error_url",
]

ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


def account_credentials(
    rng: SeededRandom, account_sid: str | None, auth_token: str | None
) -> tuple[str, str]:
    """The account SID and auth token a fake answers to: those given (checked), else drawn
    from ``rng``'s ``credentials`` stream. Both are drawn whatever is given, so one given
    value never shifts the other."""
    credentials = rng.stream("credentials")
    drawn_sid, drawn_token = credentials.sid("AC"), credentials.hex(32)
    if account_sid is not None and not ACCOUNT_SID.fullmatch(account_sid):
        raise InputError(
            f"{account_sid!r} is not an account SID",
            where="account_sid",
            hint="'AC' followed by 32 hex digits",
        )
    if auth_token is not None and not auth_token:
        raise InputError("the auth token is empty", where="auth_token")
    return (
        drawn_sid if account_sid is None else account_sid,
        drawn_token if auth_token is None else auth_token,
    )


RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def error_url(code: int) -> str:
    """Twilio's page for an error code (the envelope's ``more_info``)."""
    return f"https://www.twilio.com/docs/errors/{code}"


def _short(value: object, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class EnvelopeError(TwofaSimError):
    """A Twilio error answer: ``code`` (None when the body was no envelope), ``message``, HTTP
    ``status``, ``more_info`` (the error's page) and, for 20003, ``detail``.

    A product's base class sets ``CODES = {}``; every subclass of it that sets ``CODE`` is
    registered there, so :meth:`from_envelope` gives the subclass for a known code.
    """

    CODES: ClassVar[dict[int, type[Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "CODE" in cls.__dict__:
            cls.CODES[cls.__dict__["CODE"]] = cls

    def __init__(
        self,
        code: int | None,
        message: str,
        status: int,
        more_info: str | None = None,
        *,
        detail: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.more_info = (
            more_info if more_info is not None else (error_url(code) if code is not None else "")
        )
        self.detail = detail
        label = f"{code} " if code is not None else ""
        super().__init__(f"HTTP {status}: {label}{message}")

    @property
    def retryable(self) -> bool:
        """True for answers worth retrying later (429 and 5xx), False for a rejected request."""
        return self.status in RETRYABLE_STATUSES

    def envelope(self) -> dict[str, object]:
        """Twilio's error body, keys in Twilio's (alphabetical) order."""
        body: dict[str, object] = {"code": self.code}
        if self.detail is not None:
            body["detail"] = self.detail
        body.update(message=self.message, more_info=self.more_info, status=self.status)
        return body

    @classmethod
    def from_envelope(cls, body: object, *, status: int) -> Self:
        """The error an HTTP ``status`` and its decoded JSON ``body`` stand for: the product's
        subclass for a known code, its base class for an unknown one, and a base error with
        ``code`` None and the body's text as message when the body is no envelope."""
        base: type[EnvelopeError] = next(k for k in cls.__mro__ if "CODES" in k.__dict__)
        if not isinstance(body, Mapping):
            return cast(Self, base(None, _short(body), status))
        code = body.get("code")
        message = body.get("message")
        more_info = body.get("more_info")
        detail = body.get("detail")
        text = message if isinstance(message, str) else _short(body)
        link = more_info if isinstance(more_info, str) else None
        extra = detail if isinstance(detail, str) else None
        if not isinstance(code, int) or isinstance(code, bool):
            return cast(Self, base(None, text, status, link, detail=extra))
        known = base.CODES.get(code)
        if known is None:
            return cast(Self, base(code, text, status, link, detail=extra))
        return cast(Self, known(text, status=status, more_info=link, detail=extra))


class CodedError(EnvelopeError):
    """An error with a fixed ``CODE`` and a default ``STATUS`` and ``MESSAGE`` (subclasses set
    them); mixed into a product's family: ``class _Coded(CodedError, TwilioApiError)``."""

    CODE: ClassVar[int]
    STATUS: ClassVar[int] = 400
    MESSAGE: ClassVar[str] = ""

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        more_info: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(
            self.CODE,
            self.MESSAGE if message is None else message,
            self.STATUS if status is None else status,
            more_info,
            detail=detail,
        )
