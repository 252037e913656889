"""Bad input over real HTTP: the provider's own envelope, never a traceback, never a hang."""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
from typing import Any

import pytest
import requests

from tests.serve.conftest import ALICE, SENDER, Served, start
from twofa_sim.serve import DEFAULT_MAX_BODY


def _twilio_auth(served: Served) -> tuple[str, dict[str, str]]:
    creds = served.ok("GET", "/world")["providers"]["twilio"]
    basic = base64.b64encode(f"{creds['account_sid']}:{creds['auth_token']}".encode()).decode()
    url = f"{served.base}/twilio/2010-04-01/Accounts/{creds['account_sid']}/Messages.json"
    return url, {"Authorization": f"Basic {basic}"}


def _raw(served: Served, data: bytes, *, read_timeout: float = 10.0) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=read_timeout) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _envelope(response: requests.Response) -> Any:
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_an_unknown_twilio_path_is_twilios_404_envelope(served: Served) -> None:
    """Rule: a path the Twilio fake does not implement answers Twilio's 20404 body."""
    response = requests.get(f"{served.base}/twilio/2010-04-01/Nope.json", timeout=10)
    body = _envelope(response)
    assert response.status_code == 404
    assert (body["code"], body["status"]) == (20404, 404)


def test_an_unknown_authy_path_is_authys_envelope(served: Served) -> None:
    """Rule: Authy's unknown paths answer Authy's own error shape (success false, 60000)."""
    response = requests.get(f"{served.base}/authy/protected/json/nope", timeout=10)
    body = _envelope(response)
    assert response.status_code == 404
    assert body["success"] is False and body["error_code"] == "60000"


def test_a_path_outside_every_provider_names_the_prefixes(served: Served) -> None:
    """Rule: a request no provider serves is a JSON 404 that says where the providers are."""
    response = requests.post(f"{served.base}/2010-04-01/Accounts", data="x=1", timeout=10)
    body = _envelope(response)
    assert response.status_code == 404
    assert "/twilio" in body["error"]["hint"] and "/authy" in body["error"]["hint"]


def test_a_provider_is_also_reached_by_its_own_host_name(served: Served) -> None:
    """Rule: a request whose Host is api.twilio.com (a proxy, /etc/hosts) reaches the Twilio
    fake with the real path, no prefix."""
    url, headers = _twilio_auth(served)
    path = url.split("/twilio", 1)[1]
    response = requests.get(
        f"{served.base}{path}", headers={**headers, "Host": "api.twilio.com"}, timeout=10
    )
    assert response.status_code == 200 and response.json()["messages"] == []


def test_wrong_basic_auth_is_twilios_401(served: Served) -> None:
    """Rule: credentials that are not HTTP Basic of the account answer 20003 with 401."""
    url, _ = _twilio_auth(served)
    response = requests.post(
        url, data={"To": ALICE}, headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert response.status_code == 401 and _envelope(response)["code"] == 20003


def test_a_malformed_twilio_body_is_twilios_400(served: Served) -> None:
    """Rule: a body that is not a form (bytes that are not UTF-8 either) gets Twilio's
    validation envelope, not a 500."""
    url, headers = _twilio_auth(served)
    response = requests.post(
        url,
        data=b"\xff\xfe%%%&&&=\x00",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    body = _envelope(response)
    assert response.status_code == 400 and body["code"] == 21604  # 'To' is required


def test_malformed_json_to_authy_is_authys_envelope(served: Served) -> None:
    """Rule: a broken JSON body to Authy answers Authy's error body with its API key checked."""
    api_key = served.ok("GET", "/world")["providers"]["authy"]["api_key"]
    response = requests.post(
        f"{served.base}/authy/protected/json/users/new",
        data=b'{"user": {"email": ',
        headers={"X-Authy-API-Key": api_key, "Content-Type": "application/json"},
        timeout=10,
    )
    body = _envelope(response)
    assert response.status_code == 400 and body["success"] is False


def test_an_oversized_body_is_413_in_the_providers_envelope(served: Served) -> None:
    """Rule: a body over the cap is refused with 413 in Twilio's envelope, and the server goes
    on serving."""
    url, headers = _twilio_auth(served)
    response = requests.post(
        url, data=b"Body=" + b"x" * (DEFAULT_MAX_BODY + 1), headers=headers, timeout=10
    )
    body = _envelope(response)
    assert response.status_code == 413 and (body["code"], body["status"]) == (20413, 413)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200


def test_a_huge_declared_body_is_refused_without_waiting_for_it(served: Served) -> None:
    """Rule: a Content-Length of a gigabyte is answered 413 at once (nothing is read), the
    connection closed."""
    answer = _raw(
        served,
        b"POST /twilio/2010-04-01/Accounts/AC1/Messages.json HTTP/1.1\r\n"
        b"Host: x\r\nContent-Length: 1000000000\r\n\r\nBody=hi",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"Connection: close" in head
    assert json.loads(body)["status"] == 413


def test_a_malformed_request_line_is_a_json_400(served: Served) -> None:
    """Rule: bytes that are not HTTP get a JSON 400, never an HTML page or a traceback."""
    answer = _raw(served, b"THIS IS NOT HTTP\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"]["status"] == 400


def test_a_bad_content_length_is_a_json_400(served: Served) -> None:
    """Rule: a Content-Length that is not a number is refused, not guessed at."""
    answer = _raw(served, b"POST /twilio/x HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")


def test_a_chunked_body_is_read(served: Served) -> None:
    """Rule: clients that stream their body (Transfer-Encoding: chunked) are understood."""
    url, headers = _twilio_auth(served)
    form = f"To=%2B{ALICE[1:]}&From=%2B{SENDER[1:]}&Body=code+654321".encode()
    chunks = iter([form[:10], form[10:]])
    response = requests.post(
        url,
        data=chunks,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert response.status_code == 201 and response.json()["to"] == ALICE


@pytest.mark.parametrize("how", ["mid-headers", "mid-body", "reset"])
def test_a_client_killed_mid_request_leaves_the_server_serving(served: Served, how: str) -> None:
    """Rule: a client that dies half-way (closing or resetting its connection) costs nothing:
    the next client is served, and nothing of the half request was acted on."""
    url, headers = _twilio_auth(served)
    path = url.split(served.base, 1)[1]
    partial = {
        "mid-headers": f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Le".encode(),
        "mid-body": (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {headers['Authorization']}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n"
            f"To=%2B{ALICE[1:]}&From=%2B{SENDER[1:]}&Body=code"
        ).encode(),
        "reset": f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode(),
    }[how]
    sock = socket.create_connection(("127.0.0.1", served.server.port), timeout=10)
    sock.sendall(partial)
    if how == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 200 and response.json()["messages"] == []


def test_an_injected_connection_error_resets_the_connection(served: Served) -> None:
    """Rule: a connection_error fault fails the request at the socket, as a dropped network
    does, and the exchange log says so; the next request is answered."""
    served.ok("POST", "/faults", {"provider": "twilio", "kind": "connection_error", "times": 1})
    url, headers = _twilio_auth(served)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, headers=headers, timeout=10)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    exchanges = served.ok("GET", "/exchanges?provider=twilio")["exchanges"]
    first = exchanges[0]
    assert (first["status"], first["fault"]) == (None, "connection_error")


def test_an_injected_timeout_leaves_the_client_without_an_answer(served: Served) -> None:
    """Rule: a timeout fault does the work and loses the answer: the client times out, the
    message was still sent (as ambiguous as in production)."""
    served.ok("POST", "/faults", {"provider": "twilio", "kind": "timeout", "times": 1})
    url, headers = _twilio_auth(served)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            url, data={"To": ALICE, "From": SENDER, "Body": "code 777777"}, headers=headers,
            timeout=0.5,
        )  # fmt: skip
    served.ok("POST", "/clock/advance", {"by": "1m"})
    assert served.ok("GET", f"/sms/{ALICE}")["latest_code"] == "777777"


def test_stopping_releases_a_request_held_by_a_timeout_fault() -> None:
    """Rule: stop() does not wait out a held request: the client sees the connection close."""
    server = start(fault_hold=60.0).start()
    served = Served(server)
    served.ok("POST", "/faults", {"provider": "twilio", "kind": "timeout"})
    url, headers = _twilio_auth(served)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(url, headers=headers, timeout=30)
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    for _ in range(2000):  # bounded wait until the fault has fired
        if served.ok("GET", "/exchanges")["exchanges"]:
            break
    server.stop()
    caller.join(timeout=10)
    assert not caller.is_alive() and isinstance(outcome[0], requests.exceptions.ConnectionError)
