"""One simulated world: built from a description, mounted on requests, reproducible from a seed."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from twofa_sim.core.keyuri import build_uri
from twofa_sim.core.otp import totp
from twofa_sim.core.qr import render_png
from twofa_sim.errors import InputError
from twofa_sim.providers import AuthyClient, TwilioApiError, TwilioClient
from twofa_sim.world import World

ALICE = "+15551230001"
BOB = "+15551230002"
SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def description(seed: int = 7, **extra: Any) -> dict[str, Any]:
    return {
        "seed": seed,
        "start": "2026-03-01T09:00:00Z",
        "sms": {"delay": "3s", "jitter": "2s"},
        "phones": [
            {"number": ALICE, "offset": "40s", "apps": ["freeotp-2018"], "authy": True},
            {"number": BOB, "drift_ppm": -20, "apps": ["google-authenticator-android-2012"]},
        ],
        **extra,
    }


def play(world: World) -> None:
    """A little story: an SMS code, an Authy SMS token, a OneTouch push approved."""
    with world:
        twilio = TwilioClient(world.twilio.account_sid, world.twilio.auth_token)
        twilio.send_sms(BOB, "+15005550006", "Your code is 482913")
        world.advance("10s")
        authy = AuthyClient(world.authy.api_key)
        alice = world.phone(ALICE)
        assert alice.authy is not None
        authy.request_sms(alice.authy.authy_id, force=True)
        uuid = authy.create_approval_request(alice.authy.authy_id, "Log in to ACME?")
        world.advance("5s")
        alice.authy.approve(uuid)
        authy.approval_status(uuid)


def test_same_seed_same_world_byte_for_byte() -> None:
    """Two worlds from one seed and one story: every ID, secret, code and body identical."""
    first, second = World(description()), World(description())
    play(first)
    play(second)
    assert list(first.fingerprint()) == list(second.fingerprint())
    third = World(description(seed=8))
    play(third)
    differing = set(first.fingerprint()) ^ set(third.fingerprint())
    # Another seed changes more than the credentials: IDs, tokens and bodies too.
    assert any(line.startswith(("sms", "authy token", "approval")) for line in differing)


def test_sms_through_the_twilio_fake_reaches_the_phone_in_virtual_time() -> None:
    """A message sent through the Twilio API is in the phone's inbox after the network delay."""
    world = World(description())
    with world:
        client = TwilioClient(world.twilio.account_sid, world.twilio.auth_token)
        client.send_sms(BOB, "+15005550006", "Your ACME code is 482913")
        assert world.phone(BOB).inbox() == []
        world.advance("5s")
        assert world.phone(BOB).latest_code() == "482913"


def test_entering_mounts_and_leaving_unmounts_even_on_error() -> None:
    """While entered, requests go to the fakes; after leaving (even by an exception) they don't."""
    original = requests.adapters.HTTPAdapter.send
    world = World(description())

    def story() -> None:
        with world:
            assert requests.adapters.HTTPAdapter.send is not original
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get("https://example.com/")  # matches no fake: refused, never sent
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        story()
    assert requests.adapters.HTTPAdapter.send is original


def test_freeze_system_time_keeps_time_time_on_the_world_clock() -> None:
    """With freeze_system_time, code that reads the system time sees the world's clock, and the
    real time again afterwards (checked against today's time, whatever the date: the world
    starts 400 days after it)."""
    real = time.time()
    world = World(description(freeze_system_time=True, start=int(real) + 400 * 86400))
    with world:
        assert time.time() == world.now()
        world.advance("1h")
        assert time.time() == world.now()
    assert real <= time.time() < real + 3600


def test_phone_apps_scan_and_show_codes_at_the_phones_time() -> None:
    """Alice's phone is 40 s fast: her app shows the code of true time + 40 s."""
    world = World(description())
    app = world.phone(ALICE).app()
    uri = build_uri(secret=SECRET, account="alice", issuer="ACME")
    assert app.scan(render_png(uri)).accepted
    assert app.code("ACME", "alice") == totp(SECRET, world.now() + 40)


def test_authy_app_tokens_verify_and_follow_authys_time_not_the_phones() -> None:
    """Authy app tokens (pyotp) verify against the fake Authy API; the Authy app keeps its
    token clock in step with Authy's servers, so a phone 40 s fast still shows good tokens
    while its authenticator app shows codes 40 s ahead."""
    phones = [{"number": ALICE, "authy": True}, {"number": BOB, "authy": True, "offset": "40s"}]
    world = World(description(phones=phones))
    with world:
        client = AuthyClient(world.authy.api_key)
        on_time, fast = world.phone(ALICE).authy, world.phone(BOB).authy
        assert on_time is not None and fast is not None
        assert client.verify(on_time.authy_id, on_time.token())
        assert client.verify(fast.authy_id, fast.token())
        assert client.verify(fast.authy_id, "0000000") is False


def test_onetouch_push_approved_on_the_phone() -> None:
    """A OneTouch request shows up on the phone's Authy app; approving it is seen by the API."""
    world = World(description())
    with world:
        client = AuthyClient(world.authy.api_key)
        authy = world.phone(ALICE).authy
        assert authy is not None
        uuid = client.create_approval_request(authy.authy_id, "Log in to ACME?")
        assert [r.uuid for r in authy.pending()] == [uuid]
        assert client.approval_status(uuid) == "pending"
        authy.approve(uuid)
        assert client.approval_status(uuid) == "approved"


def test_faults_from_the_description_switch_on_and_off_in_virtual_time() -> None:
    """A Twilio outage from minute 10 to minute 20: 503 inside the window, fine around it."""
    world = World(
        description(faults={"twilio": [{"kind": "http_503", "start": "10m", "until": "20m"}]})
    )
    with world:
        client = TwilioClient(world.twilio.account_sid, world.twilio.auth_token)
        client.send_sms(BOB, "+15005550006", "one")
        world.advance("10m")
        with pytest.raises(TwilioApiError) as caught:
            client.send_sms(BOB, "+15005550006", "two")
        assert caught.value.status == 503
        world.advance("10m")
        client.send_sms(BOB, "+15005550006", "three")


def test_reset_forgets_messages_and_exchanges() -> None:
    """reset(): no messages, no exchanges, no faults left."""
    world = World(description())
    with world:
        TwilioClient(world.twilio.account_sid, world.twilio.auth_token).send_sms(
            BOB, "+15005550006", "x"
        )
    world.advance("1m")
    world.reset()
    assert world.phone(BOB).inbox() == [] and world.twilio.exchanges == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"phones": [{"number": "5551230001"}]}, "given.phones[0].number"),
        ({"phones": [{"number": ALICE, "offset": "fast"}]}, "given.phones[0].offset"),
        ({"phones": [{"number": ALICE, "apps": ["nokia-1999"]}]}, "given.phones[0].apps[0]"),
        ({"phones": [{"number": ALICE}, {"number": ALICE}]}, "given.phones"),
        ({"phones": [{"number": ALICE, "colour": "red"}]}, "given.phones[0]"),
        ({"start": "yesterday"}, "given.start"),
        ({"seed": 1.5}, "given.seed"),
        ({"sms": {"loss": 2}}, "given.sms"),
        ({"sms": {"delay": "-"}}, "given.sms.delay"),
        ({"faults": {"twilio": [{"kind": "meteor"}]}}, "given.faults.twilio[0].kind"),
        ({"faults": {"sendgrid": []}}, "given.faults"),
        ({"faults": {"authy": [{"kind": "latency"}]}}, "given.faults.authy[0]"),
        ({"freeze_system_time": "yes"}, "given.freeze_system_time"),
        ({"phones": [{"number": "+1234", "authy": True}]}, "given.phones[0].number"),
        ({"phones": [{"number": ALICE, "drift_ppm": float("nan")}]}, "given.phones[0].drift_ppm"),
        ({"phones": [{"number": ALICE, "apps": [["x"]]}]}, "given.phones[0].apps[0]"),
        (
            {"faults": {"twilio": [{"kind": "http_503", "times": "x"}]}},
            "given.faults.twilio[0].times",
        ),
        (
            {"faults": {"twilio": [{"kind": "http_503", "endpoint": "messages.creat"}]}},
            "given.faults.twilio[0].endpoint",
        ),
        (
            {"faults": {"authy": [{"kind": "http_503", "start": "20m", "until": "10m"}]}},
            "given.faults.authy[0].until",
        ),
        ({"weather": "fine"}, "given"),
    ],
)
def test_bad_descriptions_are_located_errors(change: dict[str, Any], where: str) -> None:
    """A bad world description is one InputError naming the field, never a traceback."""
    with pytest.raises(InputError) as caught:
        World({**description(), **change})
    assert caught.value.where == where


def test_unknown_phone_names_the_known_ones() -> None:
    """Asking for a phone the world does not have lists the ones it has."""
    with pytest.raises(InputError) as caught:
        World(description()).phone("+15550000000")
    assert ALICE in str(caught.value) and BOB in str(caught.value)


@pytest.mark.parametrize(
    ("number", "country_code", "national"),
    [
        ("+79161234567", 7, "9161234567"),
        ("+33612345678", 33, "612345678"),
        ("+8613812345678", 86, "13812345678"),
        ("+351912345678", 351, "912345678"),
    ],
)
def test_authy_phones_outside_north_america_get_their_sms_tokens(
    number: str, country_code: int, national: str
) -> None:
    """An Authy user's number is split by its real country code, so SMS tokens reach the phone."""
    world = World({"phones": [{"number": number, "authy": True}], "sms": {"delay": "1s"}})
    phone = world.phone(number)
    assert phone.authy is not None
    user = world.authy.backend.user(phone.authy.authy_id)
    assert (user.country_code, user.cellphone) == (country_code, national)
    with world:
        AuthyClient(world.authy.api_key).request_sms(phone.authy.authy_id, force=True)
    world.advance("2s")
    assert phone.latest_code() is not None
