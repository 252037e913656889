"""The clock hook: a service libfaketime cannot reach is told the virtual time over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.serve.conftest import Served, start
from twofa_sim.errors import InputError
from twofa_sim.serve import build

START = 1772355600.0  # the conftest world's start, 2026-03-01T09:00:00Z


class Hook:
    """A stand-in for the service's test-only clock endpoint: records what it is told."""

    def __init__(self) -> None:
        self.told: list[dict[str, Any]] = []
        self.status = 204
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.told.append(
                    {"type": self.headers["Content-Type"], **json.loads(self.rfile.read(length))}
                )
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/test/clock"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    opened = Hook()
    try:
        yield opened
    finally:
        opened.close()


def test_every_move_is_told_to_the_hook_first(hook: Hook) -> None:
    """Rule: advance, set and reset each POST the new time ({now, iso}, JSON) to the hook."""
    with start(clock_hook=hook.url) as server:
        served = Served(server)
        served.ok("POST", "/clock/advance", {"by": "90s"})
        served.ok("POST", "/clock/set", {"to": "2026-03-02T00:00:00Z"})
        served.ok("POST", "/reset")
    assert hook.told == [
        {"type": "application/json", "now": START + 90, "iso": "2026-03-01T09:01:30Z"},
        {"type": "application/json", "now": 1772409600.0, "iso": "2026-03-02T00:00:00Z"},
        {"type": "application/json", "now": START, "iso": "2026-03-01T09:00:00Z"},
    ]


def test_a_hook_that_refuses_keeps_the_clock_where_it_was(hook: Hook) -> None:
    """Rule: a hook answering an error fails the move with 502 naming the hook; the virtual
    clock does not move (server and service never disagree)."""
    hook.status = 500
    with start(clock_hook=hook.url) as server:
        served = Served(server)
        status, body = served.control("POST", "/clock/advance", {"by": "1h"})
        assert status == 502 and hook.url in body["error"]["message"]
        assert served.ok("GET", "/clock")["now"] == START
        assert served.control("POST", "/reset")[0] == 502


def test_a_hook_that_is_gone_fails_the_move_in_bounded_time() -> None:
    """Rule: a hook nobody listens on fails the move at once (connection refused), 502."""
    gone = Hook()
    gone.close()
    with start(clock_hook=gone.url) as server:
        status, body = Served(server).control("POST", "/clock/advance", {"by": "1m"})
    assert status == 502 and "did not answer" in body["error"]["message"]


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"clock_hook": "ftp://x/y"}, "clock_hook"),
        ({"clock_hook": "http://x", "clock": "real"}, "clock_hook"),
    ],
)
def test_a_bad_hook_is_bad_input(options: dict[str, Any], where: str) -> None:
    """Rule: a hook that is no http(s) URL, or a hook with the wall clock, is refused."""
    with pytest.raises(InputError) as caught:
        build(port=0, **options)
    assert caught.value.where == where
