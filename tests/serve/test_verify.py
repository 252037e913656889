"""Twilio Verify v2 served: the official library's Verify calls, the phone's push app through
the control API."""

from __future__ import annotations

import pytest
import requests
from twilio.rest import Client

from tests.serve.conftest import ALICE, Served


def _verify_client(served: Served) -> Client:
    client = served.twilio()
    client.verify.base_url = f"{served.base}/verify"
    return client


def test_an_sms_verification_through_the_library_is_approved_with_the_code(
    served: Served,
) -> None:
    """Rule: Verify sends its code by SMS to the phone's inbox; the code checked through the
    library approves the verification, and the control API shows it approved."""
    client = _verify_client(served)
    service = client.verify.v2.services.create(friendly_name="ACME")
    verification = client.verify.v2.services(service.sid).verifications.create(
        to=ALICE, channel="sms"
    )
    assert verification.status == "pending"
    served.ok("POST", "/clock/advance", {"by": "10s"})
    code = served.ok("GET", f"/sms/{ALICE}")["latest_code"]
    assert code is not None
    check = client.verify.v2.services(service.sid).verification_checks.create(to=ALICE, code=code)
    assert check.status == "approved"
    listed = served.ok("GET", "/verify/verifications")["verifications"]
    assert [(v["sid"], v["status"]) for v in listed] == [(verification.sid, "approved")]


def test_a_wrong_code_leaves_the_verification_pending(served: Served) -> None:
    """Rule: a wrong code is not approved (Verify answers status pending), and the control API
    agrees."""
    client = _verify_client(served)
    service = client.verify.v2.services.create(friendly_name="ACME")
    client.verify.v2.services(service.sid).verifications.create(to=ALICE, channel="sms")
    served.ok("POST", "/clock/advance", {"by": "10s"})
    code = served.ok("GET", f"/sms/{ALICE}")["latest_code"]
    wrong = f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"
    check = client.verify.v2.services(service.sid).verification_checks.create(to=ALICE, code=wrong)
    assert check.status == "pending"
    assert served.ok("GET", "/verify/verifications?status=pending")["verifications"]


def test_a_push_challenge_approved_on_the_phone_is_approved_for_the_service(
    served: Served,
) -> None:
    """Rule: the phone enrolls its push app through the control API; a challenge the service
    creates through the library is approved there and the library reads it approved; a second
    answer is 409."""
    client = _verify_client(served)
    service = client.verify.v2.services.create(friendly_name="ACME")
    factor = served.ok(
        "POST", "/verify/push-factors", {"service_sid": service.sid, "identity": "alice-0001"}
    )
    assert factor["status"] == "verified"
    entity = client.verify.v2.services(service.sid).entities("alice-0001")
    challenge = entity.challenges.create(factor_sid=factor["sid"], details_message="Log in?")
    assert challenge.status == "pending"
    pending = served.ok("GET", "/verify/challenges?status=pending")["challenges"]
    assert [c["sid"] for c in pending] == [challenge.sid]
    assert served.ok("POST", f"/verify/challenges/{challenge.sid}/approve")["status"] == "approved"
    assert entity.challenges(challenge.sid).fetch().status == "approved"
    status, body = served.control("POST", f"/verify/challenges/{challenge.sid}/deny")
    assert status == 409 and body["error"]["where"] == "sid"
    assert served.control("GET", "/verify/challenges/YC000")[0] == 404


@pytest.mark.parametrize("body", [{}, {"service_sid": "VA1", "identity": ""}])
def test_enrolling_push_needs_a_service_and_an_identity(served: Served, body: object) -> None:
    """Rule: a push enrollment without its service or identity is a located 400."""
    status, answer = served.control("POST", "/verify/push-factors", body)
    assert status == 400 and answer["error"]["where"] in ("service_sid", "identity")


def test_an_unknown_verify_path_is_twilios_404(served: Served) -> None:
    """Rule: Verify's unknown paths answer Twilio's 20404 envelope."""
    response = requests.get(f"{served.base}/verify/v2/Nope", timeout=10)
    assert response.status_code == 404 and response.json()["code"] == 20404


def test_an_oversized_body_to_verify_is_twilios_20413(served: Served) -> None:
    """Rule: a body over the cap gets Verify's own 413 envelope (20413), not a reset."""
    response = requests.post(
        f"{served.base}/verify/v2/Services", data=b"FriendlyName=" + b"x" * 70000, timeout=10
    )
    assert response.status_code == 413 and response.json()["code"] == 20413


def test_the_worlds_default_verify_service_is_listed_and_usable(served: Served) -> None:
    """Rule: a newcomer needs a Verify service SID; /_twofa/world lists the world's own services
    and the one listed starts a verification through the official library, as the README shows."""
    services = served.ok("GET", "/world")["providers"]["verify"]["services"]
    assert services, "the world's default Verify service is not listed"
    client = _verify_client(served)
    verification = client.verify.v2.services(services[0]["sid"]).verifications.create(
        to=ALICE, channel="sms"
    )
    assert verification.status == "pending"
    created = client.verify.v2.services.create(friendly_name="Acme").sid
    listed = served.ok("GET", "/world")["providers"]["verify"]["services"]
    assert created in [s["sid"] for s in listed]
