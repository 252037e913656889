"""The bundled library against pyotp-naive: it fails exactly the scenarios about what it lacks.

What it lacks as a *feature* (Authy, recovery codes, an audit log, notifications) is
``unsupported``, not failed; a scenario that sets a policy it has no knob for, or names a
provider it does not use, is ``not_applicable``; only a wrong answer is ``failed``.

(Against the reference, every scenario runs in ``make test`` itself: ``scenarios/`` is a test
path, collected by the plugin.) A scenario that starts failing against the naive target, or
stops, changes what the library proves: this test names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all

LIBRARY = Path(__file__).parents[2] / "scenarios"

NO_AUTHY = "no Authy: SMS only"
NO_LOCKOUT = "no lockout, no back-off, no attempt limit"
NAIVE_LACKS: dict[str, str] = {
    "account-audit-log": "no audit log",
    "account-disable-two-factor": "no notifications",
    "account-notified-of-every-change": "no notifications",
    "phone-change-number": "no notifications",
    "account-seed-flow-authy-then-qr": NO_AUTHY,
    "authy-app-token-replay": NO_AUTHY,
    "authy-app-token-verify": NO_AUTHY,
    "authy-not-a-user-falls-back-to-sms": NO_AUTHY,
    "authy-push-bombing-limited": NO_AUTHY,
    "authy-push-denied": NO_AUTHY,
    "authy-push-number-must-match": NO_AUTHY,
    "authy-push-verify": NO_AUTHY,
    "login-with-authy-app": NO_AUTHY,
    "login-with-authy-push": NO_AUTHY,
    "providers-authy-outage-mid-enrollment": NO_AUTHY,
    # Its flow also makes recovery codes, so its check of SMS codes at rest never runs here.
    "account-codes-stored-hashed": "no recovery codes",
    "clock-drift-limit": "no drift tracking",
    "clock-drift-tracked-over-months": "no drift tracking",
    "lockout-backoff-after-wrong-code": NO_LOCKOUT,
    "lockout-brute-force-totp": NO_LOCKOUT,
    "lockout-refuses-every-factor": NO_LOCKOUT,
    "lockout-password-guessing": NO_LOCKOUT,
    "lockout-sms-code-attempt-limit": NO_LOCKOUT,
    "lockout-survives-restart": NO_LOCKOUT,
    "phone-resend-cooldown": "no resend cooldown",
    "login-with-recovery-code": "no recovery codes",
    "recovery-guessing-locks": "no recovery codes",
    "recovery-needs-two-factor-on": "no recovery codes",
    "recovery-regenerated-codes-replace-old": "no recovery codes",
    "recovery-code-single-use": "no recovery codes",
    "login-sms-code-expired": "SMS codes never expire",
    "phone-code-expired": "SMS codes never expire",
    "phone-sms-delivered-after-expiry": "SMS codes never expire",
    "phone-sms-code-replay": "SMS codes reusable",
    "providers-sms-duplicated": "SMS codes reusable",
    "qr-confirm-wrong-code": "QR secret active without confirmation",
    "qr-regenerate-unscanned-keeps-old": "QR secret active without confirmation",
    "qr-unconfirmed-secret-not-active": "QR secret active without confirmation",
    "totp-replay-within-window": "no TOTP replay protection",
    "totp-older-code-after-newer": "no TOTP replay protection",
    "clock-wider-window-acceptance": "no configurable window",
    "clock-drift-untracked-fails": "no policy settings",
    "lockout-success-resets-count": "no policy settings",
    "qr-seed-compat-no-confirmation": "no policy settings",
    # Added with the mutation review's scenarios (tests/mutation):
    "account-audit-refusals-and-chain": "no audit log",
    "authy-push-expires": NO_AUTHY,
    "lockout-replays-count": "no TOTP replay protection",
    "lockout-wrong-sms-codes-count": NO_LOCKOUT,
    "lockout-new-code-keeps-count": NO_LOCKOUT,
    "authy-push-limit-survives-restart": NO_AUTHY,
    "clock-drift-survives-restart": "no drift tracking",
    "phone-resend-cooldown-survives-restart": "no resend cooldown",
    "login-half-finished-expires": "login attempts never expire",
    "login-second-factor-once": "a completed login takes more codes",
    "phone-code-replay-after-restart": "SMS codes reusable",
    "recovery-code-single-use-after-restart": "no recovery codes",
    "totp-replay-after-restart": "no TOTP replay protection",
    "login-sms-code-reused-on-later-login": "no SMS replay detection",
}


FEATURE_LACKS = {NO_AUTHY, "no recovery codes", "no audit log", "no notifications"}
"""Reasons that are a missing feature: those scenarios must be unsupported (or, when they also
set a policy, not applicable), never failed."""


@pytest.fixture(scope="module")
def naive() -> dict[str, tuple[str, str]]:
    results = run_all(load_paths([LIBRARY]), target="pyotp-naive", seed=0)
    return {r.scenario.id: (r.verdict, r.detail) for r in results.results}


def test_the_library_is_large_and_covers_every_factor() -> None:
    scenarios = load_paths([LIBRARY])
    assert len(scenarios) >= 40
    tags = {tag for s in scenarios for tag in s.tags}
    assert {"sms", "totp", "authy-app", "authy-push", "recovery", "property"} <= tags


def test_naive_fails_exactly_the_scenarios_about_what_it_lacks(
    naive: dict[str, tuple[str, str]],
) -> None:
    """Every scenario it does not pass is listed with what it lacks; the verdict says which
    kind of lack (a wrong answer, a missing feature, a setting it does not have)."""
    other_provider = {
        name for name, (verdict, detail) in naive.items() if "through provider" in detail
    }
    not_passed = {name for name, (verdict, _) in naive.items() if verdict != "passed"}
    assert not_passed - other_provider == set(NAIVE_LACKS), {
        "does not pass but not listed": sorted(not_passed - other_provider - set(NAIVE_LACKS)),
        "listed but passes": sorted(set(NAIVE_LACKS) - not_passed),
    }
    for name, reason in NAIVE_LACKS.items():
        verdict, detail = naive[name]
        if verdict == "not_applicable":
            assert "has no setting for policy" in detail, (name, detail)
        elif reason in FEATURE_LACKS:
            assert verdict == "unsupported", (name, verdict, detail)
            assert "does not provide" in detail, (name, detail)
        else:
            assert verdict == "failed", (name, verdict, detail)


def test_a_missing_feature_is_not_a_failed_requirement(naive: dict[str, tuple[str, str]]) -> None:
    """A wrong answer fails; a missing feature is unsupported; a setting the target does not
    have makes the scenario not applicable."""
    assert naive["totp-replay-within-window"][0] == "failed"
    assert naive["recovery-code-single-use"][0] == "unsupported"
    assert naive["account-audit-log"][0] == "unsupported"
    assert naive["recovery-guessing-locks"][0] == "not_applicable"


def test_every_phone_number_in_the_library_is_valid_for_libphonenumber() -> None:
    """A service that validates numbers as django-phonenumber-field does (is_valid_number)
    must not refuse the library's phones: they are in the reserved fictional 555-01xx range."""
    import re

    import phonenumbers

    numbers = {
        match
        for path in LIBRARY.rglob("*.scenario.yaml")
        for match in re.findall(r"\+\d{8,15}", path.read_text(encoding="utf-8"))
    }
    assert numbers
    invalid = sorted(n for n in numbers if not phonenumbers.is_valid_number(phonenumbers.parse(n)))
    assert invalid == [], invalid
