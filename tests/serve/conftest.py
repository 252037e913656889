"""A served world per test: started on 127.0.0.1, port 0, in a thread; always stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from twilio.rest import Client

from twofa_sim.serve import Server, build

ALICE = "+15551230001"
"""An Authy user: her phone runs the Authy app."""
BOB = "+15551230002"
SENDER = "+15005550006"

WORLD: dict[str, Any] = {
    "seed": 7,
    "start": "2026-03-01T09:00:00Z",
    "phones": [{"number": ALICE, "authy": True}, {"number": BOB}],
}


@dataclass
class Served:
    """A running server and the few ways tests talk to it."""

    server: Server
    token: str | None = None

    @property
    def base(self) -> str:
        return self.server.base_url

    def control(
        self, method: str, path: str, body: object = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """Call the control API; ``(status, decoded JSON)``."""
        headers = {}
        bearer = token if token is not None else self.token
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        response = requests.request(
            method,
            f"{self.base}/_twofa{path}",
            data=None if body is None else json.dumps(body),
            headers=headers,
            timeout=10,
        )
        return response.status_code, response.json()

    def ok(self, method: str, path: str, body: object = None) -> Any:
        status, data = self.control(method, path, body)
        assert status < 300, (status, data)
        return data

    def twilio(self, auth_token: str | None = None) -> Client:
        """The official twilio library, pointed at the served fake."""
        creds = self.ok("GET", "/world")["providers"]["twilio"]
        client = Client(creds["account_sid"], auth_token or creds["auth_token"])
        client.api.base_url = f"{self.base}/twilio"
        return client


def start(**options: Any) -> Server:
    options.setdefault("world_description", WORLD)
    options.setdefault("fault_hold", 5.0)
    return build(port=0, **options)


@pytest.fixture
def served() -> Iterator[Served]:
    with start() as server:
        yield Served(server)
