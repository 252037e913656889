"""Authy API v1 routing data: base URL, and (method, path pattern, endpoint, handler) per route.

Paths are standards.md section 6.4; the format segment is always ``json``. Patterns are matched
against the whole path; ``handler`` names a method of
:class:`~twofa_sim.providers.authy.handlers.AuthyService`.
"""

from __future__ import annotations

__all__ = ["ENDPOINTS", "ROUTES", "URL_BASES"]

URL_BASES = ("https://api.authy.com",)

_ID = r"(?P<authy_id>[^/]+)"

ROUTES: tuple[tuple[str, str, str, str], ...] = (
    # (method, path pattern, handler method, endpoint name), as in the Twilio fake's urls.py.
    ("POST", r"/protected/json/users/new", "users_new", "users.new"),
    ("GET", rf"/protected/json/users/{_ID}/status", "users_status", "users.status"),
    ("POST", rf"/protected/json/users/{_ID}/delete", "users_delete", "users.delete"),
    ("GET", rf"/protected/json/sms/{_ID}", "sms", "sms"),
    ("GET", rf"/protected/json/call/{_ID}", "call", "call"),
    ("GET", rf"/protected/json/verify/(?P<token>[^/]+)/{_ID}", "verify", "verify"),
    (
        "POST",
        rf"/onetouch/json/users/{_ID}/approval_requests",
        "approval_requests_create",
        "approval_requests.create",
    ),
    (
        "GET",
        r"/onetouch/json/approval_requests/(?P<uuid>[^/]+)",
        "approval_requests_status",
        "approval_requests.status",
    ),
)
ENDPOINTS: tuple[str, ...] = tuple(endpoint for *_, endpoint in ROUTES)
"""The endpoint names fault rules may name."""
