"""The Authy backend: users, their devices, SMS and voice tokens, OneTouch approval requests.

Plain state and logic, no HTTP (moto's ``models.py``); :mod:`.handlers` turns requests into calls
here. Time is the world's clock, randomness the service's seeded stream (one sub-stream per kind of
value, so that drawing more of one never shifts another). Failures raise the
:mod:`.exceptions` the API answers with.

Approval requests follow virtual time, like moto's ``ManagedState`` with a time progression: a
request is *pending* until a device answers it (*approved* or *denied*) or until its deadline
``created + seconds_to_expire``, from which instant on it is *expired*. A final status never
changes again, even if the clock is later set back.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from twofa_sim.core.clock import Clock
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.providers.authy.exceptions import (
    ApprovalRequestClosed,
    ApprovalRequestNotFound,
    InvalidParameter,
    TokenInvalid,
    UserNotFound,
    UserNotValid,
)
from twofa_sim.providers.authy.signature import NONCE_HEADER, SIGNATURE_HEADER, sign
from twofa_sim.providers.authy.tokens import (
    APP_TOKEN_PERIOD,
    APP_TOKEN_STEPS_BACK,
    SMS_TOKEN_DIGITS,
    SMS_TOKEN_LIFETIME,
    authy_token,
    well_formed,
)
from twofa_sim.providers.network import SmsNetwork

__all__ = [
    "DEFAULT_SECONDS_TO_EXPIRE",
    "MAX_MESSAGE_LENGTH",
    "ApprovalRequest",
    "ApprovalStatus",
    "AuthyBackend",
    "Callback",
    "Device",
    "TokenRequest",
    "User",
    "VerifiedBy",
]

DEFAULT_SECONDS_TO_EXPIRE = 86400
"""A day: the gap between ``created_at_time`` and ``expiration_timestamp`` in the real callbacks
of twilio/authy-java's ``TestAuthyUtil``."""
MAX_MESSAGE_LENGTH = 200
"""authy-python ``MAX_STRING_SIZE``: clients cut the message to 200 characters."""
DEVICE_SECRET_BYTES = 20
"""160 bits, RFC 4226 R6's recommended length."""

ApprovalStatus = Literal["pending", "approved", "denied", "expired"]
VerifiedBy = Literal["app", "sms", "call", "unenforced"]
"""How a verification passed; ``unenforced`` is the quirk of a user who has not completed
registration, verified without ``force=true``: any well-formed token passes."""

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_OS_TYPES = {"iphone": "ios", "ipad": "ios", "android": "android", "android_tablet": "android"}


@dataclass(eq=False)
class Device:
    """A phone or desktop running the Authy app for one user, with its own TOTP secret."""

    id: int
    authy_id: int
    name: str
    secret: bytes = field(repr=False)
    registered_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def os_type(self) -> str:
        return _OS_TYPES.get(self.name, "unknown")

    def token_at(self, at: float) -> str:
        """The token the app on this device shows at ``at`` (the device's own clock reading)."""
        return authy_token(self.secret, at)


@dataclass(eq=False)
class User:
    """An Authy user of this application: matched by country code and cellphone."""

    authy_id: int
    email: str
    cellphone: str
    """National number, digits only."""
    country_code: int
    created_at: float
    user_id: str
    """Authy's internal ID, shown as ``user_id`` in approval requests."""
    confirmed: bool = False
    """True once the user has verified a genuine token."""
    devices: list[Device] = field(default_factory=list)

    @property
    def id(self) -> int:
        """The Authy ID (``authy_id``), by the name the API's ``user`` object gives it."""
        return self.authy_id

    @property
    def phone(self) -> str:
        """E.164: ``+`` country code, national number."""
        return f"+{self.country_code}{self.cellphone}"

    @property
    def active_devices(self) -> list[Device]:
        return [device for device in self.devices if device.active]

    @property
    def registered(self) -> bool:
        """True while the user has the Authy app on a device."""
        return bool(self.active_devices)


@dataclass(eq=False)
class SmsToken:
    """A token sent by SMS or read out by a voice call; valid once, for 10 minutes."""

    authy_id: int
    code: str = field(repr=False)
    channel: Literal["sms", "call"]
    issued_at: float
    expires_at: float
    action: str | None = None
    locale: str | None = None
    used_at: float | None = None


@dataclass(frozen=True)
class TokenRequest:
    """What ``sms/{id}`` or ``call/{id}`` did: sent a token, or ignored the request."""

    user: User
    ignored: bool
    device: str | None = None
    """The user's device name when ignored (the user has the app)."""


@dataclass(eq=False)
class ApprovalRequest:
    """A OneTouch push to a user's devices."""

    uuid: str
    id: str
    authy_id: int
    user_id: str
    user_email: str
    message: str
    details: dict[str, str]
    hidden_details: dict[str, str]
    logos: list[dict[str, str]]
    created_at: float
    seconds_to_expire: int
    notified: bool
    final: ApprovalStatus | None = None
    processed_at: float | None = None
    device_id: int | None = None

    @property
    def expires_at(self) -> float:
        return self.created_at + self.seconds_to_expire


@dataclass(frozen=True)
class Callback:
    """A signed callback Authy would send to the application when a request is answered."""

    at: float
    url: str
    method: str
    headers: Mapping[str, str]
    params: Mapping[str, object]
    """The JSON body."""


class AuthyBackend:
    """The state behind one Authy application (one API key)."""

    def __init__(
        self,
        clock: Clock,
        rng: SeededRandom,
        network: SmsNetwork,
        *,
        api_key: str,
        app_name: str = "twofa-sim",
        callback_url: str | None = None,
        sms_sender: str = "Authy",
    ) -> None:
        self.clock = clock
        self.network = network
        self.api_key = api_key
        self.app_name = app_name
        self.callback_url = callback_url
        self.sms_sender = sms_sender
        self._ids = rng.stream("ids")
        self._codes = rng.stream("codes")
        self._secrets = rng.stream("secrets")
        app = rng.stream("app")
        self.app_id = app.hex(24)
        self.app_serial_id = app.randint(10_000, 99_999)
        self.users: dict[int, User] = {}
        self.tokens: list[SmsToken] = []
        self.requests: dict[str, ApprovalRequest] = {}
        self.callbacks: list[Callback] = []

    def reset(self) -> None:
        """Forget users, tokens, approval requests and callbacks (the key and settings stay)."""
        self.users.clear()
        self.tokens.clear()
        self.requests.clear()
        self.callbacks.clear()

    # Users ------------------------------------------------------------------------------------

    def create_user(self, email: str, cellphone: str, country_code: int | str = 1) -> User:
        """Register a user, or return the one with that country code and cellphone.

        authy-python's README: "User is matched based on cellphone and country code not e-mail
        ... Creating the same user twice will return the same user id."
        """
        fields: dict[str, str] = {}
        if not _EMAIL.fullmatch(email):
            fields["email"] = "is invalid"
        number = _PHONE_SEPARATORS.sub("", cellphone)
        if not (number.isascii() and number.isdigit() and 6 <= len(number) <= 14):
            fields["cellphone"] = "is invalid"
        code = str(country_code).lstrip("+")
        if not (code.isascii() and code.isdigit() and len(code) <= 4 and 1 <= int(code) <= 999):
            fields["country_code"] = "is not supported"
        if fields:
            raise UserNotValid(fields=fields)
        for user in self.users.values():
            if user.country_code == int(code) and user.cellphone == number:
                return user
        authy_id = self._ids.randint(100_000, 999_999_999)
        while authy_id in self.users:
            authy_id = self._ids.randint(100_000, 999_999_999)
        user = User(authy_id, email, number, int(code), self.clock.now(), self._ids.hex(24))
        self.users[authy_id] = user
        return user

    def user(self, authy_id: int) -> User:
        found = self.users.get(authy_id)
        if found is None:
            raise UserNotFound()
        return found

    def delete_user(self, authy_id: int) -> None:
        self.user(authy_id)
        del self.users[authy_id]

    def send_install_link(self, user: User) -> None:
        """The SMS ``send_install_link_via_sms`` asks for."""
        self.network.send(
            sid=self._ids.uuid(),
            sender=self.sms_sender,
            to=user.phone,
            body=f"Install Authy to get your {self.app_name} tokens: https://authy.com/download/",
            provider="authy",
        )

    # Devices ----------------------------------------------------------------------------------

    def register_device(self, authy_id: int, *, name: str = "iphone") -> Device:
        """The user installs the Authy app on a device: it gets an ID and a secret of its own."""
        user = self.user(authy_id)
        device = Device(
            self._ids.randint(1_000_000, 99_999_999),
            authy_id,
            name,
            self._secrets.randbytes(DEVICE_SECRET_BYTES),
            self.clock.now(),
        )
        user.devices.append(device)
        return device

    def revoke_device(self, authy_id: int, device_id: int) -> Device:
        """Remove a device from the user: its tokens stop verifying at once."""
        for device in self.user(authy_id).active_devices:
            if device.id == device_id:
                device.revoked_at = self.clock.now()
                return device
        raise InvalidParameter("Invalid parameter: device_id")

    # Tokens -----------------------------------------------------------------------------------

    def request_token(
        self,
        authy_id: int,
        *,
        channel: Literal["sms", "call"] = "sms",
        force: bool = False,
        action: str | None = None,
        action_message: str | None = None,
        locale: str | None = None,
    ) -> TokenRequest:
        """Send a token by SMS (or voice call); ignored for a user with the app unless forced."""
        user = self.user(authy_id)
        if user.registered and not force:
            return TokenRequest(user, ignored=True, device=user.active_devices[0].name)
        now = self.clock.now()
        code = self._codes.digits(SMS_TOKEN_DIGITS)
        expires = now + SMS_TOKEN_LIFETIME
        self.tokens.append(
            SmsToken(authy_id, code, channel, now, expires, action or None, locale or None)
        )
        if channel == "sms":
            body = f"Your {self.app_name} verification code is: {code}"
            if action_message:
                body += f" ({action_message})"
            self.network.send(
                sid=self._ids.uuid(),
                sender=self.sms_sender,
                to=user.phone,
                body=body,
                provider="authy",
            )
        return TokenRequest(user, ignored=False)

    def calls(self, authy_id: int | None = None) -> list[SmsToken]:
        """Tokens read out by voice calls (to ``authy_id``, or to anyone)."""
        return [
            t
            for t in self.tokens
            if t.channel == "call" and (authy_id is None or t.authy_id == authy_id)
        ]

    def verify(
        self, authy_id: int, token: str, *, force: bool = True, action: str | None = None
    ) -> VerifiedBy:
        """Accept ``token`` or raise :class:`TokenInvalid`.

        Good tokens: the current or previous 10 s step of any of the user's active devices (an
        app token may be used again while it is current, as nothing documents otherwise), or an
        unused, unexpired SMS or voice token of the same ``action`` (used once). Without
        ``force``, a user who has neither the app nor a confirmed token is not checked at all.
        """
        user = self.user(authy_id)
        if not well_formed(token):
            raise InvalidParameter("Token format is invalid")
        if not force and not (user.registered or user.confirmed):
            return "unenforced"
        now = self.clock.now()
        steps = range(APP_TOKEN_STEPS_BACK + 1)
        for device in user.active_devices:
            if any(
                hmac.compare_digest(device.token_at(now - back * APP_TOKEN_PERIOD), token)
                for back in steps
            ):
                user.confirmed = True
                return "app"
        for sent in self.tokens:
            if (
                sent.authy_id == authy_id
                and sent.used_at is None
                and now < sent.expires_at
                and sent.action == (action or None)
                and hmac.compare_digest(sent.code, token)
            ):
                sent.used_at = now
                user.confirmed = True
                return sent.channel
        raise TokenInvalid()

    # OneTouch ---------------------------------------------------------------------------------

    def create_approval_request(
        self,
        authy_id: int,
        message: str,
        *,
        details: Mapping[str, str] | None = None,
        hidden_details: Mapping[str, str] | None = None,
        logos: Sequence[Mapping[str, str]] = (),
        seconds_to_expire: int = DEFAULT_SECONDS_TO_EXPIRE,
    ) -> ApprovalRequest:
        """Push an approval request to the user's devices."""
        user = self.user(authy_id)
        if not message or len(message) > MAX_MESSAGE_LENGTH:
            raise InvalidParameter("Invalid parameter: message")
        if isinstance(seconds_to_expire, bool) or seconds_to_expire < 1:
            raise InvalidParameter("Invalid parameter: seconds_to_expire")
        request = ApprovalRequest(
            uuid=self._ids.uuid(),
            id=self._ids.hex(24),
            authy_id=authy_id,
            user_id=user.user_id,
            user_email=user.email,
            message=message,
            details=dict(details or {}),
            hidden_details=dict(hidden_details or {}),
            logos=[dict(logo) for logo in logos],
            created_at=self.clock.now(),
            seconds_to_expire=seconds_to_expire,
            notified=user.registered,
        )
        self.requests[request.uuid] = request
        return request

    def approval_request(self, uuid: str) -> ApprovalRequest:
        found = self.requests.get(uuid)
        if found is None:
            raise ApprovalRequestNotFound()
        return found

    def status(self, uuid: str) -> ApprovalStatus:
        """The request's status now: final once answered or expired, pending before."""
        request = self.approval_request(uuid)
        if request.final is None and self.clock.now() >= request.expires_at:
            request.final = "expired"
        return request.final or "pending"

    def pending_requests(self, authy_id: int) -> list[ApprovalRequest]:
        """The user's requests still waiting for an answer, oldest first (what the app shows)."""
        return [
            r
            for r in self.requests.values()
            if r.authy_id == authy_id and self.status(r.uuid) == "pending"
        ]

    def respond(self, uuid: str, approve: bool, *, device_id: int | None = None) -> ApprovalRequest:
        """A device approves or denies a request (what the Authy app does); refused once the
        request has expired or was already answered. Records the signed callback, if any."""
        status = self.status(uuid)
        request = self.requests[uuid]
        if status != "pending":
            raise ApprovalRequestClosed(f"Approval request is {status}")
        devices = self.user(request.authy_id).active_devices
        device = next((d for d in devices if device_id in (None, d.id)), None)
        if device is None:
            raise InvalidParameter("Invalid parameter: device_id")
        request.final = "approved" if approve else "denied"
        request.processed_at = self.clock.now()
        request.device_id = device.id
        if self.callback_url:
            self._record_callback(request, device, self.callback_url)
        return request

    def _record_callback(self, request: ApprovalRequest, device: Device, url: str) -> None:
        now = self.clock.now()
        # The shape of the real callbacks in twilio/authy-java TestAuthyUtil (a subset).
        params: dict[str, object] = {
            "authy_id": request.authy_id,
            "device_uuid": device.id,
            "callback_action": "approval_request_status",
            "uuid": request.uuid,
            "status": request.final,
            "approval_request": {
                "transaction": {
                    "details": request.details or None,
                    "device_details": {},
                    "device_geolocation": "",
                    "device_signing_time": int(now),
                    "encrypted": False,
                    "flagged": False,
                    "hidden_details": request.hidden_details or None,
                    "message": request.message,
                    "reason": "",
                    "requester_details": None,
                    "status": request.final,
                    "uuid": request.uuid,
                    "created_at_time": int(request.created_at),
                    "customer_uuid": self.app_serial_id,
                },
                "expiration_timestamp": int(request.expires_at),
                "logos": request.logos or None,
                "app_id": self.app_id,
            },
            "device": {
                "id": device.id,
                "os_type": device.os_type,
                "registration_date": int(device.registered_at),
            },
        }
        nonce = str(int(now))
        headers = {
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: sign(self.api_key, nonce, "POST", url, params),
        }
        self.callbacks.append(Callback(now, url, "POST", headers, params))
