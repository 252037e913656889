"""The world's Twilio Verify fake: always there, on the Twilio account, faults and reset apply."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from twofa_sim.errors import InputError
from twofa_sim.reference import push_identity
from twofa_sim.world import World

NUMBER = "+12015550101"
PUSHY = "+12015550102"


def description(**extra: Any) -> dict[str, Any]:
    return {
        "seed": 3,
        "start": "2026-03-01T09:00:00Z",
        "phones": [{"number": NUMBER}, {"number": PUSHY, "verify_push": True}],
        **extra,
    }


def test_one_twilio_client_reaches_messages_and_verify() -> None:
    """The Verify fake shares the Twilio account's SID and token, and a default service named
    after the issuer exists from the start: the official helper library sends through both."""
    world = World(description())
    with world:
        client = Client(world.twilio.account_sid, world.twilio.auth_token)
        service = world.verify_service_sid()
        assert client.verify.v2.services(service).fetch().friendly_name == "twofa-sim"
        client.verify.v2.services(service).verifications.create(to=NUMBER, channel="sms")
        client.messages.create(to=NUMBER, from_="+15005550006", body="Your code is 123456")
        world.advance(10)
    assert sorted(sms.provider for sms in world.phone(NUMBER).inbox()) == ["twilio", "verify"]


def test_a_verify_fault_in_the_description_applies_to_verify() -> None:
    """faults.verify: rules on Verify's endpoints, like twilio's and authy's."""
    world = World(description(faults={"verify": [{"kind": "http_503"}]}))
    with world:
        client = Client(world.twilio.account_sid, world.twilio.auth_token)
        with pytest.raises(TwilioRestException) as failed:
            client.verify.v2.services(world.verify_service_sid()).verifications.create(
                to=NUMBER, channel="sms"
            )
    assert failed.value.status == 503


def test_an_unknown_verify_endpoint_is_a_located_error() -> None:
    """A fault naming an endpoint Verify does not have is refused where it is written."""
    with pytest.raises(InputError) as bad:
        World(description(faults={"verify": [{"kind": "http_503", "endpoint": "nope"}]}))
    assert bad.value.where == "given.faults.verify[0].endpoint"


def test_a_push_phone_is_enrolled_and_stays_enrolled_after_reset() -> None:
    """verify_push: the phone's app has a verified push factor for the number's identity; a
    reset forgets Verify's state but makes the default service and the enrollment again."""
    world = World(description())
    app = world.phone(PUSHY).push
    assert app is not None and app.identity == push_identity(PUSHY)
    before = world.verify.backend.list_factors(world.verify_service_sid(), app.identity)
    assert [(f.factor_type, f.status) for f in before] == [("push", "verified")]
    world.reset()
    service = world.verify_service_sid()
    after = world.verify.backend.list_factors(service, app.identity)
    assert [f.sid for f in after] == [app.factor_sid]
    assert world.phone(NUMBER).push is None


def test_the_same_seed_builds_the_same_verify_world() -> None:
    """Verify's SIDs and codes come from the world's seed like every other value."""

    def story() -> list[str]:
        world = World(description(provider="verify"))
        with world:
            service = world.reference_service()
            service.register("alice", "pw")
            service.start_phone_verification("alice", NUMBER)
            world.advance(10)
        return list(world.fingerprint())

    first, second = story(), story()
    assert first == second
    assert any(line.startswith("verify=") for line in first)


def test_verify_push_must_be_true_or_false() -> None:
    """A phone's verify_push that is not a boolean is a located error."""
    with pytest.raises(InputError) as bad:
        World({"phones": [{"number": NUMBER, "verify_push": "yes"}]})
    assert bad.value.where == "given.phones[0].verify_push"


def test_reference_service_provider_overrides_the_worlds() -> None:
    """World.reference_service(provider=...) wires Messages in a Verify world and the other way
    round; an unknown provider is a located error."""
    world = World(description(provider="verify"))
    with world:
        messages = world.reference_service(provider="messages")
        assert messages.verify is None
        assert world.reference_service().verify is not None
        with pytest.raises(InputError) as bad:
            world.reference_service(provider="pigeon")
    assert bad.value.where == "provider"
