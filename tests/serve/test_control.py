"""The control API: clock, inboxes, exchanges, Authy pushes, faults, reset, token, OpenAPI."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.serve.conftest import ALICE, BOB, SENDER, Served, start
from twofa_sim.serve.control import PREFIX, ROUTES

START = 1772355600.0  # 2026-03-01T09:00:00Z


def _authy(served: Served, method: str, path: str, **fields: Any) -> requests.Response:
    api_key = served.ok("GET", "/world")["providers"]["authy"]["api_key"]
    return requests.request(
        method,
        f"{served.base}/authy{path}",
        json=fields or None,
        headers={"X-Authy-API-Key": api_key},
        timeout=10,
    )


def _push(served: Served) -> str:
    """An Authy OneTouch request to Alice, created through Authy's HTTP API: its uuid."""
    authy_id = served.ok("GET", "/world")["phones"][0]["authy_id"]
    response = _authy(
        served,
        "POST",
        f"/onetouch/json/users/{authy_id}/approval_requests",
        message="Log in to ACME",
        details={"Location": "Berlin"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["approval_request"]["uuid"])


def test_the_clock_moves_by_a_duration_and_to_an_instant(served: Served) -> None:
    """Rule: advance takes seconds or '1h30m'; set takes an ISO instant; both answer the clock."""
    assert served.ok("GET", "/clock") == {
        "now": START,
        "iso": "2026-03-01T09:00:00Z",
        "mode": "virtual",
    }
    assert served.ok("POST", "/clock/advance", {"by": "1h30m"})["iso"] == "2026-03-01T10:30:00Z"
    assert served.ok("POST", "/clock/advance", {"by": -30})["iso"] == "2026-03-01T10:29:30Z"
    assert served.ok("POST", "/clock/set", {"to": "2026-12-24T20:00:00Z"})["now"] == 1798142400.0


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/clock/advance", {"by": "soon"}, "by"),
        ("/clock/advance", {}, "by"),
        ("/clock/set", {"to": "tomorrow"}, "to"),
        ("/faults", {"provider": "twilio", "kind": "meteor"}, "kind"),
        ("/faults", {"provider": "nexmo", "kind": "http_500"}, "provider"),
        ("/faults", {"provider": "twilio", "kind": "http_500", "endpoint": "x"}, "endpoint"),
        ("/faults", {"provider": "twilio", "kind": "http_500", "times": 0}, "times"),
    ],
)
def test_bad_control_input_is_a_located_400(
    served: Served, path: str, body: dict[str, Any], where: str
) -> None:
    """Rule: bad input to the control API names the field and changes nothing."""
    status, answer = served.control("POST", path, body)
    assert status == 400 and answer["error"]["where"] == where
    assert served.ok("GET", "/clock")["now"] == START
    assert served.ok("GET", "/faults") == {"faults": []}


def test_a_body_that_is_not_json_is_a_400(served: Served) -> None:
    """Rule: the control API reads JSON objects only, and says so."""
    response = requests.post(f"{served.base}{PREFIX}/clock/advance", data="by=5", timeout=10)
    assert response.status_code == 400 and response.json()["error"]["where"] == "body"


def test_unknown_routes_and_methods_are_404_and_405(served: Served) -> None:
    """Rule: a wrong control path is 404, a wrong method 405 with Allow."""
    assert served.control("GET", "/nope")[0] == 404
    response = requests.put(f"{served.base}{PREFIX}/clock/advance", timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_the_numbers_list_shows_every_phone_and_every_recipient(served: Served) -> None:
    """Rule: the inbox list holds the world's phones and any number a message went to."""
    served.twilio().messages.create(to="+15551239999", from_=SENDER, body="code 123123")
    served.ok("POST", "/clock/advance", {"by": "5s"})
    numbers = {n["number"]: n for n in served.ok("GET", "/sms")["numbers"]}
    assert list(numbers) == [ALICE, BOB, "+15551239999"]
    assert numbers["+15551239999"]["latest_code"] == "123123"
    assert numbers[ALICE]["authy"] is True and numbers[BOB]["authy"] is False


def test_the_exchange_log_filters_by_provider_and_keeps_the_last(served: Served) -> None:
    """Rule: exchanges come in virtual-time order; provider filters; limit keeps the newest."""
    client = served.twilio()
    for code in ("111111", "222222"):
        client.messages.create(to=ALICE, from_=SENDER, body=f"code {code}")
        served.ok("POST", "/clock/advance", {"by": "1s"})
    _authy(served, "GET", "/protected/json/users/1/status")
    everything = served.ok("GET", "/exchanges")["exchanges"]
    assert [e["provider"] for e in everything] == ["twilio", "twilio", "authy"]
    last = served.ok("GET", "/exchanges?provider=twilio&limit=1")["exchanges"]
    assert [e["request"]["Body"] for e in last] == ["code 222222"]
    assert served.control("GET", "/exchanges?limit=lots")[0] == 400


def test_approving_a_push_is_seen_by_the_authy_api(served: Served) -> None:
    """Rule: Approve through the control API is the phone's tap: the service polling Authy's
    approval_requests endpoint reads 'approved'."""
    uuid = _push(served)
    pending = served.ok("GET", "/authy/approvals?status=pending")["approval_requests"]
    assert [p["uuid"] for p in pending] == [uuid]
    assert pending[0]["details"] == {"Location": "Berlin"}
    assert served.ok("POST", f"/authy/approvals/{uuid}/approve")["status"] == "approved"
    seen = _authy(served, "GET", f"/onetouch/json/approval_requests/{uuid}").json()
    assert seen["approval_request"]["status"] == "approved"


def test_a_push_answered_once_cannot_be_answered_again(served: Served) -> None:
    """Rule: deny closes the push; a second answer is 409 and the status stays denied."""
    uuid = _push(served)
    assert served.ok("POST", f"/authy/approvals/{uuid}/deny")["status"] == "denied"
    status, body = served.control("POST", f"/authy/approvals/{uuid}/approve")
    assert status == 409 and "denied" in body["error"]["message"]
    assert served.ok("GET", f"/authy/approvals/{uuid}")["status"] == "denied"
    assert served.control("GET", "/authy/approvals/no-such-uuid")[0] == 404


def test_a_push_expires_as_the_virtual_clock_passes(served: Served) -> None:
    """Rule: time moved through the control API expires pushes (Authy's default 24 h)."""
    uuid = _push(served)
    served.ok("POST", "/clock/advance", {"by": "25h"})
    assert served.ok("GET", f"/authy/approvals/{uuid}")["status"] == "expired"


def test_faults_are_listed_windowed_and_cleared(served: Served) -> None:
    """Rule: a fault's start/until are durations from now; clearing one provider leaves the
    other's rules."""
    rule = served.ok(
        "POST", "/faults", {"provider": "twilio", "kind": "http_500", "start": "1m", "until": "2m"}
    )
    assert (rule["start"], rule["until"]) == (START + 60, START + 120)
    served.ok("POST", "/faults", {"provider": "authy", "kind": "rate_limit"})
    client = served.twilio()
    assert client.messages.create(to=ALICE, from_=SENDER, body="code 1").status == "queued"
    served.ok("POST", "/clock/advance", {"by": "90s"})
    with pytest.raises(TwilioRestException):
        client.messages.create(to=ALICE, from_=SENDER, body="code 2")
    served.ok("POST", "/clock/advance", {"by": "1m"})
    assert client.messages.create(to=ALICE, from_=SENDER, body="code 3").status == "queued"
    assert [f["provider"] for f in served.ok("GET", "/faults")["faults"]] == ["twilio", "authy"]
    assert served.ok("DELETE", "/faults?provider=authy") == {"cleared": 1}
    assert [f["provider"] for f in served.ok("GET", "/faults")["faults"]] == ["twilio"]


def test_reset_gives_a_fresh_world_with_the_same_credentials(served: Served) -> None:
    """Rule: reset empties inboxes, pushes, exchanges and faults, puts the clock back at the
    start, and keeps the seed's credentials (a client configured once keeps working)."""
    before = served.ok("GET", "/world")
    served.twilio().messages.create(to=ALICE, from_=SENDER, body="code 424242")
    _push(served)
    served.ok("POST", "/faults", {"provider": "twilio", "kind": "http_500", "start": "1h"})
    served.ok("POST", "/clock/advance", {"by": "1m"})
    assert served.ok("POST", "/reset")["now"] == START
    assert served.ok("GET", "/world") == before
    assert served.ok("GET", f"/sms/{ALICE}")["messages"] == []
    assert served.ok("GET", "/authy/approvals") == {"approval_requests": []}
    assert served.ok("GET", "/exchanges") == {"exchanges": []}
    assert served.ok("GET", "/faults") == {"faults": []}


@pytest.fixture
def guarded() -> Iterator[Served]:
    with start(token="s3cret-token") as server:
        yield Served(server, token="s3cret-token")


def test_the_token_guards_every_control_route(guarded: Served) -> None:
    """Rule: with --token, the control API answers 401 without the Bearer token or with a
    wrong one; the provider APIs and the OpenAPI document stay open."""
    for route in ROUTES:
        path = re.sub(r"\{\w+\}", "x", route.path)
        for token in ("", "wrong"):
            status, body = guarded.control(route.method, path, {}, token=token)
            assert status == 401, (route.method, path)
            assert body["error"]["where"] == "token"
    assert guarded.control("GET", "/clock")[0] == 200
    assert requests.get(f"{guarded.base}{PREFIX}/openapi.json", timeout=10).status_code == 200
    twilio = requests.get(f"{guarded.base}/twilio/2010-04-01/x.json", timeout=10)
    assert twilio.status_code == 404 and twilio.json()["code"] == 20404


def test_the_openapi_document_describes_every_route(served: Served) -> None:
    """Rule: every control route is in the OpenAPI document, with its method, and every
    schema it names exists."""
    document = requests.get(f"{served.base}{PREFIX}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    described = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert described == {(r.method, PREFIX + r.path) for r in ROUTES}
    schemas = document["components"]["schemas"]
    text = requests.get(f"{served.base}{PREFIX}/openapi.json", timeout=10).text
    for name in re.findall(r'"#/components/schemas/(\w+)"', text):
        assert name in schemas, name


def test_the_real_clock_follows_the_wall_and_refuses_to_move() -> None:
    """Rule: --clock real: the world's time is the wall clock, and moving it is a clear 400."""
    with start(clock="real") as server:
        served = Served(server)
        before = time.time()
        clock = served.ok("GET", "/clock")
        assert clock["mode"] == "real" and before - 1 <= clock["now"] <= time.time() + 1
        status, body = served.control("POST", "/clock/advance", {"by": "1m"})
        assert status == 400 and "wall clock" in body["error"]["message"]
        assert served.control("POST", "/clock/set", {"to": 0})[0] == 400


def test_another_web_site_cannot_steer_the_control_api(served: Served) -> None:
    """Rule: a request a foreign page makes the tester's browser send (Origin names another
    site) is refused 403 and changes nothing; the inbox page's own origin is served."""
    url = f"{served.base}{PREFIX}/clock/advance"
    foreign = requests.post(
        url,
        data='{"by": "1h"}',
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
        timeout=10,
    )
    assert foreign.status_code == 403
    assert served.ok("GET", "/clock")["now"] == START
    own = requests.post(url, json={"by": "1h"}, headers={"Origin": served.base}, timeout=10)
    assert own.status_code == 200 and own.json()["now"] == START + 3600


def test_a_rebound_host_name_cannot_read_the_control_api(served: Served) -> None:
    """Rule: on loopback the control API answers loopback host names only (a DNS-rebinding
    page arrives with its own name in Host)."""
    response = requests.get(
        f"{served.base}{PREFIX}/world", headers={"Host": "attacker.example:80"}, timeout=10
    )
    assert response.status_code == 403
    assert requests.get(
        f"{served.base.replace('127.0.0.1', 'localhost')}{PREFIX}/clock", timeout=10
    ).ok


def test_every_answer_matches_its_documented_schema(served: Served) -> None:
    """Rule: the OpenAPI document tells the truth: each route's answer validates against the
    schema it documents (and every schema is valid JSON Schema 2020-12)."""
    document = requests.get(f"{served.base}{PREFIX}/openapi.json", timeout=10).json()
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    client = served.twilio()
    client.messages.create(to=ALICE, from_=SENDER, body="code 123456")
    uuid = _push(served)
    client.verify.base_url = f"{served.base}/verify"
    service = client.verify.v2.services.create(friendly_name="ACME")
    client.verify.v2.services(service.sid).verifications.create(to=ALICE, channel="sms")
    factor = served.ok(
        "POST", "/verify/push-factors", {"service_sid": service.sid, "identity": "alice-0001"}
    )
    challenge = (
        client.verify.v2.services(service.sid)
        .entities("alice-0001")
        .challenges.create(factor_sid=factor["sid"], details_message="Log in?")
    )
    bodies = {
        "/clock/advance": {"by": "5s"},
        "/clock/set": {"to": START + 10},
        "/faults": {"provider": "twilio", "kind": "latency", "seconds": 1, "start": "1h"},
        "/verify/push-factors": {"service_sid": service.sid, "identity": "bob-000001"},
    }
    values = {"number": ALICE, "uuid": uuid, "sid": challenge.sid}
    checked = set()
    for route in sorted(ROUTES, key=lambda r: (r.method != "GET", r.path.endswith("deny"))):
        if route.path == "/reset" or route.path.endswith("/deny"):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
        status, answer = served.control(route.method, path, bodies.get(route.path))
        assert status == route.status, (route.method, path, answer)
        schema = {
            "$ref": f"#/components/schemas/{route.response}",
            "components": document["components"],
        }
        jsonschema.validate(answer, schema, cls=jsonschema.Draft202012Validator)
        checked.add((route.method, route.path))
    assert len(checked) == len(ROUTES) - 3  # all but reset and the two denies
