"""The Verify v2 backend: services, verifications, entities, TOTP and push factors, challenges.

Plain state and logic, no HTTP (moto's ``models.py``); :mod:`.handlers` turns requests into calls
here. Time is the world's clock; randomness the service's seeded stream, one sub-stream per kind of
value (SIDs, codes, secrets) so that drawing more of one never shifts another. Failures raise the
:mod:`.exceptions` Verify answers with.

Verifications (Twilio's documented limits, ../shared/reference/twilio-verify.md)::

    start ── pending ──── right code (check) or Status=approved ───────── approved
                     ├─── Status=canceled ──────────────────────────────── canceled
                     ├─── 5th wrong code ── max_attempts_reached ──┐
                     └─── 10 minutes after the first send ─────────┴────── expired

- Starting a verification for a ``To`` that has a pending one re-sends *the same code* on the
  same verification (same SID; ``send_code_attempts`` grows); the 6th send is refused (60203)
  until the verification is approved, canceled or expired. The code stays valid 10 minutes from
  the first send: re-sending does not extend it.
- A check after the 5th wrong one answers 60202; a verification that is approved, canceled or
  expired is gone: fetching, updating or checking it answers 404 (20404). One that reached its
  check limit can still be fetched and canceled; starting a new one for its ``To`` answers 60202
  until it expires (the fake's choice: Twilio says "wait until the current verification
  expires").

Factors and challenges: a TOTP factor accepts the code of the current step and ``skew`` steps
either way; a wrong code leaves a factor ``unverified`` (5 wrong codes: 60310) and a challenge
``pending`` (5 wrong codes: 60308), as Verify answers since October 2021. A challenge is
``pending`` until answered (``approved``/``denied``) or until its expiration date (default 5
minutes, at most 1 hour), from which instant on it is ``expired``. Push challenges are answered by
the phone's app (:meth:`VerifyBackend.respond`), as the Verify Push SDK does with its signed
payload; the REST API cannot answer them.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import quote

from twofa_sim.core.clock import Clock
from twofa_sim.core.otp import totp
from twofa_sim.core.phone import is_possible_e164
from twofa_sim.core.secret import decode_secret, encode_secret
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import SecretError
from twofa_sim.providers.network import SmsNetwork
from twofa_sim.providers.verify.exceptions import (
    ChallengeAlreadyResponded,
    ChallengeAttemptsReached,
    ChallengeExpired,
    ChallengeVerificationFailed,
    FactorAttemptsReached,
    FactorUnverified,
    FactorVerificationFailed,
    FeatureNotSupported,
    InvalidParameter,
    MaxCheckAttempts,
    MaxSendAttempts,
    NoTargetVerification,
    ResourceNotFound,
)

__all__ = [
    "CODE_LIFETIME",
    "DEFAULT_CHALLENGE_TTL",
    "MAX_CHALLENGE_TTL",
    "MAX_CHECK_ATTEMPTS",
    "MAX_SEND_ATTEMPTS",
    "Challenge",
    "ChallengeStatus",
    "Channel",
    "Entity",
    "Factor",
    "FactorType",
    "OutOfBand",
    "SendAttempt",
    "Service",
    "Verification",
    "VerificationStatus",
    "VerifyBackend",
]

Channel = Literal["sms", "call", "email"]
VerificationStatus = Literal["pending", "approved", "canceled", "max_attempts_reached", "expired"]
FactorType = Literal["totp", "push"]
ChallengeStatus = Literal["pending", "approved", "denied", "expired"]
TotpAlg = Literal["sha1", "sha256", "sha512"]

CODE_LIFETIME = 600.0
"""A verification (and its code) lives 10 minutes from its first send."""
MAX_CHECK_ATTEMPTS = 5
MAX_SEND_ATTEMPTS = 5
MAX_FACTOR_ATTEMPTS = 5
MAX_CHALLENGE_ATTEMPTS = 5
DEFAULT_CHALLENGE_TTL = 300.0
MAX_CHALLENGE_TTL = 3600.0
SECRET_BYTES = 20
"""160 bits: Verify's generated secrets are 32 base32 characters."""

CHANNELS: tuple[str, ...] = get_args(Channel)
UNSUPPORTED_CHANNELS = ("whatsapp", "sna", "auto", "rcs")
"""Real Verify channels the fake does not simulate (60204)."""
TOTP_ALGS: tuple[str, ...] = get_args(TotpAlg)
PUSH_PLATFORMS = ("apn", "fcm", "none")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_IDENTITY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{6,62})[A-Za-z0-9]")
_DO_NOT_SHARE = " Don't share this code with anyone; our employees will never ask for the code."


@dataclass(eq=False)
class Service:
    """A Verify Service (``VA…``): the code length, message name and TOTP defaults."""

    sid: str
    account_sid: str
    friendly_name: str
    created_at: float
    updated_at: float
    code_length: int = 6
    custom_code_enabled: bool = False
    do_not_share_warning_enabled: bool = False
    lookup_enabled: bool = False
    totp_issuer: str | None = None
    """None: the friendly name (Verify's default)."""
    totp_time_step: int = 30
    totp_code_length: int = 6
    totp_skew: int = 1

    @property
    def issuer(self) -> str:
        return self.totp_issuer or self.friendly_name


@dataclass(frozen=True)
class SendAttempt:
    """One send of a verification's code (``send_code_attempts``)."""

    sid: str
    channel: Channel
    at: float


@dataclass(eq=False)
class Verification:
    """One verification (``VE…``): a code sent to ``to``, checked at most 5 times in 10 minutes."""

    sid: str
    service_sid: str
    account_sid: str
    to: str
    channel: Channel
    code: str = field(repr=False)
    created_at: float
    updated_at: float
    sends: list[SendAttempt] = field(default_factory=list)
    checks: int = 0
    """Check attempts made (right or wrong)."""
    final: VerificationStatus | None = None
    """``approved``, ``canceled`` or ``max_attempts_reached`` once decided."""

    @property
    def expires_at(self) -> float:
        return self.created_at + CODE_LIFETIME

    def status_at(self, now: float) -> VerificationStatus:
        if self.final in ("approved", "canceled"):
            return self.final
        if now >= self.expires_at:
            return "expired"
        return self.final or "pending"

    def updated_at_time(self, now: float) -> float:
        """When the status last changed, as of ``now`` (expiry counts)."""
        if self.status_at(now) == "expired":
            return self.expires_at
        return self.updated_at


@dataclass(frozen=True)
class OutOfBand:
    """A code read out by a voice call or sent by e-mail (SMS go through the network)."""

    channel: Literal["call", "email"]
    to: str
    body: str
    verification_sid: str
    at: float


@dataclass(eq=False)
class Entity:
    """A user of the service (``YE…``), named by the application's ``identity``."""

    sid: str
    service_sid: str
    identity: str
    created_at: float


@dataclass(eq=False)
class Factor:
    """A TOTP secret or a push device (``YF…``) of an entity."""

    sid: str
    service_sid: str
    entity_sid: str
    identity: str
    friendly_name: str
    factor_type: FactorType
    created_at: float
    updated_at: float
    status: Literal["unverified", "verified"] = "unverified"
    secret: bytes = field(default=b"", repr=False)
    alg: TotpAlg = "sha1"
    time_step: int = 30
    skew: int = 1
    code_length: int = 6
    issuer: str = ""
    push_config: dict[str, str] = field(default_factory=dict)
    public_key: str = ""
    failed_attempts: int = 0

    def code_at(self, at: float) -> str:
        """The TOTP code an authenticator app shows at ``at`` for this factor (3 to 8 digits:
        the last digits of the 8-digit code, RFC 4226's truncation modulo 10**n)."""
        code = totp(self.secret, at, digits=8, algorithm=self.alg, period=self.time_step)
        return code[-self.code_length :]

    def accepts(self, code: str, at: float) -> bool:
        """Whether ``code`` is the code of the step at ``at`` or ``skew`` steps either side."""
        if len(code) != self.code_length:
            return False
        return any(
            hmac.compare_digest(self.code_at(at + k * self.time_step), code)
            for k in range(-self.skew, self.skew + 1)
        )

    @property
    def secret_base32(self) -> str:
        return encode_secret(self.secret)

    @property
    def uri(self) -> str:
        """The ``otpauth://`` URI Verify returns in ``binding.uri`` (issuer, then algorithm,
        digits, period, as in Verify's example)."""
        label = f"{quote(self.issuer, safe='')}:{quote(self.friendly_name, safe='')}"
        return (
            f"otpauth://totp/{label}?secret={self.secret_base32}"
            f"&issuer={quote(self.issuer, safe='')}&algorithm={self.alg.upper()}"
            f"&digits={self.code_length}&period={self.time_step}"
        )


@dataclass(eq=False)
class Challenge:
    """A challenge (``YC…``): a TOTP code to check, or a push the phone answers."""

    sid: str
    service_sid: str
    entity_sid: str
    identity: str
    factor_sid: str
    factor_type: FactorType
    created_at: float
    expires_at: float
    message: str | None
    fields: list[dict[str, str]]
    hidden_details: dict[str, object] | None
    updated_at: float
    final: Literal["approved", "denied"] | None = None
    responded_at: float | None = None
    failed_attempts: int = 0

    def status_at(self, now: float) -> ChallengeStatus:
        if self.final is not None:
            return self.final
        return "expired" if now >= self.expires_at else "pending"

    def updated_at_time(self, now: float) -> float:
        if self.status_at(now) == "expired":
            return self.expires_at
        return self.updated_at


class VerifyBackend:
    """The Verify state of one Twilio account: its services and everything under them."""

    def __init__(
        self,
        clock: Clock,
        rng: SeededRandom,
        network: SmsNetwork,
        *,
        account_sid: str,
        auth_token: str,
        sms_sender: str = "Verify",
    ) -> None:
        self.clock = clock
        self.network = network
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sms_sender = sms_sender
        self._ids = rng.stream("ids")
        self._codes = rng.stream("codes")
        self._secrets = rng.stream("secrets")
        self.services: dict[str, Service] = {}
        self.verifications: dict[str, Verification] = {}
        self._by_to: dict[str, list[Verification]] = {}  # the same, per number: cheap lookups
        self.out_of_band: list[OutOfBand] = []
        """Codes read out by calls and sent by e-mail, oldest first."""
        self.entities: dict[tuple[str, str], Entity] = {}
        self.factors: dict[str, Factor] = {}
        self.challenges: dict[str, Challenge] = {}

    def reset(self) -> None:
        """Forget everything (credentials stay; the shared network is left alone)."""
        self.services.clear()
        self.verifications.clear()
        self._by_to.clear()
        self.out_of_band.clear()
        self.entities.clear()
        self.factors.clear()
        self.challenges.clear()

    def authenticate(self, username: str, password: str) -> bool:
        """Whether HTTP Basic credentials are this account's SID and auth token."""
        sid_ok = hmac.compare_digest(username.encode(), self.account_sid.encode())
        token_ok = hmac.compare_digest(password.encode(), self.auth_token.encode())
        return sid_ok and token_ok

    def _sid(self, prefix: str) -> str:
        return self._ids.sid(prefix)

    # Services ---------------------------------------------------------------------------------

    def create_service(
        self,
        friendly_name: str | None,
        *,
        code_length: int = 6,
        custom_code_enabled: bool = False,
        do_not_share_warning_enabled: bool = False,
        lookup_enabled: bool = False,
        totp_issuer: str | None = None,
        totp_time_step: int = 30,
        totp_code_length: int = 6,
        totp_skew: int = 1,
    ) -> Service:
        """A new service; 60200 for a missing name (or one over 32 characters) and for settings
        outside Verify's ranges (code length 4-10; TOTP step 20-60 s, length 3-8, skew 0-2)."""
        if not friendly_name:
            raise InvalidParameter.missing("FriendlyName")
        if len(friendly_name) > 32:
            raise InvalidParameter.bad("FriendlyName", friendly_name)
        _in_range("CodeLength", code_length, 4, 10)
        _in_range("Totp.TimeStep", totp_time_step, 20, 60)
        _in_range("Totp.CodeLength", totp_code_length, 3, 8)
        _in_range("Totp.Skew", totp_skew, 0, 2)
        now = self.clock.now()
        service = Service(
            self._sid("VA"),
            self.account_sid,
            friendly_name,
            now,
            now,
            code_length=code_length,
            custom_code_enabled=custom_code_enabled,
            do_not_share_warning_enabled=do_not_share_warning_enabled,
            lookup_enabled=lookup_enabled,
            totp_issuer=totp_issuer or None,
            totp_time_step=totp_time_step,
            totp_code_length=totp_code_length,
            totp_skew=totp_skew,
        )
        self.services[service.sid] = service
        return service

    def service(self, sid: str) -> Service:
        found = self.services.get(sid)
        if found is None:
            raise ResourceNotFound()
        return found

    # Verifications ----------------------------------------------------------------------------

    def current(self, service_sid: str, to: str) -> Verification | None:
        """The verification of ``to`` that is still open (pending, or at its check limit)."""
        now = self.clock.now()
        for verification in reversed(self._by_to.get(to, [])):
            if (
                verification.service_sid == service_sid
                and verification.to == to
                and verification.status_at(now) in ("pending", "max_attempts_reached")
            ):
                return verification
        return None

    def start_verification(
        self,
        service_sid: str,
        to: str | None,
        channel: str | None,
        *,
        custom_code: str | None = None,
        custom_friendly_name: str | None = None,
    ) -> Verification:
        """Send a code to ``to`` by ``channel``: a new verification, or the same code again on
        the pending one (see the module's notes for the limits)."""
        service = self.service(service_sid)
        if not to:
            raise InvalidParameter.missing("To")
        if not channel:
            raise InvalidParameter.missing("Channel")
        if channel in UNSUPPORTED_CHANNELS:
            raise FeatureNotSupported(f"Service does not support this feature: Channel {channel}")
        if channel not in CHANNELS:
            raise InvalidParameter.bad("Channel", channel)
        kind: Channel = "sms" if channel == "sms" else "call" if channel == "call" else "email"
        if kind == "email" and not _EMAIL.fullmatch(to):
            raise InvalidParameter.bad("To", to)
        if kind != "email" and not is_possible_e164(to):
            raise InvalidParameter.bad("To", to)
        if custom_code is not None:
            if not service.custom_code_enabled:
                raise FeatureNotSupported("Service does not support this feature: CustomCode")
            if not (
                4 <= len(custom_code) <= 10 and custom_code.isascii() and custom_code.isalnum()
            ):
                raise InvalidParameter.missing("CustomCode")
        if custom_friendly_name is not None and len(custom_friendly_name) > 30:
            raise InvalidParameter.bad("CustomFriendlyName", custom_friendly_name)
        now = self.clock.now()
        verification = self.current(service_sid, to)
        if verification is not None:
            if verification.status_at(now) == "max_attempts_reached":
                raise MaxCheckAttempts()
            if len(verification.sends) >= MAX_SEND_ATTEMPTS:
                raise MaxSendAttempts()
            verification.channel = kind
            verification.updated_at = now
            if custom_code is not None:
                verification.code = custom_code
        else:
            code = custom_code or self._codes.digits(service.code_length)
            verification = Verification(
                self._sid("VE"), service_sid, self.account_sid, to, kind, code, now, now
            )
            self.verifications[verification.sid] = verification
            self._by_to.setdefault(to, []).append(verification)
        verification.sends.append(SendAttempt(self._sid("VL"), kind, now))
        self._deliver(service, verification, custom_friendly_name or service.friendly_name)
        return verification

    def _deliver(self, service: Service, verification: Verification, name: str) -> None:
        body = f"Your {name} verification code is: {verification.code}"
        if service.do_not_share_warning_enabled:
            body += "." + _DO_NOT_SHARE
        now = self.clock.now()
        if verification.channel == "sms":
            self.network.send(
                sid=verification.sends[-1].sid,
                sender=self.sms_sender,
                to=verification.to,
                body=body,
                provider="verify",
            )
        else:
            self.out_of_band.append(
                OutOfBand(verification.channel, verification.to, body, verification.sid, now)
            )

    def verification(self, service_sid: str, sid: str) -> Verification:
        """The open verification ``sid`` (pending, or at its check limit); 20404 otherwise."""
        self.service(service_sid)
        found = self.verifications.get(sid)
        if found is None or found.service_sid != service_sid:
            raise ResourceNotFound()
        if found.status_at(self.clock.now()) not in ("pending", "max_attempts_reached"):
            raise ResourceNotFound()
        return found

    def update_verification(self, service_sid: str, sid: str, status: str | None) -> Verification:
        """``Status=canceled`` or ``approved`` on an open verification."""
        if not status:
            raise InvalidParameter.missing("Status")
        if status not in ("canceled", "approved"):
            raise InvalidParameter.bad("Status", status)
        verification = self.verification(service_sid, sid)
        verification.final = "approved" if status == "approved" else "canceled"
        verification.updated_at = self.clock.now()
        return verification

    def check(
        self,
        service_sid: str,
        code: str | None,
        *,
        to: str | None = None,
        verification_sid: str | None = None,
    ) -> Verification:
        """Check ``code`` against the verification named by SID (or the open one of ``to``).

        Right: approved. Wrong: still pending, or ``max_attempts_reached`` at the 5th wrong code.
        A check past the limit answers 60202; nothing open to check answers 20404. The code is
        never echoed in an error.
        """
        self.service(service_sid)
        if not code:
            raise InvalidParameter.missing("Code")
        if not 4 <= len(code) <= 10:
            raise InvalidParameter("Invalid parameter: Code")
        if not to and not verification_sid:
            raise NoTargetVerification()
        now = self.clock.now()
        found: Verification | None
        if verification_sid:
            found = self.verifications.get(verification_sid)
            if found is not None and found.service_sid != service_sid:
                found = None
        else:
            found = self.current(service_sid, to or "")
        status = found.status_at(now) if found is not None else None
        if found is None or status not in ("pending", "max_attempts_reached"):
            raise ResourceNotFound()
        if status == "max_attempts_reached":
            raise MaxCheckAttempts()
        found.checks += 1
        found.updated_at = now
        if hmac.compare_digest(found.code.encode(), code.encode()):
            found.final = "approved"
        elif found.checks >= MAX_CHECK_ATTEMPTS:
            found.final = "max_attempts_reached"
        return found

    # Entities ---------------------------------------------------------------------------------

    def create_entity(self, service_sid: str, identity: str | None) -> Entity:
        """A new entity; 60200 for an identity that is not 8-64 dash-separated alphanumerics, or
        one the service already has (the fake's choice)."""
        self.service(service_sid)
        checked = _identity(identity)
        if (service_sid, checked) in self.entities:
            raise InvalidParameter(f"Invalid parameter: Identity {checked} already exists")
        return self._entity(service_sid, checked)

    def _entity(self, service_sid: str, identity: str) -> Entity:
        entity = Entity(self._sid("YE"), service_sid, identity, self.clock.now())
        self.entities[(service_sid, identity)] = entity
        return entity

    def entity(self, service_sid: str, identity: str) -> Entity:
        self.service(service_sid)
        found = self.entities.get((service_sid, identity))
        if found is None:
            raise ResourceNotFound()
        return found

    # Factors ----------------------------------------------------------------------------------

    def create_factor(
        self,
        service_sid: str,
        identity: str,
        friendly_name: str | None,
        factor_type: str | None,
        *,
        secret: str | None = None,
        time_step: int | None = None,
        skew: int | None = None,
        code_length: int | None = None,
        alg: str | None = None,
        push: Mapping[str, str | None] | None = None,
    ) -> Factor:
        """A new ``unverified`` factor; the entity is created with its first factor, as Verify
        does. TOTP settings default to the service's; ``secret`` (base32) is drawn if absent.
        ``push``: ``public_key``, ``alg``, ``sdk_version``, ``app_id``,
        ``notification_platform``, ``notification_token`` (what the Verify Push SDK sends).
        """
        service = self.service(service_sid)
        checked = _identity(identity)
        if not friendly_name:
            raise InvalidParameter.missing("FriendlyName")
        if len(friendly_name) > 64:
            raise InvalidParameter.bad("FriendlyName", friendly_name)
        if not factor_type:
            raise InvalidParameter.missing("FactorType")
        if factor_type == "passkeys":
            raise FeatureNotSupported("Service does not support this feature: FactorType passkeys")
        if factor_type not in ("totp", "push"):
            raise InvalidParameter.bad("FactorType", factor_type)
        now = self.clock.now()
        factor = Factor(
            self._sid("YF"),
            service_sid,
            "",
            checked,
            friendly_name,
            "totp" if factor_type == "totp" else "push",
            now,
            now,
        )
        if factor.factor_type == "totp":
            factor.issuer = service.issuer
            factor.time_step = service.totp_time_step
            factor.skew = service.totp_skew
            factor.code_length = service.totp_code_length
            _configure_totp(factor, time_step, skew, code_length, alg)
            if secret is None:
                factor.secret = self._secrets.randbytes(SECRET_BYTES)
            else:
                try:
                    factor.secret = decode_secret(secret)
                except SecretError:
                    raise InvalidParameter("Invalid parameter: Binding.Secret") from None
        else:
            _configure_push(factor, push or {})
        # Only a valid factor creates its entity.
        entity = self.entities.get((service_sid, checked)) or self._entity(service_sid, checked)
        factor.entity_sid = entity.sid
        self.factors[factor.sid] = factor
        return factor

    def factor(self, service_sid: str, identity: str, sid: str) -> Factor:
        entity = self.entity(service_sid, identity)
        found = self.factors.get(sid)
        if found is None or found.entity_sid != entity.sid:
            raise ResourceNotFound()
        return found

    def list_factors(self, service_sid: str, identity: str) -> list[Factor]:
        entity = self.entity(service_sid, identity)
        return [f for f in self.factors.values() if f.entity_sid == entity.sid]

    def delete_factor(self, service_sid: str, identity: str, sid: str) -> None:
        self.factor(service_sid, identity, sid)
        del self.factors[sid]

    def update_factor(
        self,
        service_sid: str,
        identity: str,
        sid: str,
        *,
        auth_payload: str | None = None,
        friendly_name: str | None = None,
        time_step: int | None = None,
        skew: int | None = None,
        code_length: int | None = None,
        alg: str | None = None,
        notification_token: str | None = None,
    ) -> Factor:
        """Change a factor's settings and, with ``auth_payload``, verify a TOTP factor: the
        right code makes it ``verified``, a wrong one leaves it ``unverified``; after 5 wrong
        codes every attempt answers 60310. Push factors are verified by the phone
        (:meth:`confirm_push_factor`), not through the REST API (60311).
        """
        factor = self.factor(service_sid, identity, sid)
        if friendly_name is not None:
            if not friendly_name or len(friendly_name) > 64:
                raise InvalidParameter.bad("FriendlyName", friendly_name)
            factor.friendly_name = friendly_name
        now = self.clock.now()
        if factor.factor_type == "totp":
            _configure_totp(factor, time_step, skew, code_length, alg)
        elif notification_token is not None:
            factor.push_config["notification_token"] = notification_token
        factor.updated_at = now
        if auth_payload is None:
            return factor
        if factor.factor_type == "push":
            raise FactorVerificationFailed()
        if not 3 <= len(auth_payload) <= 8:
            raise InvalidParameter("Invalid parameter: AuthPayload")
        if factor.status == "verified":
            return factor
        if factor.failed_attempts >= MAX_FACTOR_ATTEMPTS:
            raise FactorAttemptsReached()
        if factor.accepts(auth_payload, now):
            factor.status = "verified"
        else:
            factor.failed_attempts += 1
        return factor

    # Challenges -------------------------------------------------------------------------------

    def create_challenge(
        self,
        service_sid: str,
        identity: str,
        factor_sid: str | None,
        *,
        auth_payload: str | None = None,
        expires_at: float | None = None,
        message: str | None = None,
        fields: Sequence[Mapping[str, str]] = (),
        hidden_details: Mapping[str, object] | None = None,
    ) -> Challenge:
        """A challenge for a verified factor (60318 otherwise). A TOTP challenge created with
        ``auth_payload`` is checked at once; a push challenge needs ``message``. Expiry defaults
        to 5 minutes and may be at most an hour ahead."""
        entity = self.entity(service_sid, identity)
        if not factor_sid:
            raise InvalidParameter.missing("FactorSid")
        factor = self.factors.get(factor_sid)
        if factor is None or factor.entity_sid != entity.sid:
            raise ResourceNotFound()
        if factor.status != "verified":
            raise FactorUnverified()
        now = self.clock.now()
        deadline = now + DEFAULT_CHALLENGE_TTL if expires_at is None else expires_at
        if not now < deadline <= now + MAX_CHALLENGE_TTL:
            raise InvalidParameter("Invalid parameter: ExpirationDate")
        if factor.factor_type == "push" and not message:
            raise InvalidParameter.missing("Details.Message")
        if message is not None and len(message) > 256:
            raise InvalidParameter("Invalid parameter: Details.Message")
        challenge = Challenge(
            self._sid("YC"),
            service_sid,
            entity.sid,
            entity.identity,
            factor.sid,
            factor.factor_type,
            now,
            deadline,
            message,
            [dict(f) for f in fields],
            None if hidden_details is None else dict(hidden_details),
            now,
        )
        self.challenges[challenge.sid] = challenge
        if auth_payload is not None and factor.factor_type == "totp":
            self._answer_totp(challenge, factor, auth_payload)
        return challenge

    def challenge(self, service_sid: str, identity: str, sid: str) -> Challenge:
        entity = self.entity(service_sid, identity)
        found = self.challenges.get(sid)
        if found is None or found.entity_sid != entity.sid:
            raise ResourceNotFound()
        return found

    def list_challenges(
        self, service_sid: str, identity: str, *, factor_sid: str | None = None
    ) -> list[Challenge]:
        entity = self.entity(service_sid, identity)
        return [
            c
            for c in self.challenges.values()
            if c.entity_sid == entity.sid and factor_sid in (None, c.factor_sid)
        ]

    def update_challenge(
        self, service_sid: str, identity: str, sid: str, auth_payload: str | None
    ) -> Challenge:
        """Answer a TOTP challenge with a code (a push challenge only from the phone: 60324)."""
        challenge = self.challenge(service_sid, identity, sid)
        if auth_payload is None:
            raise InvalidParameter.missing("AuthPayload")
        if challenge.factor_type == "push":
            raise ChallengeVerificationFailed()
        factor = self.factors.get(challenge.factor_sid)
        if factor is None:
            raise ResourceNotFound()
        self._answer_totp(challenge, factor, auth_payload)
        return challenge

    def _answer_totp(self, challenge: Challenge, factor: Factor, auth_payload: str) -> None:
        if not 3 <= len(auth_payload) <= 8:
            raise InvalidParameter("Invalid parameter: AuthPayload")
        now = self.clock.now()
        self._require_pending(challenge, now)
        if challenge.failed_attempts >= MAX_CHALLENGE_ATTEMPTS:
            raise ChallengeAttemptsReached()
        challenge.updated_at = now
        if factor.accepts(auth_payload, now):
            challenge.final = "approved"
            challenge.responded_at = now
        else:
            challenge.failed_attempts += 1

    @staticmethod
    def _require_pending(challenge: Challenge, now: float) -> None:
        status = challenge.status_at(now)
        if status == "expired":
            raise ChallengeExpired()
        if status != "pending":
            raise ChallengeAlreadyResponded()

    # The phone's side (what the Verify Push SDK does) -----------------------------------------

    def confirm_push_factor(self, factor_sid: str) -> Factor:
        """The app proves it holds the push factor's key: the factor becomes ``verified``."""
        factor = self.factors.get(factor_sid)
        if factor is None or factor.factor_type != "push":
            raise ResourceNotFound()
        factor.status = "verified"
        factor.updated_at = self.clock.now()
        return factor

    def enroll_push(self, service_sid: str, identity: str, friendly_name: str = "iPhone") -> Factor:
        """Register and verify a push factor in one go, as the SDK's ``createFactor`` does."""
        factor = self.create_factor(
            service_sid,
            identity,
            friendly_name,
            "push",
            push={
                "public_key": "fake-es256-" + self._secrets.hex(32),
                "alg": "ES256",
                "sdk_version": "3.0.0",
                "app_id": "com.example.twofa-sim",
                "notification_platform": "none",
            },
        )
        return self.confirm_push_factor(factor.sid)

    def pending_challenges(self, factor_sid: str) -> list[Challenge]:
        """Push challenges the phone of ``factor_sid`` has to answer now, oldest first."""
        now = self.clock.now()
        return [
            c
            for c in self.challenges.values()
            if c.factor_sid == factor_sid and c.status_at(now) == "pending"
        ]

    def respond(self, challenge_sid: str, approve: bool) -> Challenge:
        """The phone approves or denies a push challenge; 60323 once expired, 60322 once
        answered."""
        challenge = self.challenges.get(challenge_sid)
        if challenge is None or challenge.factor_type != "push":
            raise ResourceNotFound()
        now = self.clock.now()
        self._require_pending(challenge, now)
        challenge.final = "approved" if approve else "denied"
        challenge.responded_at = now
        challenge.updated_at = now
        return challenge


# --- validation helpers ------------------------------------------------------------------------


def _in_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidParameter.bad(name, str(value))


def _identity(identity: str | None) -> str:
    if not identity:
        raise InvalidParameter.missing("Identity")
    if not _IDENTITY.fullmatch(identity):
        raise InvalidParameter.bad("Identity", identity)
    return identity


def _configure_totp(
    factor: Factor,
    time_step: int | None,
    skew: int | None,
    code_length: int | None,
    alg: str | None,
) -> None:
    if time_step is not None:
        _in_range("Config.TimeStep", time_step, 20, 60)
        factor.time_step = time_step
    if skew is not None:
        _in_range("Config.Skew", skew, 0, 2)
        factor.skew = skew
    if code_length is not None:
        _in_range("Config.CodeLength", code_length, 3, 8)
        factor.code_length = code_length
    if alg is not None:
        if alg not in TOTP_ALGS:
            raise InvalidParameter.bad("Config.Alg", alg)
        factor.alg = "sha1" if alg == "sha1" else "sha256" if alg == "sha256" else "sha512"


def _configure_push(factor: Factor, push: Mapping[str, str | None]) -> None:
    public_key = push.get("public_key")
    if not public_key:
        raise InvalidParameter.missing("Binding.PublicKey")
    if push.get("alg") != "ES256":
        raise InvalidParameter.bad("Binding.Alg", push.get("alg") or "")
    for name, label in (("sdk_version", "Config.SdkVersion"), ("app_id", "Config.AppId")):
        if not push.get(name):
            raise InvalidParameter.missing(label)
    platform = push.get("notification_platform")
    if platform not in PUSH_PLATFORMS:
        raise InvalidParameter.bad("Config.NotificationPlatform", platform or "")
    token = push.get("notification_token")
    if platform != "none" and not token:
        raise InvalidParameter.missing("Config.NotificationToken")
    factor.public_key = public_key
    factor.push_config = {
        "sdk_version": push.get("sdk_version") or "",
        "app_id": push.get("app_id") or "",
        "notification_platform": platform or "none",
        "notification_token": token or "",
    }
