"""The Twilio Verify v2 fake, driven by the official ``twilio`` helper library (unchanged) and,
for the error cases, by plain ``requests`` calls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.rest.verify.v2.service import ServiceContext

from twofa_sim.core.clock import VirtualClock
from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.errors import InputError
from twofa_sim.providers import Delivery, SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.twilio import TwilioService
from twofa_sim.providers.verify import VerifyApiError, VerifyService
from twofa_sim.providers.verify.exceptions import MaxCheckAttempts

START = 1_714_564_800.0  # 2024-05-01T12:00:00Z
START_ISO = "2024-05-01T12:00:00Z"
TO = "+14155550100"
IDENTITY = "ff483d1ff591898a9942916050d2ca3f"
BASE = "https://verify.twilio.com/v2"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def network(clock: VirtualClock) -> SmsNetwork:
    return SmsNetwork(clock, SeededRandom(1, "network"))


@pytest.fixture
def verify(clock: VirtualClock, network: SmsNetwork) -> VerifyService:
    return VerifyService(clock, SeededRandom(1, "verify"), network)


@pytest.fixture
def api(verify: VerifyService) -> Iterator[responses.RequestsMock]:
    with mounted(verify) as mock:
        yield mock


@pytest.fixture
def client(verify: VerifyService, api: responses.RequestsMock) -> Client:
    return Client(verify.account_sid, verify.auth_token)


@pytest.fixture
def service(client: Client) -> ServiceContext:
    created = client.verify.v2.services.create(friendly_name="ACME")
    return client.verify.v2.services(created.sid)


def code_for(network: SmsNetwork, clock: VirtualClock, to: str = TO) -> str:
    clock.advance(5)  # the network's default delay is 2 s
    code = network.latest_code(to)
    assert code is not None, "no code arrived"
    return code


def wrong(code: str) -> str:
    return "".join(str((int(c) + 1) % 10) for c in code)


def rest_error(call: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value


def auth(verify: VerifyService) -> tuple[str, str]:
    return verify.account_sid, verify.auth_token


# --- the helper library reaches the fake --------------------------------------------------------


def test_helper_library_requests_go_to_verify_twilio_com_and_reach_the_fake(
    client: Client, api: responses.RequestsMock, verify: VerifyService
) -> None:
    """The twilio library (requests underneath) sends Verify calls to https://verify.twilio.com;
    mounted, the fake answers them and nothing reaches the network."""
    created = client.verify.v2.services.create(friendly_name="ACME")
    request = api.calls[0].request
    assert request.url == f"{BASE}/Services"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == "FriendlyName=ACME"
    assert created.sid in verify.backend.services
    assert verify.exchanges[0].endpoint == "services.create"


def test_service_create_and_fetch_carry_verify_fields(service: ServiceContext) -> None:
    """A service has a VA SID, code length 6 and TOTP defaults 30 s / 6 digits / skew 1, issuer
    = its name; fetch returns the same."""
    fetched = service.fetch()
    assert re.fullmatch(r"VA[0-9a-f]{32}", fetched.sid)
    assert (fetched.friendly_name, fetched.code_length) == ("ACME", 6)
    assert fetched.totp == {"issuer": "ACME", "time_step": 30, "code_length": 6, "skew": 1}
    assert fetched.date_created is not None
    assert fetched.date_created.isoformat() == "2024-05-01T12:00:00+00:00"


def test_service_settings_outside_verify_ranges_are_refused(client: Client) -> None:
    """CodeLength 4-10 and a name of at most 32 characters; otherwise 400, 60200."""
    error = rest_error(lambda: client.verify.v2.services.create(friendly_name="x", code_length=11))
    assert (error.status, error.code) == (400, 60200)
    error = rest_error(lambda: client.verify.v2.services.create(friendly_name="x" * 33))
    assert (error.status, error.code) == (400, 60200)


# --- SMS verifications --------------------------------------------------------------------------


def test_sms_verification_sends_the_code_through_the_network_and_checks_approved(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock, verify: VerifyService
) -> None:
    """Start: 201, pending, one SMS send attempt; the code reaches the phone after the network's
    delay; checking it answers approved, valid."""
    started = service.verifications.create(to=TO, channel="sms")
    assert re.fullmatch(r"VE[0-9a-f]{32}", started.sid)
    assert (started.status, started.valid, started.channel, started.to) == (
        "pending",
        False,
        "sms",
        TO,
    )
    assert [a["channel"] for a in started.send_code_attempts] == ["SMS"]
    assert network.inbox(TO) == []
    code = code_for(network, clock)
    (sms,) = network.inbox(TO)
    assert sms.body == f"Your ACME verification code is: {code}"
    assert sms.provider == "verify"
    assert len(code) == 6
    checked = service.verification_checks.create(to=TO, code=code)
    assert (checked.status, checked.valid, checked.sid) == ("approved", True, started.sid)
    assert verify.exchanges[-1].status == 200


def test_check_by_verification_sid(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """VerificationSid names the verification as well as To does."""
    started = service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)
    checked = service.verification_checks.create(verification_sid=started.sid, code=code)
    assert checked.status == "approved"


def test_wrong_code_leaves_the_verification_pending(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """A wrong code answers 200 with status pending and valid false; the right one still works."""
    service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)
    checked = service.verification_checks.create(to=TO, code=wrong(code))
    assert (checked.status, checked.valid) == ("pending", False)
    assert service.verification_checks.create(to=TO, code=code).status == "approved"


def test_five_wrong_codes_lock_the_verification_with_60202(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """The 5th wrong code makes it max_attempts_reached; any 6th check, even the right code,
    answers 429 60202; starting again for the number answers 60202 until it expires."""
    started = service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)
    statuses = [
        service.verification_checks.create(to=TO, code=wrong(code)).status for _ in range(5)
    ]
    assert statuses == ["pending"] * 4 + ["max_attempts_reached"]
    error = rest_error(lambda: service.verification_checks.create(to=TO, code=code))
    assert (error.status, error.code) == (429, 60202)
    assert service.verifications(started.sid).fetch().status == "max_attempts_reached"
    error = rest_error(lambda: service.verifications.create(to=TO, channel="sms"))
    assert (error.status, error.code) == (429, 60202)
    clock.advance(600)
    error = rest_error(lambda: service.verification_checks.create(to=TO, code=code))
    assert (error.status, error.code) == (404, 20404)
    assert service.verifications.create(to=TO, channel="sms").sid != started.sid


def test_resending_reuses_the_verification_and_the_sixth_send_is_refused_60203(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """Starting again while pending re-sends the same code on the same SID; the 6th send in the
    verification's 10 minutes answers 429 60203; cancelling frees the number."""
    sids = set()
    for _ in range(5):
        sids.add(service.verifications.create(to=TO, channel="sms").sid)
        clock.advance(10)
    assert len(sids) == 1
    codes = {m.body for m in network.inbox(TO)}
    assert len(network.inbox(TO)) == 5
    assert len(codes) == 1
    (sid,) = sids
    assert len(service.verifications(sid).fetch().send_code_attempts) == 5
    error = rest_error(lambda: service.verifications.create(to=TO, channel="sms"))
    assert (error.status, error.code, error.msg) == (
        429,
        60203,
        "Unable to create record: Max send attempts reached",
    )
    service.verifications(sid).update(status="canceled")
    assert service.verifications.create(to=TO, channel="sms").sid != sid


def test_other_numbers_are_not_rate_limited_by_one_number(service: ServiceContext) -> None:
    """The send limit is per To: a 6th number-one send is refused, number two still gets one."""
    for _ in range(5):
        service.verifications.create(to=TO, channel="sms")
    assert service.verifications.create(to="+14155550101", channel="sms").status == "pending"


def test_cancel_makes_the_verification_disappear(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """Status=canceled answers 200 canceled; afterwards check and fetch answer 404 20404."""
    started = service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)
    assert service.verifications(started.sid).update(status="canceled").status == "canceled"
    error = rest_error(lambda: service.verification_checks.create(to=TO, code=code))
    assert (error.status, error.code) == (404, 20404)
    error = rest_error(lambda: service.verifications(started.sid).fetch())
    assert (error.status, error.code) == (404, 20404)


def test_approved_by_update_then_gone(service: ServiceContext) -> None:
    """Status=approved approves without a code (custom flows); the verification is then gone."""
    started = service.verifications.create(to=TO, channel="sms")
    updated = service.verifications(started.sid).update(status="approved")
    assert (updated.status, updated.valid) == ("approved", True)
    error = rest_error(lambda: service.verifications(started.sid).update(status="canceled"))
    assert (error.status, error.code) == (404, 20404)


def test_an_approved_verification_answers_404_naming_the_path_without_v2(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """After approval a second check answers 404 20404 with Verify's text, which names the
    path without the /v2 prefix."""
    service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)
    service.verification_checks.create(to=TO, code=code)
    error = rest_error(lambda: service.verification_checks.create(to=TO, code=code))
    assert (error.status, error.code) == (404, 20404)
    assert error.msg == (
        "Unable to create record: The requested resource "
        f"/Services/{service._solution['sid']}/VerificationCheck was not found"
    )


def test_code_expires_ten_minutes_after_the_first_send(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """At 9 min 59 s the code still checks; at 10 min the verification is expired (404), even
    when it was re-sent in between."""
    service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)  # t = 5 s
    clock.advance(300)
    service.verifications.create(to=TO, channel="sms")  # re-send: does not extend
    clock.advance(600 - 305 - 1)
    assert service.verification_checks.create(to=TO, code=wrong(code)).status == "pending"
    clock.advance(1)
    error = rest_error(lambda: service.verification_checks.create(to=TO, code=code))
    assert (error.status, error.code) == (404, 20404)


def test_call_and_email_channels_deliver_out_of_band(
    service: ServiceContext, verify: VerifyService, network: SmsNetwork
) -> None:
    """A call reads the code out and an e-mail carries it: no SMS is sent; both check."""
    call = service.verifications.create(to=TO, channel="call")
    mail = service.verifications.create(to="alice@example.com", channel="email")
    assert (call.channel, mail.channel) == ("call", "email")
    assert network.numbers() == []
    spoken, sent = verify.backend.out_of_band
    assert (spoken.channel, spoken.to, sent.channel, sent.to) == (
        "call",
        TO,
        "email",
        "alice@example.com",
    )
    code = re.findall(r"\d{6}", sent.body)[0]
    checked = service.verification_checks.create(to="alice@example.com", code=code)
    assert checked.status == "approved"


@pytest.mark.parametrize(
    ("to", "channel", "status", "code"),
    [
        ("4155550100", "sms", 400, 60200),
        (TO, "carrier-pigeon", 400, 60200),
        (TO, "whatsapp", 400, 60204),
        ("not-an-email", "email", 400, 60200),
        ("alice@example.com", "sms", 400, 60200),
    ],
)
def test_bad_to_or_channel_is_refused(
    service: ServiceContext, to: str, channel: str, status: int, code: int
) -> None:
    """A To that does not fit the channel, an unknown channel (60200), a real channel the fake
    does not simulate (60204)."""
    error = rest_error(lambda: service.verifications.create(to=to, channel=channel))
    assert (error.status, error.code) == (status, code)


def test_same_seed_gives_same_sids_and_codes() -> None:
    """Two worlds from one seed send the same verification SID and the same code."""

    def run() -> tuple[str, str, str | None]:
        clock = VirtualClock(START)
        network = SmsNetwork(clock, SeededRandom(9, "network"))
        verify = VerifyService(clock, SeededRandom(9, "verify"), network)
        with mounted(verify):
            client = Client(verify.account_sid, verify.auth_token)
            created = client.verify.v2.services.create(friendly_name="ACME")
            started = client.verify.v2.services(created.sid).verifications.create(
                to=TO, channel="sms"
            )
        clock.advance(5)
        return created.sid, started.sid, network.latest_code(TO)

    assert run() == run()


def test_a_lost_sms_leaves_the_verification_pending_and_a_resend_recovers(
    service: ServiceContext, network: SmsNetwork, clock: VirtualClock
) -> None:
    """Network loss applies to Verify's SMS: nothing arrives, the verification is still pending;
    the re-send carries the same code."""
    network.delivery = Delivery(loss=1.0)
    started = service.verifications.create(to=TO, channel="sms")
    clock.advance(30)
    assert network.inbox(TO) == []
    assert [m.to for m in network.lost] == [TO]
    network.delivery = Delivery()
    again = service.verifications.create(to=TO, channel="sms")
    assert again.sid == started.sid
    code = code_for(network, clock)
    assert service.verification_checks.create(to=TO, code=code).status == "approved"


def test_provider_faults_answer_with_twilio_envelopes(
    service: ServiceContext, verify: VerifyService
) -> None:
    """An injected 503 on verifications.create answers 20503; the exchange log records it."""
    verify.faults.add("http_503", endpoint="verifications.create", times=1)
    error = rest_error(lambda: service.verifications.create(to=TO, channel="sms"))
    assert (error.status, error.code) == (503, 20503)
    assert verify.exchanges[-1].fault == "http_503"
    assert service.verifications.create(to=TO, channel="sms").status == "pending"


# --- TOTP factors and challenges ----------------------------------------------------------------


def test_totp_factor_create_returns_secret_and_uri_then_first_code_verifies(
    service: ServiceContext, clock: VirtualClock, verify: VerifyService
) -> None:
    """A new TOTP factor is unverified, returns its base32 secret and an otpauth URI naming the
    service as issuer; the authenticator's current code verifies it."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(friendly_name="alice@example.com", factor_type="totp")
    assert re.fullmatch(r"YF[0-9a-f]{32}", factor.sid)
    assert (factor.status, factor.factor_type) == ("unverified", "totp")
    assert factor.config == {"alg": "sha1", "skew": 1, "code_length": 6, "time_step": 30}
    secret = factor.binding["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    key = parse_uri(factor.binding["uri"])
    assert (key.issuer, key.account, key.secret, key.digits, key.period) == (
        "ACME",
        "alice@example.com",
        secret,
        6,
        30,
    )
    assert entity.factors(factor.sid).fetch().status == "unverified"
    fetched = verify.exchanges[-1].response
    assert isinstance(fetched, dict)
    assert "binding" not in fetched  # the secret is shown once, at creation
    verified = entity.factors(factor.sid).update(auth_payload=totp(secret, clock.now()))
    assert verified.status == "verified"
    assert entity.fetch().identity == IDENTITY


def test_totp_factor_config_and_given_secret_shape_codes_and_uri(
    service: ServiceContext, clock: VirtualClock
) -> None:
    """Config.TimeStep/Skew/CodeLength/Alg and Binding.Secret are used: the URI says SHA256,
    8 digits, 60 s, and the matching code verifies."""
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(
        friendly_name="bob",
        factor_type="totp",
        binding_secret=secret,
        config_time_step=60,
        config_skew=0,
        config_code_length=8,
        config_alg="sha256",
    )
    assert factor.config == {"alg": "sha256", "skew": 0, "code_length": 8, "time_step": 60}
    assert factor.binding["secret"] == secret
    assert factor.binding["uri"] == (
        f"otpauth://totp/ACME:bob?secret={secret}&issuer=ACME&algorithm=SHA256&digits=8&period=60"
    )
    code = totp(secret, clock.now(), digits=8, algorithm="SHA256", period=60)
    assert entity.factors(factor.sid).update(auth_payload=code).status == "verified"


def test_short_totp_codes_are_the_last_digits(service: ServiceContext, clock: VirtualClock) -> None:
    """Verify allows 3 to 8 digits: a 4-digit factor's code is the last 4 digits of the 8-digit
    code (RFC 4226 truncation modulo 10**4)."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(
        friendly_name="carol", factor_type="totp", config_code_length=4
    )
    code = totp(factor.binding["secret"], clock.now(), digits=8)[-4:]
    assert "digits=4" in factor.binding["uri"]
    assert entity.factors(factor.sid).update(auth_payload=code).status == "verified"


@pytest.mark.parametrize(("skew", "accepted"), [(0, False), (1, True), (2, True)])
def test_skew_decides_whether_the_previous_steps_code_verifies(
    service: ServiceContext, clock: VirtualClock, skew: int, accepted: bool
) -> None:
    """Config.Skew steps either way: with skew 0 a code one step old is refused, with 1 or 2
    it is accepted."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(friendly_name="dan", factor_type="totp", config_skew=skew)
    old = totp(factor.binding["secret"], clock.now() - 30)
    status = entity.factors(factor.sid).update(auth_payload=old).status
    assert status == ("verified" if accepted else "unverified")


def test_factor_verification_allows_five_wrong_codes_then_60310(
    service: ServiceContext, clock: VirtualClock
) -> None:
    """A wrong code leaves the factor unverified (200); after 5 wrong codes every attempt,
    even the right code, answers 429 60310."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(friendly_name="erin", factor_type="totp")
    code = totp(factor.binding["secret"], clock.now())
    for _ in range(5):
        assert entity.factors(factor.sid).update(auth_payload=wrong(code)).status == "unverified"
    error = rest_error(lambda: entity.factors(factor.sid).update(auth_payload=code))
    assert (error.status, error.code) == (429, 60310)


def test_totp_challenge_with_auth_payload_is_approved_or_left_pending(
    service: ServiceContext, clock: VirtualClock
) -> None:
    """A challenge created with the right code is approved at once; with a wrong code it stays
    pending, and answering it later with the right code approves it."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(friendly_name="frank", factor_type="totp")
    secret = factor.binding["secret"]
    entity.factors(factor.sid).update(auth_payload=totp(secret, clock.now()))
    clock.advance(30)
    right = entity.challenges.create(factor_sid=factor.sid, auth_payload=totp(secret, clock.now()))
    assert (right.status, right.factor_type, right.factor_sid) == ("approved", "totp", factor.sid)
    assert right.date_responded is not None
    late = entity.challenges.create(
        factor_sid=factor.sid, auth_payload=wrong(totp(secret, clock.now()))
    )
    assert late.status == "pending"
    answered = entity.challenges(late.sid).update(auth_payload=totp(secret, clock.now()))
    assert answered.status == "approved"
    again = rest_error(
        lambda: entity.challenges(late.sid).update(auth_payload=totp(secret, clock.now()))
    )
    assert (again.status, again.code) == (403, 60322)


def test_challenge_for_an_unverified_factor_is_refused_60318(service: ServiceContext) -> None:
    """Challenges need a verified factor: 403, 60318."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(friendly_name="gina", factor_type="totp")
    error = rest_error(lambda: entity.challenges.create(factor_sid=factor.sid))
    assert (error.status, error.code) == (403, 60318)


def test_totp_challenge_allows_five_wrong_codes_then_60308(
    service: ServiceContext, clock: VirtualClock
) -> None:
    """5 wrong codes leave a challenge pending; the next attempt answers 429 60308."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(friendly_name="hank", factor_type="totp")
    secret = factor.binding["secret"]
    entity.factors(factor.sid).update(auth_payload=totp(secret, clock.now()))
    challenge = entity.challenges.create(factor_sid=factor.sid)
    code = totp(secret, clock.now())
    for _ in range(5):
        assert entity.challenges(challenge.sid).update(auth_payload=wrong(code)).status == "pending"
    error = rest_error(lambda: entity.challenges(challenge.sid).update(auth_payload=code))
    assert (error.status, error.code) == (429, 60308)


# --- push challenges ----------------------------------------------------------------------------


def push_challenge(service: ServiceContext, verify: VerifyService) -> tuple[str, str]:
    service_sid = service._solution["sid"]
    factor = verify.backend.enroll_push(service_sid, IDENTITY, "Alice's iPhone")
    challenge = service.entities(IDENTITY).challenges.create(
        factor_sid=factor.sid,
        details_message="Log in to ACME?",
        details_fields=[{"label": "IP", "value": "203.0.113.7"}],
        hidden_details={"session": "s-1"},
    )
    return factor.sid, challenge.sid


@pytest.mark.parametrize(("approve", "status"), [(True, "approved"), (False, "denied")])
def test_push_challenge_answered_from_the_phone(
    service: ServiceContext, verify: VerifyService, approve: bool, status: str
) -> None:
    """The phone sees the pending push with its details, approves or denies it, and the server
    reads the answer; answering twice is refused (60322)."""
    factor_sid, challenge_sid = push_challenge(service, verify)
    fetched = service.entities(IDENTITY).challenges(challenge_sid).fetch()
    assert (fetched.status, fetched.factor_type) == ("pending", "push")
    assert fetched.details["message"] == "Log in to ACME?"
    assert fetched.details["fields"] == [{"label": "IP", "value": "203.0.113.7"}]
    assert fetched.hidden_details == {"session": "s-1"}
    (pending,) = verify.backend.pending_challenges(factor_sid)
    assert pending.sid == challenge_sid
    verify.backend.respond(challenge_sid, approve)
    assert service.entities(IDENTITY).challenges(challenge_sid).fetch().status == status
    with pytest.raises(VerifyApiError) as caught:
        verify.backend.respond(challenge_sid, approve)
    assert caught.value.code == 60322


def test_push_challenge_expires_after_five_minutes(
    service: ServiceContext, verify: VerifyService, clock: VirtualClock
) -> None:
    """Unanswered for 5 minutes the push challenge is expired; the phone's late answer is
    refused (60323) and the status stays expired."""
    _, challenge_sid = push_challenge(service, verify)
    fetched = service.entities(IDENTITY).challenges(challenge_sid).fetch()
    assert fetched.expiration_date is not None
    assert fetched.expiration_date.isoformat() == "2024-05-01T12:05:00+00:00"
    clock.advance(299)
    assert service.entities(IDENTITY).challenges(challenge_sid).fetch().status == "pending"
    clock.advance(1)
    assert service.entities(IDENTITY).challenges(challenge_sid).fetch().status == "expired"
    with pytest.raises(VerifyApiError) as caught:
        verify.backend.respond(challenge_sid, True)
    assert caught.value.code == 60323
    listed = service.entities(IDENTITY).challenges.list(status="expired")
    assert [c.sid for c in listed] == [challenge_sid]


def test_push_challenge_cannot_be_answered_through_the_rest_api(
    service: ServiceContext, verify: VerifyService
) -> None:
    """Only the device's signed answer approves a push: the REST update answers 403 60324."""
    _, challenge_sid = push_challenge(service, verify)
    error = rest_error(
        lambda: service.entities(IDENTITY).challenges(challenge_sid).update(auth_payload="x")
    )
    assert (error.status, error.code) == (403, 60324)


# --- raw HTTP: the error envelope --------------------------------------------------------------


def envelope(code: int, message: str, status: int, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        **extra,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture
def service_sid(verify: VerifyService) -> str:
    return verify.backend.create_service("ACME").sid


@pytest.mark.usefixtures("api")
@pytest.mark.parametrize("credentials", [None, ("AC" + "0" * 32, "x"), "right-sid-wrong-token"])
def test_bad_credentials_answer_401_20003(
    verify: VerifyService, service_sid: str, credentials: object
) -> None:
    """No or wrong HTTP Basic credentials: 401 with Twilio's 20003 envelope and its detail."""
    if credentials == "right-sid-wrong-token":
        credentials = (verify.account_sid, "wrong")
    response = requests.post(
        f"{BASE}/Services/{service_sid}/Verifications",
        data={"To": TO, "Channel": "sms"},
        auth=credentials,  # type: ignore[arg-type]
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json() == envelope(
        20003, "Authenticate", 401, detail="Your AccountSid or AuthToken was incorrect."
    )
    assert verify.backend.verifications == {}


@pytest.mark.usefixtures("api")
def test_unknown_path_answers_404_20404(verify: VerifyService) -> None:
    """A path Verify does not have answers 404 with the 20404 envelope naming it."""
    response = requests.get(f"{BASE}/Nope", auth=auth(verify), timeout=10)
    assert response.status_code == 404
    assert response.json() == envelope(20404, "The requested resource /Nope was not found", 404)


@pytest.mark.usefixtures("api")
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"To": "+14155550100", "Channel": "sms"}', "application/json"),
        ("To=%2B14155550100&Channel", "application/x-www-form-urlencoded"),
        ("To=%FF%FE&Channel=sms", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_body_answers_400_60200(
    verify: VerifyService, service_sid: str, body: str, content_type: str
) -> None:
    """A JSON body, a field without '=' or escapes that are not UTF-8: 400, 60200, nothing
    sent."""
    response = requests.post(
        f"{BASE}/Services/{service_sid}/Verifications",
        data=body,
        headers={"Content-Type": content_type},
        auth=auth(verify),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["code"] == 60200
    assert verify.backend.verifications == {}


@pytest.mark.usefixtures("api")
@pytest.mark.parametrize(
    ("path", "data", "code", "message"),
    [
        ("Verifications", {"Channel": "sms"}, 60200, "Invalid parameter: To"),
        ("Verifications", {"To": TO}, 60200, "Invalid parameter: Channel"),
        ("VerificationCheck", {"To": TO}, 60200, "Invalid parameter: Code"),
        ("VerificationCheck", {"Code": "123456"}, 60221, "No target verification specified"),
        ("Entities", {}, 60200, "Invalid parameter: Identity"),
        (
            f"Entities/{IDENTITY}/Factors",
            {"FactorType": "totp"},
            60200,
            "Invalid parameter: FriendlyName",
        ),
        (
            f"Entities/{IDENTITY}/Factors",
            {"FriendlyName": "x", "FactorType": "totp", "Config.Skew": "3"},
            60200,
            "Invalid parameter `Config.Skew`: 3",
        ),
    ],
)
def test_missing_or_bad_parameters_answer_400(
    verify: VerifyService,
    service_sid: str,
    path: str,
    data: dict[str, str],
    code: int,
    message: str,
) -> None:
    """Missing required parameters answer 400 with 60200 naming the parameter (60221 for a check
    without a target)."""
    response = requests.post(
        f"{BASE}/Services/{service_sid}/{path}", data=data, auth=auth(verify), timeout=10
    )
    assert response.status_code == 400
    assert response.json() == envelope(code, message, 400)


@pytest.mark.usefixtures("api")
def test_oversized_body_answers_413_20413(verify: VerifyService, service_sid: str) -> None:
    """A body over 64 KiB is refused with 413 (20413) before it is read."""
    response = requests.post(
        f"{BASE}/Services/{service_sid}/Verifications",
        data={"To": TO, "Channel": "sms", "CustomFriendlyName": "x" * 70_000},
        auth=auth(verify),
        timeout=10,
    )
    assert response.status_code == 413
    assert response.json() == envelope(20413, "Request Entity Too Large", 413)
    assert verify.backend.verifications == {}


@pytest.mark.usefixtures("api")
def test_wrong_codes_are_never_echoed_in_errors(verify: VerifyService, service_sid: str) -> None:
    """A malformed code is refused without repeating it."""
    response = requests.post(
        f"{BASE}/Services/{service_sid}/VerificationCheck",
        data={"To": TO, "Code": "12"},
        auth=auth(verify),
        timeout=10,
    )
    assert response.json() == envelope(60200, "Invalid parameter: Code", 400)


def test_error_envelopes_read_back_as_their_exception_class() -> None:
    """The fake's envelopes map back to their classes (what a requests client raises)."""
    error = VerifyApiError.from_envelope(MaxCheckAttempts().envelope(), status=429)
    assert isinstance(error, MaxCheckAttempts)
    assert (error.code, error.retryable) == (60202, True)


# --- service settings and the rest of the surface ------------------------------------------------


def test_service_settings_shape_messages_codes_and_uris(
    client: Client, network: SmsNetwork, clock: VirtualClock
) -> None:
    """CodeLength sets the code's digits, DoNotShareWarningEnabled adds Twilio's warning to the
    SMS, Totp.Issuer names the issuer in factor URIs."""
    created = client.verify.v2.services.create(
        friendly_name="ACME",
        code_length=8,
        do_not_share_warning_enabled=True,
        totp_issuer="ACME Bank",
    )
    service = client.verify.v2.services(created.sid)
    service.verifications.create(to=TO, channel="sms")
    code = code_for(network, clock)
    assert len(code) == 8
    assert network.inbox(TO)[0].body == (
        f"Your ACME verification code is: {code}. Don't share this code with anyone; "
        "our employees will never ask for the code."
    )
    factor = service.entities(IDENTITY).new_factors.create(friendly_name="al", factor_type="totp")
    assert factor.binding["uri"].startswith("otpauth://totp/ACME%20Bank:al?")
    assert parse_uri(factor.binding["uri"]).issuer == "ACME Bank"


def test_custom_code_needs_the_service_to_allow_it(client: Client) -> None:
    """CustomCode is refused (60204) unless the service enables custom codes; then that code is
    the one to check."""
    plain = client.verify.v2.services(client.verify.v2.services.create(friendly_name="A").sid)
    error = rest_error(lambda: plain.verifications.create(to=TO, channel="sms", custom_code="4242"))
    assert (error.status, error.code) == (400, 60204)
    custom = client.verify.v2.services(
        client.verify.v2.services.create(friendly_name="B", custom_code_enabled=True).sid
    )
    custom.verifications.create(to=TO, channel="sms", custom_code="4242")
    assert custom.verification_checks.create(to=TO, code="4242").status == "approved"


def test_push_factor_created_over_http_is_verified_by_the_phone_only(
    service: ServiceContext, verify: VerifyService
) -> None:
    """A push factor created with the SDK's fields is unverified and returns its public key;
    verifying it through the REST API is refused (403 60311); the phone's confirmation verifies
    it."""
    entity = service.entities(IDENTITY)
    factor = entity.new_factors.create(
        friendly_name="Alice's Pixel",
        factor_type="push",
        binding_alg="ES256",
        binding_public_key="MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
        config_sdk_version="3.0.0",
        config_app_id="com.example.app",
        config_notification_platform="fcm",
        config_notification_token="token-1",
    )
    assert (factor.status, factor.factor_type) == ("unverified", "push")
    assert factor.binding == {"alg": "ES256", "public_key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"}
    assert factor.config["notification_platform"] == "fcm"
    error = rest_error(lambda: entity.factors(factor.sid).update(auth_payload="signed"))
    assert (error.status, error.code) == (403, 60311)
    verify.backend.confirm_push_factor(factor.sid)
    assert entity.factors(factor.sid).fetch().status == "verified"


def test_push_factor_without_its_key_is_refused(service: ServiceContext) -> None:
    """A push factor needs Binding.PublicKey: 400 60200 naming it."""
    error = rest_error(
        lambda: service.entities(IDENTITY).new_factors.create(friendly_name="x", factor_type="push")
    )
    assert (error.status, error.code) == (400, 60200)
    assert "Binding.PublicKey" in error.msg


def test_factor_lists_page_as_the_library_follows_them(service: ServiceContext) -> None:
    """Listing with a page size of 2 returns every factor: the library follows next_page_url."""
    entity = service.entities(IDENTITY)
    sids = [
        entity.new_factors.create(friendly_name=f"f{i}", factor_type="totp").sid for i in range(5)
    ]
    assert [f.sid for f in entity.factors.list(page_size=2)] == sids
    first = entity.factors.page(page_size=2)
    assert [f.sid for f in first] == sids[:2]
    assert first.next_page_url is not None


def test_unknown_entity_factor_or_challenge_answers_404(service: ServiceContext) -> None:
    """Fetching under an identity the service does not know answers 404 20404."""
    error = rest_error(lambda: service.entities("nobody-here").fetch())
    assert (error.status, error.code) == (404, 20404)
    error = rest_error(lambda: service.entities("nobody-here").factors("YF" + "0" * 32).fetch())
    assert (error.status, error.code) == (404, 20404)


def test_a_refused_factor_creates_no_entity(service: ServiceContext) -> None:
    """A factor refused for its settings leaves no entity behind (a later fetch is 404)."""
    entity = service.entities(IDENTITY)
    error = rest_error(
        lambda: entity.new_factors.create(friendly_name="x", factor_type="totp", config_skew=5)
    )
    assert (error.status, error.code) == (400, 60200)
    error = rest_error(entity.fetch)
    assert (error.status, error.code) == (404, 20404)


def test_one_twilio_client_reaches_messages_and_verify_of_one_account(
    clock: VirtualClock, network: SmsNetwork
) -> None:
    """Given the Messages fake's credentials, the Verify fake is the same account: one Client
    sends a message through api.twilio.com and starts a verification on verify.twilio.com,
    both arriving through the one network."""
    twilio = TwilioService(clock, SeededRandom(2, "twilio"), network)
    verify = VerifyService(
        clock,
        SeededRandom(2, "verify"),
        network,
        account_sid=twilio.account_sid,
        auth_token=twilio.auth_token,
    )
    with mounted(twilio, verify):
        client = Client(twilio.account_sid, twilio.auth_token)
        client.messages.create(to=TO, from_="+15005550006", body="Welcome to ACME")
        service = client.verify.v2.services(verify.backend.create_service("ACME").sid)
        service.verifications.create(to=TO, channel="sms")
    clock.advance(5)
    assert sorted(m.provider for m in network.inbox(TO)) == ["twilio", "verify"]


@pytest.mark.parametrize(
    ("options", "where"),
    [({"account_sid": "AC123"}, "account_sid"), ({"auth_token": ""}, "auth_token")],
)
def test_bad_credentials_given_to_the_fake_are_located_input_errors(
    clock: VirtualClock, network: SmsNetwork, options: dict[str, str], where: str
) -> None:
    """A malformed account SID or an empty token is refused with an InputError naming it."""
    with pytest.raises(InputError) as caught:
        VerifyService(clock, SeededRandom(1), network, **options)  # type: ignore[arg-type]
    assert caught.value.where == where
