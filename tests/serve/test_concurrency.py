"""Many clients at once: one lock around the world keeps the fakes consistent."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.serve.conftest import SENDER, Served

CLIENTS = 50
EACH = 6


def test_concurrent_clients_lose_and_duplicate_no_message(served: Served) -> None:
    """Rule: 50 clients sending SMS at once over keep-alive connections: every message gets its
    own SID, reaches its number exactly once, with its code; the exchange log holds each send."""
    creds = served.ok("GET", "/world")["providers"]["twilio"]
    basic = base64.b64encode(f"{creds['account_sid']}:{creds['auth_token']}".encode()).decode()
    url = f"{served.base}/twilio/2010-04-01/Accounts/{creds['account_sid']}/Messages.json"

    def client(index: int) -> list[tuple[str, str, str]]:
        sent = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Basic {basic}"
            for round_ in range(EACH):
                to = f"+1555200{index:04d}"
                code = f"{index:03d}{round_:03d}"
                response = session.post(
                    url, data={"To": to, "From": SENDER, "Body": f"code {code}"}, timeout=30
                )
                assert response.status_code == 201, response.text
                sent.append((response.json()["sid"], to, code))
        return sent

    with ThreadPoolExecutor(CLIENTS) as pool:
        sent = [item for batch in pool.map(client, range(CLIENTS)) for item in batch]
    assert len({sid for sid, _, _ in sent}) == CLIENTS * EACH
    served.ok("POST", "/clock/advance", {"by": "1m"})
    for index in range(CLIENTS):
        to = f"+1555200{index:04d}"
        inbox = served.ok("GET", f"/sms/{to}")["messages"]
        assert sorted(m["code"] for m in inbox) == sorted(c for _, t, c in sent if t == to)
    exchanges = served.ok("GET", "/exchanges?provider=twilio")["exchanges"]
    assert len(exchanges) == CLIENTS * EACH
