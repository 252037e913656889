"""The probes behind the django-otp findings, kept true: each is run against django-otp and
against the reference, and each verdict is what the findings say. A probe the reference passes
checks a rule, not our implementation's choices; a probe django-otp fails is a behaviour of
django-otp's (not of the adapter: see test_django_otp.py for the mapping).

=============================================  ==========  =========  ===========================
probe                                          django-otp  reference  what it shows
=============================================  ==========  =========  ===========================
probe-sms-code-bound-to-login                  failed      passed     SMS code bound to the device,
                                                                      not the login (ASVS 6.6.2)
probe-sms-attempts-per-code                    failed      passed     back-off only; a code is not
                                                                      spent by wrong guesses
probe-recovery-single-use                      passed      passed     static tokens work once
probe-half-finished-login-expires              failed      passed     a half-finished login lives
                                                                      as long as the session
probe-throttle-across-logins                   passed      passed     back-off holds across logins
                                                                      (RFC 4226 7.3)
probe-drift-without-limit                      passed      failed     drift followed without limit
                                                                      (RFC 6238 6 RECOMMENDs one)
probe-sms-wrong-codes-vs-totp-throttle         failed      passed     throttling per device
=============================================  ==========  =========  ===========================
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip(
    "django_otp", reason="the django-otp target needs the [django] extra (twofa-sim[django])"
)
pytest.importorskip(
    "otp_twilio", reason="the django-otp target needs the [django] extra (twofa-sim[django])"
)

from twofa_sim.peers.django_otp import DjangoOtpTarget
from twofa_sim.scenario.loader import load_scenarios
from twofa_sim.scenario.runner import run_scenario

PROBES = Path(__file__).parent / "data" / "django_otp_probes.yaml"

EXPECTED: dict[str, tuple[str, str]] = {
    "probe-sms-code-bound-to-login": ("failed", "passed"),
    "probe-sms-attempts-per-code": ("failed", "passed"),
    "probe-recovery-single-use": ("passed", "passed"),
    "probe-half-finished-login-expires": ("failed", "passed"),
    "probe-throttle-across-logins": ("passed", "passed"),
    "probe-drift-without-limit": ("passed", "failed"),
    "probe-sms-wrong-codes-vs-totp-throttle": ("failed", "passed"),
}
"""Probe id -> (verdict on django-otp, verdict on the reference)."""


def test_every_probe_is_listed() -> None:
    """The table above and the probe file name the same probes."""
    assert sorted(s.id for s in load_scenarios(PROBES)) == sorted(EXPECTED)


@pytest.mark.parametrize("probe", sorted(EXPECTED))
def test_probe_verdicts(probe: str) -> None:
    """django-otp's verdict on each probe is the finding's; the reference's shows the probe
    asks what it says (and fails the drift probe, where the reference enforces a limit)."""
    scenario = next(s for s in load_scenarios(PROBES) if s.id == probe)
    on_django_otp = run_scenario(scenario, target=DjangoOtpTarget, seed=0)
    on_reference = run_scenario(scenario, target="reference", seed=0)
    assert (on_django_otp.verdict, on_reference.verdict) == EXPECTED[probe], (
        on_django_otp.detail,
        on_reference.detail,
    )
