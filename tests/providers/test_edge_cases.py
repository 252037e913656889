"""Hostile and odd input to the fakes: always the provider's own error, never a Python crash."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from twofa_sim.core.clock import VirtualClock
from twofa_sim.providers import (
    AuthyService,
    Reply,
    Request,
    Route,
    SeededRandom,
    SmsNetwork,
    TwilioService,
    mounted,
)
from twofa_sim.providers._core import FakeService
from twofa_sim.providers.network import extract_code

KEY = "0123456789abcdef0123456789abcdef"
AUTHY = "https://api.authy.com"


@pytest.fixture
def authy() -> Iterator[AuthyService]:
    clock = VirtualClock(1_767_225_600)
    service = AuthyService(clock, SeededRandom(1), SmsNetwork(clock, SeededRandom(2)), api_key=KEY)
    with mounted(service):
        yield service


def authy_user(service: AuthyService) -> int:
    return service.backend.create_user("a@example.com", "4155551118", 1).authy_id


def test_huge_authy_id_is_user_not_found(authy: AuthyService) -> None:
    """A 5000-digit user id: 60026 (not a ValueError out of int())."""
    response = requests.get(
        f"{AUTHY}/protected/json/users/{'9' * 5000}/status", headers={"X-Authy-API-Key": KEY}
    )
    assert response.status_code == 404 and response.json()["error_code"] == "60026"


def test_absurd_seconds_to_expire_is_an_invalid_parameter(authy: AuthyService) -> None:
    """seconds_to_expire of 400 digits: 60004, and nothing is stored that could break later."""
    user = authy_user(authy)
    response = requests.post(
        f"{AUTHY}/onetouch/json/users/{user}/approval_requests",
        data={"message": "Log in?", "seconds_to_expire": "9" * 400},
        headers={"X-Authy-API-Key": KEY},
    )
    assert response.status_code == 400 and response.json()["error_code"] == "60004"
    assert authy.backend.pending_requests(user) == []


def test_deeply_nested_form_keys_and_json_are_invalid_requests(authy: AuthyService) -> None:
    """A form key with thousands of brackets, or JSON nested thousands deep: 60002."""
    user = authy_user(authy)
    url = f"{AUTHY}/onetouch/json/users/{user}/approval_requests"
    headers = {"X-Authy-API-Key": KEY}
    deep_key = "details" + "[a]" * 5000
    form = requests.post(url, data={"message": "x", deep_key: "v"}, headers=headers)
    deep_json = '{"message": "x", "details": ' + "[" * 100_000 + "]" * 100_000 + "}"
    body = requests.post(
        url, data=deep_json, headers={**headers, "Content-Type": "application/json"}
    )
    for response in (form, body):
        assert response.status_code == 400 and response.json()["error_code"] == "60002"


def test_huge_country_code_is_user_not_valid(authy: AuthyService) -> None:
    """A 5000-digit country code: the 60027 'User was not valid' body."""
    response = requests.post(
        f"{AUTHY}/protected/json/users/new",
        data={
            "user[email]": "a@example.com",
            "user[cellphone]": "4155551118",
            "user[country_code]": "1" * 5000,
        },
        headers={"X-Authy-API-Key": KEY},
    )
    assert response.status_code == 400 and response.json()["error_code"] == "60027"


def test_json_request_bodies_are_logged_by_field(authy: AuthyService) -> None:
    """A JSON body (what authy-python sends) appears in the exchange log field by field."""
    user = authy_user(authy)
    requests.post(
        f"{AUTHY}/onetouch/json/users/{user}/approval_requests",
        json={"message": "Log in to ACME?", "details": {"ip": "10.0.0.1"}},
        headers={"X-Authy-API-Key": KEY},
    )
    logged = authy.exchanges[-1].request
    assert logged["message"] == "Log in to ACME?"
    assert json.loads(logged["details"]) == {"ip": "10.0.0.1"}


@pytest.mark.parametrize("number", ["+1500555001", "+1555", "+15551234567890"])
def test_twilio_refuses_impossible_numbers_with_21211(number: str) -> None:
    """standards.md's own example: To +1500555001 (a digit short) is 21211, not a 201."""
    clock = VirtualClock(0)
    twilio = TwilioService(clock, SeededRandom(1), SmsNetwork(clock, SeededRandom(2)))
    with mounted(twilio):
        response = requests.post(
            f"https://api.twilio.com/2010-04-01/Accounts/{twilio.account_sid}/Messages.json",
            data={"To": number, "From": "+15005550006", "Body": "x"},
            auth=(twilio.account_sid, twilio.auth_token),
        )
    assert response.status_code == 400 and response.json()["code"] == 21211


def test_head_and_options_get_the_providers_404() -> None:
    """Methods no endpoint takes still get the provider's own 404, not a refused connection."""
    clock = VirtualClock(0)
    twilio = TwilioService(clock, SeededRandom(1), SmsNetwork(clock, SeededRandom(2)))
    with mounted(twilio):
        response = requests.options("https://api.twilio.com/2010-04-01/Accounts")
    assert response.status_code == 404 and response.json()["code"] == 20404


class _Broken(FakeService):
    """A fake with a bug in one handler: the safety net must answer like a server would."""

    name = "broken"
    base_urls = ("https://broken.example",)

    def routes(self) -> list[Route]:
        def explode(request: Request) -> Reply:
            raise ZeroDivisionError("oops")

        return [Route("GET", "/boom", explode, "boom")]

    def error_reply(self, status: int, kind: str) -> Reply:
        return Reply(status, {"error": kind})

    def reset_backend(self) -> None:
        """No state to forget."""


def test_a_fakes_own_bug_is_a_500_and_is_logged_as_such() -> None:
    """A handler that crashes answers 500 (as a real server would) and the log says why."""
    service = _Broken(VirtualClock(0), SeededRandom(0))
    with mounted(service):
        response = requests.get("https://broken.example/boom")
    assert response.status_code == 500
    assert "ZeroDivisionError" in (service.exchanges[-1].fault or "")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("2026-03-01: your ACME code is 654321", "654321"),
        ("Order 1234 - verification code 998877", "998877"),
        ("Your Bank 2024 verification code is: 1234567", "1234567"),
        ("482913 is your login code", "482913"),
        ("Your PIN: 4821", "4821"),
        ("Your code is \u0666\u0665\u0664\u0663\u0662\u0661", None),  # Arabic-Indic digits
        ("Meet at 10:30 in room 12", None),
        ("Codes 123456 and 654321", "123456"),
    ],
)
def test_the_code_a_person_would_type(body: str, code: str | None) -> None:
    """latest_code takes the announced code, not a date, year or order number before it."""
    assert extract_code(body) == code
