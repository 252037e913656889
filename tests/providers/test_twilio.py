"""The Twilio Messages fake, driven by plain ``requests`` calls and by the shipped client."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from twofa_sim.core.clock import VirtualClock
from twofa_sim.errors import InputError
from twofa_sim.providers import Delivery, SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.twilio import (
    SentMessage,
    TwilioApiError,
    TwilioClient,
    TwilioService,
    TwilioUnavailable,
)
from twofa_sim.providers.twilio.exceptions import (
    AuthenticationFailed,
    InternalServerError,
    ResourceNotFound,
    ServiceUnavailable,
    TooManyRequests,
)
from twofa_sim.providers.twilio.urls import messages_path

START = 1_714_564_800.0  # Wed, 01 May 2024 12:00:00 +0000
START_RFC = "Wed, 01 May 2024 12:00:00 +0000"
TO = "+14155550100"
FROM = "+15005550006"
MESSAGE_KEYS = {
    "account_sid",
    "api_version",
    "body",
    "date_created",
    "date_sent",
    "date_updated",
    "direction",
    "error_code",
    "error_message",
    "from",
    "num_media",
    "num_segments",
    "price",
    "price_unit",
    "messaging_service_sid",
    "sid",
    "status",
    "subresource_uris",
    "to",
    "uri",
}
SERVICE_SID = "MG" + "0123456789abcdef" * 2


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def network(clock: VirtualClock) -> SmsNetwork:
    return SmsNetwork(clock, SeededRandom(1, "network"))


@pytest.fixture
def twilio(clock: VirtualClock, network: SmsNetwork) -> TwilioService:
    return TwilioService(clock, SeededRandom(1, "twilio"), network)


@pytest.fixture
def api(twilio: TwilioService) -> Iterator[responses.RequestsMock]:
    with mounted(twilio) as mock:
        yield mock


@pytest.fixture
def client(twilio: TwilioService) -> Iterator[TwilioClient]:
    with TwilioClient(twilio.account_sid, twilio.auth_token) as made:
        yield made


def url(service: TwilioService, sid: str | None = None, *, account: str | None = None) -> str:
    return "https://api.twilio.com" + messages_path(account or service.account_sid, sid)


def post(
    service: TwilioService,
    data: dict[str, str],
    *,
    auth: tuple[str, str] | None = None,
    account: str | None = None,
    timeout: float = 10.0,
) -> requests.Response:
    return requests.post(
        url(service, account=account),
        data=data,
        auth=auth or (service.account_sid, service.auth_token),
        timeout=timeout,
    )


def get(service: TwilioService, sid: str | None = None, **params: str) -> requests.Response:
    return requests.get(
        url(service, sid),
        params=params,
        auth=(service.account_sid, service.auth_token),
        timeout=10,
    )


def send(service: TwilioService, to: str = TO, body: str = "Your code is 123456") -> str:
    response = post(service, {"To": to, "From": FROM, "Body": body})
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def envelope(code: int, message: str, status: int = 400, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        **extra,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


# --- creating a message ---------------------------------------------------------------------


@pytest.mark.usefixtures("api")
def test_create_answers_201_with_exactly_the_documented_message_shape(
    twilio: TwilioService,
) -> None:
    """POST Messages.json answers 201 with every key of standards.md 6.2, Twilio's types."""
    response = post(twilio, {"To": TO, "From": FROM, "Body": "Your code is 123456"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == MESSAGE_KEYS
    sid = body["sid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    path = f"/2010-04-01/Accounts/{twilio.account_sid}/Messages/{sid}"
    assert body == {
        "account_sid": twilio.account_sid,
        "api_version": "2010-04-01",
        "body": "Your code is 123456",
        "date_created": START_RFC,
        "date_sent": START_RFC,
        "date_updated": START_RFC,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": FROM,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": None,
        "messaging_service_sid": None,
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{path}/Media.json"},
        "to": TO,
        "uri": f"{path}.json",
    }


def test_client_sends_the_real_api_request_and_reads_the_reply(
    twilio: TwilioService,
    client: TwilioClient,
    clock: VirtualClock,
    api: responses.RequestsMock,
) -> None:
    """The client POSTs form fields with HTTP Basic auth to Twilio's URL and reads a SentMessage."""
    sent = client.send_sms(TO, FROM, "Your code is 123456")
    assert isinstance(sent, SentMessage)
    assert (sent.status, sent.to, sent.from_, sent.body) == (
        "queued",
        TO,
        FROM,
        "Your code is 123456",
    )
    assert sent.date_created == clock.datetime
    assert (sent.num_segments, sent.num_media, sent.error_code) == (1, 0, None)
    assert sent.account_sid == twilio.account_sid
    request = api.calls[0].request
    assert request.method == "POST"
    assert request.url == url(twilio)
    assert request.body == "To=%2B14155550100&From=%2B15005550006&Body=Your+code+is+123456"
    token = base64.b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {token}"
    assert twilio.backend.message(sent.sid).body == "Your code is 123456"


MAGIC = [
    (
        "From",
        "+15005550001",
        21212,
        400,
        "The 'From' number +15005550001 is not a valid phone number, shortcode, "
        "or alphanumeric sender ID.",
    ),
    (
        "From",
        "+15005550007",
        21606,
        400,
        "The From phone number +15005550007 is not a valid, SMS-capable inbound phone number "
        "or short code for your account.",
    ),
    ("From", "+15005550008", 21611, 429, "SMS queue is full."),
    (
        "From",
        "+14155550199",
        21606,
        400,
        "The From phone number +14155550199 is not a valid, SMS-capable inbound phone number "
        "or short code for your account.",
    ),
    ("To", "+15005550001", 21211, 400, "The 'To' number +15005550001 is not a valid phone number."),
    (
        "To",
        "+15005550002",
        21612,
        400,
        "The 'To' phone number: +15005550002, is not currently reachable using the 'From' "
        "phone number: +15005550006 via SMS.",
    ),
    (
        "To",
        "+15005550003",
        21408,
        400,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
        "number: +15005550003.",
    ),
    ("To", "+15005550004", 21610, 400, "The message From/To pair violates a blacklist rule."),
    ("To", "+15005550009", 21614, 400, "To number: +15005550009, is not a mobile number"),
    ("To", "4155550100", 21211, 400, "The 'To' number 4155550100 is not a valid phone number."),
    ("To", "+0123", 21211, 400, "The 'To' number +0123 is not a valid phone number."),
    ("To", "+1 415 555", 21211, 400, "The 'To' number +1 415 555 is not a valid phone number."),
]


@pytest.mark.parametrize(("field", "number", "code", "status", "message"), MAGIC)
@pytest.mark.usefixtures("api")
def test_magic_numbers_answer_their_error_envelope(
    twilio: TwilioService,
    client: TwilioClient,
    network: SmsNetwork,
    clock: VirtualClock,
    field: str,
    number: str,
    code: int,
    status: int,
    message: str,
) -> None:
    """Each test-credential magic number (standards.md 6.1) gives its code, status and text."""
    data = {"To": TO, "From": FROM, "Body": "hello", field: number}
    response = post(twilio, data)
    assert (response.status_code, response.json()) == (status, envelope(code, message, status))
    with pytest.raises(TwilioApiError) as caught:
        client.send_sms(data["To"], data["From"], "hello")
    assert (caught.value.code, caught.value.status, caught.value.message) == (code, status, message)
    assert caught.value.more_info == f"https://www.twilio.com/docs/errors/{code}"
    assert twilio.backend.messages == []
    clock.advance(3600)
    assert network.inbox(data["To"]) == []
    assert network.lost == []


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"From": FROM, "Body": "hi"}, 21604, "A 'To' phone number is required."),
        ({"To": "", "From": FROM, "Body": "hi"}, 21604, "A 'To' phone number is required."),
        ({"To": TO, "Body": "hi"}, 21603, "A 'From' phone number is required."),
        ({"To": TO, "From": FROM}, 21602, "Message body is required."),
        ({"To": TO, "From": FROM, "Body": ""}, 21602, "Message body is required."),
        (
            {"To": TO, "From": FROM, "Body": "x" * 1601},
            21617,
            "The concatenated message body exceeds the 1600 character limit",
        ),
        (
            {"To": TO, "MessagingServiceSid": "MG123", "Body": "hi"},
            21701,
            "The Messaging Service Sid MG123 is invalid.",
        ),
    ],
)
@pytest.mark.usefixtures("api")
def test_missing_or_bad_fields_answer_400_with_their_code(
    twilio: TwilioService, data: dict[str, str], code: int, message: str
) -> None:
    """Required To, From (or MessagingServiceSid), Body, and the 1600-character limit."""
    response = post(twilio, data)
    assert (response.status_code, response.json()) == (400, envelope(code, message))


@pytest.mark.usefixtures("api")
def test_media_url_stands_in_for_the_body(twilio: TwilioService) -> None:
    """Body may be absent when MediaUrl is given; num_media counts the repeated field."""
    response = requests.post(
        url(twilio),
        data=[
            ("To", TO),
            ("From", FROM),
            ("MediaUrl", "https://a/1.png"),
            ("MediaUrl", "https://a/2"),
        ],
        auth=(twilio.account_sid, twilio.auth_token),
        timeout=10,
    )
    assert response.status_code == 201
    assert (response.json()["body"], response.json()["num_media"]) == ("", "2")


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("x" * 160, "1"),
        ("x" * 161, "2"),
        ("x" * 306, "2"),
        ("x" * 307, "3"),
        ("€" * 80, "1"),
        ("€" * 81, "2"),
        ("é" * 160, "1"),
        ("ê" * 70, "1"),
        ("ê" * 71, "2"),
        ("👍" * 35, "1"),
        ("👍" * 36, "2"),
    ],
)
@pytest.mark.usefixtures("api")
def test_num_segments_counts_gsm7_and_ucs2_parts(
    twilio: TwilioService, body: str, segments: str
) -> None:
    """num_segments is a string: 160/153 GSM-7 septets a part, or 70/67 UCS-2 units."""
    response = post(twilio, {"To": TO, "From": FROM, "Body": body})
    assert response.json()["num_segments"] == segments


@pytest.mark.usefixtures("api")
def test_messaging_service_is_accepted_and_picks_the_account_number(
    twilio: TwilioService, clock: VirtualClock, network: SmsNetwork
) -> None:
    """A MessagingServiceSid without From: 201 "accepted", from null until the message is sent."""
    response = post(twilio, {"To": TO, "MessagingServiceSid": SERVICE_SID, "Body": "code 42424"})
    body = response.json()
    assert (response.status_code, body["status"], body["from"]) == (201, "accepted", None)
    assert body["messaging_service_sid"] == SERVICE_SID
    clock.advance(1)
    fetched = get(twilio, body["sid"]).json()
    assert (fetched["status"], fetched["from"]) == ("sent", FROM)
    clock.advance(1)
    assert [m.sender for m in network.inbox(TO)] == [FROM]


# --- authentication and routing -----------------------------------------------------------------


AUTH_ENVELOPE = envelope(
    20003, "Authenticate", 401, detail="Your AccountSid or AuthToken was incorrect."
)


@pytest.mark.usefixtures("api")
def test_wrong_token_answers_401_authenticate(twilio: TwilioService) -> None:
    """Wrong AuthToken: 401 and Twilio's 20003 envelope, with its detail; nothing is sent."""
    response = post(
        twilio, {"To": TO, "From": FROM, "Body": "hi"}, auth=(twilio.account_sid, "0" * 32)
    )
    assert (response.status_code, response.json()) == (401, AUTH_ENVELOPE)
    assert twilio.backend.messages == []


@pytest.mark.parametrize(
    "header", [None, "Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()]
)
@pytest.mark.usefixtures("api")
def test_missing_or_garbled_credentials_answer_401(
    twilio: TwilioService, header: str | None
) -> None:
    """No Authorization header, another scheme, or undecodable Basic: 401 (20003)."""
    headers = {} if header is None else {"Authorization": header}
    response = requests.post(url(twilio), data={"To": TO}, headers=headers, timeout=10)
    assert (response.status_code, response.json()) == (401, AUTH_ENVELOPE)


@pytest.mark.usefixtures("api")
def test_reading_messages_needs_credentials_too(twilio: TwilioService) -> None:
    """GET on the Messages list and on one message also answer 401 without credentials."""
    sid = send(twilio)
    for target in (url(twilio), url(twilio, sid)):
        response = requests.get(target, timeout=10)
        assert (response.status_code, response.json()) == (401, AUTH_ENVELOPE)


@pytest.mark.usefixtures("api")
def test_client_with_a_wrong_token_raises_authentication_failed(twilio: TwilioService) -> None:
    """The client turns the 401 envelope into AuthenticationFailed (code 20003, not retryable)."""
    with (
        TwilioClient(twilio.account_sid, "f" * 32) as wrong,
        pytest.raises(AuthenticationFailed) as caught,
    ):
        wrong.send_sms(TO, FROM, "hi")
    assert (caught.value.code, caught.value.status, caught.value.retryable) == (20003, 401, False)
    assert caught.value.detail == "Your AccountSid or AuthToken was incorrect."


@pytest.mark.usefixtures("api")
def test_another_account_sid_in_the_path_answers_404(twilio: TwilioService) -> None:
    """A path AccountSid that is not this account's is an unknown resource: 404 (20404)."""
    other = "AC" + "0" * 32
    response = post(twilio, {"To": TO, "From": FROM, "Body": "hi"}, account=other)
    path = f"/2010-04-01/Accounts/{other}/Messages.json"
    assert (response.status_code, response.json()) == (
        404,
        envelope(20404, f"The requested resource {path} was not found", 404),
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/2010-04-01/Accounts/{sid}/Calls.json",
        "/2010-04-01/Accounts/{sid}/Messages",
        "/v2/Services",
    ],
)
@pytest.mark.usefixtures("api")
def test_unknown_paths_answer_twilio_404(twilio: TwilioService, path: str) -> None:
    """Any path the fake does not implement answers 404 with the path in Twilio's message."""
    path = path.format(sid=twilio.account_sid)
    response = requests.get("https://api.twilio.com" + path, timeout=10)
    assert (response.status_code, response.json()) == (
        404,
        envelope(20404, f"The requested resource {path} was not found", 404),
    )


@pytest.mark.usefixtures("api")
def test_unknown_message_sid_answers_404(twilio: TwilioService, client: TwilioClient) -> None:
    """GET of a message SID the account never sent: 404; the client raises ResourceNotFound."""
    sid = "SM" + "0" * 32
    response = get(twilio, sid)
    assert response.status_code == 404
    assert response.json()["code"] == 20404
    with pytest.raises(ResourceNotFound):
        client.fetch(sid)


def test_unmocked_host_fails_with_connection_error(twilio: TwilioService) -> None:
    """While mounted, a request no fake answers fails: no real network, ever."""
    with mounted(twilio):
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("https://example.com/", timeout=10)
        elsewhere = "https://api.twilio.test"
        with (
            TwilioClient(twilio.account_sid, twilio.auth_token, base_url=elsewhere) as client,
            pytest.raises(TwilioUnavailable) as caught,
        ):
            client.send_sms(TO, FROM, "hi")
        assert isinstance(caught.value.__cause__, requests.exceptions.ConnectionError)


# --- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "error", "code", "message"),
    [
        ("http_500", 500, InternalServerError, 20500, "Internal Server Error"),
        ("http_503", 503, ServiceUnavailable, 20503, "Service Unavailable"),
        ("rate_limit", 429, TooManyRequests, 20429, "Too many requests"),
    ],
)
@pytest.mark.usefixtures("api")
def test_injected_http_faults_answer_twilio_envelopes(
    twilio: TwilioService,
    client: TwilioClient,
    kind: Any,
    status: int,
    error: type[TwilioApiError],
    code: int,
    message: str,
) -> None:
    """500, 503 and 429 faults answer Twilio's 20500, 20503, 20429; the client raises them."""
    twilio.faults.add(kind)
    response = post(twilio, {"To": TO, "From": FROM, "Body": "hi"})
    assert (response.status_code, response.json()) == (status, envelope(code, message, status))
    with pytest.raises(error) as caught:
        client.send_sms(TO, FROM, "hi")
    assert (caught.value.code, caught.value.retryable) == (code, True)
    assert twilio.backend.messages == []


@pytest.mark.usefixtures("api")
def test_timeout_fault_raises_read_timeout_after_the_clients_timeout(
    twilio: TwilioService, client: TwilioClient, clock: VirtualClock
) -> None:
    """A timeout: ReadTimeout (client: TwilioUnavailable) after the client's timeout, while
    Twilio did the work: the messages exist, only the answers were lost."""
    twilio.faults.add("timeout")
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(twilio, {"To": TO, "From": FROM, "Body": "hi"}, timeout=7)
    assert clock.now() == START + 7
    with pytest.raises(TwilioUnavailable) as caught:
        client.send_sms(TO, FROM, "hi")
    assert isinstance(caught.value.__cause__, requests.exceptions.ReadTimeout)
    assert clock.now() == START + 7 + 10
    assert len(twilio.backend.messages) == 2
    assert [e.fault for e in twilio.exchanges] == ["answer lost (timeout)"] * 2


@pytest.mark.usefixtures("api")
def test_connection_error_fault_raises_unavailable(
    twilio: TwilioService, client: TwilioClient
) -> None:
    """A dropped connection surfaces as TwilioUnavailable caused by requests' ConnectionError."""
    twilio.faults.add("connection_error")
    with pytest.raises(TwilioUnavailable) as caught:
        client.send_sms(TO, FROM, "hi")
    assert isinstance(caught.value.__cause__, requests.exceptions.ConnectionError)


@pytest.mark.usefixtures("api")
def test_latency_advances_the_virtual_clock(
    twilio: TwilioService, client: TwilioClient, clock: VirtualClock
) -> None:
    """Latency moves virtual time before the answer; past the client's timeout it times out."""
    rule = twilio.faults.add("latency", seconds=3, times=1)
    sent = client.send_sms(TO, FROM, "hi")
    assert clock.now() == START + 3
    assert sent.date_created.timestamp() == START + 3
    rule.times = 2
    rule.seconds = 12
    with pytest.raises(TwilioUnavailable):
        client.send_sms(TO, FROM, "hi")
    assert clock.now() == START + 3 + 10
    assert len(twilio.backend.messages) == 2  # sent, but the client never heard


@pytest.mark.usefixtures("api")
def test_faults_switch_on_and_off_with_virtual_time(
    twilio: TwilioService, clock: VirtualClock
) -> None:
    """A fault window [start, until) applies only while the virtual clock is inside it."""
    twilio.faults.add("http_503", start=START + 60, until=START + 120)
    data = {"To": TO, "From": FROM, "Body": "hi"}
    statuses = []
    for _ in range(3):
        statuses.append(post(twilio, data).status_code)
        clock.advance(60)
    assert statuses == [201, 503, 201]


@pytest.mark.usefixtures("api")
def test_faults_can_target_one_endpoint(twilio: TwilioService, client: TwilioClient) -> None:
    """A fault scoped to messages.fetch leaves messages.create alone."""
    twilio.faults.add("http_500", endpoint="messages.fetch")
    sent = client.send_sms(TO, FROM, "hi")
    with pytest.raises(InternalServerError):
        client.fetch(sent.sid)


# --- delivery in virtual time -------------------------------------------------------------------


@pytest.mark.usefixtures("api")
def test_message_reaches_the_inbox_only_after_the_delay(
    twilio: TwilioService, network: SmsNetwork, clock: VirtualClock
) -> None:
    """Accepted messages go to the network: not in the inbox before the delay, in it after."""
    sid = send(twilio, body="Your code is 654321")
    clock.advance(1.999)
    assert network.inbox(TO) == []
    assert [m.sid for m in network.in_flight(TO)] == [sid]
    clock.advance(0.001)
    [sms] = network.inbox(TO)
    assert (sms.sid, sms.sender, sms.to, sms.provider) == (sid, FROM, TO, "twilio")
    assert (sms.sent_at, sms.delivered_at) == (START, START + 2)
    assert network.latest_code(TO) == "654321"


@pytest.mark.usefixtures("api")
def test_status_follows_virtual_time(
    twilio: TwilioService, client: TwilioClient, clock: VirtualClock
) -> None:
    """GET shows queued, then sent after a second, then delivered when the network delivers."""
    sid = client.send_sms(TO, FROM, "hi").sid
    seen = []
    for step in (0, 1, 1):
        clock.advance(step)
        body = get(twilio, sid).json()
        assert set(body) == MESSAGE_KEYS
        seen.append((body["status"], body["date_updated"], body["error_code"]))
    assert seen == [
        ("queued", START_RFC, None),
        ("sent", "Wed, 01 May 2024 12:00:01 +0000", None),
        ("delivered", "Wed, 01 May 2024 12:00:02 +0000", None),
    ]
    assert client.fetch(sid).status == "delivered"
    assert twilio.backend.status(sid) == "delivered"


@pytest.mark.usefixtures("api")
def test_lost_message_becomes_undelivered_30003(
    twilio: TwilioService, network: SmsNetwork, clock: VirtualClock, client: TwilioClient
) -> None:
    """A message the network loses never arrives; its status turns undelivered (30003)."""
    network.delivery = Delivery(delay=5, loss=1.0)
    sent = client.send_sms(TO, FROM, "Your code is 111222")
    assert sent.status == "queued"
    clock.advance(4)
    assert client.fetch(sent.sid).status == "sent"
    clock.advance(3600)
    fetched = client.fetch(sent.sid)
    assert (fetched.status, fetched.error_code, fetched.error_message) == (
        "undelivered",
        30003,
        "Unreachable destination handset",
    )
    assert network.inbox(TO) == []
    assert [m.sid for m in network.lost] == [sent.sid]


@pytest.mark.usefixtures("api")
def test_duplicated_message_arrives_twice(
    twilio: TwilioService, network: SmsNetwork, clock: VirtualClock
) -> None:
    """With duplicate=1 the handset receives the message and a later copy of it."""
    network.delivery = Delivery(delay=2, duplicate=1.0)
    sid = send(twilio)
    clock.advance(10)
    inbox = network.inbox(TO)
    assert [(m.sid, m.copy) for m in inbox] == [(sid, 0), (sid, 1)]
    assert inbox[0].delivered_at <= inbox[1].delivered_at
    assert twilio.backend.status(sid) == "delivered"


@pytest.mark.usefixtures("api")
def test_jitter_delivers_out_of_order(
    twilio: TwilioService, network: SmsNetwork, clock: VirtualClock
) -> None:
    """Jitter larger than the gap between sends reorders arrivals; the inbox is in arrival order."""
    network.delivery = Delivery(delay=1, jitter=30)
    bodies = [f"code {n}0000" for n in range(6)]
    for body in bodies:
        send(twilio, body=body)
        clock.advance(1)
    clock.advance(60)
    inbox = network.inbox(TO)
    assert sorted(m.body for m in inbox) == sorted(bodies)
    assert [m.body for m in inbox] != bodies
    assert [m.delivered_at for m in inbox] == sorted(m.delivered_at for m in inbox)
    for sms in inbox:
        assert twilio.backend.message(sms.sid).arrives_at == sms.delivered_at


@pytest.mark.usefixtures("api")
def test_zero_delay_is_delivered_at_once_but_answered_queued(
    twilio: TwilioService, network: SmsNetwork
) -> None:
    """The 201 always says queued; a network without delay has delivered it by the next GET."""
    network.delivery = Delivery(delay=0)
    response = post(twilio, {"To": TO, "From": FROM, "Body": "hi"})
    assert response.json()["status"] == "queued"
    assert get(twilio, response.json()["sid"]).json()["status"] == "delivered"
    assert len(network.inbox(TO)) == 1


# --- listing ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("api")
def test_list_is_newest_first_filtered_and_paged(
    twilio: TwilioService, client: TwilioClient, clock: VirtualClock
) -> None:
    """GET Messages.json: Twilio's paging keys, newest first, To filter, PageSize/Page links."""
    other = "+447700900123"
    sids = []
    for to in (TO, other, TO):
        sids.append(send(twilio, to=to))
        clock.advance(1)
    listing = get(twilio).json()
    assert set(listing) == {
        "end",
        "first_page_uri",
        "messages",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert [m["sid"] for m in listing["messages"]] == sids[::-1]
    assert (listing["page"], listing["page_size"], listing["start"], listing["end"]) == (
        0,
        50,
        0,
        2,
    )
    assert listing["next_page_uri"] is None
    assert [m["sid"] for m in get(twilio, To=TO).json()["messages"]] == [sids[2], sids[0]]
    first = get(twilio, PageSize="2").json()
    assert [m["sid"] for m in first["messages"]] == [sids[2], sids[1]]
    assert first["next_page_uri"].startswith(
        f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json?PageSize=2&Page=1&PageToken=PA"
    )
    second = get(twilio, PageSize="2", Page="1").json()
    assert [m["sid"] for m in second["messages"]] == [sids[0]]
    assert second["previous_page_uri"] == (
        f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json?PageSize=2&Page=0"
    )
    assert [m.sid for m in client.list_messages(page_size=1)] == sids[::-1]
    assert [m.sid for m in client.list_messages(to=other)] == [sids[1]]


# --- inspection, log, reset, determinism ----------------------------------------------------------


@pytest.mark.usefixtures("api")
def test_backend_keeps_every_accepted_message_with_virtual_timestamps(
    twilio: TwilioService, clock: VirtualClock
) -> None:
    """backend.messages and backend.message(sid) show accepted messages only, timed virtually."""
    first = send(twilio)
    clock.advance(30)
    post(twilio, {"To": "+15005550009", "From": FROM, "Body": "refused"})
    second = send(twilio, body="again 777777")
    assert [m.sid for m in twilio.backend.messages] == [first, second]
    message = twilio.backend.message(second)
    assert (message.created_at, message.sent_at, message.arrives_at) == (
        START + 30,
        START + 31,
        START + 32,
    )
    with pytest.raises(KeyError):
        twilio.backend.message("SM" + "f" * 32)


@pytest.mark.usefixtures("api")
def test_every_exchange_is_recorded_with_virtual_time(
    twilio: TwilioService, clock: VirtualClock
) -> None:
    """The exchange log holds accepted, refused, faulted and timed-out requests, virtually timed."""
    send(twilio)
    clock.advance(5)
    post(twilio, {"To": "+15005550001", "From": FROM, "Body": "x"})
    twilio.faults.add("http_503", times=1)
    post(twilio, {"To": TO, "From": FROM, "Body": "x"})
    twilio.faults.add("timeout", times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(twilio, {"To": TO, "From": FROM, "Body": "x"}, timeout=4)
    requests.get("https://api.twilio.com/nowhere", timeout=1)
    log = [(e.at, e.endpoint, e.method, e.status, e.fault) for e in twilio.exchanges]
    assert log == [
        (START, "messages.create", "POST", 201, None),
        (START + 5, "messages.create", "POST", 400, None),
        (START + 5, "messages.create", "POST", 503, "http_503"),
        (START + 5, "messages.create", "POST", 201, "answer lost (timeout)"),
        (START + 9, "unknown", "GET", 404, None),
    ]
    assert twilio.exchanges[1].request == {"To": "+15005550001", "From": FROM, "Body": "x"}
    assert twilio.exchanges[1].response == envelope(
        21211, "The 'To' number +15005550001 is not a valid phone number."
    )


@pytest.mark.usefixtures("api")
def test_reset_forgets_messages_exchanges_and_faults(
    twilio: TwilioService, network: SmsNetwork, clock: VirtualClock
) -> None:
    """reset() clears the backend, the log and the faults; the shared network keeps its SMS."""
    sid = send(twilio)
    twilio.faults.add("http_500", start=START + 100)
    twilio.reset()
    assert (twilio.backend.messages, twilio.exchanges, twilio.faults.rules) == ([], [], [])
    assert get(twilio, sid).status_code == 404
    clock.advance(200)
    assert send(twilio) != sid
    assert network.inbox(TO)[0].sid == sid


def _session(seed: int) -> list[bytes]:
    clock = VirtualClock(START)
    network = SmsNetwork(clock, SeededRandom(seed, "network"))
    network.delivery = Delivery(delay=1, jitter=5, loss=0.3, duplicate=0.3)
    service = TwilioService(clock, SeededRandom(seed, "twilio"), network)
    bodies = [f"{service.account_sid} {service.auth_token}".encode()]
    with mounted(service):
        service.faults.add("rate_limit", probability=0.3)
        for n in range(8):
            to = ("+14155550100", "+15005550009", "+447700900123")[n % 3]
            bodies.append(post(service, {"To": to, "From": FROM, "Body": f"code {n}12345"}).content)
            clock.advance(0.7)
        clock.advance(20)
        bodies.append(get(service).content)
    return bodies


def test_same_seed_gives_identical_bytes() -> None:
    """Two fresh services from one seed answer byte for byte the same; another seed differs."""
    assert _session(5) == _session(5)
    assert _session(5)[0] != _session(6)[0]


def test_credentials_are_drawn_from_the_seed_or_given() -> None:
    """AccountSid is AC + 32 hex and the token 32 hex from the rng, unless given."""
    clock = VirtualClock(START)
    network = SmsNetwork(clock, SeededRandom(3))
    drawn = TwilioService(clock, SeededRandom(3, "twilio"), network)
    assert re.fullmatch(r"AC[0-9a-f]{32}", drawn.account_sid)
    assert re.fullmatch(r"[0-9a-f]{32}", drawn.auth_token)
    given = TwilioService(
        clock, SeededRandom(3, "twilio"), network, account_sid="AC" + "1" * 32, auth_token="t0k"
    )
    assert (given.account_sid, given.auth_token) == ("AC" + "1" * 32, "t0k")
    half = TwilioService(clock, SeededRandom(3, "twilio"), network, account_sid="AC" + "1" * 32)
    assert half.auth_token == drawn.auth_token
    with pytest.raises(InputError, match="account_sid"):
        TwilioService(clock, SeededRandom(3), network, account_sid="ACnope")


def test_from_numbers_are_the_accounts_numbers(clock: VirtualClock, network: SmsNetwork) -> None:
    """From must be one of from_numbers (21606 otherwise); the magic ones still win."""
    own = "+14155550123"
    service = TwilioService(clock, SeededRandom(2), network, from_numbers=(own, "+15005550007"))
    with mounted(service):
        assert post(service, {"To": TO, "From": own, "Body": "hi"}).status_code == 201
        assert post(service, {"To": TO, "From": FROM, "Body": "hi"}).json()["code"] == 21606
        assert (
            post(service, {"To": TO, "From": "+15005550007", "Body": "hi"}).json()["code"] == 21606
        )


# --- the client on its own --------------------------------------------------------------------


def test_client_reads_non_envelope_errors_and_bad_bodies() -> None:
    """A non-envelope 502 or a 201 that is no message still raises TwilioApiError."""
    client = TwilioClient("AC" + "a" * 32, "token", session=requests.Session())
    with responses.RequestsMock() as mock:
        mock.add(
            "POST",
            re.compile(r"https://api\.twilio\.com/.*"),
            body="<html>bad gateway</html>",
            status=502,
        )
        with pytest.raises(TwilioApiError) as caught:
            client.send_sms(TO, FROM, "hi")
        assert (caught.value.code, caught.value.status, caught.value.retryable) == (None, 502, True)
        assert "bad gateway" in caught.value.message
    with responses.RequestsMock() as mock:
        mock.add(
            "POST", re.compile(r"https://api\.twilio\.com/.*"), json={"sid": "SM1"}, status=201
        )
        with pytest.raises(TwilioApiError, match="unreadable message"):
            client.send_sms(TO, FROM, "hi")
    client.close()


def test_envelope_round_trips_through_the_error_classes() -> None:
    """from_envelope picks the class for a known code and keeps unknown codes as the base."""
    known = TwilioApiError.from_envelope(AUTH_ENVELOPE, status=401)
    assert isinstance(known, AuthenticationFailed)
    assert known.envelope() == AUTH_ENVELOPE
    unknown = TwilioApiError.from_envelope(envelope(30007, "Carrier violation"), status=400)
    assert (type(unknown), unknown.code) == (TwilioApiError, 30007)
    assert str(unknown) == "HTTP 400: 30007 Carrier violation"


def test_client_repr_hides_the_token() -> None:
    """The auth token never appears in the client's repr."""
    client = TwilioClient("AC" + "a" * 32, "secret-token")
    assert "secret-token" not in repr(client)
    client.close()
