"""The shipped ``requests`` Verify client (what the reference service can use) against the fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from twofa_sim.core.clock import VirtualClock
from twofa_sim.core.otp import totp
from twofa_sim.providers import SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.verify import VerifyClient, VerifyService, VerifyUnavailable
from twofa_sim.providers.verify.exceptions import (
    MaxSendAttempts,
    ResourceNotFound,
    ServiceUnavailable,
    VerifyError,
)

START = 1_714_564_800.0
TO = "+14155550100"
IDENTITY = "user-00000001"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def network(clock: VirtualClock) -> SmsNetwork:
    return SmsNetwork(clock, SeededRandom(3, "network"))


@pytest.fixture
def verify(clock: VirtualClock, network: SmsNetwork) -> VerifyService:
    return VerifyService(clock, SeededRandom(3, "verify"), network)


@pytest.fixture
def client(verify: VerifyService) -> Iterator[VerifyClient]:
    with mounted(verify), VerifyClient(verify.account_sid, verify.auth_token) as made:
        made.create_service("ACME", totp_skew=0, code_length=8)
        yield made


def test_create_service_sets_the_clients_service_and_passes_settings(
    client: VerifyClient, verify: VerifyService
) -> None:
    """create_service sends dotted settings (Totp.Skew) and the client then uses that service."""
    assert client.service_sid is not None
    service = verify.backend.services[client.service_sid]
    assert (service.totp_skew, service.code_length) == (0, 8)


def test_sms_round_trip(client: VerifyClient, network: SmsNetwork, clock: VirtualClock) -> None:
    """Start, read the 8-digit code on the phone, check it: approved; checking again: 404."""
    started = client.start_verification(TO)
    assert (started.status, started.sends) == ("pending", 1)
    clock.advance(5)
    code = network.latest_code(TO)
    assert code is not None
    assert len(code) == 8
    checked = client.check(code, to=TO)
    assert (checked.status, checked.valid, checked.sid) == ("approved", True, started.sid)
    with pytest.raises(ResourceNotFound):
        client.check(code, to=TO)


def test_send_limit_and_cancel(client: VerifyClient) -> None:
    """The 6th send raises MaxSendAttempts (retryable later); cancel closes the verification."""
    for _ in range(5):
        started = client.start_verification(TO)
    with pytest.raises(MaxSendAttempts) as caught:
        client.start_verification(TO)
    assert caught.value.retryable
    assert client.cancel(started.sid).status == "canceled"
    with pytest.raises(ResourceNotFound):
        client.fetch_verification(started.sid)


def test_totp_factor_and_challenge(client: VerifyClient, clock: VirtualClock) -> None:
    """Create a factor (secret and URI shown once), verify it, pass a challenge with a code."""
    factor = client.create_totp_factor(IDENTITY, "alice")
    assert factor.secret is not None
    assert factor.uri is not None
    assert factor.secret not in repr(factor)
    assert factor.config["skew"] == 0  # the service's default
    assert client.verify_factor(IDENTITY, factor.sid, totp(factor.secret, clock.now())).status == (
        "verified"
    )
    assert client.fetch_factor(IDENTITY, factor.sid).secret is None
    clock.advance(30)
    challenge = client.create_challenge(IDENTITY, factor.sid, code=totp(factor.secret, clock.now()))
    assert challenge.status == "approved"
    assert client.fetch_challenge(IDENTITY, challenge.sid).status == "approved"


def test_list_factors_finds_the_push_factor_the_phone_enrolled(
    client: VerifyClient, verify: VerifyService
) -> None:
    """The server learns the push factor the app enrolled by listing the identity's factors,
    across pages."""
    assert client.service_sid is not None
    totp_sids = [client.create_totp_factor(IDENTITY, f"t{i}").sid for i in range(60)]
    push = verify.backend.enroll_push(client.service_sid, IDENTITY)
    listed = client.list_factors(IDENTITY)
    assert [f.sid for f in listed] == [*totp_sids, push.sid]
    assert (listed[-1].factor_type, listed[-1].status) == ("push", "verified")
    assert all(f.secret is None for f in listed)


def test_push_challenge_with_fields_and_expiry(
    client: VerifyClient, verify: VerifyService, clock: VirtualClock
) -> None:
    """A push challenge carries the message, fields and expiry the server gave; the phone's
    answer shows in fetch."""
    assert client.service_sid is not None
    factor = verify.backend.enroll_push(client.service_sid, IDENTITY)
    expires = datetime(2024, 5, 1, 12, 2, tzinfo=UTC)
    challenge = client.create_challenge(
        IDENTITY,
        factor.sid,
        message="Log in?",
        fields=[("City", "Lisbon")],
        hidden_details={"ip": "203.0.113.7"},
        expires_at=expires,
    )
    assert (challenge.status, challenge.expiration_date) == ("pending", expires)
    stored = verify.backend.challenges[challenge.sid]
    assert (stored.message, stored.fields) == ("Log in?", [{"label": "City", "value": "Lisbon"}])
    verify.backend.respond(challenge.sid, approve=False)
    assert client.fetch_challenge(IDENTITY, challenge.sid).status == "denied"


def test_faults_become_client_errors(client: VerifyClient, verify: VerifyService) -> None:
    """An injected 503 raises ServiceUnavailable; a dropped connection or a timeout raises
    VerifyUnavailable (whether the code went out is unknown)."""
    verify.faults.add("http_503", times=1)
    with pytest.raises(ServiceUnavailable):
        client.start_verification(TO)
    verify.faults.add("connection_error", times=1)
    with pytest.raises(VerifyUnavailable):
        client.start_verification(TO)
    verify.faults.add("timeout", times=1)
    with pytest.raises(VerifyUnavailable):
        client.start_verification(TO)
    assert client.start_verification(TO).sends == 2  # the timed-out send did happen


def test_a_client_without_a_service_says_so() -> None:
    """Calls that need a service fail clearly, before any request, when none is set."""
    with pytest.raises(VerifyError, match="no Verify service"):
        VerifyClient("AC" + "0" * 32, "token").start_verification(TO)
