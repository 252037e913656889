"""Routing data for the Twilio fake: base URLs, and path patterns to handler names.

Each row is ``(method, pattern, handler name, endpoint)``; the pattern must match the whole
path. The endpoint name is what fault rules and the exchange log use
(``service.faults.add("http_503", endpoint="messages.create")``). Anything else on the host is
the catch-all ``unknown`` endpoint and answers Twilio's 404 (20404).
"""

from __future__ import annotations

__all__ = ["API_VERSION", "BASE_URLS", "CATCH_ALL", "ENDPOINTS", "ROUTES", "messages_path"]

BASE_URLS: tuple[str, ...] = ("https://api.twilio.com",)
API_VERSION = "2010-04-01"

_ACCOUNT = rf"/{API_VERSION}/Accounts/(?P<AccountSid>[^/]+)"

ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("POST", rf"{_ACCOUNT}/Messages\.json", "create_message", "messages.create"),
    ("GET", rf"{_ACCOUNT}/Messages\.json", "list_messages", "messages.list"),
    ("GET", rf"{_ACCOUNT}/Messages/(?P<MessageSid>[^/]+)\.json", "fetch_message", "messages.fetch"),
)

ENDPOINTS: tuple[str, ...] = tuple(endpoint for *_, endpoint in ROUTES)
"""The endpoint names fault rules may name."""

CATCH_ALL: tuple[tuple[str, str, str, str], ...] = tuple(
    (method, r"/.*", "not_found", "unknown") for method in ("GET", "POST", "PUT", "DELETE", "PATCH")
)


def messages_path(account_sid: str, message_sid: str | None = None) -> str:
    """The path of an account's Messages list, or of one message."""
    base = f"/{API_VERSION}/Accounts/{account_sid}/Messages"
    return f"{base}/{message_sid}.json" if message_sid else f"{base}.json"
