"""The ``django-otp`` target maps django-otp's answers faithfully (it must test django-otp, not
itself): enrollment through ``TOTPDevice``, TOTP logins through ``OTPTokenForm`` (accepted,
replayed, the ±1-step window measured with real codes), recovery codes through
``StaticDevice``, SMS through django-otp-twilio and the fake Twilio, throttling, and "logged in"
as django-otp's middleware and ``otp_required`` see it.

Each test runs a real world (fake Twilio on ``requests``) with the system-time bridge on, as the
runner runs a target with ``reads_system_time``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "django_otp", reason="the django-otp target needs the [django] extra (twofa-sim[django])"
)
pytest.importorskip(
    "otp_twilio", reason="the django-otp target needs the [django] extra (twofa-sim[django])"
)

from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.peers.django_otp import DjangoOtpTarget
from twofa_sim.scenario.target import Target, TargetContext
from twofa_sim.world import World

ALICE = "+15551230001"
PASSWORD = "correct horse battery staple"
START = "2031-03-01T09:00:00Z"
"""A whole minute (a step starts), years away from the real clock."""


def description(**extra: Any) -> dict[str, Any]:
    return {
        "seed": 5,
        "start": START,
        "sms": {"delay": "2s"},
        "phones": [{"number": ALICE}],
        "freeze_system_time": True,
        **extra,
    }


@pytest.fixture
def world() -> Iterator[World]:
    with World(description()) as entered:
        yield entered


def make(world: World, **policy: Any) -> DjangoOtpTarget:
    return DjangoOtpTarget(TargetContext.for_world(world, policy=policy))


@pytest.fixture
def target(world: World) -> Iterator[DjangoOtpTarget]:
    made = make(world)
    yield made
    made.close()


def sms(world: World, phone: str = ALICE) -> str:
    """Let the SMS arrive and read its code, as the user would."""
    before = len(world.phone(phone).inbox())
    world.advance(world.network.delivery.delay)
    assert len(world.phone(phone).inbox()) == before + 1, f"no new SMS on {phone}"
    code = world.phone(phone).latest_code()
    assert code is not None
    return code


def enroll_totp(world: World, target: DjangoOtpTarget, user: str = "alice") -> str:
    """Register, show the QR, confirm with the current code; the secret."""
    target.register(user, PASSWORD)
    enrollment = target.generate_qr(user)
    secret = parse_uri(enrollment.uri).secret
    assert target.confirm_totp(user, totp(secret, world.now())).ok
    return secret


def enable_sms(world: World, target: DjangoOtpTarget, user: str = "alice") -> None:
    target.register(user, PASSWORD)
    challenge = target.start_phone_verification(user, ALICE, "push")
    assert target.confirm_phone(user, challenge.request_id, sms(world)).ok


def login(target: DjangoOtpTarget, user: str = "alice") -> str:
    result = target.login(user, PASSWORD)
    assert result.status == "second_factor", result
    assert result.login_id
    return result.login_id


def wrong_totp(secret: str, now: float) -> str:
    """A well-formed code that matches no step near ``now``."""
    near = {totp(secret, now + 30 * k) for k in range(-5, 6)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


# --- what the target is ---------------------------------------------------------------------------


def test_it_is_a_target_that_says_what_it_has_and_what_it_tests(
    target: DjangoOtpTarget,
) -> None:
    """The Target protocol holds; recovery, restart and storage are offered (no audit, no
    notifications, no Authy: django-otp has none); the runner is told to bridge the system time;
    the versions of the packages under test are recorded."""
    from importlib import metadata

    assert isinstance(target, Target)
    assert target.name == "django-otp"
    assert target.features == frozenset({"recovery", "restart", "storage"})
    assert DjangoOtpTarget.reads_system_time is True
    assert DjangoOtpTarget.reports_reasons == {"throttled"}  # "invalid token" for the rest
    assert DjangoOtpTarget.versions() == {
        name: metadata.version(name) for name in ("Django", "django-otp", "django-otp-twilio")
    }


def test_default_policy_is_read_from_the_installed_packages() -> None:
    """The policy reports show is django-otp's: ±1 step, drift sync with no limit, a 30 s SMS
    code (django-otp-twilio's OTP_TWILIO_TOKEN_VALIDITY default), back-off factor 1, no
    lockout, no resend cooldown."""
    policy = DjangoOtpTarget.default_policy()
    assert policy["totp"]["steps_back"] == policy["totp"]["steps_forward"] == 1
    assert policy["totp"]["max_drift_steps"] is None
    assert policy["sms_code_ttl"] == 30.0
    assert policy["max_consecutive_failures"] is None
    assert policy["resend_cooldown"] is None


# --- enrollment -----------------------------------------------------------------------------------


def test_qr_is_django_otps_config_url_and_is_active_only_once_confirmed(
    world: World, target: DjangoOtpTarget
) -> None:
    """generate_qr shows TOTPDevice.config_url (issuer from OTP_TOTP_ISSUER, a 160-bit key) for
    an unconfirmed device: no factor until a code confirms it; a wrong code leaves it pending."""
    target.register("alice", PASSWORD)
    enrollment = target.generate_qr("alice")
    uri = parse_uri(enrollment.uri)
    assert enrollment.confirmed is False
    assert uri.issuer == "twofa-sim"
    assert len(uri.secret) == 32  # base32 of django-otp's 20-byte default key
    assert target.account("alice").factors == ()
    assert target.login("alice", PASSWORD).status == "logged_in"
    refused = target.confirm_totp("alice", wrong_totp(uri.secret, world.now()))
    assert (refused.ok, refused.reason) == (False, "wrong_code")
    assert target.account("alice").factors == ()
    world.advance(1)  # django-otp's back-off after one failure
    assert target.confirm_totp("alice", totp(uri.secret, world.now())).ok
    assert target.account("alice").factors == ("totp",)
    assert target.account("alice").two_factor is True


def test_a_confirmed_new_qr_replaces_the_old_secret(world: World, target: DjangoOtpTarget) -> None:
    """Confirming a second QR code deletes the first TOTP device: its codes stop working."""
    old = enroll_totp(world, target)
    new = parse_uri(target.generate_qr("alice").uri).secret
    world.advance(30)
    assert target.confirm_totp("alice", totp(new, world.now())).ok
    world.advance(30)
    refused = target.verify_login("alice", login(target), "totp", totp(old, world.now()))
    assert not refused.ok


# --- TOTP login -----------------------------------------------------------------------------------


def test_totp_login_through_otp_token_form_and_the_middleware(
    world: World, target: DjangoOtpTarget
) -> None:
    """After the password a second factor is wanted and the session is not logged in (the
    otp_required page redirects); the app's code through OTPTokenForm logs it in."""
    secret = enroll_totp(world, target)
    world.advance(30)
    login_id = login(target)
    assert target.logged_in("alice", login_id) is False
    assert target.verify_login("alice", login_id, "totp", totp(secret, world.now())).ok
    assert target.logged_in("alice", login_id) is True
    assert target.logged_in("bob", login_id) is False


def test_a_user_without_a_device_is_logged_in_by_the_password(target: DjangoOtpTarget) -> None:
    """otp_required(if_configured=True): a user with no device passes on the password alone;
    a wrong password is refused."""
    target.register("alice", PASSWORD)
    result = target.login("alice", PASSWORD)
    assert result.status == "logged_in"
    assert result.login_id is not None
    assert target.logged_in("alice", result.login_id) is True
    assert target.login("alice", "wrong").status == "refused"
    assert target.login("nobody", PASSWORD).reason == "bad_credentials"


def test_a_replayed_totp_code_is_refused_in_a_new_login(
    world: World, target: DjangoOtpTarget
) -> None:
    """django-otp's last_t: a code accepted once is refused in the next login inside the same
    step (reported as wrong_code: django-otp says only "invalid token")."""
    secret = enroll_totp(world, target)
    world.advance(30)
    code = totp(secret, world.now())
    assert target.verify_login("alice", login(target), "totp", code).ok
    world.advance(5)
    second = login(target)
    refused = target.verify_login("alice", second, "totp", code)
    assert (refused.ok, refused.reason) == (False, "wrong_code")
    assert "invalid token" in refused.detail.lower()
    assert target.logged_in("alice", second) is False


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-60, False), (-30, True), (0, True), (30, True), (60, False)],
)
def test_the_window_measured_with_real_codes_is_one_step_each_way(
    world: World, target: DjangoOtpTarget, offset: int, accepted: bool
) -> None:
    """TOTPDevice.tolerance = 1: codes of the steps next to the server's are accepted, two steps
    away refused (measured, not read from the declared policy)."""
    secret = enroll_totp(world, target)
    world.advance(90)
    outcome = target.verify_login(
        "alice", login(target), "totp", totp(secret, world.now() + offset)
    )
    assert outcome.ok is accepted


def test_a_symmetric_window_override_sets_the_device_tolerance(world: World) -> None:
    """totp: {steps_back: 2, steps_forward: 2} becomes TOTPDevice.tolerance = 2; an asymmetric
    one cannot be honoured and is recorded as ignored."""
    target = make(world, totp={"steps_back": 2, "steps_forward": 2})
    try:
        secret = enroll_totp(world, target)
        world.advance(120)
        assert target.verify_login(
            "alice", login(target), "totp", totp(secret, world.now() - 60)
        ).ok
    finally:
        target.close()
    lopsided = make(world, totp={"steps_back": 2, "steps_forward": 1}, lockout_duration="1h")
    try:
        assert lopsided.policy.totp.steps_back == 1
        assert lopsided.ignored_policy == [
            "totp.steps_back/steps_forward (not equal)",
            "lockout_duration",
        ]
    finally:
        lopsided.close()


# --- throttling -----------------------------------------------------------------------------------


def test_wrong_codes_throttle_the_device_with_exponential_back_off(
    world: World, target: DjangoOtpTarget
) -> None:
    """ThrottlingMixin: after n failures the device refuses for 2^(n-1) s, even the right code,
    across logins (the state is in the database); the target reports django-otp's own wait."""
    secret = enroll_totp(world, target)
    world.advance(60)
    first = login(target)
    assert not target.verify_login("alice", first, "totp", wrong_totp(secret, world.now())).ok
    world.advance(1)
    assert not target.verify_login("alice", first, "totp", wrong_totp(secret, world.now())).ok
    other = login(target)
    throttled = target.verify_login("alice", other, "totp", totp(secret, world.now()))
    assert (throttled.ok, throttled.reason, throttled.retry_after) == (False, "throttled", 2.0)
    assert target.account("alice").locked is True
    world.advance(2)
    assert target.account("alice").locked is False
    assert target.verify_login("alice", other, "totp", totp(secret, world.now())).ok


def test_throttling_survives_a_restart(world: World, target: DjangoOtpTarget) -> None:
    """The failure count is a database column: a restart (a new connection) keeps it."""
    secret = enroll_totp(world, target)
    world.advance(60)
    assert not target.verify_login("alice", login(target), "totp", wrong_totp(secret, world.now()))
    target.restart()
    assert target.verify_login(
        "alice", login(target), "totp", totp(secret, world.now())
    ).reason == ("throttled")


# --- recovery codes -------------------------------------------------------------------------------


def test_recovery_codes_are_static_tokens_used_once_and_replaced_when_regenerated(
    world: World, target: DjangoOtpTarget
) -> None:
    """Ten StaticToken.random_token() codes; one logs in once; used again it is refused; new
    codes make the old ones useless."""
    enable_sms(world, target)
    codes = target.generate_recovery_codes("alice")
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code) == 8 and code.isalnum() for code in codes)
    assert target.account("alice").factors == ("sms", "recovery")
    first = login(target)
    assert target.verify_login("alice", first, "recovery", codes[0]).ok
    assert target.logged_in("alice", first)
    world.advance(60)
    assert not target.verify_login("alice", login(target), "recovery", codes[0]).ok
    world.advance(60)
    fresh = target.generate_recovery_codes("alice")
    assert not target.verify_login("alice", login(target), "recovery", codes[1]).ok
    world.advance(60)
    assert target.verify_login("alice", login(target), "recovery", fresh[0]).ok


def test_recovery_codes_are_kept_in_clear(world: World, target: DjangoOtpTarget) -> None:
    """A finding, kept true by this test: StaticToken.token is the code as typed, so the
    database holds every unused recovery code in clear (ASVS 5.0 6.5.2 asks for a hash)."""
    enable_sms(world, target)
    codes = target.generate_recovery_codes("alice")
    stored = target.stored_bytes()
    assert all(code.encode() in stored for code in codes)
    assert PASSWORD.encode() not in stored


# --- SMS through django-otp-twilio and the fake Twilio --------------------------------------------


def test_sms_verification_goes_through_the_fake_twilio(
    world: World, target: DjangoOtpTarget
) -> None:
    """generate_challenge posts to api.twilio.com with OTP_TWILIO_ACCOUNT/AUTH/FROM; the phone
    gets the code after the network delay; confirming it turns on the sms factor."""
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", ALICE, "push")
    assert (challenge.channel, challenge.destination) == ("sms", "+*******0001")
    assert challenge.expires_at == world.now() + 30  # OTP_TWILIO_TOKEN_VALIDITY's default
    code = sms(world)
    assert target.account("alice").factors == ()
    assert target.confirm_phone("alice", challenge.request_id, code).ok
    account = target.account("alice")
    assert (account.factors, account.phone) == (("sms",), ALICE)


def test_pending_sms_code_is_kept_in_clear(world: World, target: DjangoOtpTarget) -> None:
    """A finding, kept true by this test: SideChannelDevice.token holds the pending SMS code as
    sent (ASVS 4.0.3 2.7.5 asks for a hash); it is cleared once used."""
    target.register("alice", PASSWORD)
    challenge = target.start_phone_verification("alice", ALICE, "push")
    code = sms(world)
    assert code.encode() in target.stored_bytes()
    assert target.confirm_phone("alice", challenge.request_id, code).ok


def test_login_sms_code_works_once_and_expires_after_its_ttl(world: World) -> None:
    """otp_challenge sends a new code; it logs in once; a later code typed after
    OTP_TWILIO_TOKEN_VALIDITY (sms_code_ttl: 60s here) is refused."""
    target = make(world, sms_code_ttl="60s")
    try:
        enable_sms(world, target)
        first = login(target)
        challenge = target.send_login_code("alice", first, "sms")
        assert challenge.expires_at == world.now() + 60
        code = sms(world)
        assert target.verify_login("alice", first, "sms", code).ok
        world.advance(5)
        assert not target.verify_login("alice", login(target), "sms", code).ok
        world.advance(5)
        late = login(target)
        target.send_login_code("alice", late, "sms")
        code = sms(world)
        world.advance(60)
        assert not target.verify_login("alice", late, "sms", code).ok
        assert target.logged_in("alice", late) is False
    finally:
        target.close()


def test_a_twilio_outage_is_a_provider_error() -> None:
    """django-otp-twilio raises on an HTTP 503; the target reports the provider unavailable and
    no SMS arrives."""
    from twofa_sim.errors import ProviderUnavailableError

    with World(description(faults={"twilio": [{"kind": "http_503"}]})) as world:
        target = make(world)
        try:
            target.register("alice", PASSWORD)
            with pytest.raises(ProviderUnavailableError):
                target.start_phone_verification("alice", ALICE, "push")
            world.advance(10)
            assert world.phone(ALICE).inbox() == []
        finally:
            target.close()


def test_a_number_twilio_refuses_is_bad_input(target: DjangoOtpTarget) -> None:
    """django-otp-twilio does not check the number; Twilio's 21211 comes back as InputError."""
    from twofa_sim.errors import InputError

    target.register("alice", PASSWORD)
    with pytest.raises(InputError):
        target.start_phone_verification("alice", "(555) 123-0001", "push")


def test_disable_needs_the_password_and_removes_every_device(
    world: World, target: DjangoOtpTarget
) -> None:
    """Django's check_password first; then every django-otp device is deleted."""
    enable_sms(world, target)
    target.generate_recovery_codes("alice")
    assert target.disable_two_factor("alice", "wrong").reason == "bad_password"
    assert target.account("alice").two_factor is True
    assert target.disable_two_factor("alice", PASSWORD).ok
    assert target.account("alice").factors == ()
    assert target.login("alice", PASSWORD).status == "logged_in"


def test_a_django_configured_by_someone_else_is_left_alone() -> None:
    """If another project configured Django in the process, the target refuses with one located
    line (exit 2 on the command line) rather than migrate and overwrite that project's
    database."""
    import subprocess
    import sys

    script = (
        "from django.conf import settings\n"
        "settings.configure(DATABASES={})\n"
        "from twofa_sim.errors import InputError\n"
        "from twofa_sim.peers.djangoapp import ensure_configured\n"
        "try:\n"
        "    ensure_configured()\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Django is configured already" in done.stdout
    assert "process of their own" in done.stdout


def test_a_run_names_the_system_under_test_in_its_reports(tmp_path: Path) -> None:
    """The reproducibility block and every human-facing format name the packages the
    django-otp target tests, with their versions (issue 12: the system under test)."""
    from twofa_sim.cli import main
    from twofa_sim.report.markdown import render_markdown

    library = Path(__file__).parents[2] / "scenarios" / "totp"
    code = main(
        [
            "run",
            str(library),
            "--target",
            "django-otp",
            "-k",
            "totp-code-too-late",
            "--report-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    results = json.loads((tmp_path / "latest" / "results.json").read_text())
    tested = results["reproducibility"]["target_versions"]
    assert set(tested) == {"Django", "django-otp", "django-otp-twilio"}
    assert all(tested.values())
    assert f"django-otp {tested['django-otp']}" in render_markdown(results)
    assert "System under test" in (tmp_path / "latest" / "report.html").read_text()
