"""The Authy API v1 over HTTP: requests in, backend calls, Authy's exact JSON out.

Bodies are those of standards.md section 6.4, key order included, written compactly as the
real API writes them
(authy-python's ``Token.ok()`` looks for the literal text ``"token":"is valid"``). Note
``"success":"true"``, a *string*, in the verify answer.

Requests may be form-encoded with Rails-style keys (``user[email]``, ``details[Location]``,
``logos[][url]``), as curl and authy-ruby send them, or a JSON body, as authy-python sends them.
Every request needs the application's key in the ``X-Authy-API-Key`` header; standards.md
documents no other way (old clients sent an ``api_key`` parameter; it is not accepted here).
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from twofa_sim.core.clock import VirtualClock, to_datetime
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.providers._core import FakeService, Reply, Request, Route
from twofa_sim.providers.authy.exceptions import (
    AuthyServerError,
    DosProtection,
    InvalidApiKey,
    InvalidParameter,
    InvalidRequest,
    UserNotFound,
)
from twofa_sim.providers.authy.models import (
    DEFAULT_SECONDS_TO_EXPIRE,
    ApprovalRequest,
    AuthyBackend,
    Device,
    User,
)
from twofa_sim.providers.authy.urls import ROUTES, URL_BASES
from twofa_sim.providers.network import SmsNetwork

__all__ = ["AuthyService"]

SMS_IGNORED = (
    "Ignored: SMS is not needed for smartphones. "
    "Pass force=true if you want to actually send it anyway."
)
# uphold-forks/authy-client test/mocks/request-call-mock.js (the double space is Authy's).
CALL_IGNORED = (
    "Call ignored. User is using  App Tokens and this call is not necessary. "
    "Pass force=true if you still want to call users that are using the App."
)
TOKEN_VALID = {"message": "Token is valid.", "token": "is valid", "success": "true"}


class AuthyService(FakeService):
    """The fake Authy API v1 on ``https://api.authy.com``.

    ``api_key`` is drawn from ``rng`` when not given. ``callback_url``: where OneTouch answers are
    (notionally) sent; they are recorded, signed, in ``backend.callbacks``. ``app_name`` appears
    in SMS bodies and approval requests.
    """

    name = "authy"
    base_urls = URL_BASES

    def __init__(
        self,
        clock: VirtualClock,
        rng: SeededRandom,
        network: SmsNetwork,
        *,
        api_key: str | None = None,
        app_name: str = "twofa-sim",
        callback_url: str | None = None,
    ) -> None:
        super().__init__(clock, rng)
        self.api_key = api_key if api_key is not None else rng.stream("api_key").hex(32)
        self.backend = AuthyBackend(
            clock,
            rng.stream("backend"),
            network,
            api_key=self.api_key,
            app_name=app_name,
            callback_url=callback_url,
        )
        self._routes = tuple(
            Route(method, pattern, self._guarded(getattr(self, handler)), endpoint)
            for method, pattern, handler, endpoint in ROUTES
        )

    @property
    def callback_url(self) -> str | None:
        return self.backend.callback_url

    @callback_url.setter
    def callback_url(self, url: str | None) -> None:
        self.backend.callback_url = url

    def routes(self) -> Sequence[Route]:
        return self._routes

    def reset_backend(self) -> None:
        self.backend.reset()

    def error_reply(self, status: int, kind: str) -> Reply:
        """Authy's envelope: 60003 for 429, 60000 with the status for 5xx and unknown paths."""
        if status == 429:
            error: AuthyServerError = DosProtection()
        elif kind == "not_found":
            error = AuthyServerError("Not found", status=status)
        else:
            error = AuthyServerError(status=status)
        return Reply(error.status, error.body())

    def _guarded(self, handler: Callable[[Request], object]) -> Callable[[Request], Reply]:
        def guarded(request: Request) -> Reply:
            try:
                key = request.header("X-Authy-API-Key") or ""
                if not hmac.compare_digest(key.encode(), self.api_key.encode()):
                    raise InvalidApiKey()
                return Reply(200, handler(request))
            except AuthyServerError as error:
                return Reply(error.status, error.body())

        return guarded

    # Users ------------------------------------------------------------------------------------

    def users_new(self, request: Request) -> object:
        fields = _fields(request)
        user_fields = fields.get("user")
        attrs = user_fields if isinstance(user_fields, dict) else {}
        before = len(self.backend.users)
        user = self.backend.create_user(
            _text(attrs.get("email")) or "",
            _text(attrs.get("cellphone")) or "",
            _text(attrs.get("country_code")) or "1",
        )
        if len(self.backend.users) > before and _truthy(fields.get("send_install_link_via_sms")):
            self.backend.send_install_link(user)
        return {
            "message": "User created successfully.",
            "user": {"id": user.authy_id},
            "success": True,
        }

    def users_status(self, request: Request) -> object:
        user = self.backend.user(_authy_id(request))
        return {
            "status": {
                "authy_id": user.authy_id,
                "confirmed": user.confirmed,
                "registered": user.registered,
                "country_code": user.country_code,
                "phone_number": f"XXX-XXX-{user.cellphone[-4:]}",
                "devices": [device.name for device in user.active_devices],
                "has_hard_token": False,
                "account_disabled": False,
                "detailed_devices": [_detailed(d) for d in user.active_devices],
                "deleted_devices": [_detailed(d) for d in user.devices if not d.active],
            },
            "message": "User status.",
            "success": True,
        }

    def users_delete(self, request: Request) -> object:
        self.backend.delete_user(_authy_id(request))
        # authy-ruby spec, authy-client mocks: Authy's own (odd) wording.
        return {"message": "User was added to remove.", "success": True}

    # Tokens -----------------------------------------------------------------------------------

    def sms(self, request: Request) -> object:
        return self._send_token(request, "sms")

    def call(self, request: Request) -> object:
        return self._send_token(request, "call")

    def _send_token(self, request: Request, channel: Literal["sms", "call"]) -> object:
        fields = _fields(request)
        sent = self.backend.request_token(
            _authy_id(request),
            channel=channel,
            force=_truthy(fields.get("force")),
            action=_text(fields.get("action")),
            action_message=_text(fields.get("action_message")),
            locale=_text(fields.get("locale")),
        )
        cellphone = masked_cellphone(sent.user)
        if sent.ignored:
            message = SMS_IGNORED if channel == "sms" else CALL_IGNORED
            return {
                "success": True,
                "message": message,
                "cellphone": cellphone,
                "device": sent.device,
                "ignored": True,
            }
        message = "SMS token was sent" if channel == "sms" else "Call started..."
        return {"success": True, "message": message, "cellphone": cellphone}

    def verify(self, request: Request) -> object:
        fields = _fields(request)
        self.backend.verify(
            _authy_id(request),
            unquote(request.params["token"]),
            force=_truthy(fields.get("force")),
            action=_text(fields.get("action")),
        )
        return dict(TOKEN_VALID)

    # OneTouch ---------------------------------------------------------------------------------

    def approval_requests_create(self, request: Request) -> object:
        fields = _fields(request)
        raw_seconds = _text(fields.get("seconds_to_expire"))
        if raw_seconds in (None, ""):
            seconds = DEFAULT_SECONDS_TO_EXPIRE
        elif raw_seconds.isascii() and raw_seconds.isdigit() and len(raw_seconds) <= 10:
            seconds = int(raw_seconds)
            if seconds > MAX_SECONDS_TO_EXPIRE:
                raise InvalidParameter("Invalid parameter: seconds_to_expire")
        else:
            raise InvalidParameter("Invalid parameter: seconds_to_expire")
        created = self.backend.create_approval_request(
            _authy_id(request),
            _text(fields.get("message")) or "",
            details=_strings(fields.get("details")),
            hidden_details=_strings(fields.get("hidden_details")),
            logos=_logos(fields.get("logos")),
            seconds_to_expire=seconds,
        )
        return {"approval_request": {"uuid": created.uuid}, "success": True}

    def approval_requests_status(self, request: Request) -> object:
        uuid = unquote(request.params["uuid"])
        status = self.backend.status(uuid)
        found = self.backend.requests[uuid]
        return {"approval_request": self._approval_body(found, status), "success": True}

    def _approval_body(self, found: ApprovalRequest, status: str) -> dict[str, object]:
        updated = found.processed_at
        if status == "expired":
            updated = found.expires_at
        return {
            "_app_name": self.backend.app_name,
            "_app_serial_id": self.backend.app_serial_id,
            "_authy_id": str(found.authy_id),
            "_id": found.id,
            "_user_email": found.user_email,
            "app_id": self.backend.app_id,
            "created_at": _iso(found.created_at),
            "notified": found.notified,
            "processed_at": _iso(found.processed_at) if found.processed_at is not None else None,
            "status": status,
            "updated_at": _iso(updated if updated is not None else found.created_at),
            "user_id": found.user_id,
            "uuid": found.uuid,
        }

    def __repr__(self) -> str:
        return f"AuthyService(users={len(self.backend.users)}, exchanges={len(self.exchanges)})"


def masked_cellphone(user: User) -> str:
    """``+351-XXX-XXX-XX67``: the country code, a fixed mask and the last two digits, whatever
    the number's length (standards.md 6.4 shows it for a 9-digit Portuguese mobile, as
    uphold-forks/authy-client's tests register ``911234567``)."""
    return f"+{user.country_code}-XXX-XXX-XX{user.cellphone[-2:]}"


def _detailed(device: Device) -> dict[str, object]:
    # The entries of "detailed_devices" as twilio/authy-dotnet's tests record them.
    return {
        "device_type": "authy",
        "os_type": device.os_type,
        "creation_date": int(device.registered_at),
    }


def _iso(unix: float) -> str:
    """``2026-01-01T00:00:00.000Z``, as the approval request bodies write times."""
    moment = to_datetime(unix)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- reading requests --------------------------------------------------------------------------

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_MAX_KEY_DEPTH = 8  # logos[][url] is 3 deep; past this a key is an attack, not a request
MAX_SECONDS_TO_EXPIRE = 10 * 365 * 86400  # the fake's bound: a decade is no approval request
_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")


def _fields(request: Request) -> dict[str, Any]:
    """Query and body as nested data: Rails-style form keys, or a JSON object body."""
    query = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    fields = _nest(query)
    content_type = (request.header("Content-Type") or "").lower()
    if "json" in content_type and request.body.strip():
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            raise InvalidRequest("Invalid request: the body is not JSON") from None
        if not isinstance(data, dict):
            raise InvalidRequest("Invalid request: the body is not a JSON object")
        fields.update(data)
    elif request.body:
        for key, value in _nest(parse_qsl(request.body, keep_blank_values=True)).items():
            fields.setdefault(key, value)
    return fields


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.fullmatch(key)
        path = [match.group(1), *_BRACKETS.findall(match.group(2))] if match else [key]
        if len(path) > _MAX_KEY_DEPTH:
            raise InvalidRequest(f"Invalid request: parameter {path[0]!r} is nested too deeply")
        _put(root, path, value)
    return root


def _put(container: dict[str, Any], path: list[str], value: str) -> None:
    head, tail = path[0], path[1:]
    if not tail:
        container.setdefault(head, value)
    elif tail[0] == "":
        items = container.setdefault(head, [])
        if not isinstance(items, list):
            return
        if len(tail) == 1:
            items.append(value)
            return
        # A list of objects (logos[][res]=..&logos[][url]=..): a key seen again starts the next.
        if not items or not isinstance(items[-1], dict) or tail[1] in items[-1]:
            items.append({})
        _put(items[-1], tail[1:], value)
    else:
        inner = container.setdefault(head, {})
        if isinstance(inner, dict):
            _put(inner, tail, value)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _truthy(value: object) -> bool:
    return (_text(value) or "").lower() in ("true", "1")


def _strings(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): _text(v) or "" for k, v in value.items()}


def _logos(value: object) -> list[dict[str, str]]:
    if isinstance(value, dict):  # logos[0][res]=...: indexed instead of appended
        value = [value[k] for k in sorted(value, key=lambda k: (len(k), k))]
    if not isinstance(value, list):
        return []
    return [_strings(logo) for logo in value if isinstance(logo, dict)]


def _authy_id(request: Request) -> int:
    raw = unquote(request.params["authy_id"])
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise UserNotFound()
    return int(raw)
