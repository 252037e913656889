"""The ``pyotp-quickstart`` target: pyotp-naive with its SMS sent by the official ``twilio``
helper library, as Twilio's quick start writes it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from twofa_sim.errors import InputError, ProviderUnavailableError
from twofa_sim.peers.quickstart import QuickstartTarget
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all
from twofa_sim.scenario.target import TargetContext, load_target
from twofa_sim.world import World

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
PHONE = "+12015550110"
PASSWORD = "correct horse battery staple"


def _world(**extra: Any) -> World:
    return World(
        {"seed": 3, "start": "2031-03-01T09:00:00Z", "phones": [{"number": PHONE}], **extra}
    )


def test_the_sms_goes_through_the_official_twilio_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule: the target tests the quick start's code path, so the request the fake Twilio
    answers is the twilio library's own (its HTTP client is called, for Messages.json), and the
    phone receives the code the app keeps."""
    from twilio.http.http_client import TwilioHttpClient

    calls: list[str] = []
    real = TwilioHttpClient.request

    def spy(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(f"{method} {url}")
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(TwilioHttpClient, "request", spy)
    with _world() as world:
        target = QuickstartTarget(TargetContext.for_world(world))
        target.register("alice", PASSWORD)
        challenge = target.start_phone_verification("alice", PHONE, "push")
        world.clock.advance(5)
        inbox = world.phones[PHONE].inbox()
    assert len(calls) == 1 and calls[0].startswith("POST ") and calls[0].endswith("Messages.json")
    assert len(inbox) == 1
    assert target.users["alice"].sms_codes[challenge.request_id] in inbox[0].body


def test_a_twilio_failure_raised_by_the_library_is_sms_unavailable() -> None:
    """Rule: a provider fault reaches the app as the library raises it, and the app reports
    SMS unavailable (the runner's provider_unavailable), keeping no code."""
    with _world(faults={"twilio": [{"kind": "http_503"}]}) as world:
        target = QuickstartTarget(TargetContext.for_world(world))
        target.register("alice", PASSWORD)
        with pytest.raises(ProviderUnavailableError):
            target.start_phone_verification("alice", PHONE, "push")
        assert target.users["alice"].sms_codes == {}


def test_without_the_twilio_package_the_target_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule: a target whose packages are missing is bad input naming the extra to install."""
    real = importlib.util.find_spec

    def without_twilio(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "twilio" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_twilio)
    factory = load_target("pyotp-quickstart")
    with pytest.raises(InputError) as caught:
        factory.versions()  # type: ignore[attr-defined]
    assert "pip install 'twofa-sim[" in str(caught.value.hint)


def test_the_library_finds_in_it_what_it_finds_in_pyotp_naive() -> None:
    """Rule: only the way the SMS leaves differs from pyotp-naive, so the phone and provider
    scenarios (outages, lost and duplicated SMS included) reach the same verdicts."""
    scenarios = load_paths([LIBRARY / "phone", LIBRARY / "providers"])
    quick = run_all(scenarios, target="pyotp-quickstart", seed=0).as_dict()
    naive = run_all(scenarios, target="pyotp-naive", seed=0).as_dict()

    def verdicts(data: dict[str, Any]) -> dict[str, str]:
        return {s["id"]: s["verdict"] for s in data["scenarios"]}

    assert verdicts(quick) == verdicts(naive)
    assert "failed" in verdicts(quick).values()
