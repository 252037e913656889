"""The official twilio library against the served fake, unchanged but for its base URL."""

from __future__ import annotations

import http.client

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.serve.conftest import ALICE, BOB, SENDER, Served


def test_an_sms_sent_through_the_twilio_library_arrives_in_the_phones_inbox(
    served: Served,
) -> None:
    """Rule: the served Twilio fake takes the library's create call and the network delivers
    the message to the number's inbox once the virtual clock has passed its delay."""
    client = served.twilio()
    message = client.messages.create(to=ALICE, from_=SENDER, body="Your ACME code is 482913")
    assert message.sid.startswith("SM") and message.status == "queued"
    assert served.ok("GET", f"/sms/{ALICE}")["messages"] == []  # not delivered yet
    served.ok("POST", "/clock/advance", {"by": "10s"})
    inbox = served.ok("GET", f"/sms/{ALICE}")
    assert [m["code"] for m in inbox["messages"]] == ["482913"]
    assert inbox["messages"][0]["sid"] == message.sid
    assert client.messages(message.sid).fetch().status == "delivered"


def test_the_library_lists_and_pages_messages_through_the_prefix(served: Served) -> None:
    """Rule: paging links are relative, so the library's next page stays on the served fake."""
    client = served.twilio()
    sids = [
        client.messages.create(to=BOB, from_=SENDER, body=f"code {100000 + i}").sid
        for i in range(5)
    ]
    listed = client.messages.list(to=BOB, page_size=2)
    assert [m.sid for m in listed] == list(reversed(sids))


def test_a_wrong_auth_token_is_twilios_20003_through_the_library(served: Served) -> None:
    """Rule: wrong credentials get Twilio's own 401 envelope, which the library turns into
    TwilioRestException with code 20003."""
    client = served.twilio(auth_token="0" * 32)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=ALICE, from_=SENDER, body="code 123456")
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_a_bad_number_is_twilios_21211_through_the_library(served: Served) -> None:
    """Rule: the fake's validation errors reach the library as Twilio error codes."""
    with pytest.raises(TwilioRestException) as caught:
        served.twilio().messages.create(to="not-a-number", from_=SENDER, body="hello")
    assert (caught.value.status, caught.value.code) == (400, 21211)


def test_a_fault_added_through_the_control_api_reaches_the_library(served: Served) -> None:
    """Rule: a one-shot 503 on messages.create fails the next send with 20503, then Twilio
    answers again."""
    served.ok(
        "POST",
        "/faults",
        {"provider": "twilio", "kind": "http_503", "endpoint": "messages.create", "times": 1},
    )
    client = served.twilio()
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=ALICE, from_=SENDER, body="code 111111")
    assert (caught.value.status, caught.value.code) == (503, 20503)
    assert client.messages.create(to=ALICE, from_=SENDER, body="code 222222").status == "queued"
    faults = [e["fault"] for e in served.ok("GET", "/exchanges?provider=twilio")["exchanges"]]
    assert faults[-2:] == ["http_503", None]


def test_one_connection_carries_several_requests(served: Served) -> None:
    """Rule: HTTP/1.1 keep-alive: a client reuses its connection for the next request."""
    port = served.server.port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/_twofa/clock")
        first = connection.getresponse()
        first.read()
        sock = connection.sock
        connection.request("GET", "/_twofa/clock")
        second = connection.getresponse()
        second.read()
        assert (first.status, second.status) == (200, 200)
        assert connection.sock is sock and sock is not None
    finally:
        connection.close()
