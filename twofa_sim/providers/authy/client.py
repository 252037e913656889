"""A ``requests`` client for the Authy API v1, as production code would use the real service.

It checks what the official clients check before sending (authy-python ``Tokens.__validate``: the
Authy ID and the token digits only, the token 6 to 12 long; ``OneTouch.send_request``: a message,
cut to 200 characters), sends ``force=true`` on verify unless told otherwise (as every official
client does), and counts a verification as passed only when the answer is a 200 whose body says
``"token": "is valid"`` (authy-python ``Token.ok()``).

Errors: the API's error answers raise :class:`AuthyApiError` (``code``, ``message``, ``status``);
no answer at all raises :class:`AuthyUnavailable`; a malformed ID or token raises
:class:`AuthyFormatError` without a request.

>>> client = AuthyClient("0123456789abcdef0123456789abcdef")
>>> client.verify(1635, "12ab567")
Traceback (most recent call last):
...
twofa_sim.providers.authy.exceptions.AuthyFormatError: token: Invalid Token. Only digits accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote

import requests

from twofa_sim.providers.authy.exceptions import AuthyApiError, AuthyFormatError, AuthyUnavailable
from twofa_sim.providers.authy.tokens import MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH

__all__ = ["DEFAULT_BASE_URL", "AuthyClient", "TokenDelivery"]

DEFAULT_BASE_URL = "https://api.authy.com"
MAX_STRING_SIZE = 200
"""authy-python: messages, details and logo fields are cut to 200 characters."""


@dataclass(frozen=True)
class TokenDelivery:
    """The answer to an SMS or call request: ``ignored`` when the user has the app (and the
    request was not forced); ``cellphone`` masked (``+1-XXX-XXX-XX18``)."""

    ignored: bool
    cellphone: str
    message: str
    device: str | None = None


class AuthyClient:
    """Talks to the Authy API v1 at ``base_url`` with ``api_key``.

    ``session``: a ``requests.Session`` to reuse (one is made otherwise); ``timeout``: seconds
    for each request.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the key
        return f"AuthyClient(base_url={self.base_url!r})"

    # Users ------------------------------------------------------------------------------------

    def register_user(
        self,
        email: str,
        cellphone: str,
        country_code: int | str = 1,
        *,
        send_install_link_via_sms: bool = False,
    ) -> int:
        """Create the user (or find the one with that phone) and return its Authy ID."""
        data = {
            "user[email]": email,
            "user[cellphone]": cellphone,
            "user[country_code]": str(country_code),
            "send_install_link_via_sms": "true" if send_install_link_via_sms else "false",
        }
        body = self._ok(*self._call("POST", "/protected/json/users/new", data=data))
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise AuthyApiError(None, "users/new answered without a user id", 200)
        return int(user["id"])

    def user_status(self, authy_id: int | str) -> dict[str, Any]:
        """The user's ``status`` object (registered, confirmed, devices, masked phone ...)."""
        path = f"/protected/json/users/{_authy_id(authy_id)}/status"
        status = self._ok(*self._call("GET", path)).get("status")
        if not isinstance(status, dict):
            raise AuthyApiError(None, "users/status answered without a status", 200)
        return status

    def delete_user(self, authy_id: int | str) -> None:
        self._ok(*self._call("POST", f"/protected/json/users/{_authy_id(authy_id)}/delete"))

    # Tokens -----------------------------------------------------------------------------------

    def request_sms(
        self,
        authy_id: int | str,
        *,
        force: bool = False,
        action: str | None = None,
        action_message: str | None = None,
        locale: str | None = None,
    ) -> TokenDelivery:
        """Ask Authy to text the user a token (ignored for app users unless ``force``)."""
        return self._token("sms", authy_id, force, action, action_message, locale)

    def request_call(
        self,
        authy_id: int | str,
        *,
        force: bool = False,
        action: str | None = None,
        action_message: str | None = None,
        locale: str | None = None,
    ) -> TokenDelivery:
        """Ask Authy to call the user and read out a token."""
        return self._token("call", authy_id, force, action, action_message, locale)

    def _token(
        self,
        channel: str,
        authy_id: int | str,
        force: bool,
        action: str | None,
        action_message: str | None,
        locale: str | None,
    ) -> TokenDelivery:
        params = {"force": "true"} if force else {}
        for name, value in (("action", action), ("action_message", action_message)):
            if value:
                params[name] = value
        if locale:
            params["locale"] = locale
        path = f"/protected/json/{channel}/{_authy_id(authy_id)}"
        body = self._ok(*self._call("GET", path, params=params))
        device = body.get("device")
        return TokenDelivery(
            ignored=bool(body.get("ignored", False)),
            cellphone=str(body.get("cellphone", "")),
            message=str(body.get("message", "")),
            device=str(device) if device is not None else None,
        )

    def verify(
        self,
        authy_id: int | str,
        token: str,
        *,
        force: bool = True,
        action: str | None = None,
    ) -> bool:
        """True when Authy accepts ``token`` for the user; False when it answers 60020.

        Other errors (unknown user, bad key, outage) raise. ``force=False`` reproduces the
        legacy trap: Authy then accepts any token for a user who has not finished registering.
        """
        token = _token(token)
        params: dict[str, str] = {"force": "true"} if force else {}
        if action:
            params["action"] = action
        path = f"/protected/json/verify/{quote(token)}/{_authy_id(authy_id)}"
        status, body = self._call("GET", path, params=params)
        if status == 200 and isinstance(body, dict):
            return body.get("token") == "is valid"
        if status == 401 and isinstance(body, dict) and body.get("error_code") == "60020":
            return False
        return _raise(status, body)

    # OneTouch ---------------------------------------------------------------------------------

    def create_approval_request(
        self,
        authy_id: int | str,
        message: str,
        details: Mapping[str, str] | None = None,
        seconds_to_expire: int | None = None,
        *,
        hidden_details: Mapping[str, str] | None = None,
        logos: Sequence[Mapping[str, str]] = (),
    ) -> str:
        """Push a OneTouch request to the user's devices; returns its UUID."""
        if not message:
            raise AuthyFormatError(
                "Invalid message - should not be empty. It is required", where="message"
            )
        data: list[tuple[str, str]] = [("message", message[:MAX_STRING_SIZE])]
        for group, values in (("details", details), ("hidden_details", hidden_details)):
            for key, value in (values or {}).items():
                data.append((f"{group}[{key[:MAX_STRING_SIZE]}]", str(value)[:MAX_STRING_SIZE]))
        for logo in logos:
            for key in ("res", "url"):
                data.append((f"logos[][{key}]", str(logo.get(key, ""))[:MAX_STRING_SIZE]))
        if seconds_to_expire is not None:
            data.append(("seconds_to_expire", str(seconds_to_expire)))
        path = f"/onetouch/json/users/{_authy_id(authy_id)}/approval_requests"
        body = self._ok(*self._call("POST", path, data=data))
        request = body.get("approval_request")
        if not isinstance(request, dict) or not isinstance(request.get("uuid"), str):
            raise AuthyApiError(None, "approval_requests answered without a uuid", 200)
        return str(request["uuid"])

    def approval_status(self, uuid: str) -> str:
        """``pending``, ``approved``, ``denied`` or ``expired``."""
        if not uuid:
            raise AuthyFormatError("an approval request UUID is required", where="uuid")
        path = f"/onetouch/json/approval_requests/{quote(uuid, safe='')}"
        request = self._ok(*self._call("GET", path)).get("approval_request")
        if not isinstance(request, dict) or not isinstance(request.get("status"), str):
            raise AuthyApiError(None, "approval_requests answered without a status", 200)
        return str(request["status"])

    # HTTP -------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    ) -> tuple[int, object]:
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers={"X-Authy-API-Key": self.api_key, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise AuthyUnavailable(f"no answer from Authy ({type(error).__name__})") from None
        try:
            body: object = response.json()
        except ValueError:
            body = response.text
        return response.status_code, body

    @staticmethod
    def _ok(status: int, body: object) -> dict[str, Any]:
        # "success" is true, or the string "true" (verify).
        if status == 200 and isinstance(body, dict) and body.get("success") in (True, "true"):
            return body
        return _raise(status, body)


def _raise(status: int, body: object) -> NoReturn:
    if isinstance(body, dict):
        errors = body.get("errors")
        fields = (
            {str(k): str(v) for k, v in errors.items() if k != "message"}
            if isinstance(errors, dict)
            else {}
        )
        code = body.get("error_code")
        message = body.get("message") or "unexpected answer"
        raise AuthyApiError(
            str(code) if code is not None else None, str(message), status, fields=fields
        )
    text = str(body).strip()[:200] or "empty answer"
    raise AuthyApiError(None, text, status)


def _authy_id(authy_id: int | str) -> str:
    if isinstance(authy_id, bool) or not (
        isinstance(authy_id, int) or (authy_id.isascii() and authy_id.isdigit())
    ):
        raise AuthyFormatError("Invalid Authy id. Only digits accepted.", where="authy_id")
    return str(authy_id)


def _token(token: str) -> str:
    if not (isinstance(token, str) and token.isascii() and token.isdigit()):
        raise AuthyFormatError("Invalid Token. Only digits accepted.", where="token")
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise AuthyFormatError("Invalid Token. Unexpected length.", where="token")
    return token
