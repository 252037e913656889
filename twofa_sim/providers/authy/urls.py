"""Authy API v1 routing data: base URL, and (method, path pattern, endpoint, handler) per route.

Paths are standards.md section 6.4; the format segment is always ``json``. Patterns are matched
against the whole path; ``handler`` names a method of
:class:`~twofa_sim.providers.authy.handlers.AuthyService`.
"""

from __future__ import annotations

__all__ = ["ROUTES", "URL_BASES"]

URL_BASES = ("https://api.authy.com",)

_ID = r"(?P<authy_id>[^/]+)"

ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("POST", r"/protected/json/users/new", "users.new", "users_new"),
    ("GET", rf"/protected/json/users/{_ID}/status", "users.status", "users_status"),
    ("POST", rf"/protected/json/users/{_ID}/delete", "users.delete", "users_delete"),
    ("GET", rf"/protected/json/sms/{_ID}", "sms", "sms"),
    ("GET", rf"/protected/json/call/{_ID}", "call", "call"),
    ("GET", rf"/protected/json/verify/(?P<token>[^/]+)/{_ID}", "verify", "verify"),
    (
        "POST",
        rf"/onetouch/json/users/{_ID}/approval_requests",
        "approval_requests.create",
        "approval_requests_create",
    ),
    (
        "GET",
        r"/onetouch/json/approval_requests/(?P<uuid>[^/]+)",
        "approval_requests.status",
        "approval_requests_status",
    ),
)
