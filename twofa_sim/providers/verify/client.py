"""A plain ``requests`` client for Twilio Verify v2, as production code would use it.

It speaks the real API (``https://verify.twilio.com/v2``, HTTP Basic ``AccountSid:AuthToken``,
form fields as the helper libraries send them), so it runs unchanged against Twilio or, mounted
with :func:`~twofa_sim.providers.mount.mounted`, against the fake. It is what the reference
service can use: the official ``twilio`` library is only a test dependency. It never retries.

Errors: an error envelope raises :class:`~twofa_sim.providers.verify.exceptions.VerifyApiError`
(the subclass for its code: ``MaxCheckAttempts``, ``ResourceNotFound`` ...); a timeout or
connection failure raises :class:`~twofa_sim.providers.verify.exceptions.VerifyUnavailable`.
Codes and secrets never appear in an error message or a repr.

>>> VerifyClient("AC" + "0" * 32, "token", "VA" + "0" * 32)
VerifyClient('AC00000000000000000000000000000000', service='VA00000000000000000000000000000000')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import requests

from twofa_sim.providers.verify.exceptions import VerifyApiError, VerifyError, VerifyUnavailable
from twofa_sim.providers.verify.urls import API_VERSION, BASE_URLS

__all__ = ["ChallengeInfo", "FactorInfo", "VerificationInfo", "VerifyClient"]


@dataclass(frozen=True)
class VerificationInfo:
    """A verification (or a check's answer): ``status`` is ``pending``, ``approved``,
    ``canceled``, ``max_attempts_reached`` or ``expired``."""

    sid: str
    to: str
    channel: str
    status: str
    valid: bool
    sends: int
    """How many times the code was sent (0 in a check's answer, which does not say)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerificationInfo:
        attempts = data.get("send_code_attempts")
        return cls(
            sid=str(data["sid"]),
            to=str(data["to"]),
            channel=str(data["channel"]),
            status=str(data["status"]),
            valid=bool(data.get("valid")),
            sends=len(attempts) if isinstance(attempts, list) else 0,
        )


@dataclass(frozen=True)
class FactorInfo:
    """A factor; ``secret`` and ``uri`` only in the answer that created a TOTP factor."""

    sid: str
    identity: str
    factor_type: str
    status: str
    config: Mapping[str, Any]
    secret: str | None = field(default=None, repr=False)
    uri: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FactorInfo:
        binding = data.get("binding")
        binding = binding if isinstance(binding, Mapping) else {}
        config = data.get("config")
        return cls(
            sid=str(data["sid"]),
            identity=str(data["identity"]),
            factor_type=str(data["factor_type"]),
            status=str(data["status"]),
            config=dict(config) if isinstance(config, Mapping) else {},
            secret=binding.get("secret"),
            uri=binding.get("uri"),
        )


@dataclass(frozen=True)
class ChallengeInfo:
    """A challenge: ``status`` is ``pending``, ``approved``, ``denied`` or ``expired``."""

    sid: str
    factor_sid: str
    factor_type: str
    status: str
    expiration_date: datetime

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChallengeInfo:
        return cls(
            sid=str(data["sid"]),
            factor_sid=str(data["factor_sid"]),
            factor_type=str(data["factor_type"]),
            status=str(data["status"]),
            expiration_date=datetime.fromisoformat(str(data["expiration_date"])),
        )


class VerifyClient:
    """Verifications, factors and challenges of one Verify service (``service_sid``).

    ``service_sid`` may be left out and set by :meth:`create_service`. ``session``: a
    ``requests.Session`` to use (the client makes and owns one otherwise); ``timeout``: seconds
    for each request.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        service_sid: str | None = None,
        *,
        base_url: str = BASE_URLS[0],
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.service_sid = service_sid
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._auth = (account_sid, auth_token)
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session

    def __repr__(self) -> str:  # never shows the token
        return f"VerifyClient({self.account_sid!r}, service={self.service_sid!r})"

    # Services ---------------------------------------------------------------------------------

    def create_service(self, friendly_name: str, **settings: str | int | bool) -> str:
        """Create a service (``CodeLength=8``, ``Totp.Skew=0`` ... as keyword names without the
        dots: ``code_length``, ``totp_skew``); its SID becomes this client's if it had none."""
        data = {"FriendlyName": friendly_name}
        for name, value in settings.items():
            data[_field_name(name)] = _text(value)
        sid = str(self._call("POST", f"/{API_VERSION}/Services", data)["sid"])
        if self.service_sid is None:
            self.service_sid = sid
        return sid

    # Verifications ----------------------------------------------------------------------------

    def start_verification(
        self,
        to: str,
        channel: str = "sms",
        *,
        locale: str | None = None,
        custom_code: str | None = None,
        custom_friendly_name: str | None = None,
    ) -> VerificationInfo:
        """Send a code (201); again while pending, the same code on the same verification."""
        data = _present(
            To=to,
            Channel=channel,
            Locale=locale,
            CustomCode=custom_code,
            CustomFriendlyName=custom_friendly_name,
        )
        return VerificationInfo.from_json(self._call("POST", self._path("Verifications"), data))

    def check(
        self, code: str, *, to: str | None = None, verification_sid: str | None = None
    ) -> VerificationInfo:
        """Check a code: ``status`` ``approved`` (``valid``) or not; 404 when nothing is open."""
        data = _present(Code=code, To=to, VerificationSid=verification_sid)
        return VerificationInfo.from_json(self._call("POST", self._path("VerificationCheck"), data))

    def fetch_verification(self, sid: str) -> VerificationInfo:
        return VerificationInfo.from_json(self._call("GET", self._path("Verifications", sid)))

    def cancel(self, sid: str) -> VerificationInfo:
        return self._update_verification(sid, "canceled")

    def approve(self, sid: str) -> VerificationInfo:
        return self._update_verification(sid, "approved")

    def _update_verification(self, sid: str, status: str) -> VerificationInfo:
        data = {"Status": status}
        return VerificationInfo.from_json(
            self._call("POST", self._path("Verifications", sid), data)
        )

    # Factors ----------------------------------------------------------------------------------

    def create_totp_factor(
        self,
        identity: str,
        friendly_name: str,
        *,
        secret: str | None = None,
        time_step: int | None = None,
        skew: int | None = None,
        code_length: int | None = None,
        alg: str | None = None,
    ) -> FactorInfo:
        """A new, unverified TOTP factor with its ``secret`` and otpauth ``uri`` (shown once)."""
        data = _present(
            FriendlyName=friendly_name,
            FactorType="totp",
            **{
                "Binding.Secret": secret,
                "Config.TimeStep": time_step,
                "Config.Skew": skew,
                "Config.CodeLength": code_length,
                "Config.Alg": alg,
            },
        )
        path = self._path("Entities", identity, "Factors")
        return FactorInfo.from_json(self._call("POST", path, data))

    def verify_factor(self, identity: str, factor_sid: str, code: str) -> FactorInfo:
        """Send the first code: ``status`` ``verified`` when it was right."""
        path = self._path("Entities", identity, "Factors", factor_sid)
        return FactorInfo.from_json(self._call("POST", path, {"AuthPayload": code}))

    def list_factors(self, identity: str) -> list[FactorInfo]:
        """Every factor of ``identity`` (a push factor the phone's app enrolled, for one),
        following pages."""
        page = self._call("GET", self._path("Entities", identity, "Factors"))
        factors: list[FactorInfo] = []
        while True:
            factors += [FactorInfo.from_json(item) for item in page.get("factors") or []]
            meta = page.get("meta")
            following = meta.get("next_page_url") if isinstance(meta, Mapping) else None
            if not isinstance(following, str) or not following.startswith(self.base_url):
                return factors
            page = self._call("GET", following.removeprefix(self.base_url))

    def fetch_factor(self, identity: str, factor_sid: str) -> FactorInfo:
        path = self._path("Entities", identity, "Factors", factor_sid)
        return FactorInfo.from_json(self._call("GET", path))

    # Challenges -------------------------------------------------------------------------------

    def create_challenge(
        self,
        identity: str,
        factor_sid: str,
        *,
        code: str | None = None,
        message: str | None = None,
        fields: Sequence[tuple[str, str]] = (),
        hidden_details: Mapping[str, str] | None = None,
        expires_at: datetime | None = None,
    ) -> ChallengeInfo:
        """A challenge: for TOTP with the user's ``code`` (approved at once when right); for
        push with the ``message`` and ``fields`` the phone shows."""
        data: list[tuple[str, str]] = [("FactorSid", factor_sid)]
        if code is not None:
            data.append(("AuthPayload", code))
        if message is not None:
            data.append(("Details.Message", message))
        data += [
            ("Details.Fields", json.dumps({"label": label, "value": value}))
            for label, value in fields
        ]
        if hidden_details is not None:
            data.append(("HiddenDetails", json.dumps(dict(hidden_details))))
        if expires_at is not None:
            data.append(("ExpirationDate", expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")))
        path = self._path("Entities", identity, "Challenges")
        return ChallengeInfo.from_json(self._call("POST", path, data))

    def answer_challenge(self, identity: str, challenge_sid: str, code: str) -> ChallengeInfo:
        """Answer a TOTP challenge with the user's code."""
        path = self._path("Entities", identity, "Challenges", challenge_sid)
        return ChallengeInfo.from_json(self._call("POST", path, {"AuthPayload": code}))

    def fetch_challenge(self, identity: str, challenge_sid: str) -> ChallengeInfo:
        path = self._path("Entities", identity, "Challenges", challenge_sid)
        return ChallengeInfo.from_json(self._call("GET", path))

    # Lifecycle ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the session if the client made it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # HTTP ---------------------------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        if self.service_sid is None:
            raise VerifyError("no Verify service: give service_sid or call create_service()")
        quoted = "/".join(quote(part, safe="") for part in (self.service_sid, *parts))
        return f"/{API_VERSION}/Services/{quoted}"

    def _call(
        self,
        method: str,
        path: str,
        data: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self.session.request(
                method,
                url,
                data=data,
                auth=self._auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.exceptions.Timeout as error:
            raise VerifyUnavailable(
                f"Verify did not answer within {self.timeout:g} s: {method} {url}", url=url
            ) from error
        except requests.exceptions.ConnectionError as error:
            raise VerifyUnavailable(f"could not reach Verify: {method} {url}", url=url) from error
        try:
            body: object = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise VerifyApiError.from_envelope(body, status=response.status_code)
        if not isinstance(body, dict):
            raise VerifyApiError(None, f"not a JSON object: {body!r:.200}", response.status_code)
        return body


def _present(**fields: str | int | None) -> dict[str, str]:
    return {name: _text(value) for name, value in fields.items() if value is not None}


def _text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_name(name: str) -> str:
    """``totp_skew`` -> ``Totp.Skew``; ``code_length`` -> ``CodeLength``."""
    head, _, rest = name.partition("_")
    if head in ("totp", "push") and rest:
        return f"{head.capitalize()}.{_camel(rest)}"
    return _camel(name)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
