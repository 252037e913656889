"""The fakes on real HTTP: the providers' paths, auth, JSON and error envelopes, on a socket.

Built on the standard library's :class:`http.server.ThreadingHTTPServer` (no new dependency):
a thread per connection, HTTP/1.1 keep-alive, and :meth:`~socketserver.BaseServer.shutdown`
for a clean stop. What runs on it is small (the fakes answer in microseconds under one lock), so
a thread per connection is plenty; :meth:`Server.stop` also closes idle keep-alive connections
and joins every connection's thread, so nothing outlives the server.

Routing, in order:

- ``/`` and ``/_twofa/inbox``: the inbox page; ``/_twofa/...``: the control API.
- a ``Host`` header naming a provider's own host (``api.twilio.com``): that provider, whole path.
- ``/<provider>/...`` (``/twilio``, ``/authy``, ``/verify`` once served): that provider, with
  the prefix removed; so ``http://127.0.0.1:8025/twilio`` stands for ``https://api.twilio.com``.

Each provider request becomes the same request the in-process fakes see (the service's own
:meth:`~twofa_sim.providers.FakeService.dispatch`, faults and exchange log included) and its
reply is written back. Injected faults: ``connection_error`` resets the connection; ``timeout``
holds the request unanswered (up to ``fault_hold`` seconds, or until the client gives up) and
then closes it. Bodies are capped (``max_body``): larger ones get the provider's envelope with
status 413. A client that dies mid-request costs one thread a few milliseconds.

Reads are bounded: a client has ``request_timeout`` seconds from the end of the previous answer
(or from connecting) to send a whole request, headers and body; a client that goes quiet, or
sends a byte now and then, is disconnected without an answer, so nobody pins a thread.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import socket
import struct
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from twofa_sim.core.clock import real_monotonic
from twofa_sim.errors import InputError
from twofa_sim.providers import FakeService
from twofa_sim.serve.bodies import Broken, TooLarge, read_body
from twofa_sim.serve.control import PREFIX, ControlApi, ControlReply
from twofa_sim.serve.openapi import document
from twofa_sim.serve.state import ServedWorld

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_REQUEST_TIMEOUT", "Server"]

DEFAULT_MAX_BODY = 64 * 1024
"""Bytes a request body may hold (Twilio's longest SMS body is 1,600 characters)."""
DEFAULT_REQUEST_TIMEOUT = 30.0
"""Seconds a connection may sit idle and then take to send a whole request before it is closed."""
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class Server:
    """The HTTP server of one served world. ``port`` 0 picks a free port.

    Use :meth:`serve_forever` (blocking) or :meth:`start` / :meth:`stop` (a background thread),
    or ``with Server(...) as server:`` (started and always stopped).
    """

    def __init__(
        self,
        state: ServedWorld,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        fault_hold: float = 30.0,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        if not 0 < request_timeout < math.inf:
            raise InputError("the request timeout must be a positive number of seconds")
        self.state = state
        self.request_timeout = request_timeout
        self.control = ControlApi(state, token, document())
        self.max_body = max_body
        self.fault_hold = fault_hold
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        try:
            self.http = _HttpServer(self, host, port)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}", where="port"
            ) from None

    # --- addresses ------------------------------------------------------------------------

    @property
    def loopback(self) -> bool:
        """Whether the server listens on a loopback address only."""
        host = str(self.http.server_address[0])
        return host.startswith("127.") or host == "::1"

    @property
    def port(self) -> int:
        return int(self.http.server_address[1])

    @property
    def base_url(self) -> str:
        host = str(self.http.server_address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def provider_urls(self) -> dict[str, str]:
        """Where each provider answers: give these to the client as its base URL."""
        with self.state.lock:
            return {s.name: f"{self.base_url}/{s.name}" for s in self.state.services}

    # --- running --------------------------------------------------------------------------

    def serve_forever(self) -> None:
        self.http.serve_forever(poll_interval=0.05)

    def start(self) -> Server:
        """Serve from a background thread; returns at once, ready for requests."""
        self._thread = threading.Thread(target=self.serve_forever, name="twofa-sim-serve")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, release held requests, close every connection, join every thread."""
        self.stopping.set()
        if self._thread is not None:
            self.http.shutdown()
            self._thread.join()
            self._thread = None
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.http.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- connections ----------------------------------------------------------------------

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def forget(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    # --- routing --------------------------------------------------------------------------

    def provider_for(self, host: str | None, path: str) -> tuple[str, str] | None:
        """``(provider name, path as the provider sees it)``, or None."""
        with self.state.lock:
            services = list(self.state.services)
        hostname = (host or "").rsplit(":", 1)[0].strip().lower()
        for service in services:
            if any(urlsplit(base).hostname == hostname for base in service.base_urls):
                return service.name, path
        for service in services:
            prefix = f"/{service.name}"
            if path == prefix or path.startswith(prefix + "/"):
                return service.name, path[len(prefix) :] or "/"
        return None


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins them: nothing outlives stop()
    block_on_close = True
    request_queue_size = 128  # socketserver's 5 resets clients that connect all at once

    def __init__(self, owner: Server, host: str, port: int) -> None:
        self.owner = owner
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke (a client killed mid-request) is no news: no traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "twofa-sim"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall
    server: _HttpServer
    raw_requestline: bytes

    # --- plumbing -------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.write_timeout = self.server.owner.request_timeout
        self.connection.settimeout(self.write_timeout)
        self.rfile.close()  # reads go through the deadline instead
        self.reader = _DeadlineReader(self.connection, self.write_timeout)
        self.rfile = io.BufferedReader(self.reader)
        self.server.owner.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.owner.forget(self.connection)

    def handle_one_request(self) -> None:
        self.reader.start()
        self.command = self.requestline = ""  # for an error answered before they are parsed
        try:
            super().handle_one_request()
        except (OSError, ValueError):  # reset, timed out, or garbage past the request line
            self.close_connection = True

    def parse_request(self) -> bool:
        """The standard parse, stricter: no HTTP/0.9 (it would wait for headers that never
        come), no header section that does not parse (its later headers would be lost)."""
        if len(self.raw_requestline.split()) == 2:
            self.send_error(400, "HTTP/0.9 requests are not served", "send HTTP/1.1")
            return False
        if not super().parse_request():
            return False
        if self.headers.defects:
            self.send_error(400, "malformed header section", "one 'Name: value' per line")
            return False
        return True

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the exchange log (control API) is the record, and paths can hold
        codes (Authy's verify path carries the token)."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The server's own errors (a malformed request line, a header too long, an unknown
        method) as JSON, never an HTML page."""
        self.close_connection = True
        self.request_version = "HTTP/1.1"  # unparsed: answer with headers, not HTTP/0.9
        text = message or self.responses.get(code, ("error",))[0]
        body = {"error": {"status": code, "message": text, "where": "", "hint": explain or ""}}
        with contextlib.suppress(OSError):
            self._write(code, _json_headers(), _json_bytes(body))

    def _write(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.connection.settimeout(self.write_timeout)  # reads may have left less
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # --- requests -------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._any()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _any(self) -> None:
        try:
            self._route()
        except OSError:
            self.close_connection = True
        except Exception as exc:  # a bug of ours: say so in one line, answer 500, keep serving
            print(
                f"twofa-sim serve: internal error on {self.command} "
                f"{self.path.split('?')[0][:40]}: {type(exc).__name__}: {exc}",
                file=sys.stderr,
                flush=True,
            )
            self.send_error(500, "internal error in twofa-sim serve", type(exc).__name__)

    def _route(self) -> None:
        target = self.path
        if target.startswith("/"):
            path, _, query = target.partition("#")[0].partition("?")
        else:  # absolute form (a proxy's request)
            try:
                parts = urlsplit(target)
            except ValueError:
                self.send_error(400, "the request target is not a URL")
                return
            path, query = parts.path or "/", parts.query
        owner = self.server.owner
        if path in ("/", f"{PREFIX}/inbox") and self.command in ("GET", "HEAD"):
            self._page()
        elif path == PREFIX or path.startswith(PREFIX + "/"):
            self._control(path[len(PREFIX) :] or "/", query)
        elif (found := owner.provider_for(self.headers.get("Host"), path)) is not None:
            self._provider(found[0], found[1], query)
        elif self._no_body():
            with owner.state.lock:
                names = [f"/{s.name}" for s in owner.state.services]
            body = {
                "error": {
                    "status": 404,
                    "message": f"nothing is served at {path}",
                    "where": "path",
                    "hint": f"providers under {', '.join(names)}; control API under {PREFIX}",
                }
            }
            self._write(404, _json_headers(), _json_bytes(body))

    def _page(self) -> None:
        if not self._no_body():
            return
        html = files("twofa_sim.serve").joinpath("inbox.html").read_bytes()
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "connect-src 'self'; img-src 'self' data:"
            ),
        }
        self._write(200, headers, html)

    def _control(self, path: str, query: str) -> None:
        body = self._body()
        if body is None:
            return
        refusal = self._foreign()
        if refusal is not None:
            reply = ControlReply(403, {"error": {"status": 403, "message": refusal}})
        elif isinstance(body, TooLarge):
            reply = ControlReply(413, {"error": {"status": 413, "message": str(body)}})
        else:
            fields = dict(parse_qsl(query, keep_blank_values=True))
            reply = self.server.owner.control.handle(
                self.command, path, fields, dict(self.headers.items()), body
            )
        self._write(reply.status, {**_json_headers(), **reply.headers}, _json_bytes(reply.body))

    def _foreign(self) -> str | None:
        """Why a control request must be refused as coming from another web site, or None.

        A page on another origin may make the tester's browser send requests here (a form
        POST needs no CORS consent): browsers name that origin in ``Origin``, and it is not
        this server's. A page on a name that resolves to 127.0.0.1 (DNS rebinding) sends its
        own name in ``Host``: on loopback, only loopback names are served."""
        host = (self.headers.get("Host") or "").strip().lower()
        origin = self.headers.get("Origin")
        if origin is not None and _netloc(origin.strip().lower()) != host:
            return "cross-origin requests to the control API are refused"
        if self.server.owner.loopback:
            name = _hostname(host)
            if name not in _LOOPBACK_NAMES:
                return f"the control API answers loopback names only, not {name!r}"
        return None

    def _provider(self, name: str, path: str, query: str) -> None:
        owner = self.server.owner
        body = self._body()
        if body is None:
            return
        with owner.state.locked():
            service = owner.state.service(name)
            if isinstance(body, TooLarge):
                outcome: tuple[int, dict[str, str], str] | Exception = service.error_reply(
                    413, "too_large"
                ).encoded()
            else:
                outcome = service.dispatch(self._prepared(service, path, query, body))
        if isinstance(outcome, tuple):
            status, headers, text = outcome
            self._write(status, headers, text.encode("utf-8"))
        elif isinstance(outcome, requests.exceptions.Timeout):
            # The answer is lost: hold the request until the client gives up (or the hold
            # ends, or the server stops), then close without a word.
            self.close_connection = True
            owner.stopping.wait(owner.fault_hold)
        else:
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _prepared(
        self, service: FakeService, path: str, query: str, body: bytes
    ) -> requests.PreparedRequest:
        """The request as the in-process fakes receive it from ``requests``."""
        prepared = requests.PreparedRequest()
        prepared.method = self.command
        base = service.base_urls[0].rstrip("/") if service.base_urls else self.server.owner.base_url
        prepared.url = f"{base}{path}" + (f"?{query}" if query else "")
        prepared.headers = CaseInsensitiveDict(dict(self.headers.items()))
        prepared.body = body
        return prepared

    # --- bodies ---------------------------------------------------------------------------

    def _body(self) -> bytes | TooLarge | None:
        """The request body, whole; ``TooLarge`` past the cap; None when the request is over
        (the client is gone, or broken framing was answered 400). The connection is closed
        after anything but a whole body."""
        body = read_body(
            self.rfile,
            self.server.owner.max_body,
            content_length=self.headers.get_all("Content-Length"),
            transfer_encoding=", ".join(self.headers.get_all("Transfer-Encoding") or []) or None,
        )
        if isinstance(body, Broken):
            self.send_error(400, body.reason)
            return None
        if not isinstance(body, bytes):
            self.close_connection = True
        return body

    def _no_body(self) -> bool:
        """For requests that take no body: read (and drop) one if sent, so the connection stays
        in step. False when the request is over (the client is gone)."""
        return self._body() is not None


def _netloc(url: str) -> str | None:
    """The ``host:port`` of a URL; None if it does not parse (``http://[::1``)."""
    try:
        return urlsplit(url).netloc
    except ValueError:
        return None


def _hostname(host: str) -> str:
    """The name in a ``Host`` header, without the port; empty if it does not parse."""
    try:
        return urlsplit(f"//{host}").hostname or ""
    except ValueError:
        return ""


def _json_headers() -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


def _json_bytes(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _DeadlineReader(io.RawIOBase):
    """A connection's reads, all within one deadline per request (:meth:`start`): a socket
    timeout alone bounds each read, and a client sending a byte a second would never reach it."""

    def __init__(self, connection: socket.socket, seconds: float) -> None:
        super().__init__()
        self.connection = connection
        self.seconds = seconds
        self.deadline = math.inf

    def start(self) -> None:
        self.deadline = real_monotonic() + self.seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - real_monotonic()
        if left <= 0:
            raise TimeoutError("the request was not sent in time")
        self.connection.settimeout(left)
        return self.connection.recv_into(buffer)
