"""The Authy API v1 fake, driven by plain ``requests`` calls and by the shipped client.

Bodies are checked against standards.md section 6.4; signatures against authy-python's test
vectors and real callbacks published in twilio/authy-java.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from twofa_sim.core.clock import VirtualClock
from twofa_sim.core.otp import totp
from twofa_sim.errors import InputError, TwofaSimError
from twofa_sim.providers import SeededRandom, SmsNetwork, mounted
from twofa_sim.providers.authy import (
    AuthyApiError,
    AuthyClient,
    AuthyFormatError,
    AuthyService,
    AuthyUnavailable,
    authy_token,
    sign,
    verify,
)
from twofa_sim.providers.authy.exceptions import ApprovalRequestClosed
from twofa_sim.providers.authy.signature import canonical_params

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
KEY = "0123456789abcdef0123456789abcdef"
BASE = "https://api.authy.com"
PHONE = "+14155551118"
CALLBACK = "https://rp.example/authy/callback"

INVALID_KEY = {
    "message": "Invalid API key",
    "success": False,
    "errors": {"message": "Invalid API key"},
    "error_code": "60001",
}
TOKEN_INVALID = {
    "message": "Token is invalid",
    "token": "is invalid",
    "success": False,
    "errors": {"message": "Token is invalid"},
    "error_code": "60020",
}
USER_NOT_FOUND = {
    "message": "User not found.",
    "success": False,
    "errors": {"message": "User not found."},
    "error_code": "60026",
}
TOKEN_VALID = {"message": "Token is valid.", "token": "is valid", "success": "true"}
STATUS_KEYS = [
    "authy_id",
    "confirmed",
    "registered",
    "country_code",
    "phone_number",
    "devices",
    "has_hard_token",
    "account_disabled",
    "detailed_devices",
    "deleted_devices",
]
APPROVAL_KEYS = [
    "_app_name",
    "_app_serial_id",
    "_authy_id",
    "_id",
    "_user_email",
    "app_id",
    "created_at",
    "notified",
    "processed_at",
    "status",
    "updated_at",
    "user_id",
    "uuid",
]


@dataclass
class Sim:
    clock: VirtualClock
    network: SmsNetwork
    service: AuthyService
    client: AuthyClient

    @property
    def backend(self) -> Any:
        return self.service.backend

    def get(self, path: str, *, key: str | None = KEY, **options: Any) -> requests.Response:
        headers = {} if key is None else {"X-Authy-API-Key": key}
        return requests.get(BASE + path, headers=headers, timeout=5, **options)

    def post(self, path: str, *, key: str | None = KEY, **options: Any) -> requests.Response:
        headers = {} if key is None else {"X-Authy-API-Key": key}
        return requests.post(BASE + path, headers=headers, timeout=5, **options)

    def user(self, cellphone: str = "415-555-1118", country_code: int = 1) -> int:
        return int(self.backend.create_user("ana@example.com", cellphone, country_code).authy_id)


def _service(seed: int | str = 7, **options: Any) -> tuple[VirtualClock, SmsNetwork, AuthyService]:
    clock = VirtualClock(START)
    rng = SeededRandom(seed)
    network = SmsNetwork(clock, rng.stream("network"))
    return clock, network, AuthyService(clock, rng.stream("authy"), network, **options)


@pytest.fixture
def sim() -> Iterator[Sim]:
    clock, network, service = _service(api_key=KEY, callback_url=CALLBACK)
    with mounted(service):
        yield Sim(clock, network, service, AuthyClient(KEY))


# --- users -------------------------------------------------------------------------------------


def test_users_new_answers_the_documented_body(sim: Sim) -> None:
    """users/new: 200 {"message", "user": {"id": int}, "success": true} (standards.md 6.4)."""
    form = {"user[email]": "ana@example.com", "user[cellphone]": "415-555-1118"}
    response = sim.post("/protected/json/users/new", data=form)
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["message", "user", "success"]
    assert body["message"] == "User created successfully." and body["success"] is True
    assert type(body["user"]["id"]) is int
    assert sim.backend.user(body["user"]["id"]).country_code == 1  # the default


def test_users_new_returns_the_existing_user_for_the_same_phone(sim: Sim) -> None:
    """Registering the same cellphone and country code again gives the same Authy ID."""
    first = sim.client.register_user("ana@example.com", "415-555-1118", 1)
    again = sim.client.register_user("ana@example.com", "(415) 555 1118", "1")
    other = sim.client.register_user("ana@example.com", "415-555-1118", 351)
    assert first == again != other


def test_users_new_reads_a_json_body_as_authy_python_sends_it(sim: Sim) -> None:
    """A JSON body {"user": {...}} (authy-python's encoding) creates the same user as a form."""
    data = {"user": {"email": "ana@example.com", "cellphone": "4155551118", "country_code": 1}}
    response = sim.post("/protected/json/users/new", json=data)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == sim.client.register_user("x@y.io", "4155551118")


def test_users_new_refuses_an_invalid_user_with_60027(sim: Sim) -> None:
    """An invalid cellphone: 400 with the 60027 body of standards.md 6.4, field error included."""
    form = {"user[email]": "ana@example.com", "user[cellphone]": "12", "user[country_code]": "1"}
    response = sim.post("/protected/json/users/new", data=form)
    assert response.status_code == 400
    assert response.json() == {
        "message": "User was not valid",
        "success": False,
        "errors": {"cellphone": "is invalid", "message": "User was not valid"},
        "error_code": "60027",
    }
    with pytest.raises(AuthyApiError) as caught:
        sim.client.register_user("not-an-email", "4155551118")
    assert (caught.value.code, caught.value.status) == ("60027", 400)
    assert caught.value.fields == {"email": "is invalid"}


def test_user_status_answers_the_documented_body(sim: Sim) -> None:
    """users/{id}/status: the status object of standards.md, phone masked to its last 4 digits."""
    authy_id = sim.user()
    response = sim.get(f"/protected/json/users/{authy_id}/status")
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["status", "message", "success"]
    assert (body["message"], body["success"]) == ("User status.", True)
    status = body["status"]
    assert list(status) == STATUS_KEYS
    assert status["authy_id"] == authy_id and status["country_code"] == 1
    assert status["phone_number"] == "XXX-XXX-1118"
    assert (status["registered"], status["confirmed"], status["devices"]) == (False, False, [])
    assert (status["has_hard_token"], status["account_disabled"]) == (False, False)


def test_user_status_lists_devices_and_deleted_devices(sim: Sim) -> None:
    """A device with the app makes the user registered; a revoked one moves to deleted_devices."""
    authy_id = sim.user()
    phone = sim.backend.register_device(authy_id, name="iphone")
    sim.clock.advance(60)
    tablet = sim.backend.register_device(authy_id, name="android")
    status = sim.client.user_status(authy_id)
    assert status["registered"] is True and status["devices"] == ["iphone", "android"]
    assert status["detailed_devices"][0] == {
        "device_type": "authy",
        "os_type": "ios",
        "creation_date": int(START),
    }
    sim.backend.revoke_device(authy_id, phone.id)
    status = sim.client.user_status(authy_id)
    assert status["devices"] == ["android"]
    assert [d["os_type"] for d in status["deleted_devices"]] == ["ios"]
    assert tablet.active and not phone.active


def test_device_secrets_are_160_bits_and_distinct(sim: Sim) -> None:
    """Each device has its own secret of at least 160 bits, from the seeded stream."""
    authy_id = sim.user()
    devices = [sim.backend.register_device(authy_id) for _ in range(3)]
    assert all(len(d.secret) * 8 >= 160 for d in devices)
    assert len({d.secret for d in devices}) == 3 and len({d.id for d in devices}) == 3


def test_unknown_user_is_60026_not_found(sim: Sim) -> None:
    """An unknown (or non-numeric) Authy ID: 404 with error 60026 on every user endpoint."""
    for path in (
        "/protected/json/users/999/status",
        "/protected/json/users/abc/status",
        "/protected/json/sms/999",
        "/protected/json/verify/1234567/999",
    ):
        response = sim.get(path, params={"force": "true"})
        assert (response.status_code, response.json()) == (404, USER_NOT_FOUND), path
    with pytest.raises(AuthyApiError) as caught:
        sim.client.user_status(999)
    assert (caught.value.code, caught.value.status) == ("60026", 404)


def test_delete_user_answers_authys_body_and_forgets_the_user(sim: Sim) -> None:
    """users/{id}/delete: {"message": "User was added to remove.", "success": true}; then 60026."""
    authy_id = sim.user()
    response = sim.post(f"/protected/json/users/{authy_id}/delete")
    assert response.json() == {"message": "User was added to remove.", "success": True}
    assert sim.get(f"/protected/json/users/{authy_id}/status").status_code == 404
    with pytest.raises(AuthyApiError, match="60026"):
        sim.client.delete_user(authy_id)


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "wrong-key", KEY.upper()])
def test_a_missing_or_wrong_api_key_is_60001(sim: Sim, key: str | None) -> None:
    """Without the application's X-Authy-API-Key: 401 with error 60001 "Invalid API key"."""
    authy_id = sim.user()
    response = sim.get(f"/protected/json/users/{authy_id}/status", key=key)
    assert (response.status_code, response.json()) == (401, INVALID_KEY)


def test_the_api_key_is_not_accepted_as_a_parameter(sim: Sim) -> None:
    """Only the header authenticates: an ``api_key`` query parameter is not enough."""
    authy_id = sim.user()
    response = sim.get(
        f"/protected/json/users/{authy_id}/status", key=None, params={"api_key": KEY}
    )
    assert response.status_code == 401


def test_the_client_raises_on_a_wrong_key_even_when_verifying(sim: Sim) -> None:
    """verify() raises for 60001 (a 401 that is not a wrong token) instead of saying False."""
    authy_id = sim.user()
    with pytest.raises(AuthyApiError) as caught:
        AuthyClient("bad").verify(authy_id, "1234567")
    assert (caught.value.code, caught.value.status) == ("60001", 401)


def test_service_key_is_drawn_from_the_seed_when_not_given() -> None:
    """Without api_key, the key comes from the seeded stream: same seed, same key."""
    keys = {_service(seed)[2].api_key for seed in (1, 1, 2)}
    assert len(keys) == 2 and all(len(k) == 32 for k in keys)


# --- SMS and voice tokens ----------------------------------------------------------------------


def test_sms_is_sent_and_delivered_in_virtual_time(sim: Sim) -> None:
    """sms/{id}: the "SMS token was sent" body; the code reaches the inbox after the delay."""
    authy_id = sim.user()
    response = sim.get(f"/protected/json/sms/{authy_id}")
    assert response.json() == {
        "success": True,
        "message": "SMS token was sent",
        "cellphone": "+1-XXX-XXX-XX18",
    }
    assert sim.network.inbox(PHONE) == []
    sim.clock.advance(2)
    (sms,) = sim.network.inbox(PHONE)
    assert sms.provider == "authy" and sms.delivered_at == START + 2
    code = sim.network.latest_code(PHONE)
    assert code is not None and len(code) == 7
    assert sms.body == f"Your twofa-sim verification code is: {code}"


def test_sms_cellphone_is_masked_as_in_the_standard(sim: Sim) -> None:
    """A Portuguese number is shown as +351-XXX-XXX-XX67 (standards.md 6.4)."""
    authy_id = sim.user("911234567", 351)
    assert sim.client.request_sms(authy_id).cellphone == "+351-XXX-XXX-XX67"


def test_sms_is_ignored_for_a_user_with_the_app_unless_forced(sim: Sim) -> None:
    """A user with the app: the "Ignored" body with device and ignored true; force=true sends."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id, name="iphone")
    response = sim.get(f"/protected/json/sms/{authy_id}")
    assert response.json() == {
        "success": True,
        "message": "Ignored: SMS is not needed for smartphones. "
        "Pass force=true if you want to actually send it anyway.",
        "cellphone": "+1-XXX-XXX-XX18",
        "device": "iphone",
        "ignored": True,
    }
    sim.clock.advance(60)
    assert sim.network.inbox(PHONE) == []
    delivery = sim.client.request_sms(authy_id, force=True)
    assert not delivery.ignored and delivery.message == "SMS token was sent"
    sim.clock.advance(60)
    assert len(sim.network.inbox(PHONE)) == 1


def test_sms_token_verifies_once(sim: Sim) -> None:
    """An SMS token is single use: the second verification of it is 401 60020."""
    authy_id = sim.user()
    sim.client.request_sms(authy_id)
    sim.clock.advance(5)
    code = sim.network.latest_code(PHONE)
    assert code is not None
    first = sim.get(f"/protected/json/verify/{code}/{authy_id}", params={"force": "true"})
    assert (first.status_code, first.json()) == (200, TOKEN_VALID)
    second = sim.get(f"/protected/json/verify/{code}/{authy_id}", params={"force": "true"})
    assert (second.status_code, second.json()) == (401, TOKEN_INVALID)
    assert sim.client.user_status(authy_id)["confirmed"] is True


def test_sms_token_expires_after_ten_minutes(sim: Sim) -> None:
    """An SMS token is good until 10 minutes after it was sent, and not from then on."""
    authy_id = sim.user()
    sim.client.request_sms(authy_id)
    sim.client.request_sms(authy_id)
    early, late = (t.code for t in sim.backend.tokens)
    sim.clock.set(START + 599.999)
    assert sim.client.verify(authy_id, early) is True
    sim.clock.set(START + 600)
    assert sim.client.verify(authy_id, late) is False


def test_sms_token_is_bound_to_its_action(sim: Sim) -> None:
    """A token sent for an ``action`` verifies only with that action (contextual codes)."""
    authy_id = sim.user()
    sim.client.request_sms(
        authy_id, action="login", action_message="Log in to Example", locale="pt"
    )
    (token,) = sim.backend.tokens
    assert (token.action, token.locale) == ("login", "pt")
    assert "(Log in to Example)" in sim.network.in_flight(PHONE)[0].body
    assert sim.client.verify(authy_id, token.code, action="transfer") is False
    assert sim.client.verify(authy_id, token.code) is False
    assert sim.client.verify(authy_id, token.code, action="login") is True


def test_call_reads_out_a_token_without_sending_sms(sim: Sim) -> None:
    """call/{id}: "Call started..."; the call is recorded, no SMS is sent, its token verifies."""
    authy_id = sim.user()
    delivery = sim.client.request_call(authy_id)
    assert (delivery.message, delivery.cellphone, delivery.ignored) == (
        "Call started...",
        "+1-XXX-XXX-XX18",
        False,
    )
    sim.clock.advance(60)
    assert sim.network.inbox(PHONE) == []
    (call,) = sim.backend.calls(authy_id)
    assert sim.client.verify(authy_id, call.code) is True


def test_call_is_ignored_for_a_user_with_the_app(sim: Sim) -> None:
    """A user with the app: the call is ignored with Authy's message, unless forced."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id, name="android")
    body = sim.get(f"/protected/json/call/{authy_id}").json()
    assert body["ignored"] is True and body["device"] == "android"
    assert body["message"].startswith("Call ignored. User is using  App Tokens")
    assert sim.client.request_call(authy_id, force=True).ignored is False
    assert len(sim.backend.calls()) == 1


def test_install_link_is_texted_when_asked(sim: Sim) -> None:
    """send_install_link_via_sms=true texts a new user a link to the app (no code in it)."""
    sim.client.register_user("ana@example.com", "4155551118", send_install_link_via_sms=True)
    sim.clock.advance(5)
    (sms,) = sim.network.inbox(PHONE)
    assert "authy.com/download" in sms.body and sim.network.latest_code(PHONE) is None


# --- app tokens and verification ---------------------------------------------------------------


def test_authy_token_is_the_last_seven_digits_of_an_eight_digit_totp() -> None:
    """authy_token: 8-digit TOTP, 10 s step, last 7 digits shown (the 7-digit TOTP)."""
    secret = b"12345678901234567890"
    for at in (59, 1_111_111_109, 2_000_000_000):
        eight = totp(secret, at, digits=8, period=10)
        assert authy_token(secret, at) == eight[1:] == totp(secret, at, digits=7, period=10)


def test_app_token_verifies_for_the_current_and_previous_step(sim: Sim) -> None:
    """A device's token verifies during its 10 s step and the next one, then expires."""
    authy_id = sim.user()
    device = sim.backend.register_device(authy_id)
    sim.clock.set(START + 3)
    token = authy_token(device.secret, sim.clock.now())
    assert sim.client.verify(authy_id, token) is True
    sim.clock.set(START + 19.999)
    assert sim.client.verify(authy_id, token) is True
    sim.clock.set(START + 20)
    assert sim.client.verify(authy_id, token) is False


def test_app_token_of_a_revoked_or_foreign_device_fails(sim: Sim) -> None:
    """Only the user's own active devices count: revoked or another user's device fails."""
    authy_id, other = sim.user(), sim.user("4155550000")
    mine = sim.backend.register_device(authy_id)
    theirs = sim.backend.register_device(other)
    now = sim.clock.now()
    assert sim.client.verify(authy_id, authy_token(theirs.secret, now)) is False
    sim.backend.revoke_device(authy_id, mine.id)
    assert sim.client.verify(authy_id, authy_token(mine.secret, now)) is False


def test_verify_body_is_authys_exact_text(sim: Sim) -> None:
    """The 200 body has "success" as the string "true" and the literal "token":"is valid"."""
    authy_id = sim.user()
    device = sim.backend.register_device(authy_id)
    token = authy_token(device.secret, sim.clock.now())
    response = sim.get(f"/protected/json/verify/{token}/{authy_id}", params={"force": "true"})
    assert response.json() == TOKEN_VALID and response.json()["success"] == "true"
    assert '"token":"is valid"' in response.text  # what authy-python's Token.ok() looks for
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "token", ["12ab567", "12345", "1234567890123", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17"]
)
def test_malformed_tokens_are_refused(sim: Sim, token: str) -> None:
    """Tokens must be 6-12 ASCII digits: the API answers 400 60004, the client refuses to send."""
    authy_id = sim.user()
    response = sim.get(f"/protected/json/verify/{token}/{authy_id}", params={"force": "true"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "60004"
    assert response.json()["message"] == "Token format is invalid"
    sent = len(sim.service.exchanges)
    with pytest.raises(AuthyFormatError) as caught:
        sim.client.verify(authy_id, token)
    assert isinstance(caught.value, InputError) and len(sim.service.exchanges) == sent


def test_client_refuses_a_non_numeric_authy_id() -> None:
    """The client checks the Authy ID is digits before sending anything."""
    with pytest.raises(AuthyFormatError, match="Authy id"):
        AuthyClient(KEY).verify("12a", "1234567")
    with pytest.raises(AuthyFormatError):
        AuthyClient(KEY).user_status(True)


def test_unforced_verify_accepts_anything_for_an_unregistered_user(sim: Sim) -> None:
    """The legacy trap: without force=true, a user who has not registered passes any token."""
    authy_id = sim.user()
    response = sim.get(f"/protected/json/verify/0000000/{authy_id}")
    assert (response.status_code, response.json()) == (200, TOKEN_VALID)
    assert sim.client.verify(authy_id, "0000000", force=False) is True
    assert sim.client.verify(authy_id, "0000000") is False  # the client forces by default
    assert sim.client.user_status(authy_id)["confirmed"] is False


def test_unforced_verify_is_enforced_once_registered_or_confirmed(sim: Sim) -> None:
    """With the app, or after a genuine SMS token, verification is enforced even without force."""
    with_app, with_sms = sim.user(), sim.user("4155550000")
    sim.backend.register_device(with_app)
    assert sim.client.verify(with_app, "0000000", force=False) is False
    sim.client.request_sms(with_sms)
    assert sim.client.verify(with_sms, sim.backend.tokens[-1].code) is True
    assert sim.client.verify(with_sms, "0000000", force=False) is False


# --- OneTouch ----------------------------------------------------------------------------------


def _create(sim: Sim, authy_id: int, **form: str) -> str:
    response = sim.post(
        f"/onetouch/json/users/{authy_id}/approval_requests", data={"message": "Log in?", **form}
    )
    body = response.json()
    assert response.status_code == 200 and list(body) == ["approval_request", "success"]
    assert body["success"] is True and list(body["approval_request"]) == ["uuid"]
    return str(body["approval_request"]["uuid"])


def test_approval_request_status_body_follows_the_standard(sim: Sim) -> None:
    """approval_requests/{uuid}: every documented key; pending; _authy_id a string."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    uuid = _create(sim, authy_id)
    response = sim.get(f"/onetouch/json/approval_requests/{uuid}")
    body = response.json()
    assert response.status_code == 200 and list(body) == ["approval_request", "success"]
    request = body["approval_request"]
    assert list(request) == APPROVAL_KEYS
    assert request["status"] == "pending" and request["uuid"] == uuid
    assert request["_authy_id"] == str(authy_id) and type(request["_app_serial_id"]) is int
    assert request["_user_email"] == "ana@example.com" and request["processed_at"] is None
    assert request["created_at"] == "2026-01-01T00:00:00.000Z"


def test_approval_request_is_approved_by_the_device(sim: Sim) -> None:
    """respond(approve=True) before the deadline: approved, with processed_at."""
    authy_id = sim.user()
    device = sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?", seconds_to_expire=120)
    assert [r.uuid for r in sim.backend.pending_requests(authy_id)] == [uuid]
    sim.clock.advance(30)
    sim.backend.respond(uuid, True, device_id=device.id)
    assert sim.client.approval_status(uuid) == "approved"
    assert sim.backend.pending_requests(authy_id) == []
    body = sim.get(f"/onetouch/json/approval_requests/{uuid}").json()["approval_request"]
    assert body["processed_at"] == body["updated_at"] == "2026-01-01T00:00:30.000Z"


def test_approval_request_is_denied_by_the_device(sim: Sim) -> None:
    """respond(approve=False) before the deadline: denied, and it stays denied."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?", seconds_to_expire=120)
    sim.backend.respond(uuid, False)
    sim.clock.advance(3600)
    assert sim.client.approval_status(uuid) == "denied"


def test_approval_request_expires_exactly_at_its_deadline(sim: Sim) -> None:
    """Unanswered: pending a moment before created + seconds_to_expire, expired exactly then."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?", seconds_to_expire=120)
    sim.clock.set(START + 119.999)
    assert sim.client.approval_status(uuid) == "pending"
    sim.clock.set(START + 120)
    assert sim.client.approval_status(uuid) == "expired"


def test_a_response_after_expiry_is_refused(sim: Sim) -> None:
    """The device cannot answer at or after the deadline; the request stays expired."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?", seconds_to_expire=60)
    sim.clock.set(START + 60)
    with pytest.raises(ApprovalRequestClosed, match="expired"):
        sim.backend.respond(uuid, True)
    sim.clock.set(START + 10)  # even if the clock is set back, expired is final
    assert sim.client.approval_status(uuid) == "expired"
    assert sim.backend.callbacks == []


def test_a_second_response_is_refused(sim: Sim) -> None:
    """Once approved, a later deny is refused and the status does not change."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?")
    sim.backend.respond(uuid, True)
    with pytest.raises(ApprovalRequestClosed, match="approved"):
        sim.backend.respond(uuid, False)
    assert sim.client.approval_status(uuid) == "approved"


def test_seconds_to_expire_defaults_to_a_day(sim: Sim) -> None:
    """Without seconds_to_expire, a request expires 86400 s after it was made."""
    authy_id = sim.user()
    uuid = _create(sim, authy_id)
    sim.clock.set(START + 86399)
    assert sim.client.approval_status(uuid) == "pending"
    sim.clock.set(START + 86400)
    assert sim.client.approval_status(uuid) == "expired"


def test_approval_request_reads_details_and_logos_from_form_and_json(sim: Sim) -> None:
    """details[...], hidden_details[...] and logos[][res|url] arrive as form fields or JSON."""
    authy_id = sim.user()
    form = [
        ("message", "Log in?"),
        ("details[Location]", "Lisbon"),
        ("hidden_details[ip]", "10.0.0.1"),
        ("logos[][res]", "default"),
        ("logos[][url]", "https://example.com/a.png"),
        ("logos[][res]", "low"),
        ("logos[][url]", "https://example.com/b.png"),
    ]
    path = f"/onetouch/json/users/{authy_id}/approval_requests"
    uuid = sim.post(path, data=form).json()["approval_request"]["uuid"]
    as_json = {
        "message": "Log in?",
        "seconds_to_expire": None,
        "details": {"Location": "Lisbon"},
        "hidden_details": {"ip": "10.0.0.1"},
        "logos": [
            {"res": "default", "url": "https://example.com/a.png"},
            {"res": "low", "url": "https://example.com/b.png"},
        ],
    }
    other = sim.post(path, json=as_json).json()["approval_request"]["uuid"]
    for made in (sim.backend.requests[uuid], sim.backend.requests[other]):
        assert made.details == {"Location": "Lisbon"} and made.hidden_details == {"ip": "10.0.0.1"}
        assert made.logos == as_json["logos"] and made.seconds_to_expire == 86400


@pytest.mark.parametrize(
    "form",
    [{}, {"message": ""}, {"message": "x" * 201}, {"message": "ok", "seconds_to_expire": "-5"}],
)
def test_approval_request_parameters_are_checked(sim: Sim, form: dict[str, str]) -> None:
    """A missing, empty or over-200-character message, or a bad expiry: 400 with 60004."""
    authy_id = sim.user()
    response = sim.post(f"/onetouch/json/users/{authy_id}/approval_requests", data=form)
    assert response.status_code == 400 and response.json()["error_code"] == "60004"


def test_client_cuts_messages_to_200_characters(sim: Sim) -> None:
    """The client sends at most 200 characters, as authy-python does; empty is refused."""
    authy_id = sim.user()
    uuid = sim.client.create_approval_request(authy_id, "y" * 250, details={"Who": "Ana"})
    assert sim.backend.requests[uuid].message == "y" * 200
    assert sim.backend.requests[uuid].details == {"Who": "Ana"}
    with pytest.raises(AuthyFormatError):
        sim.client.create_approval_request(authy_id, "")


def test_unknown_approval_request_is_404(sim: Sim) -> None:
    """A UUID that names no request: 404 with Authy's envelope."""
    response = sim.get("/onetouch/json/approval_requests/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["success"] is False and response.json()["error_code"] == "60000"


# --- callbacks and signatures ------------------------------------------------------------------


def test_callback_is_recorded_signed_and_verifies(sim: Sim) -> None:
    """An answered request records a POST to the callback URL whose signature verifies."""
    authy_id = sim.user()
    device = sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?", {"Location": "Lisbon"})
    sim.clock.advance(7)
    sim.backend.respond(uuid, True, device_id=device.id)
    (callback,) = sim.backend.callbacks
    assert (callback.url, callback.method, callback.at) == (CALLBACK, "POST", START + 7)
    assert callback.params["status"] == "approved" and callback.params["uuid"] == uuid
    assert callback.params["device_uuid"] == device.id
    assert callback.headers["X-Authy-Signature-Nonce"] == str(int(START + 7))
    assert verify(KEY, callback.headers, "POST", CALLBACK, callback.params)
    # The receiver sees the JSON body; decoding it gives the same signature.
    decoded = json.loads(json.dumps(callback.params))
    lowered = {k.lower(): v for k, v in callback.headers.items()}
    assert verify(KEY, lowered, "POST", CALLBACK, decoded)


def test_tampered_callbacks_do_not_verify(sim: Sim) -> None:
    """Changed parameters, URL, method, nonce or key, or missing headers: not valid."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    uuid = sim.client.create_approval_request(authy_id, "Log in?")
    sim.backend.respond(uuid, False)
    (callback,) = sim.backend.callbacks
    params, headers = dict(callback.params), dict(callback.headers)
    assert verify(KEY, headers, "POST", CALLBACK, params)
    assert not verify(KEY, headers, "POST", CALLBACK, {**params, "status": "approved"})
    assert not verify(KEY, headers, "POST", CALLBACK + "/", params)
    assert not verify(KEY, headers, "GET", CALLBACK, params)
    assert not verify("other", headers, "POST", CALLBACK, params)
    assert not verify(KEY, {**headers, "X-Authy-Signature-Nonce": "1"}, "POST", CALLBACK, params)
    assert not verify(KEY, {}, "POST", CALLBACK, params)


def test_no_callback_without_a_callback_url() -> None:
    """A service without callback_url records no callbacks."""
    _, _, service = _service()
    authy_id = service.backend.create_user("a@b.io", "4155551118").authy_id
    service.backend.register_device(authy_id)
    uuid = service.backend.create_approval_request(authy_id, "Log in?").uuid
    service.backend.respond(uuid, True)
    assert service.backend.callbacks == []
    service.callback_url = CALLBACK
    service.backend.respond(service.backend.create_approval_request(authy_id, "Again?").uuid, True)
    assert len(service.backend.callbacks) == 1


def test_signature_matches_an_independent_computation() -> None:
    """sign() is Base64(HMAC-SHA256(key, "nonce|METHOD|url|sorted encoded params"))."""
    params = {"b": "two words", "a": "x/y", "n": {"k": True}, "l": ["p", "q"], "z": None}
    # Sorted pairs; "/" -> %2F, spaces -> +, list indices emptied, None -> empty, bools lowercase.
    expected_params = "a=x%2Fy&b=two+words&l%5B%5D=p&l%5B%5D=q&n%5Bk%5D=true&z="
    assert canonical_params(params) == expected_params
    data = f"123|POST|https://a.example/cb|{expected_params}".encode()
    expected = base64.b64encode(hmac.new(b"secret", data, hashlib.sha256).digest()).decode()
    assert sign("secret", "123", "POST", "https://a.example/cb", params) == expected


def test_signature_reproduces_authy_pythons_test_vectors() -> None:
    """twilio/authy-python tests: POST and GET signatures of {"b": "val|ue&2", "a": "value1"}."""
    key, nonce = "mTIn3Dq5HrF7r84rNTA0OrHys077egq3", "1427849783.886085"
    url = "https://api.authy.com/dashboard/json/application/webhooks"
    params = {"b": "val|ue&2", "a": "value1"}
    assert sign(key, nonce, "POST", url, params) == "2CT+wezo66Br1U24xZpowp0AuPioH8s+nQVCWA01/PA="
    assert sign(key, nonce, "GET", url, params) == "Sm7Qi5toEQThBH3ZiKWKiXRfr2XRctK6cn8C73lS0dU="
    assert not verify(
        key, {"X-Authy-Signature": "x", "X-Authy-Signature-Nonce": nonce}, "GET", url, params
    )


# Real callbacks signed by Authy, published in twilio/authy-java TestAuthyUtil.java (2017).
JAVA_KEY = "FU10H0uCafgKnXvPfDm5iAisVuHDgXJA"
JAVA_URL = "https://requestb.in/ui9vdiui"
JAVA_POST_BODY = (
    '{"authy_id":688611,"device_uuid":2102943,"callback_action":"approval_request_status",'
    '"uuid":"4a725520-bff5-0135-eb01-0e5d90336a8c","status":"approved","approval_request":'
    '{"transaction":{"details":null,"device_details":{},"device_geolocation":"",'
    '"device_signing_time":1512923419,"encrypted":false,"flagged":false,"hidden_details":null,'
    '"message":"Authorize OneTouch Unit Test","reason":"","requester_details":null,'
    '"status":"approved","uuid":"4a725520-bff5-0135-eb01-0e5d90336a8c",'
    '"created_at_time":1512923400,"customer_uuid":15083},"expiration_timestamp":1513009800,'
    '"logos":null,"app_id":"582380eb7e1caa03317ec08c"},"signature":"pQmypvnmoIb7qIHrKcd3nwPAr'
    "h8Ecr8L87XTYqqAfagDkXhOD7CulSdDkE0ImFBzigwc+vxwZsgxBnhFmU2c9kYuvMJiPLeS8NCpRucg7eHeGPM0jQbKv"
    "eqzFcZ9L6P1kRHjSYwS7dLqEINBffNckK7O9LHz13XYklxXvYUwvemtj+yEemyCJbmlJbCSlUTyajr3WSRPMYZV7xXTN"
    "tWp2XvcRSclP8izgA1cV/cw7ctDYIPG6wUXJGSIs/kg3hTDeN1Z3YBq1fnMkfxeb5g9bRveRlCjXpQ6xFh1wQEUbbtJp"
    'f+uRgxddbQwxfda9gIb5osOEhKRv5HoJ03yOvKiBQ==","device":{"city":null,"country":"Colombia",'
    '"ip":"190.130.65.251","region":null,"registration_city":null,"registration_country":'
    '"Colombia","registration_ip":"190.130.66.242","registration_method":"sms",'
    '"registration_region":null,"os_type":"android","last_account_recovery_at":null,'
    '"id":2102943,"registration_date":1505418165,"last_sync_date":1505418173}}'
)
JAVA_GET_QUERY = (
    "approval_request%5Bapp_id%5D=582380eb7e1caa03317ec08c&approval_request%5Bexpiration_"
    "timestamp%5D=1513023630&approval_request%5Blogos%5D=&approval_request%5Btransaction%5D%5B"
    "created_at_time%5D=1512937230&approval_request%5Btransaction%5D%5Bcustomer_uuid%5D=15083&"
    "approval_request%5Btransaction%5D%5Bdetails%5D=&approval_request%5Btransaction%5D%5Bdevice_"
    "geolocation%5D=&approval_request%5Btransaction%5D%5Bdevice_signing_time%5D=1512937257&"
    "approval_request%5Btransaction%5D%5Bencrypted%5D=false&approval_request%5Btransaction%5D%5B"
    "flagged%5D=false&approval_request%5Btransaction%5D%5Bhidden_details%5D=&approval_request%5B"
    "transaction%5D%5Bmessage%5D=Authorize+OneTouch+Unit+Test&approval_request%5Btransaction%5D"
    "%5Breason%5D=&approval_request%5Btransaction%5D%5Brequester_details%5D=&approval_request%5B"
    "transaction%5D%5Bstatus%5D=approved&approval_request%5Btransaction%5D%5Buuid%5D=7e272da0-"
    "c015-0135-eafc-0e5d90336a8c&authy_id=688611&callback_action=approval_request_status&device"
    "%5Bcity%5D=&device%5Bcountry%5D=Colombia&device%5Bid%5D=2102943&device%5Bip%5D=190.130.65."
    "251&device%5Blast_account_recovery_at%5D=&device%5Blast_sync_date%5D=1505418173&device%5Bos_"
    "type%5D=android&device%5Bregion%5D=&device%5Bregistration_city%5D=&device%5Bregistration_"
    "country%5D=Colombia&device%5Bregistration_date%5D=1505418165&device%5Bregistration_ip%5D=19"
    "0.130.66.242&device%5Bregistration_method%5D=sms&device%5Bregistration_region%5D=&device_"
    "uuid=2102943&signature=YnZe2qSWEAYAROAhykwbeIOV2Ym%2Fg4y9rlIQc6ePtvTt9UDDotl7p2H%2FpC3EFNG5"
    "XsDaMkJuZmXSd0UW%2FtiuR2l%2BJ%2Fvta5yXVArq6d1uNspB1u%2BWYjumDhTLFQI0Ox6BGQMhTlWkQK96dh0bJQqy"
    "PP7I5f4xQZMmNIClCKZa%2BzUqmPA7zo1Qokz9w0u917zKt%2BsLLxLLXblhdYvFIvfVqGAtiBQzbUh9UCCuOp6jcF7H"
    "kZiGs2nFIAlwVFffhK%2BxXnEXvG9yA3KnMRX6Y31yxWd3ApRoDNbLpCOSgFlkYAasQ8hBkcSy3AyyfT4TMhyeemI3I"
    "W6GFTADrXXO%2BzvpcA%3D%3D&status=approved&uuid=7e272da0-c015-0135-eafc-0e5d90336a8c"
)


def test_signature_verifies_real_authy_callbacks() -> None:
    """Real callbacks Authy signed (authy-java's test data) verify, as JSON POST and as GET."""
    post = {"X-Authy-Signature-Nonce": "1512923419"}
    post["X-Authy-Signature"] = "6uKAaKxCkkFEyQujwdudyPNUgRi2fY5otoCOQN7VjCw="
    assert verify(JAVA_KEY, post, "POST", JAVA_URL, json.loads(JAVA_POST_BODY))
    get = {"X-Authy-Signature-Nonce": "1512937258"}
    get["X-Authy-Signature"] = "W0YumwSPoL+2CX1q4XoUSY5gOmWmnrkXUmlm7NE6iGY="
    query = dict(parse_qsl(JAVA_GET_QUERY, keep_blank_values=True))
    assert verify(JAVA_KEY, get, "GET", JAVA_URL, query)
    assert not verify(JAVA_KEY, get, "GET", JAVA_URL, {**query, "status": "denied"})


# --- faults, routing, the exchange log, reset --------------------------------------------------


@pytest.mark.parametrize("kind", ["http_500", "http_503"])
def test_injected_server_errors_use_the_generic_envelope(sim: Sim, kind: str) -> None:
    """5xx faults: that status with error 60000; the client raises a retryable AuthyApiError."""
    status = 500 if kind == "http_500" else 503
    authy_id = sim.user()
    sim.service.faults.add(kind, times=1)  # type: ignore[arg-type]
    response = sim.get(f"/protected/json/users/{authy_id}/status")
    assert (response.status_code, response.json()) == (
        status,
        {
            "message": "An error occurred",
            "success": False,
            "errors": {"message": "An error occurred"},
            "error_code": "60000",
        },
    )
    sim.service.faults.add(kind, times=1)  # type: ignore[arg-type]
    with pytest.raises(AuthyApiError) as caught:
        sim.client.request_sms(authy_id)
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (
        status,
        "60000",
        True,
    )
    assert sim.backend.tokens == []  # the fault answered before the backend acted


def test_rate_limit_is_60003(sim: Sim) -> None:
    """A 429 fault answers Authy's "DoS protection" error 60003."""
    authy_id = sim.user()
    sim.service.faults.add("rate_limit", endpoint="verify")
    response = sim.get(f"/protected/json/verify/1234567/{authy_id}", params={"force": "true"})
    assert response.status_code == 429 and response.json()["error_code"] == "60003"
    assert response.json()["message"] == "DoS protection"
    with pytest.raises(AuthyApiError) as caught:
        sim.client.verify(authy_id, "1234567")
    assert (caught.value.code, caught.value.retryable) == ("60003", True)
    assert sim.client.user_status(authy_id)["authy_id"] == authy_id  # other endpoints unaffected


@pytest.mark.parametrize("kind", ["timeout", "connection_error"])
def test_no_answer_raises_authy_unavailable(sim: Sim, kind: str) -> None:
    """A timeout or dropped connection: AuthyUnavailable; a timeout costs the client's timeout."""
    authy_id = sim.user()
    sim.service.faults.add(kind, times=1)  # type: ignore[arg-type]
    with pytest.raises(AuthyUnavailable) as caught:
        sim.client.request_sms(authy_id)
    assert isinstance(caught.value, AuthyApiError) and caught.value.retryable
    assert sim.clock.now() == START + (10.0 if kind == "timeout" else 0.0)
    last = sim.service.exchanges[-1]
    assert last.fault
    # A timeout loses the answer to work done; a dropped connection never reached Authy.
    assert (last.status is None) == (kind == "connection_error")


def test_unknown_paths_get_a_404_envelope(sim: Sim) -> None:
    """A path (or method) the API does not have: 404 with Authy's generic envelope."""
    for response in (
        sim.get("/protected/json/nothing"),
        sim.get("/protected/json/users/new"),
        sim.post("/protected/json/sms/1"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "message": "Not found",
            "success": False,
            "errors": {"message": "Not found"},
            "error_code": "60000",
        }


def test_every_exchange_is_logged(sim: Sim) -> None:
    """Each request, answered or failed, is logged with its endpoint, status and virtual time."""
    authy_id = sim.client.register_user("ana@example.com", "4155551118")
    sim.client.request_sms(authy_id)
    sim.clock.advance(3)
    sim.client.verify(authy_id, "1234567")
    sim.get("/nowhere")
    log = [(e.endpoint, e.status, e.at) for e in sim.service.exchanges]
    assert log == [
        ("users.new", 200, START),
        ("sms", 200, START),
        ("verify", 401, START + 3),
        ("unknown", 404, START + 3),
    ]
    assert sim.service.exchanges[2].response == TOKEN_INVALID
    assert all(e.provider == "authy" for e in sim.service.exchanges)


def test_reset_forgets_everything_but_the_key(sim: Sim) -> None:
    """reset(): users, tokens, requests, callbacks, the log and faults go; the key stays."""
    authy_id = sim.user()
    sim.backend.register_device(authy_id)
    sim.backend.respond(sim.client.create_approval_request(authy_id, "Log in?"), True)
    sim.service.faults.add("http_503", until=START + 1)
    sim.service.reset()
    assert (sim.backend.users, sim.backend.requests, sim.backend.callbacks) == ({}, {}, [])
    assert sim.service.exchanges == [] and sim.service.faults.rules == []
    assert sim.service.api_key == KEY and sim.service.callback_url == CALLBACK
    assert sim.client.register_user("ana@example.com", "4155551118") > 0


def _session(service: AuthyService, clock: VirtualClock) -> list[object]:
    with mounted(service):
        client = AuthyClient(service.api_key)
        authy_id = client.register_user("ana@example.com", "4155551118")
        service.backend.register_device(authy_id)
        client.request_sms(authy_id, force=True)
        uuid = client.create_approval_request(authy_id, "Log in?", seconds_to_expire=30)
        clock.advance(31)
        headers = {"X-Authy-API-Key": service.api_key}
        bodies: list[object] = [
            requests.get(f"{BASE}/onetouch/json/approval_requests/{uuid}", headers=headers).text,
            requests.get(f"{BASE}/protected/json/users/{authy_id}/status", headers=headers).text,
        ]
    return [*bodies, *(e.response for e in service.exchanges), service.backend.tokens[0].code]


def test_same_seed_gives_identical_bodies() -> None:
    """Two fresh services from one seed answer byte-identical bodies; another seed differs."""
    runs = []
    for seed in (42, 42, 43):
        clock, _, service = _service(seed)
        runs.append(_session(service, clock))
    assert runs[0] == runs[1] != runs[2]


def test_client_repr_hides_the_key() -> None:
    """The client never shows its API key."""
    assert KEY not in repr(AuthyClient(KEY)) and KEY not in str(AuthyUnavailable("x"))


def test_errors_belong_to_the_project_hierarchy() -> None:
    """Client errors are TwofaSimErrors: one except clause catches all that twofa-sim raises."""
    assert issubclass(AuthyApiError, TwofaSimError) and issubclass(AuthyUnavailable, AuthyApiError)
    assert issubclass(AuthyFormatError, InputError)
