"""The clock hook: tell the service under test the virtual time over HTTP, before each move.

For services libfaketime cannot reach (a statically linked Go binary, a runtime that reads
the clock by itself), the service exposes a test-only endpoint and reads "now" from what it was
last told. The contract:

- ``POST <url>`` with ``Content-Type: application/json`` and the body
  ``{"now": 1772355600.0, "iso": "2026-03-01T09:00:00Z"}`` (Unix seconds, and the same instant
  in ISO-8601 UTC) before every move of the virtual clock (an advance, a set, a reset, a
  latency fault), and once when the server starts.
- The service answers any 2xx within the timeout (5 s); its body is ignored.
- Anything else (an error status, no answer) fails the move: the virtual clock stays where it
  was and the control API answers 502 naming the hook. The call at start is best effort (the
  service may not be up yet).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from twofa_sim.core.clock import format_instant
from twofa_sim.errors import InputError

__all__ = ["ClockHook"]

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""No proxy from the environment: the hook is the service under test, usually on loopback."""


class ClockHook:
    """POSTs the new time to ``url`` (a clock observer: called before the clock moves)."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                f"{url!r} is not an http(s) URL",
                where="clock_hook",
                hint="like http://127.0.0.1:3000/test/clock",
            )
        self.url = url
        self.timeout = timeout

    def __call__(self, unix: float) -> None:
        """Tell the service; ``ConnectionError`` (an ``OSError``) when it does not take it."""
        body = json.dumps({"now": unix, "iso": format_instant(unix)}).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection
            raise ConnectionError(f"the clock hook {self.url} answered {exc.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ConnectionError(f"the clock hook {self.url} did not answer: {reason}") from None

    def try_now(self, unix: float) -> bool:
        """Best effort (at start): True when the service took it."""
        try:
            self(unix)
        except ConnectionError:
            return False
        return True
