"""`twofa-sim demo`'s engine: the seed's story, judged step by step, with nothing secret shown."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from twofa_sim.core.clock import parse_instant
from twofa_sim.core.otp import TotpPolicy, totp
from twofa_sim.core.secret import encode_secret
from twofa_sim.errors import InputError
from twofa_sim.labs.demo import APPS, CHANNELS, PHONE, START, DemoReport, demo_world, run_demo
from twofa_sim.providers.authy.tokens import authy_token
from twofa_sim.providers.network import extract_code
from twofa_sim.reference import SecurityPolicy
from twofa_sim.world import World

# Cheap password hashing: the story is the same, the run ten times faster.
FAST = SecurityPolicy(code_hash_iterations=1000)
ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
ACTORS = {"user", "service", "twilio", "authy", "phone", "app"}
MATRIX = [(channel, app) for channel in CHANNELS for app in APPS]
STORES = ["memory", "sqlite"]


def play(
    tmp_path: Path,
    *,
    channel: Any = "sms",
    app: Any = "google-authenticator",
    device_offset: float = 0.0,
    store: Any = "memory",
    seed: int = 0,
    policy: SecurityPolicy = FAST,
) -> tuple[DemoReport, World]:
    """Run the demo in a world we keep, to search it afterwards."""
    world = demo_world(channel=channel, app=app, device_offset=device_offset, seed=seed)
    report = run_demo(
        channel=channel,
        app=app,
        device_offset=device_offset,
        store=store,
        seed=seed,
        workdir=tmp_path if store == "sqlite" else None,
        policy=policy,
        world=world,
    )
    return report, world


def step(report: DemoReport, name: str) -> dict[str, Any]:
    return next(dict(e) for e in report.events if e.get("step") == name)


def everything_shown(report: DemoReport) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False) + "\n" + report.text()


# --- the story goes as the policy says ----------------------------------------------------------


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("offset", [0.0, 20.0])
@pytest.mark.parametrize(("channel", "app"), MATRIX)
def test_every_channel_and_app_tells_the_whole_story(
    tmp_path: Path, channel: str, app: str, offset: float, store: str
) -> None:
    """Enrollment by every channel and app, with a phone clock inside the TOTP window, goes as
    the policy says up to the replay rejected and the audit chain verified (the Authy app keeps
    its token clock in step with Authy's servers, so its tokens verify whatever the phone's
    clock says)."""
    report, _ = play(tmp_path, channel=channel, app=app, device_offset=offset, store=store)
    assert (report.ok, report.failed_step) == (True, None)
    expected_steps = [
        "register",
        "verify-phone",
        "receive-code",
        "save-changes",
        "generate-qr",
        "scan-qr",
        "confirm-app",
        *(["restart"] if store == "sqlite" else []),
        "login-password",
        "login-totp",
        "replay-password",
        "replay-totp",
        "notify-replay",
        "audit",
    ]
    assert [e["step"] for e in report.events if "step" in e] == expected_steps
    assert step(report, "verify-phone")["outcome"] == channel
    assert report.text().splitlines()[-1] == (
        f"all {len(expected_steps)} steps went as the policy says"
    )


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize(("channel", "app"), MATRIX)
def test_a_phone_five_minutes_fast_fails_at_the_first_totp_step(
    tmp_path: Path, channel: str, app: str, store: str
) -> None:
    """A phone clock 300 s off is outside the TOTP window: the report says the story failed
    (exit 1) and names the step, confirming the app."""
    report, _ = play(tmp_path, channel=channel, app=app, device_offset=300.0, store=store)
    failed = "confirm-app"
    assert (report.ok, report.failed_step) == (False, failed)
    assert step(report, "confirm-app")["outcome"] == "outside_window"
    last = report.text().splitlines()[-1]
    assert f"({failed}) did not go as the policy says" in last
    assert not any(e.get("step") == "login-totp" for e in report.events), "the story stops"


def test_the_replayed_code_is_rejected_and_the_user_told(tmp_path: Path) -> None:
    """The demo's point: the same TOTP code, submitted for a second login, is refused as a
    replay (RFC 6238 5.2), and the user is notified (ASVS 4.0.3 2.8.5)."""
    report, _ = play(tmp_path)
    replay = step(report, "replay-totp")
    assert (replay["outcome"], replay["expected"], replay["ok"]) == ("replayed", "replayed", True)
    assert step(report, "notify-replay")["outcome"] == "user told"
    assert any(e["actor"] == "service" and e["outcome"] == "replay" for e in report.events)


def test_expectations_come_from_the_policy(tmp_path: Path) -> None:
    """With replay protection off (a vulnerable verifier), accepting the replay is what the
    policy says: the demo judges by the policy, it does not hard-code the answers."""
    vulnerable = SecurityPolicy(
        code_hash_iterations=1000, totp=TotpPolicy(replay_protection=False, track_drift=False)
    )
    report, _ = play(tmp_path, policy=vulnerable)
    assert report.ok
    assert step(report, "replay-totp")["outcome"] == "accepted"
    assert not any(e.get("step") == "notify-replay" for e in report.events)


def test_seed_compatible_policy_skips_confirmation(tmp_path: Path) -> None:
    """Under the seed document's own behaviour the QR secret is active as soon as it is shown,
    and the demo expects exactly that."""
    policy = SecurityPolicy(code_hash_iterations=1000, confirm_totp=False)
    report, _ = play(tmp_path, policy=policy)
    assert report.ok
    assert step(report, "generate-qr")["outcome"] == "active"
    assert not any(e.get("step") == "confirm-app" for e in report.events)


# --- the output ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_json_has_exactly_seed_and_events(tmp_path: Path, channel: str) -> None:
    """`--json` prints {"seed", "events"}; every event has an ISO-8601 UTC time, an actor from
    the story's cast, an action and an outcome, in time order."""
    report, _ = play(tmp_path, channel=channel, seed=5)
    data = json.loads(json.dumps(report.as_json()))
    assert set(data) == {"seed", "events"}
    assert data["seed"] == 5
    times = []
    for event in data["events"]:
        assert {"t", "actor", "action", "outcome"} <= set(event)
        assert ISO_Z.fullmatch(event["t"]), event["t"]
        assert event["actor"] in ACTORS
        assert isinstance(event["action"], str) and event["action"]
        assert isinstance(event["outcome"], str) and event["outcome"]
        times.append(parse_instant(event["t"]))
    assert times == sorted(times)
    assert times[0] == parse_instant(START)
    assert {"user", "service", "authy", "phone" if channel == "sms" else "app"} <= {
        e["actor"] for e in data["events"]
    }


def test_text_is_one_line_per_event_and_a_verdict(tmp_path: Path) -> None:
    """The readable story: one line per event (time, actor, what happened), then the verdict."""
    report, _ = play(tmp_path)
    lines = report.text().splitlines()
    assert len(lines) == len(report.events) + 1
    for line, event in zip(lines, report.events, strict=False):
        assert line.startswith(f"{event['t']}  {event['actor']}")
        assert event["action"] in line
    assert lines[-1] == "all 13 steps went as the policy says"


@pytest.mark.parametrize("store", STORES)
def test_the_same_seed_tells_the_same_story(tmp_path: Path, store: str) -> None:
    """Everything comes from the seed: two runs print the same JSON and text; another seed
    draws other codes and IDs (but tells the same story)."""
    first, _ = play(tmp_path, channel="authy-push", store=store, seed=11)
    second, _ = play(tmp_path, channel="authy-push", store=store, seed=11)
    other, _ = play(tmp_path, channel="authy-push", store=store, seed=12)
    assert first.as_json() == second.as_json()
    assert first.text() == second.text()
    assert other.as_json() != first.as_json()
    assert other.ok
    assert [e.get("step") for e in other.events] == [e.get("step") for e in first.events]


def _secrets_and_codes(world: World, offset: float) -> tuple[set[str], set[str]]:
    """Every secret and code of the run, taken from the world (not from the demo): long ones
    (secrets, codes of 6 digits or more) and the push numbers (2 digits)."""
    phone = world.phone(PHONE)
    long: set[str] = {world.twilio.auth_token, world.authy.api_key}
    for sms in world.network.inbox(PHONE) + world.network.in_flight():
        code = extract_code(sms.body)
        assert code is not None
        long.add(code)
    start, end = parse_instant(START) - 3600, world.now() + 3600
    span = range(int(start + offset) // 10, int(end + offset) // 10 + 1)
    for app in phone.apps.values():
        for account in app.accounts:
            secret = account.uri.secret
            long |= {secret, secret.lower()}
            # Every code the app could have shown during the run, skew included.
            long |= {totp(secret, step * 10) for step in span}
    if phone.authy is not None:
        device = phone.authy.device.secret
        long |= {device.hex(), encode_secret(device)}
        long |= {authy_token(device, step * 10) for step in span}
    for exchange in world.authy.exchanges:
        if exchange.endpoint == "verify":
            long.add(urlsplit(exchange.url).path.split("/")[4])
    pushes = {
        str(request.details["Number"])
        for request in world.authy.backend.requests.values()
        if "Number" in request.details
    }
    return long, pushes


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("offset", [0.0, 20.0, 300.0])
@pytest.mark.parametrize("channel", CHANNELS)
def test_no_secret_or_code_is_ever_shown(
    tmp_path: Path, channel: str, offset: float, store: str
) -> None:
    """An auditor greps the JSON and the text for every secret and code of the run (SMS
    codes, the QR secret, every code the app could show, Authy tokens, push numbers, API
    credentials): none appears; codes show as six dots."""
    report, world = play(tmp_path, channel=channel, device_offset=offset, store=store)
    shown = everything_shown(report)
    long, pushes = _secrets_and_codes(world, offset)
    assert len(long) > 100, "the search must cover the run's codes"
    leaked = sorted(value for value in long if value in shown)
    assert leaked == [], "secrets or codes in the output"
    assert not re.search(r"[0-9]{6}", shown), "no run of six digits at all"
    assert "••••••" in shown
    # Two-digit push numbers occur by chance in times; search everywhere else.
    without_times = ISO_Z.sub("", shown)
    for number in pushes:
        assert not re.search(rf"(?<![0-9]){number}(?![0-9])", without_times), number
    if channel == "sms":
        assert world.network.inbox(PHONE), "an SMS was sent, so its code was searched for"
    if channel == "authy-push":
        assert pushes, "a push was sent, so its number was searched for"


# --- stores and arguments --------------------------------------------------------------------


def test_sqlite_without_workdir_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--store sqlite` with no directory uses a temporary one, removed after the run."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    report = run_demo(store="sqlite", policy=FAST)
    assert report.ok
    assert list(tmp_path.iterdir()) == []


def test_sqlite_in_a_workdir_keeps_the_database(tmp_path: Path) -> None:
    """A given workdir keeps the run's database, a fresh file per run (earlier runs' files
    are never reused or overwritten)."""
    first = run_demo(store="sqlite", workdir=tmp_path, policy=FAST)
    second = run_demo(store="sqlite", workdir=tmp_path, policy=FAST)
    assert first.ok and second.ok
    assert len(list(tmp_path.glob("*.sqlite3"))) == 2


@pytest.mark.parametrize(
    ("arguments", "where"),
    [
        ({"channel": "fax"}, "channel"),
        ({"channel": None}, "channel"),
        ({"app": "lastpass"}, "app"),
        ({"store": "redis"}, "store"),
        ({"device_offset": float("nan")}, "device_offset"),
        ({"device_offset": float("inf")}, "device_offset"),
        ({"device_offset": "soon"}, "device_offset"),
        ({"device_offset": True}, "device_offset"),
        ({"device_offset": 10 * 366 * 86400}, "device_offset"),
        ({"seed": "seven"}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_bad_arguments_are_input_errors_naming_the_argument(
    arguments: dict[str, Any], where: str
) -> None:
    """Unknown channels, apps and stores, and offsets no clock could have, are refused before
    anything runs, naming the argument (the CLI turns it into exit 2)."""
    with pytest.raises(InputError) as caught:
        run_demo(**arguments)
    assert caught.value.where == where


def test_a_workdir_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    """The SQLite file needs a directory to live in."""
    with pytest.raises(InputError) as caught:
        run_demo(store="sqlite", workdir=tmp_path / "missing", policy=FAST)
    assert caught.value.where == "workdir"


def test_offsets_read_as_durations(tmp_path: Path) -> None:
    """`--device-offset 20s` and `-20s` read as durations, as elsewhere in twofa-sim."""
    report, _ = play(tmp_path, device_offset=20.0)
    as_text = run_demo(device_offset="20s", policy=FAST)
    assert as_text.as_json() == report.as_json()
    assert run_demo(device_offset="-20s", policy=FAST).ok
