"""The inbox page in headless Chromium: the phone's screen, with Approve / Deny for pushes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.report.browser import chromium
from tests.serve.cdp import Browser
from tests.serve.conftest import ALICE, SENDER, Served, start

pytestmark = pytest.mark.skipif(chromium() is None, reason="Chromium is not installed")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(tmp_path / "profile")
    try:
        yield opened
    finally:
        opened.close()


def _until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (bounded; no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
    raise AssertionError(f"timed out waiting for {what}")


def _authy_push(served: Served) -> str:
    world = served.ok("GET", "/world")
    response = requests.post(
        f"{served.base}/authy/onetouch/json/users/{world['phones'][0]['authy_id']}"
        "/approval_requests",
        json={"message": "Log in to ACME"},
        headers={"X-Authy-API-Key": world["providers"]["authy"]["api_key"]},
        timeout=10,
    )
    return str(response.json()["approval_request"]["uuid"])


def _status_seen_by_the_service(served: Served, uuid: str) -> str:
    """What a service polling Authy's API reads for the push."""
    api_key = served.ok("GET", "/world")["providers"]["authy"]["api_key"]
    response = requests.get(
        f"{served.base}/authy/onetouch/json/approval_requests/{uuid}",
        headers={"X-Authy-API-Key": api_key},
        timeout=10,
    )
    return str(response.json()["approval_request"]["status"])


@pytest.mark.parametrize(("button", "status"), [("approve", "approved"), ("deny", "denied")])
def test_clicking_a_push_button_is_seen_by_the_service(
    served: Served, browser: Browser, button: str, status: str
) -> None:
    """Rule: clicking Approve (Deny) on the inbox page answers the Authy push: the service
    polling Authy's approval_requests endpoint reads approved (denied)."""
    uuid = _authy_push(served)
    browser.open(f"{served.base}/")
    selector = f'button.{button}[data-uuid="{uuid}"]'
    _until(
        lambda: browser.evaluate(f"document.querySelector({json.dumps(selector)}) !== null"),
        "the push's buttons",
    )
    assert _status_seen_by_the_service(served, uuid) == "pending"
    browser.click(selector)
    _until(lambda: _status_seen_by_the_service(served, uuid) == status, f"the push {status}")
    shown = f'.push[data-uuid="{uuid}"] .state-{status}'
    _until(
        lambda: browser.evaluate(f"document.querySelector({json.dumps(shown)}) !== null"),
        "the page to show the answer",
    )


def test_the_page_shows_each_sms_with_its_code(served: Served, browser: Browser) -> None:
    """Rule: the page is the phone's screen: a delivered SMS appears under its number with the
    code set apart, and the page follows the clock without a reload."""
    served.twilio().messages.create(to=ALICE, from_=SENDER, body="Your ACME code is 907153")
    browser.open(f"{served.base}/")
    _until(lambda: browser.evaluate("document.body?.dataset.ready === '1'"), "the page")
    codes = f"[...document.querySelectorAll('.phone[data-number=\"{ALICE}\"] .code')]"
    assert browser.evaluate(f"{codes}.length") == 0  # in flight: not on the phone yet
    served.ok("POST", "/clock/advance", {"by": "10s"})
    _until(lambda: browser.evaluate(f"{codes}.map(e => e.textContent).join()") == "907153", "code")


def test_the_page_asks_for_the_token_and_uses_it(browser: Browser) -> None:
    """Rule: behind --token, the page shows a token form instead of data; with #token= in the
    address it reads the API."""
    with start(token="page-token") as server:
        browser.open(f"{server.base_url}/")
        _until(
            lambda: browser.evaluate(
                "(() => { const form = document.getElementById('login');"
                " return form !== null && getComputedStyle(form).display === 'block'; })()"
            ),
            "the token form",
        )
        assert browser.evaluate("document.querySelectorAll('.phone').length") == 0
        browser.open(f"{server.base_url}/#token=page-token")
        _until(lambda: browser.evaluate("document.body?.dataset.ready === '1'"), "the data")
        assert browser.evaluate("document.querySelectorAll('.phone').length") == 2


def test_the_page_shows_verify_verifications_and_answers_verify_pushes(
    served: Served, browser: Browser
) -> None:
    """Rule: Verify verifications appear with their state, and a Verify push challenge is
    approved by clicking Approve: the service fetching the challenge reads approved."""
    client = served.twilio()
    client.verify.base_url = f"{served.base}/verify"
    service = client.verify.v2.services.create(friendly_name="ACME")
    verification = client.verify.v2.services(service.sid).verifications.create(
        to=ALICE, channel="sms"
    )
    factor = served.ok(
        "POST", "/verify/push-factors", {"service_sid": service.sid, "identity": "alice-0001"}
    )
    entity = client.verify.v2.services(service.sid).entities("alice-0001")
    challenge = entity.challenges.create(factor_sid=factor["sid"], details_message="Log in?")
    browser.open(f"{served.base}/")
    row = f'#verifications tr[data-sid="{verification.sid}"] .state-pending'
    _until(lambda: browser.evaluate(f"document.querySelector({json.dumps(row)}) !== null"), "row")
    selector = f'button.approve[data-sid="{challenge.sid}"]'
    _until(
        lambda: browser.evaluate(f"document.querySelector({json.dumps(selector)}) !== null"),
        "the challenge's buttons",
    )
    browser.click(selector)
    _until(lambda: entity.challenges(challenge.sid).fetch().status == "approved", "approval")
