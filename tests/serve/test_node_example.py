"""examples/node-2fa, a Node.js service, black-box: its SMS goes through the served Twilio fake
over HTTP, and libfaketime moves its clock with the virtual one."""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests

from tests.serve.conftest import ALICE, Served, start
from tests.serve.test_faketime import LIBFAKETIME

EXAMPLE = Path(__file__).parents[2] / "examples" / "node-2fa" / "server.js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not LIBFAKETIME.exists() or not EXAMPLE.exists(),
    reason="needs node, libfaketime (Debian: apt-get install nodejs libfaketime) and a checkout",
)


class Node:
    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, path: str, **body: Any) -> Any:
        response = requests.post(f"{self.base}{path}", json=body, timeout=15)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Served, Node]]:
    clock_file = tmp_path / "faketime"
    with start(faketime_file=clock_file) as server:
        served = Served(server)
        twilio = served.ok("GET", "/world")["providers"]["twilio"]
        env = {
            **os.environ,
            "PORT": "0",
            "TWILIO_BASE_URL": f"{server.base_url}/twilio",
            "TWILIO_ACCOUNT_SID": twilio["account_sid"],
            "TWILIO_AUTH_TOKEN": twilio["auth_token"],
            "TZ": "UTC",
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(clock_file),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
        with subprocess.Popen(
            ["node", str(EXAMPLE)], env=env, stdout=subprocess.PIPE, text=True
        ) as process:
            try:
                assert process.stdout is not None
                with selectors.DefaultSelector() as selector:
                    selector.register(process.stdout, selectors.EVENT_READ)
                    assert selector.select(30), "the node service did not start"
                line = process.stdout.readline()
                assert line.startswith("listening on "), line
                yield served, Node(line.split()[-1])
            finally:
                process.terminate()
                process.wait(timeout=10)


def _sms_code(served: Served) -> str:
    served.ok("POST", "/clock/advance", {"by": "5s"})
    code = served.ok("GET", f"/sms/{ALICE}")["latest_code"]
    assert code is not None
    return str(code)


def test_the_node_service_runs_the_seed_flow_against_the_served_fakes(
    world: tuple[Served, Node],
) -> None:
    """Rule: a Node service using Twilio's HTTP API works against the served fake unchanged:
    phone verified by SMS, TOTP enrolled and confirmed at the virtual time, login with a
    second factor."""
    served, node = world
    node("/register", user="alice", password="correct horse")
    node("/phone/start", user="alice", phone=ALICE)
    assert node("/phone/confirm", user="alice", code=_sms_code(served)) == {"ok": True}
    uri = node("/totp/enroll", user="alice")["uri"]
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    now = served.ok("GET", "/clock")["now"]
    assert node("/totp/confirm", user="alice", code=pyotp.TOTP(secret).at(now)) == {"ok": True}
    login = node("/login", user="alice", password="correct horse")
    assert login["status"] == "second_factor"
    served.ok("POST", "/clock/advance", {"by": "2m"})
    now = served.ok("GET", "/clock")["now"]
    code = pyotp.TOTP(secret).at(now)
    assert node("/login/verify", login_id=login["login_id"], factor="totp", code=code) == {
        "ok": True
    }
    exchanges = served.ok("GET", "/exchanges?provider=twilio")["exchanges"]
    assert [e["status"] for e in exchanges] == [201]


def test_the_node_services_clock_follows_the_virtual_clock(world: tuple[Served, Node]) -> None:
    """Rule: under libfaketime the service reads the virtual time: a day forward on the virtual
    clock is a day forward for Node's Date.now(), and an SMS code it sent expires when the
    virtual clock passes its 10 minutes."""
    served, node = world
    # A move rewrites the file; from then on the service's clock runs on from the virtual time
    # (start-at), so read right after one.
    virtual = served.ok("POST", "/clock/advance", {"by": "1s"})["now"]
    before = requests.get(f"{node.base}/time", timeout=10).json()["now"]
    assert -2 <= before - virtual < 5
    node("/register", user="alice", password="pw")
    node("/phone/start", user="alice", phone=ALICE)
    node("/phone/confirm", user="alice", code=_sms_code(served))
    login = node("/login", user="alice", password="pw")
    node("/login/sms", login_id=login["login_id"])
    code = _sms_code(served)
    served.ok("POST", "/clock/advance", {"by": "11m"})
    assert node("/login/verify", login_id=login["login_id"], factor="sms", code=code) == {
        "ok": False,
        "reason": "expired",
    }
    served.ok("POST", "/clock/advance", {"by": "1d"})
    after = requests.get(f"{node.base}/time", timeout=10).json()["now"]
    assert -2 <= after - served.ok("GET", "/clock")["now"] < 5
