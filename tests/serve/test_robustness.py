"""Bad input on a served server (issue 13, Done when): the provider's own error envelope or a
clean close, never a traceback, never a hang, and the server goes on serving.

Every test talks to a server on loopback whose request timeout is half a second, so a client
that stops half-way is seen out quickly; the client side never sleeps, it waits on its socket.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.serve.conftest import ALICE, SENDER, WORLD
from twofa_sim.serve import DEFAULT_MAX_BODY, ServedWorld, Server

TIMEOUT = 0.5
"""The server's request timeout in these tests (seconds)."""
PATIENCE = 10.0
"""How long a client waits for the server (many times TIMEOUT: reaching it is a hang)."""


@dataclass
class Answer:
    status: int | None
    """None when the server closed the connection without a word."""
    head: bytes
    body: Any

    @property
    def twilio(self) -> bool:
        """Twilio's error envelope (Messages and Verify alike)."""
        body = self.body
        return (
            isinstance(body, dict)
            and set(body) >= {"code", "message", "more_info", "status"}
            and body["status"] == self.status
            and str(body["more_info"]).startswith("https://www.twilio.com/docs/errors/")
        )

    @property
    def authy(self) -> bool:
        """Authy's error body."""
        body = self.body
        return (
            isinstance(body, dict)
            and body.get("success") is False
            and isinstance(body.get("error_code"), str)
            and isinstance(body.get("message"), str)
        )

    @property
    def server(self) -> bool:
        """The server's own JSON error (for what no provider could be asked: framing)."""
        body = self.body
        return isinstance(body, dict) and body.get("error", {}).get("status") == self.status


@dataclass
class Robust:
    server: Server

    def __post_init__(self) -> None:
        with self.server.state.lock:
            world = self.server.state.world
            sid, token = world.twilio.account_sid, world.twilio.auth_token
            self.authy_key = world.authy.api_key
        self.account_sid = sid
        self.basic = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
        self.messages = f"/twilio/2010-04-01/Accounts/{sid}/Messages.json"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.server.port), timeout=PATIENCE)

    def raw(self, data: bytes) -> Answer:
        """Send ``data`` on a fresh connection; read until the server closes it."""
        with self.connect() as sock:
            sock.sendall(data)
            return _parse(_until_closed(sock))

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        raw_headers: bytes = b"",
    ) -> Answer:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        head = "\r\n".join(lines).encode("latin-1") + b"\r\n" + raw_headers + b"\r\n"
        return self.raw(head + body)

    def exchanges(self) -> list[Any]:
        with self.server.state.lock:
            return [e for s in self.server.state.services for e in s.exchanges]

    def still_serving(self) -> None:
        """A normal request afterwards is answered normally."""
        answer = self.request("GET", self.messages, headers={"Authorization": self.basic})
        assert answer.status == 200 and answer.body["messages"] is not None


def _until_closed(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass  # a reset is a close too
    return b"".join(chunks)


def _parse(data: bytes) -> Answer:
    if not data:
        return Answer(None, b"", None)
    head, _, body = data.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):  # an interim answer to Expect: 100-continue
        head, _, body = body.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        decoded: Any = json.loads(body) if body else None
    except ValueError:
        decoded = body
    return Answer(status, head, decoded)


@pytest.fixture
def robust(capfd: pytest.CaptureFixture[str]) -> Iterator[Robust]:
    """A served world with a short request timeout; afterwards, nothing on stderr."""
    server = Server(ServedWorld(WORLD), port=0, request_timeout=TIMEOUT, fault_hold=5.0)
    with server:
        yield Robust(server)
    errors = capfd.readouterr().err
    assert "Traceback" not in errors and "internal error" not in errors, errors


# --- unknown paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "shape", "status"),
    [
        ("GET", "/twilio/2010-04-01/Nope.json", "twilio", 404),
        ("POST", "/twilio/2010-04-01/Accounts/ACnope/Calls.json", "twilio", 404),
        ("GET", "/verify/v2/Nope", "twilio", 404),
        ("DELETE", "/verify/v3/Services", "twilio", 404),
        ("GET", "/authy/protected/json/nope", "authy", 404),
        ("GET", "/authy/protected/xml/users/1/status", "authy", 404),
        ("GET", "/nowhere", "server", 404),
        ("BREW", "/twilio/2010-04-01/Nope.json", "server", 501),
        ("GET", "http://[::1/twilio", "server", 400),
    ],
)
def test_an_unknown_path_or_method_is_answered_in_the_providers_envelope(
    robust: Robust, method: str, path: str, shape: str, status: int
) -> None:
    """Rule: a path a provider does not serve gets that provider's own 404 body (Twilio's
    20404 for Messages and Verify, Authy's 60000); a path no provider serves, an unknown
    method or a request target that is not a URL get the server's JSON error."""
    answer = robust.request(method, path)
    assert answer.status == status and getattr(answer, shape), answer
    robust.still_serving()


# --- malformed bodies -----------------------------------------------------------------------


FORM = "application/x-www-form-urlencoded"
MALFORMED = [
    ("twilio", b'{"To": "+1555', "application/json"),
    ("twilio", b"%%%=&&=%zz&To", FORM),
    ("twilio", b"<Message><To>+15551230001</To></Message>", "text/xml"),
    ("twilio", b"To=\xff\xfe&From=\x80&Body=\xc3", FORM),
    ("twilio", b"[" * 60000, "application/json"),
    ("verify", b'{"FriendlyName": ', "application/json"),
    ("verify", b"FriendlyName=\xff\xfe", FORM),
    ("verify", b"<Service/>", "text/xml"),
    ("authy", b'{"user": {"email": ', "application/json"),
    ("authy", b"[1, 2, 3]", "application/json"),
    ("authy", b"[" * 60000, "application/json"),
    ("authy", b"user[email]=\xff&user[cellphone]=\xfe", FORM),
    ("authy", b"\x00\x01\x02", "application/octet-stream"),
]


@pytest.mark.parametrize(("provider", "body", "content_type"), MALFORMED)
def test_a_malformed_body_is_a_400_in_the_providers_envelope(
    robust: Robust, provider: str, body: bytes, content_type: str
) -> None:
    """Rule: bad JSON, bad form encoding, a content type the endpoint does not read, bytes
    that are not UTF-8, JSON nested past Python's recursion limit: each is refused with 400 in
    the provider's own envelope, with the right credentials given (so the body is what is
    judged), and nothing is created."""
    path, headers, shape = {
        "twilio": (robust.messages, {"Authorization": robust.basic}, "twilio"),
        "verify": ("/verify/v2/Services", {"Authorization": robust.basic}, "twilio"),
        "authy": (
            "/authy/protected/json/users/new",
            {"X-Authy-API-Key": robust.authy_key},
            "authy",
        ),
    }[provider]
    answer = robust.request("POST", path, body, {**headers, "Content-Type": content_type})
    assert answer.status == 400 and getattr(answer, shape), answer
    assert all(e.status == 400 for e in robust.exchanges())
    robust.still_serving()


@pytest.mark.parametrize("body", [b'{"by": ', b"\xff\xfe", b"by=30", b"[1]"])
def test_a_malformed_control_body_is_a_located_400(robust: Robust, body: bytes) -> None:
    """Rule: the control API takes a JSON object; anything else is its 400, the clock unmoved."""
    answer = robust.request("POST", "/_twofa/clock/advance", body)
    assert answer.status == 400 and answer.server, answer
    with robust.server.state.lock:
        assert robust.server.state.world.now() == robust.server.state.spec.start
    robust.still_serving()


# --- wrong credentials -----------------------------------------------------------------------


WRONG_BASIC = [
    None,
    "Bearer nope",
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"\xff\xfe:\x80").decode(),
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"AC00000000000000000000000000000000:token").decode(),
]


@pytest.mark.parametrize("path", ["messages", "/verify/v2/Services"])
@pytest.mark.parametrize("authorization", WRONG_BASIC)
def test_wrong_twilio_credentials_are_a_401_envelope(
    robust: Robust, path: str, authorization: str | None
) -> None:
    """Rule: missing, malformed, non-UTF-8 or wrong HTTP Basic credentials get Twilio's 401
    (20003) on Messages and Verify alike, never a 500."""
    url = robust.messages if path == "messages" else path
    headers = {"Content-Type": FORM}
    if authorization is not None:
        headers["Authorization"] = authorization
    answer = robust.request("POST", url, b"To=%2B15551230001", headers)
    assert answer.status == 401 and answer.twilio and answer.body["code"] == 20003, answer
    robust.still_serving()


@pytest.mark.parametrize("path", ["messages", "/verify/v2/Services"])
def test_credentials_that_are_not_even_text_are_a_401(robust: Robust, path: str) -> None:
    """Rule: an Authorization header of raw bytes (not ASCII, a NUL inside) is wrong
    credentials (401), not a crash of the fake (it was a 500)."""
    url = robust.messages if path == "messages" else path
    answer = robust.request(
        "POST",
        url,
        b"To=1",
        {"Content-Type": FORM},
        raw_headers=b"Authorization: Basic \xff\xfe\x00\r\n",
    )
    assert answer.status == 401 and answer.twilio, answer
    robust.still_serving()


@pytest.mark.parametrize("key", [None, "", "nope", "x" * 5000])
def test_a_wrong_authy_key_is_authys_401(robust: Robust, key: str | None) -> None:
    """Rule: a missing or wrong X-Authy-API-Key gets Authy's 401 body (60001)."""
    headers = {} if key is None else {"X-Authy-API-Key": key}
    answer = robust.request("GET", "/authy/protected/json/users/1/status", headers=headers)
    assert answer.status == 401 and answer.authy and answer.body["error_code"] == "60001"
    robust.still_serving()


def test_a_non_ascii_authy_key_is_authys_401(robust: Robust) -> None:
    """Rule: a key header of raw bytes is a wrong key, answered as one."""
    answer = robust.request(
        "GET", "/authy/protected/json/users/1/status", raw_headers=b"X-Authy-API-Key: \xe9\xff\r\n"
    )
    assert answer.status == 401 and answer.authy
    robust.still_serving()


# --- oversized bodies and lying framing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("messages", "twilio"),
        ("/verify/v2/Services", "twilio"),
        ("/authy/protected/json/users/new", "authy"),
    ],
)
def test_a_body_over_the_cap_is_a_413_in_the_providers_envelope(
    robust: Robust, path: str, shape: str
) -> None:
    """Rule: a body over the cap is refused with 413 in the provider's own envelope; nothing
    reaches the fake."""
    url = robust.messages if path == "messages" else path
    headers = {"Authorization": robust.basic, "X-Authy-API-Key": robust.authy_key}
    answer = robust.request("POST", url, b"x=" + b"y" * DEFAULT_MAX_BODY, headers)
    assert answer.status == 413 and getattr(answer, shape), answer
    robust.still_serving()


def test_a_chunked_body_over_the_cap_is_a_413(robust: Robust) -> None:
    """Rule: the cap counts a chunked body's chunks too: 413, connection closed."""
    chunk = b"y" * 4096
    body = b"".join(b"1000\r\n" + chunk + b"\r\n" for _ in range(DEFAULT_MAX_BODY // 4096 + 1))
    answer = robust.raw(
        f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
        + body
        + b"0\r\n\r\n"
    )
    assert answer.status == 413 and answer.twilio
    robust.still_serving()


def test_a_content_length_longer_than_the_body_is_dropped_after_the_timeout(
    robust: Robust,
) -> None:
    """Rule: a client that declares more than it sends, then waits, is disconnected after the
    request timeout without an answer, and its partial request is not acted on (no SMS)."""
    form = f"To=%2B{ALICE[1:]}&From=%2B{SENDER[1:]}&Body=code+123456".encode()
    answer = robust.raw(
        f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
        f"Content-Type: {FORM}\r\nContent-Length: {len(form) + 100}\r\n\r\n".encode()
        + form
    )
    assert answer.status is None
    assert robust.exchanges() == []
    robust.still_serving()


def test_a_content_length_shorter_than_the_body_leaves_the_rest_refused(robust: Robust) -> None:
    """Rule: only the declared bytes are the body (answered by the provider); what follows is
    read as the next request, and being no request it is refused with a JSON 400 and the
    connection closed."""
    with robust.connect() as sock:
        sock.sendall(
            f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
            f"Content-Type: {FORM}\r\nContent-Length: 3\r\n\r\n".encode()
            + b"To=%2B15551230001&Body=x\r\n\r\n"
        )
        data = _until_closed(sock)
    first_head, _, rest = data.partition(b"\r\n\r\n")
    length = int(first_head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    first = _parse(first_head + b"\r\n\r\n" + rest[:length])
    second = _parse(rest[length:])
    assert first.status == 400 and first.twilio  # 'To=' alone: Twilio says To is required
    assert second.status == 400 and second.server
    assert [e.status for e in robust.exchanges()] == [400]
    robust.still_serving()


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\nContent-Length: 7\r\n",
        b"Transfer-Encoding: gzip\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
    ],
)
def test_framing_that_reads_two_ways_is_refused(robust: Robust, framing: bytes) -> None:
    """Rule: Content-Length headers that disagree, or a transfer coding the server cannot
    undo, are refused with a JSON 400 and a closed connection, not guessed at (where the body
    ends would be a guess)."""
    answer = robust.raw(
        f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n".encode()
        + framing
        + b"\r\nTo=12"
    )
    assert answer.status == 400 and answer.server
    assert robust.exchanges() == []
    robust.still_serving()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /twilio/x\r\n\r\n",  # HTTP/0.9
        b"GET /twilio/x HTTP/1.1\r\nthis is not a header\r\nConnection: close\r\n\r\n",
        b"GET /twilio/x HTTP/2.0\r\n\r\n",
        b"GET /_twofa/world HTTP/1.1\r\nHost: [::1\r\n\r\n",
        b"GET /_twofa/world HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://[::1\r\n\r\n",
    ],
)
def test_a_malformed_request_head_is_refused_in_json(robust: Robust, request_bytes: bytes) -> None:
    """Rule: an HTTP/0.9 request line, a header line that does not parse, an HTTP version not
    served, a Host or Origin that is no URL: a JSON 4xx/5xx at once, never a 500, never a
    wait for headers that will not come."""
    answer = robust.raw(request_bytes)
    assert answer.status is not None and answer.status != 500 and answer.server, answer
    robust.still_serving()


# --- slow, partial and killed clients --------------------------------------------------------


def _partials(robust: Robust) -> dict[str, bytes]:
    form = f"To=%2B{ALICE[1:]}&From=%2B{SENDER[1:]}&Body=code+999999"
    return {
        "nothing": b"",
        "half a request line": b"POST /twilio/2010-04-01/Acc",
        "headers never ended": (
            f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
        ).encode(),
        "half a body": (
            f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
            f"Content-Type: {FORM}\r\nContent-Length: {len(form)}\r\n\r\n{form[:20]}"
        ).encode(),
        "half a chunk": (
            f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n40\r\n{form[:20]}"
        ).encode(),
    }


@pytest.mark.parametrize(
    "how", ["nothing", "half a request line", "headers never ended", "half a body", "half a chunk"]
)
def test_a_client_that_stops_half_way_is_disconnected(robust: Robust, how: str) -> None:
    """Rule: a client that sends part of a request and goes quiet does not hold a thread: the
    server closes the connection after its request timeout (the client, waiting many times
    longer, sees the close), answers nothing and acts on nothing."""
    with robust.connect() as sock:
        sock.sendall(_partials(robust)[how])
        assert _until_closed(sock) == b""  # a socket.timeout here would be a hang
    assert robust.exchanges() == []
    robust.still_serving()


def test_a_client_dripping_bytes_is_disconnected_at_the_deadline(robust: Robust) -> None:
    """Rule: the timeout bounds the whole request, not each read: a client sending a byte
    every 50 ms (well within any per-read timeout) is cut off once the request has taken the
    request timeout, long before it finishes."""
    request = _partials(robust)["half a body"] + b"x" * 400
    sent = 0
    with robust.connect() as sock:
        sock.settimeout(0.05)  # the wait between bytes: a wait for the server's close
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                sent += 1
                try:
                    if sock.recv(1) == b"":
                        break
                except TimeoutError:
                    continue
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < len(request)
    assert robust.exchanges() == []
    robust.still_serving()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/verify/v2/Services", b"FriendlyName=ACME&CodeLength=6"),
        ("/authy/protected/json/users/new", b"user[email]=a@b.c&user[cellphone]=5551230001"),
    ],
)
def test_a_client_killed_mid_body_leaves_nothing_behind(
    robust: Robust, path: str, body: bytes
) -> None:
    """Rule: a client reset half-way through its body (Verify, Authy) is forgotten: nothing
    created, and the next client is served."""
    with robust.connect() as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
            f"X-Authy-API-Key: {robust.authy_key}\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert robust.exchanges() == []
    robust.still_serving()


def test_a_client_killed_before_reading_its_answer_costs_nothing(robust: Robust) -> None:
    """Rule: a client that sends a whole request and resets at once (its answer has nowhere
    to go) leaves no traceback, and the server goes on serving."""
    form = f"To=%2B{ALICE[1:]}&From=%2B{SENDER[1:]}&Body=code+424242".encode()
    for _ in range(5):
        with robust.connect() as sock:
            sock.sendall(
                f"POST {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}"
                f"\r\nContent-Type: {FORM}\r\nContent-Length: {len(form)}\r\n\r\n".encode()
                + form
            )
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    robust.still_serving()


def test_a_client_killed_while_a_timeout_fault_holds_it(robust: Robust) -> None:
    """Rule: a client that gives up on a request held by a timeout fault frees nothing the
    others need: the next request is served at once."""
    with robust.server.state.lock:
        robust.server.state.add_fault({"provider": "twilio", "kind": "timeout", "times": 1})
    with robust.connect() as sock:
        sock.sendall(
            f"GET {robust.messages} HTTP/1.1\r\nHost: x\r\n".encode()
            + f"Authorization: {robust.basic}\r\n\r\n".encode()
        )
        sock.settimeout(0.02)
        for _ in range(500):  # until the fault holds the request (the server answers nothing)
            if robust.exchanges():
                break
            with pytest.raises(TimeoutError):
                sock.recv(1)
        assert [e.fault for e in robust.exchanges()] == ["answer lost (timeout)"]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    robust.still_serving()


def test_a_crowd_connecting_at_once_is_served(robust: Robust) -> None:
    """Rule: 100 clients that connect at the same moment are all accepted and answered (the
    listen backlog was 5: a crowd got connections reset)."""
    socks = [robust.connect() for _ in range(100)]
    try:
        request = (
            f"GET {robust.messages} HTTP/1.1\r\nHost: x\r\nAuthorization: {robust.basic}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        for sock in socks:
            sock.sendall(request)
        answers = [_parse(_until_closed(sock)) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert [a.status for a in answers] == [200] * 100
