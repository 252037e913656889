"""The Verify fake's HTTP face: form-encoded requests in, backend calls, Verify's JSON out.

Decisions where Verify's behaviour had to be chosen:

- HTTP Basic ``AccountSid:AuthToken`` on every route (401, 20003, with ``detail``); API keys
  (``SK…``) are not modelled. A body over 64 KiB answers 413 (20413) before anything else.
- Bodies must be ``application/x-www-form-urlencoded`` (what the helper libraries send): another
  content type, a field without ``=`` or percent-escapes that are not UTF-8 answer 400 (60200).
- Creates answer 201; a verification check, updates and fetches 200; a factor delete 204.
- Dates are ISO-8601 UTC to the second (``2015-07-30T20:00:00Z``); ``lookup`` is ``{}``,
  ``amount``/``payee``/``sna`` null; ``send_code_attempts`` lists ``attempt_sid``, ``channel``
  (upper case, as Twilio's examples show it) and ``time``.
- Dispatch, faults (429 -> 20429, 500 -> 20500, 503 -> 20503) and the exchange log are
  :class:`~twofa_sim.providers._core.FakeService`'s.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

from twofa_sim.core.clock import VirtualClock, parse_instant, to_datetime
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import InstantError
from twofa_sim.providers._core import FakeService, Handler, Reply, Request, Route
from twofa_sim.providers.envelope import account_credentials
from twofa_sim.providers.network import SmsNetwork
from twofa_sim.providers.verify import urls
from twofa_sim.providers.verify.exceptions import (
    AuthenticationFailed,
    EntityTooLarge,
    InternalServerError,
    InvalidParameter,
    ResourceNotFound,
    ServiceUnavailable,
    TooManyRequests,
    VerifyApiError,
)
from twofa_sim.providers.verify.models import (
    Challenge,
    Entity,
    Factor,
    Service,
    Verification,
    VerifyBackend,
)

__all__ = [
    "MAX_BODY_BYTES",
    "Form",
    "VerifyService",
    "challenge_resource",
    "check_resource",
    "entity_resource",
    "factor_resource",
    "iso8601",
    "service_resource",
    "verification_resource",
]

MAX_BODY_BYTES = 64 * 1024
"""The fake's cap on a request body (no Verify request comes near it)."""
MAX_FIELDS = 200
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_FORM_TYPE = "application/x-www-form-urlencoded"


def iso8601(unix: float) -> str:
    """Verify's date format: ``2015-07-30T20:00:00Z`` (UTC, whole seconds)."""
    return to_datetime(float(int(unix // 1))).strftime("%Y-%m-%dT%H:%M:%SZ")


class Form:
    """A request's form fields (body, then query string), repeated fields kept in order."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._fields: dict[str, list[str]] = {}
        for key, value in pairs:
            self._fields.setdefault(key, []).append(value)

    def get(self, name: str) -> str | None:
        values = self._fields.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return list(self._fields.get(name, []))

    def integer(self, name: str) -> int | None:
        """A whole-number field (None if absent); 60200 if it is not one."""
        raw = self.get(name)
        if raw is None or raw == "":
            return None
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
            raise InvalidParameter.bad(name, raw)
        return int(raw)

    def boolean(self, name: str) -> bool | None:
        raw = self.get(name)
        if raw is None or raw == "":
            return None
        if raw.lower() not in ("true", "false"):
            raise InvalidParameter.bad(name, raw)
        return raw.lower() == "true"

    @classmethod
    def read(cls, request: Request) -> Form:
        """The form of ``request``; 60200 for a body that is not well-formed form data."""
        pairs: list[tuple[str, str]] = []
        if request.body:
            kind = (request.header("Content-Type") or _FORM_TYPE).split(";")[0].strip().lower()
            if kind != _FORM_TYPE:
                raise InvalidParameter(f"Invalid parameter: the body must be {_FORM_TYPE}")
            if "\ufffd" in request.body:
                raise InvalidParameter("Invalid parameter: the body is not UTF-8")
            try:
                pairs += parse_qsl(
                    request.body,
                    keep_blank_values=True,
                    strict_parsing=True,
                    errors="strict",
                    max_num_fields=MAX_FIELDS,
                )
            except ValueError:  # UnicodeDecodeError is one
                raise InvalidParameter(
                    "Invalid parameter: the body is not well-formed form data"
                ) from None
        pairs += parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
        return cls(pairs)


FormHandler = Callable[[Request, Form], Reply]


class VerifyService(FakeService):
    """Twilio Verify v2 on ``https://verify.twilio.com``, backed by one account.

    ``account_sid``/``auth_token``: the account's credentials (drawn from ``rng`` when not
    given; a world passes its Twilio account's, so one ``twilio.rest.Client`` reaches both
    fakes). ``sms_sender``: the 'From' the phone sees on Verify's SMS. ``backend`` is the state
    (and the phone's side of push); ``network`` carries the SMS codes.
    """

    name = "verify"
    base_urls = urls.BASE_URLS

    def __init__(
        self,
        clock: VirtualClock,
        rng: SeededRandom,
        network: SmsNetwork,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        sms_sender: str = "Verify",
    ) -> None:
        super().__init__(clock, rng)
        account_sid, auth_token = account_credentials(rng, account_sid, auth_token)
        self.network = network
        self.backend = VerifyBackend(
            clock,
            rng.stream("verify"),
            network,
            account_sid=account_sid,
            auth_token=auth_token,
            sms_sender=sms_sender,
        )
        self._routes = tuple(
            Route(method, pattern, self._answering(getattr(self, handler)), endpoint)
            for method, pattern, handler, endpoint in urls.ROUTES
        ) + tuple(
            Route(method, pattern, self._answering(self.not_found, authorize=False), endpoint)
            for method, pattern, _, endpoint in urls.CATCH_ALL
        )

    @property
    def account_sid(self) -> str:
        return self.backend.account_sid

    @property
    def auth_token(self) -> str:
        return self.backend.auth_token

    def __repr__(self) -> str:
        return (
            f"VerifyService(services={len(self.backend.services)}, "
            f"verifications={len(self.backend.verifications)}, exchanges={len(self.exchanges)})"
        )

    # FakeService ------------------------------------------------------------------------------

    def routes(self) -> Sequence[Route]:
        return self._routes

    def error_reply(self, status: int, kind: str) -> Reply:
        error: VerifyApiError
        if status == 404:
            error = ResourceNotFound()
        elif status == 413:
            error = EntityTooLarge()
        elif status == 429:
            error = TooManyRequests()
        elif status == 503:
            error = ServiceUnavailable()
        else:
            error = InternalServerError(status=status)
        return Reply(error.status, error.envelope())

    def reset_backend(self) -> None:
        self.backend.reset()

    # Plumbing ---------------------------------------------------------------------------------

    def _answering(self, handler: FormHandler, *, authorize: bool = True) -> Handler:
        """Wrap an endpoint: size, credentials and form first; Verify errors as envelopes."""

        def answer(request: Request) -> Reply:
            try:
                length = request.header("Content-Length")
                declared = int(length) if length and length.isdigit() else 0
                if max(declared, len(request.body.encode("utf-8"))) > MAX_BODY_BYTES:
                    raise EntityTooLarge()
                if authorize:
                    credentials = _basic_credentials(request.header("Authorization"))
                    if credentials is None or not self.backend.authenticate(*credentials):
                        raise AuthenticationFailed.credentials()
                return handler(request, Form.read(request))
            except VerifyApiError as error:
                if isinstance(error, ResourceNotFound) and error.message == error.MESSAGE:
                    error = ResourceNotFound.at(request.path)
                return Reply(error.status, error.envelope())

        return answer

    def not_found(self, request: Request, form: Form) -> Reply:
        raise ResourceNotFound.at(request.path)

    # Services ---------------------------------------------------------------------------------

    def create_service(self, request: Request, form: Form) -> Reply:
        """``POST /v2/Services``: 201 and the new service."""
        service = self.backend.create_service(
            form.get("FriendlyName"),
            code_length=_default(form.integer("CodeLength"), 6),
            custom_code_enabled=bool(form.boolean("CustomCodeEnabled")),
            do_not_share_warning_enabled=bool(form.boolean("DoNotShareWarningEnabled")),
            lookup_enabled=bool(form.boolean("LookupEnabled")),
            totp_issuer=form.get("Totp.Issuer"),
            totp_time_step=_default(form.integer("Totp.TimeStep"), 30),
            totp_code_length=_default(form.integer("Totp.CodeLength"), 6),
            totp_skew=_default(form.integer("Totp.Skew"), 1),
        )
        return Reply(201, service_resource(service))

    def fetch_service(self, request: Request, form: Form) -> Reply:
        return Reply(200, service_resource(self.backend.service(_param(request, "Sid"))))

    # Verifications ----------------------------------------------------------------------------

    def create_verification(self, request: Request, form: Form) -> Reply:
        """``POST .../Verifications``: 201 and the (new or re-sent) verification."""
        verification = self.backend.start_verification(
            _param(request, "ServiceSid"),
            form.get("To"),
            form.get("Channel"),
            custom_code=form.get("CustomCode") or None,
            custom_friendly_name=form.get("CustomFriendlyName") or None,
        )
        return Reply(201, verification_resource(verification, self.clock.now()))

    def fetch_verification(self, request: Request, form: Form) -> Reply:
        verification = self.backend.verification(
            _param(request, "ServiceSid"), _param(request, "Sid")
        )
        return Reply(200, verification_resource(verification, self.clock.now()))

    def update_verification(self, request: Request, form: Form) -> Reply:
        verification = self.backend.update_verification(
            _param(request, "ServiceSid"), _param(request, "Sid"), form.get("Status")
        )
        return Reply(200, verification_resource(verification, self.clock.now()))

    def check_verification(self, request: Request, form: Form) -> Reply:
        """``POST .../VerificationCheck``: 200, ``approved``/``valid: true`` for the right
        code, ``pending`` (or ``max_attempts_reached`` at the 5th miss) for a wrong one."""
        verification = self.backend.check(
            _param(request, "ServiceSid"),
            form.get("Code"),
            to=form.get("To") or None,
            verification_sid=form.get("VerificationSid") or None,
        )
        return Reply(200, check_resource(verification, self.clock.now()))

    # Entities and factors ---------------------------------------------------------------------

    def create_entity(self, request: Request, form: Form) -> Reply:
        entity = self.backend.create_entity(_param(request, "ServiceSid"), form.get("Identity"))
        return Reply(201, entity_resource(entity, self.account_sid))

    def fetch_entity(self, request: Request, form: Form) -> Reply:
        entity = self.backend.entity(_param(request, "ServiceSid"), _param(request, "Identity"))
        return Reply(200, entity_resource(entity, self.account_sid))

    def create_factor(self, request: Request, form: Form) -> Reply:
        """``POST .../Entities/{Identity}/Factors``: 201, the factor with its ``binding``."""
        factor = self.backend.create_factor(
            _param(request, "ServiceSid"),
            _param(request, "Identity"),
            form.get("FriendlyName"),
            form.get("FactorType"),
            secret=form.get("Binding.Secret") or None,
            time_step=form.integer("Config.TimeStep"),
            skew=form.integer("Config.Skew"),
            code_length=form.integer("Config.CodeLength"),
            alg=form.get("Config.Alg") or None,
            push={
                "public_key": form.get("Binding.PublicKey"),
                "alg": form.get("Binding.Alg"),
                "sdk_version": form.get("Config.SdkVersion"),
                "app_id": form.get("Config.AppId"),
                "notification_platform": form.get("Config.NotificationPlatform"),
                "notification_token": form.get("Config.NotificationToken"),
            },
        )
        return Reply(201, factor_resource(factor, self.account_sid, with_binding=True))

    def list_factors(self, request: Request, form: Form) -> Reply:
        factors = self.backend.list_factors(
            _param(request, "ServiceSid"), _param(request, "Identity")
        )
        return Reply(
            200,
            _page(
                request, form, "factors", [factor_resource(f, self.account_sid) for f in factors]
            ),
        )

    def fetch_factor(self, request: Request, form: Form) -> Reply:
        factor = self.backend.factor(
            _param(request, "ServiceSid"), _param(request, "Identity"), _param(request, "Sid")
        )
        return Reply(200, factor_resource(factor, self.account_sid))

    def update_factor(self, request: Request, form: Form) -> Reply:
        """``POST .../Factors/{Sid}``: 200; with ``AuthPayload`` this verifies a TOTP factor."""
        factor = self.backend.update_factor(
            _param(request, "ServiceSid"),
            _param(request, "Identity"),
            _param(request, "Sid"),
            auth_payload=form.get("AuthPayload"),
            friendly_name=form.get("FriendlyName"),
            time_step=form.integer("Config.TimeStep"),
            skew=form.integer("Config.Skew"),
            code_length=form.integer("Config.CodeLength"),
            alg=form.get("Config.Alg") or None,
            notification_token=form.get("Config.NotificationToken"),
        )
        return Reply(200, factor_resource(factor, self.account_sid))

    def delete_factor(self, request: Request, form: Form) -> Reply:
        self.backend.delete_factor(
            _param(request, "ServiceSid"), _param(request, "Identity"), _param(request, "Sid")
        )
        return Reply(204, "")

    # Challenges -------------------------------------------------------------------------------

    def create_challenge(self, request: Request, form: Form) -> Reply:
        """``POST .../Challenges``: 201; a TOTP challenge with ``AuthPayload`` comes back
        ``approved`` when the code is right, ``pending`` when it is not."""
        raw_expiry = form.get("ExpirationDate")
        expires_at = None
        if raw_expiry:
            try:
                expires_at = parse_instant(raw_expiry)
            except InstantError:
                raise InvalidParameter.bad("ExpirationDate", raw_expiry) from None
        challenge = self.backend.create_challenge(
            _param(request, "ServiceSid"),
            _param(request, "Identity"),
            form.get("FactorSid"),
            auth_payload=form.get("AuthPayload"),
            expires_at=expires_at,
            message=form.get("Details.Message"),
            fields=[_field(raw) for raw in form.all("Details.Fields")],
            hidden_details=_json_object("HiddenDetails", form.get("HiddenDetails")),
        )
        return Reply(201, challenge_resource(challenge, self.account_sid, self.clock.now()))

    def list_challenges(self, request: Request, form: Form) -> Reply:
        status = form.get("Status")
        now = self.clock.now()
        found = self.backend.list_challenges(
            _param(request, "ServiceSid"),
            _param(request, "Identity"),
            factor_sid=form.get("FactorSid") or None,
        )
        if form.get("Order") != "asc":
            found.reverse()
        items = [
            challenge_resource(c, self.account_sid, now)
            for c in found
            if status in (None, "", c.status_at(now))
        ]
        return Reply(200, _page(request, form, "challenges", items))

    def fetch_challenge(self, request: Request, form: Form) -> Reply:
        challenge = self.backend.challenge(
            _param(request, "ServiceSid"), _param(request, "Identity"), _param(request, "Sid")
        )
        return Reply(200, challenge_resource(challenge, self.account_sid, self.clock.now()))

    def update_challenge(self, request: Request, form: Form) -> Reply:
        challenge = self.backend.update_challenge(
            _param(request, "ServiceSid"),
            _param(request, "Identity"),
            _param(request, "Sid"),
            form.get("AuthPayload"),
        )
        return Reply(200, challenge_resource(challenge, self.account_sid, self.clock.now()))


# --- resources as Verify renders them ----------------------------------------------------------


def _url(path: str) -> str:
    return urls.BASE_URLS[0] + path


def service_resource(service: Service) -> dict[str, object]:
    """The Service resource (the fields of the helper library's ``ServiceInstance``)."""
    url = _url(urls.service_path(service.sid))
    return {
        "sid": service.sid,
        "account_sid": service.account_sid,
        "friendly_name": service.friendly_name,
        "code_length": service.code_length,
        "lookup_enabled": service.lookup_enabled,
        "psd2_enabled": False,
        "skip_sms_to_landlines": False,
        "dtmf_input_required": True,
        "tts_name": None,
        "do_not_share_warning_enabled": service.do_not_share_warning_enabled,
        "custom_code_enabled": service.custom_code_enabled,
        "push": {"include_date": False, "apn_credential_sid": None, "fcm_credential_sid": None},
        "totp": {
            "issuer": service.issuer,
            "time_step": service.totp_time_step,
            "code_length": service.totp_code_length,
            "skew": service.totp_skew,
        },
        "default_template_sid": None,
        "whatsapp": {"msg_service_sid": None, "from": None},
        "passkeys": None,
        "verify_event_subscription_enabled": False,
        "date_created": iso8601(service.created_at),
        "date_updated": iso8601(service.updated_at),
        "url": url,
        "links": {
            name: f"{url}/{segment}"
            for name, segment in (
                ("verification_checks", "VerificationCheck"),
                ("verifications", "Verifications"),
                ("entities", "Entities"),
                ("rate_limits", "RateLimits"),
                ("messaging_configurations", "MessagingConfigurations"),
                ("webhooks", "Webhooks"),
                ("access_tokens", "AccessTokens"),
            )
        },
    }


def verification_resource(verification: Verification, now: float) -> dict[str, object]:
    """The Verification resource at virtual time ``now``."""
    status = verification.status_at(now)
    return {
        "sid": verification.sid,
        "service_sid": verification.service_sid,
        "account_sid": verification.account_sid,
        "to": verification.to,
        "channel": verification.channel,
        "status": status,
        "valid": status == "approved",
        "lookup": {},
        "amount": None,
        "payee": None,
        "send_code_attempts": [
            {"attempt_sid": a.sid, "channel": a.channel.upper(), "time": iso8601(a.at)}
            for a in verification.sends
        ],
        "date_created": iso8601(verification.created_at),
        "date_updated": iso8601(verification.updated_at_time(now)),
        "sna": None,
        "url": _url(
            f"{urls.service_path(verification.service_sid)}/Verifications/{verification.sid}"
        ),
    }


def check_resource(verification: Verification, now: float) -> dict[str, object]:
    """The VerificationCheck resource: the verification's status after the check."""
    status = verification.status_at(now)
    return {
        "sid": verification.sid,
        "service_sid": verification.service_sid,
        "account_sid": verification.account_sid,
        "to": verification.to,
        "channel": verification.channel,
        "status": status,
        "valid": status == "approved",
        "amount": None,
        "payee": None,
        "date_created": iso8601(verification.created_at),
        "date_updated": iso8601(verification.updated_at_time(now)),
        "sna_attempts_error_codes": [],
    }


def _entity_url(service_sid: str, identity: str) -> str:
    return _url(f"{urls.service_path(service_sid)}/Entities/{identity}")


def entity_resource(entity: Entity, account_sid: str) -> dict[str, object]:
    url = _entity_url(entity.service_sid, entity.identity)
    return {
        "sid": entity.sid,
        "identity": entity.identity,
        "account_sid": account_sid,
        "service_sid": entity.service_sid,
        "date_created": iso8601(entity.created_at),
        "date_updated": iso8601(entity.created_at),
        "url": url,
        "links": {
            "factors": f"{url}/Factors",
            "new_factors": f"{url}/Factors",
            "challenges": f"{url}/Challenges",
        },
    }


def factor_resource(
    factor: Factor, account_sid: str, *, with_binding: bool = False
) -> dict[str, object]:
    """The Factor resource; ``with_binding`` for the create answer (the only one with the
    secret and URI of a TOTP factor, or the key of a push factor)."""
    if factor.factor_type == "totp":
        config: dict[str, object] = {
            "alg": factor.alg,
            "skew": factor.skew,
            "code_length": factor.code_length,
            "time_step": factor.time_step,
        }
        binding: dict[str, object] = {"secret": factor.secret_base32, "uri": factor.uri}
    else:
        config = dict(factor.push_config)
        binding = {"alg": "ES256", "public_key": factor.public_key}
    body: dict[str, object] = {
        "sid": factor.sid,
        "account_sid": account_sid,
        "service_sid": factor.service_sid,
        "entity_sid": factor.entity_sid,
        "identity": factor.identity,
    }
    if with_binding:
        body["binding"] = binding
    body.update(
        date_created=iso8601(factor.created_at),
        date_updated=iso8601(factor.updated_at),
        friendly_name=factor.friendly_name,
        status=factor.status,
        factor_type=factor.factor_type,
        config=config,
        metadata=None,
        url=f"{_entity_url(factor.service_sid, factor.identity)}/Factors/{factor.sid}",
    )
    return body


def challenge_resource(challenge: Challenge, account_sid: str, now: float) -> dict[str, object]:
    """The Challenge resource at virtual time ``now``."""
    url = f"{_entity_url(challenge.service_sid, challenge.identity)}/Challenges/{challenge.sid}"
    return {
        "sid": challenge.sid,
        "account_sid": account_sid,
        "service_sid": challenge.service_sid,
        "entity_sid": challenge.entity_sid,
        "identity": challenge.identity,
        "factor_sid": challenge.factor_sid,
        "date_created": iso8601(challenge.created_at),
        "date_updated": iso8601(challenge.updated_at_time(now)),
        "date_responded": (
            iso8601(challenge.responded_at) if challenge.responded_at is not None else None
        ),
        "expiration_date": iso8601(challenge.expires_at),
        "status": challenge.status_at(now),
        "responded_reason": "none",
        "details": {
            "message": challenge.message,
            "date": iso8601(challenge.created_at),
            "fields": challenge.fields,
        },
        "hidden_details": challenge.hidden_details,
        "metadata": None,
        "factor_type": challenge.factor_type,
        "url": url,
        "links": {"notifications": f"{url}/Notifications"},
    }


# --- reading requests --------------------------------------------------------------------------


def _param(request: Request, name: str) -> str:
    return unquote(request.params[name])


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _json_object(name: str, raw: str | None) -> dict[str, object] | None:
    if raw is None or raw == "":
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidParameter(f"Invalid parameter: {name}") from None
    if not isinstance(data, dict):
        raise InvalidParameter(f"Invalid parameter: {name}")
    return data


def _field(raw: str) -> dict[str, str]:
    """One ``Details.Fields`` entry: a JSON object with ``label`` and ``value``."""
    data = _json_object("Details.Fields", raw) or {}
    label, value = data.get("label"), data.get("value")
    if not isinstance(label, str) or not isinstance(value, str):
        raise InvalidParameter("Invalid parameter: Details.Fields")
    return {"label": label, "value": value}


def _page(
    request: Request, form: Form, key: str, items: list[dict[str, object]]
) -> dict[str, object]:
    """One page of a list, with Twilio's ``meta`` (``next_page_url`` when there is more)."""
    size = min(
        max(_default(_int_or_none(form.get("PageSize")), DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE
    )
    page = max(_default(_int_or_none(form.get("Page")), 0), 0)
    chunk = items[page * size : (page + 1) * size]
    base = _url(request.path)

    def at(number: int) -> str:
        return f"{base}?PageSize={size}&Page={number}"

    return {
        key: chunk,
        "meta": {
            "page": page,
            "page_size": size,
            "first_page_url": at(0),
            "previous_page_url": at(page - 1) if page > 0 else None,
            "url": at(page),
            "next_page_url": at(page + 1) if (page + 1) * size < len(items) else None,
            "key": key,
        },
    }


def _int_or_none(raw: str | None) -> int | None:
    if raw is None or not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        return None
    return int(raw)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(username, password)`` from an HTTP Basic ``Authorization`` header, if it is one."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (non-ASCII text too), or not UTF-8
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None
