"""No secret and no code ever leaves the service except to the user it belongs to.

A full story (every factor, failures, replays, lockout, provider faults) is played through a
recorder that keeps every answer and every exception; then every audit entry, notification,
answer and error message is searched for every secret and code that occurred. Records are not
searched: they hold the TOTP secret by design (RFC 4226 7.5: the store is the secure area).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reference.harness import ALICE, BOB, CAROL, PASSWORD, Harness, wrong_code
from twofa_sim.errors import TwofaSimError
from twofa_sim.providers.network import extract_code
from twofa_sim.reference import ReferenceService, SqliteStore
from twofa_sim.world import World

WRONG_PASSWORD = "hunter2-is-not-it"


@dataclass
class Recorder:
    """Wraps the service: every return value's repr and every exception's text is kept."""

    service: ReferenceService
    outputs: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.service, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                value = method(*args, **kwargs)
            except TwofaSimError as exc:
                self.outputs += [str(exc), repr(exc), repr(exc.args)]
                return exc
            if not isinstance(value, list):  # recovery codes are shown to the user: not output
                self.outputs.append(repr(value))
            return value

        return call


@dataclass
class Secrets:
    """Everything secret that occurred in the story."""

    codes: set[str] = field(default_factory=set)
    """SMS codes, TOTP codes, Authy tokens: digits, searched as whole tokens."""
    texts: set[str] = field(default_factory=set)
    """TOTP secrets, recovery codes, passwords: searched as substrings."""
    stored_by_design: set[str] = field(default_factory=set)
    """The TOTP secret (and its URI): the store keeps it, nothing else may show it."""
    numbers: set[str] = field(default_factory=set)
    """Two-digit push numbers: searched as whole tokens in messages only."""


def story(h: Harness, r: Recorder, found: Secrets) -> None:
    """Every factor, right and wrong, replays, a lockout, faults and refusals."""

    def code(value: str) -> str:
        found.codes.add(value)
        return value

    found.texts |= {PASSWORD, WRONG_PASSWORD}
    r.register("alice", PASSWORD)
    r.login("alice", WRONG_PASSWORD)
    r.start_phone_verification("alice", "555-123")
    r.start_phone_verification("nobody", ALICE)
    h.world.twilio.faults.add("http_500", times=1)
    r.start_phone_verification("alice", ALICE)
    challenge = r.start_phone_verification("alice", ALICE)
    r.start_phone_verification("alice", ALICE)  # cooldown
    sms = code(h.sms(ALICE))
    r.confirm_phone("alice", challenge.request_id, code(wrong_code(sms)))
    h.settle()
    r.confirm_phone("alice", challenge.request_id, sms)
    r.confirm_phone("alice", challenge.request_id, sms)  # replay
    enrollment = r.generate_qr("alice")
    secret = h.scan(enrollment)
    found.texts |= {secret, secret.lower(), enrollment.uri}
    found.stored_by_design |= {secret, secret.lower(), enrollment.uri}
    h.settle()
    r.confirm_totp("alice", code(h.wrong_totp(secret)))
    h.settle()
    r.confirm_totp("alice", code(h.app_code()))
    h.next_step()
    totp = code(h.app_code())
    r.verify_login("alice", h.login(), "totp", totp)
    r.verify_login("alice", h.login(), "totp", totp)  # replay
    recovery = h.service.generate_recovery_codes("alice")
    found.texts |= set(recovery) | {c.replace("-", "") for c in recovery}
    h.settle()
    r.verify_login("alice", h.login(), "recovery", recovery[0])
    r.verify_login("alice", h.login(), "recovery", recovery[0])  # replay
    h.cool_down()
    login = h.login()
    r.send_login_code("alice", login, "sms")
    login_sms = code(h.sms(ALICE))
    r.verify_login("alice", login, "sms", code(wrong_code(login_sms)))
    r.verify_login("alice", login, "sms", login_sms)  # throttled
    h.settle()
    r.verify_login("alice", login, "sms", login_sms)
    h.cool_down()
    r.change_phone("alice", CAROL)
    code(h.sms(CAROL))
    r.disable_two_factor("alice", WRONG_PASSWORD)
    login = h.login()
    while h.service.record("alice").locked_until is None:
        h.settle()
        r.verify_login("alice", login, "totp", code(h.wrong_totp(secret)))
    r.verify_login("alice", login, "totp", code(h.app_code()))  # locked
    r.send_login_code("alice", login, "sms")  # locked
    r.login("alice", PASSWORD)  # locked
    r.disable_two_factor("alice", PASSWORD)  # locked
    h.advance(h.policy.lockout_duration)
    r.disable_two_factor("alice", PASSWORD)

    r.register("bob", PASSWORD)
    challenge = r.start_phone_verification("bob", BOB)
    number = h.approve_push(BOB)
    found.numbers.add(number)
    r.confirm_phone("bob", challenge.request_id, f"{(int(number) + 1) % 100:02d}")
    h.cool_down()
    challenge = r.start_phone_verification("bob", BOB)
    number = h.approve_push(BOB)
    found.numbers.add(number)
    r.confirm_phone("bob", challenge.request_id, number)
    authy = h.world.phone(BOB).authy
    assert authy is not None
    h.advance(30)
    token = code(authy.token())
    r.verify_login("bob", h.login("bob"), "authy-app", token)
    r.verify_login("bob", h.login("bob"), "authy-app", token)  # replay
    h.settle("bob")
    h.advance(h.policy.push_window)
    for answer in ("approve", "deny"):
        login = h.login("bob")
        r.send_login_code("bob", login, "authy-push")
        request = authy.pending()[-1]
        found.numbers.add(request.details["Number"])
        (authy.approve if answer == "approve" else authy.deny)(request.uuid)
        r.verify_login("bob", login, "authy-push", request.details["Number"])
    r.send_login_code("bob", h.login("bob"), "authy-push")
    r.send_login_code("bob", h.login("bob"), "authy-push")  # over the push limit
    h.world.authy.faults.add("http_503", times=1)
    r.verify_login("bob", h.login("bob"), "authy-app", code(authy.token()))
    for phone in (ALICE, BOB, CAROL):
        for message in h.world.phone(phone).inbox():
            extracted = extract_code(message.body)
            if extracted:
                found.codes.add(extracted)


def token_pattern(value: str, extra: str = "") -> re.Pattern[str]:
    """``value`` as a whole token: not inside a longer run of letters or digits (a hash)."""
    edge = f"0-9A-Za-z{extra}"
    return re.compile(f"(?<![{edge}]){re.escape(value)}(?![{edge}])")


@pytest.fixture
def played(world: World, tmp_path: Path) -> Iterator[tuple[Harness, Recorder, Secrets]]:
    h = Harness.build(world, store=SqliteStore(tmp_path / "db"))
    recorder, found = Recorder(h.service), Secrets()
    story(h, recorder, found)
    yield h, recorder, found
    h.service.store.close()


def test_the_story_covered_what_it_claims(played: tuple[Harness, Recorder, Secrets]) -> None:
    """audit: the story below really had codes, secrets, replays, a lockout and faults."""
    h, recorder, found = played
    events = {e.event for e in h.service.audit_log()}
    assert {"replay.rejected", "account.locked", "two_factor.disabled"} <= events
    assert len(found.codes) >= 10 and len(found.numbers) >= 2
    assert any("could not be reached" in text for text in recorder.outputs)
    assert any("Outcome(ok=True" in text for text in recorder.outputs)


def test_no_secret_in_the_audit_log(played: tuple[Harness, Recorder, Secrets]) -> None:
    """audit, ASVS 5.0 16.3.1: no entry holds a code, a secret, a recovery code or a password
    (ignoring the chain hashes, which are hex by construction)."""
    h, _, found = played
    for entry in h.service.audit_log():
        text = json.dumps({k: v for k, v in entry.as_dict().items() if k not in ("hash", "prev")})
        for value in found.codes:
            assert not token_pattern(value).search(text), (value, text)
        for value in found.texts:
            assert value not in text, text
        for value in found.numbers:
            strings = [str(v) for v in entry.details.values() if isinstance(v, str)]
            assert not any(token_pattern(value, ".*+").search(s) for s in strings), text


def test_no_secret_in_what_the_user_is_told(played: tuple[Harness, Recorder, Secrets]) -> None:
    """notify-replay, notify-change: notifications, answers (Outcome, Challenge, LoginResult,
    Enrollment) and error messages never repeat a code, a secret or a password."""
    h, recorder, found = played
    said = [f"{n.kind} {n.message}" for n in h.service.notifications] + recorder.outputs
    assert len(said) > 50
    for text in said:
        for value in found.codes:
            assert not token_pattern(value).search(text), (value, text)
        for value in found.texts:
            assert value not in text, text
        for value in found.numbers:
            assert not token_pattern(value, ".*+=").search(text), (value, text)


def test_no_code_or_password_in_the_database_file(
    played: tuple[Harness, Recorder, Secrets], tmp_path: Path
) -> None:
    """oob-hashed, recovery-hashed (ASVS 4.0.3 2.7.5, 5.0 6.5.2): the SQLite file holds no SMS
    code, recovery code or password in clear (the TOTP secret is stored by design)."""
    _, _, found = played
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("db*")).decode("latin-1")
    assert '"username":"alice"' in raw or "alice" in raw
    for value in found.codes:
        assert not token_pattern(value).search(raw.replace("\x00", " ")), value
    for value in found.texts - found.stored_by_design:
        assert value not in raw, value
