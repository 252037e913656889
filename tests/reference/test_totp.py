"""The authenticator app: the seed's "Click here to generate" QR, confirmation, window, drift."""

from __future__ import annotations

import base64

import pytest

from tests.reference.harness import ALICE, FAR, FAST, ISSUER, Harness, description, policy
from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.otp import totp
from twofa_sim.reference import MemoryStore, ReferenceService, SecurityPolicy
from twofa_sim.world import World


def test_generate_qr_gives_a_standard_uri_and_a_scannable_png(h: Harness) -> None:
    """secret-csprng, RFC 4226 R6: a fresh 160-bit secret in an otpauth URI with the defaults
    every app honours (SHA1, 6 digits, 30 s), and a PNG the app scans to the same account."""
    h.register()
    enrollment = h.service.generate_qr("alice")
    assert enrollment.confirmed is False
    assert enrollment.png.startswith(b"\x89PNG")
    key = parse_uri(enrollment.uri)
    assert (key.type, key.issuer, key.account) == ("totp", ISSUER, "alice")
    assert (key.algorithm, key.digits, key.period) == ("SHA1", 6, 30)
    assert len(key.secret_bytes()) * 8 == 160
    secret = h.scan(enrollment)
    assert h.app_code() == totp(secret, h.world.now())
    assert key.secret not in repr(enrollment)


def test_every_secret_is_new(h: Harness) -> None:
    """secret-csprng, ASVS 5.0 6.5.3: two users, or one user twice, never share a secret."""
    h.register()
    h.register("bob")
    secrets = {parse_uri(h.service.generate_qr(user).uri).secret for user in ["alice", "bob"] * 3}
    assert len(secrets) == 6


def test_the_secret_is_drawn_from_the_service_random_source(world: World) -> None:
    """secret-csprng, ASVS 5.0 6.5.3: the secret's bytes are bytes the service's random source
    (secrets.token_bytes by default) produced, not a generator of its own."""
    drawn: list[bytes] = []
    stream = world.rng.stream("recorded").randbytes

    def recording(n: int) -> bytes:
        drawn.append(stream(n))
        return drawn[-1]

    service = world.reference_service(store=MemoryStore(), policy=policy())
    service.random = service.account.random = recording  # the enrollment steps draw from it
    service.register("alice", "pw")
    secret = parse_uri(service.generate_qr("alice").uri).secret_bytes()
    assert any(secret in chunk for chunk in drawn)
    import secrets

    default = ReferenceService(
        clock=world.clock, twilio=service.twilio, authy=service.authy, sms_from="+15005550006"
    )
    assert default.random is secrets.token_bytes


def test_same_seed_same_secret_other_seed_other_secret() -> None:
    """secret-csprng: the secret comes from the world's seed (so from the injected source)."""

    def secret(seed: int) -> str:
        with World(description(seed)) as world:
            h = Harness.build(world)
            h.register()
            return parse_uri(h.service.generate_qr("alice").uri).secret

    assert secret(5) == secret(5)
    assert secret(5) != secret(6)
    assert len(base64.b32decode(secret(5))) == 20


def test_an_unconfirmed_secret_is_not_a_login_factor(h: Harness) -> None:
    """totp-confirm (Fortify#201): a scanned but unconfirmed secret does not log in."""
    h.enable_sms()
    secret = h.scan(h.service.generate_qr("alice"))
    assert h.service.record("alice").factors == ["sms"]
    login = h.login()
    outcome = h.service.verify_login("alice", login, "totp", totp(secret, h.world.now()))
    assert (outcome.ok, outcome.reason) == (False, "no_such_factor")
    assert not h.service.logged_in("alice", login)


def test_an_unconfirmed_secret_alone_does_not_turn_two_factor_on(h: Harness) -> None:
    """totp-confirm: generating a QR without confirming leaves two-factor off."""
    h.register()
    h.scan(h.service.generate_qr("alice"))
    record = h.service.record("alice")
    assert (record.two_factor, record.factors, record.totp) == (False, [], None)
    assert h.service.login("alice", "correct horse battery staple").status == "logged_in"


def test_confirming_one_code_activates_the_secret(h: Harness) -> None:
    """totp-confirm, notify-change: one valid code activates the secret; the user is told."""
    h.register()
    h.scan(h.service.generate_qr("alice"))
    wrong = h.service.confirm_totp("alice", "000000" if h.app_code() != "000000" else "111111")
    assert (wrong.ok, wrong.reason) == (False, "wrong_code")
    assert h.service.record("alice").factors == []
    h.advance(1)
    assert h.service.confirm_totp("alice", h.app_code()).ok
    assert h.service.record("alice").factors == ["totp"]
    assert ("alice", "factor_changed") in [(n.user, n.kind) for n in h.service.notifications]
    assert "two_factor.enabled" in [e.event for e in h.service.audit_log()]
    assert h.service.confirm_totp("alice", h.app_code()).reason == "nothing_pending"


def test_the_confirming_code_cannot_log_in_again(h: Harness) -> None:
    """totp-replay, RFC 6238 5.2: the step used to confirm is spent."""
    h.register()
    h.scan(h.service.generate_qr("alice"))
    code = h.app_code()
    assert h.service.confirm_totp("alice", code).ok
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", code).reason == "replayed"


def test_seed_compat_activates_the_secret_at_once(world: World) -> None:
    """totp-confirm: SecurityPolicy.seed_compat() reproduces the seed (no confirmation)."""
    compat = SecurityPolicy.seed_compat()
    assert compat.confirm_totp is False
    h = Harness.build(world, policy_=policy(confirm_totp=False))
    h.register()
    enrollment = h.service.generate_qr("alice")
    assert enrollment.confirmed is True
    h.scan(enrollment)
    assert h.service.record("alice").factors == ["totp"]
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", h.app_code()).ok


def test_generating_again_replaces_the_pending_secret(h: Harness) -> None:
    """totp-confirm: only the newest QR can be confirmed; the first one's codes no longer do."""
    h.register()
    first = parse_uri(h.service.generate_qr("alice").uri).secret
    second = parse_uri(h.service.generate_qr("alice").uri).secret
    assert not h.service.confirm_totp("alice", h.totp(first)).ok
    h.advance(1)
    assert h.service.confirm_totp("alice", h.totp(second)).ok


def test_a_new_secret_replaces_the_active_one_once_confirmed(h: Harness) -> None:
    """totp-confirm, notify-change: the old app keeps working until the new secret is confirmed;
    then the old secret's codes stop working."""
    h.register()
    old = h.enroll_totp()
    new = parse_uri(h.service.generate_qr("alice").uri).secret
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", h.totp(old)).ok
    h.next_step()
    assert h.service.confirm_totp("alice", h.totp(new)).ok
    h.next_step()
    login = h.login()
    assert not h.service.verify_login("alice", login, "totp", h.totp(old)).ok
    h.advance(5)
    assert h.service.verify_login("alice", login, "totp", h.totp(new)).ok


def test_seed_compat_generating_again_kills_the_old_codes_at_once(world: World) -> None:
    """totp-confirm (seed mode): generating again replaces the active secret immediately."""
    h = Harness.build(world, policy_=policy(confirm_totp=False))
    h.register()
    old = parse_uri(h.service.generate_qr("alice").uri).secret
    new = parse_uri(h.service.generate_qr("alice").uri).secret
    login = h.login()
    assert not h.service.verify_login("alice", login, "totp", h.totp(old)).ok
    h.advance(5)
    assert h.service.verify_login("alice", login, "totp", h.totp(new)).ok


@pytest.mark.parametrize(
    ("steps", "reason"),
    [(-1, "accepted"), (1, "accepted"), (-2, "outside_window"), (2, "outside_window")],
)
def test_window_is_one_step_each_way(h: Harness, steps: int, reason: str) -> None:
    """totp-window, RFC 6238 5.2: one step of delay either way is accepted, two are not."""
    h.register()
    secret = h.enroll_totp()
    h.advance(90)  # the confirming step is far behind: no step here is a replay
    login = h.login()
    outcome = h.service.verify_login("alice", login, "totp", h.totp(secret, steps))
    assert outcome.reason == reason
    assert h.service.logged_in("alice", login) is (reason == "accepted")


def test_a_phone_40s_fast_still_logs_in(h: Harness) -> None:
    """totp-window: a phone 40 s fast (one step ahead here) logs in with its app's code."""
    h.register()
    enrollment = h.service.generate_qr("alice")
    h.scan(enrollment, ALICE)
    h.scan(enrollment, FAST)
    assert h.service.confirm_totp("alice", h.app_code("alice", ALICE)).ok
    h.next_step()
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", h.app_code("alice", FAST)).ok


def test_a_phone_five_steps_fast_is_outside_the_window(h: Harness) -> None:
    """totp-window: a phone 150 s fast is refused as outside_window, and does not log in."""
    h.register()
    enrollment = h.service.generate_qr("alice")
    h.scan(enrollment, ALICE)
    h.scan(enrollment, FAR)
    assert h.service.confirm_totp("alice", h.app_code("alice", ALICE)).ok
    h.next_step()
    login = h.login()
    outcome = h.service.verify_login("alice", login, "totp", h.app_code("alice", FAR))
    assert (outcome.ok, outcome.reason) == (False, "outside_window")
    assert not h.service.logged_in("alice", login)


def test_the_drift_seen_at_a_success_is_remembered(h: Harness) -> None:
    """totp-drift, RFC 6238 6: after a success one step ahead, two steps ahead is accepted
    (the window follows the device), which a fresh credential refuses."""
    h.register()
    secret = h.enroll_totp(phone=FAST)
    assert h.service.record("alice").totp.drift == 1  # type: ignore[union-attr]
    login = h.login()
    assert h.service.verify_login("alice", login, "totp", h.totp(secret, 2)).ok
    assert h.service.record("alice").totp.drift == 2  # type: ignore[union-attr]


def test_the_drift_has_a_limit(h: Harness) -> None:
    """totp-drift, RFC 6238 6: however far the drift creeps, no step more than
    max_drift_steps from the server's is accepted."""
    h.register()
    secret = h.enroll_totp()
    limit = h.policy.totp.max_drift_steps
    assert limit == 10
    for steps in range(1, limit + 1):
        login = h.login()
        assert h.service.verify_login("alice", login, "totp", h.totp(secret, steps)).ok
    login = h.login()
    outcome = h.service.verify_login("alice", login, "totp", h.totp(secret, limit + 1))
    assert not outcome.ok


def test_malformed_totp_codes_are_refused(h: Harness) -> None:
    """totp-window: a code that is not 6 digits is malformed, never compared."""
    h.register()
    h.enroll_totp()
    login = h.login()
    for typed in ["abcdef", "12345", "1234567", ""]:
        outcome = h.service.verify_login("alice", login, "totp", typed)
        assert (outcome.ok, outcome.reason) == (False, "malformed")
