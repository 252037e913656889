"""Routing data for the Verify fake: base URL, and (method, pattern, handler name, endpoint) rows.

Patterns match the whole path; ``handler`` names a method of
:class:`~twofa_sim.providers.verify.handlers.VerifyService`; the endpoint name is what fault rules
and the exchange log use (``service.faults.add("http_503", endpoint="verifications.create")``).
Anything else on the host is the catch-all ``unknown`` endpoint and answers 404 (20404).
"""

from __future__ import annotations

__all__ = ["API_VERSION", "BASE_URLS", "CATCH_ALL", "ENDPOINTS", "ROUTES", "service_path"]

BASE_URLS: tuple[str, ...] = ("https://verify.twilio.com",)
"""Where the official ``twilio`` helper library sends Verify requests (``VerifyBase``)."""
API_VERSION = "v2"

_SID = r"(?P<Sid>[^/]+)"
_SERVICE = rf"/{API_VERSION}/Services/(?P<ServiceSid>[^/]+)"
_ENTITY = rf"{_SERVICE}/Entities/(?P<Identity>[^/]+)"

ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("POST", rf"/{API_VERSION}/Services", "create_service", "services.create"),
    ("GET", rf"/{API_VERSION}/Services/{_SID}", "fetch_service", "services.fetch"),
    ("POST", rf"{_SERVICE}/Verifications", "create_verification", "verifications.create"),
    ("GET", rf"{_SERVICE}/Verifications/{_SID}", "fetch_verification", "verifications.fetch"),
    ("POST", rf"{_SERVICE}/Verifications/{_SID}", "update_verification", "verifications.update"),
    ("POST", rf"{_SERVICE}/VerificationCheck", "check_verification", "verification_checks.create"),
    ("POST", rf"{_SERVICE}/Entities", "create_entity", "entities.create"),
    ("GET", _ENTITY, "fetch_entity", "entities.fetch"),
    ("POST", rf"{_ENTITY}/Factors", "create_factor", "factors.create"),
    ("GET", rf"{_ENTITY}/Factors", "list_factors", "factors.list"),
    ("GET", rf"{_ENTITY}/Factors/{_SID}", "fetch_factor", "factors.fetch"),
    ("POST", rf"{_ENTITY}/Factors/{_SID}", "update_factor", "factors.update"),
    ("DELETE", rf"{_ENTITY}/Factors/{_SID}", "delete_factor", "factors.delete"),
    ("POST", rf"{_ENTITY}/Challenges", "create_challenge", "challenges.create"),
    ("GET", rf"{_ENTITY}/Challenges", "list_challenges", "challenges.list"),
    ("GET", rf"{_ENTITY}/Challenges/{_SID}", "fetch_challenge", "challenges.fetch"),
    ("POST", rf"{_ENTITY}/Challenges/{_SID}", "update_challenge", "challenges.update"),
)

ENDPOINTS: tuple[str, ...] = tuple(endpoint for *_, endpoint in ROUTES)
"""The endpoint names fault rules may name."""

CATCH_ALL: tuple[tuple[str, str, str, str], ...] = tuple(
    (method, r"/.*", "not_found", "unknown") for method in ("GET", "POST", "PUT", "DELETE", "PATCH")
)


def service_path(service_sid: str | None = None) -> str:
    """``/v2/Services`` or ``/v2/Services/{sid}``."""
    base = f"/{API_VERSION}/Services"
    return f"{base}/{service_sid}" if service_sid else base
