"""The suite-wide network guard (tests/conftest.py): loopback only, for every test."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from tests.conftest import NetworkRefusedError

# TEST-NET-1 (RFC 5737): reserved for documentation, never routed; nothing is sent anyway.
FAR = "192.0.2.1"


def _tcp6() -> None:
    with socket.socket(socket.AF_INET6) as sock:
        sock.connect_ex(("2001:db8::1", 443, 0, 0))  # RFC 3849's documentation prefix


def _udp() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"x", (FAR, 53))


@pytest.mark.parametrize(
    "reach",
    [
        lambda: socket.create_connection((FAR, 443), timeout=1),
        _tcp6,
        _udp,
        lambda: socket.getaddrinfo("example.com", 443),
        lambda: socket.gethostbyname("example.com"),
        lambda: socket.gethostbyname_ex("example.com"),
        lambda: requests.get(f"http://{FAR}/", timeout=1),
    ],
    ids=["tcp", "tcp6-connect-ex", "udp", "dns", "gethostbyname", "gethostbyname-ex", "requests"],
)
def test_a_test_cannot_reach_beyond_loopback(reach: object) -> None:
    """Connecting, sending or resolving anything but loopback fails at once with the guard's
    error, which says what to do; requests cannot swallow it as a connection error."""
    with pytest.raises(NetworkRefusedError, match="tests never touch the network beyond loopback"):
        reach()  # type: ignore[operator]


def test_loopback_still_works() -> None:
    """A server on 127.0.0.1 is reached by address and by the name localhost; socket pairs and
    Unix sockets (what xdist and subprocesses use) are untouched."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def echo() -> None:
            for _ in range(2):
                connection, _ = server.accept()
                with connection:
                    connection.sendall(connection.recv(16))

        thread = threading.Thread(target=echo)
        thread.start()
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, port), timeout=5) as client:
                client.sendall(b"ping")
                assert client.recv(16) == b"ping"
        thread.join(timeout=5)
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"pair")
        assert right.recv(16) == b"pair"
