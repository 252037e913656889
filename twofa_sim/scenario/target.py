"""The Target protocol: how scenarios speak to the 2FA system under test.

A scenario never calls the reference service directly. It calls a *target*: an object with
the methods below, built once per scenario (and once per hypothesis example) by a factory that
receives a :class:`TargetContext` (the world's clock, the fake providers' credentials, a seeded
random source, the scenario's policy overrides); :class:`Target` lists everything a scenario
may use and the lifecycle. The reference service is the default target (``reference``); a team
that wants to run the library against its own system writes an adapter class with the same
methods and runs ``twofa-sim run --target mypackage.adapter:MyTarget``.

What an adapter must know:

* **Providers.** The world mounts fake Twilio and Authy APIs on ``requests`` (through
  ``responses``). A system that sends SMS with ``requests`` (or the Twilio/Authy helper
  libraries, which use ``requests``) to ``api.twilio.com`` / ``api.authy.com`` with the
  credentials in the context reaches the fakes; phones then receive the SMS in virtual time.
* **Time.** Read the time from ``context.clock.now()`` (Unix seconds, virtual). A system that
  reads the system clock itself (``time.time()``, ``datetime.now()``, pyotp's ``TOTP.now()``)
  declares the class attribute ``reads_system_time = True``: the runner then runs every
  scenario with ``freeze_system_time`` on (one scenario may also ask for it with
  ``given: {freeze_system_time: true}``), which keeps the system time equal to the virtual
  clock (:func:`~twofa_sim.core.clock.frozen_system_time`) from before the target is built
  until after ``close()``.
* **Answers.** Every check returns an :class:`Outcome` with ``ok`` and a ``reason`` from the
  vocabulary in :data:`REASONS` (map your system's answers onto it: scenarios assert reasons).
  Refusals that are not about a code (a cooldown, a provider down, an invalid phone number) may
  be raised as :class:`~twofa_sim.errors.RetryLaterError`,
  :class:`~twofa_sim.errors.ProviderUnavailableError` or :class:`~twofa_sim.errors.InputError`;
  the runner turns them into a refusal with reason ``cooldown``/``rate_limited``/``locked``,
  ``provider_unavailable`` or ``invalid_input``.
* **Optional features.** ``features`` names what the target can show besides the flow itself:
  ``audit`` (:meth:`Target.audit_events`), ``notifications``, ``restart``, ``authy``,
  ``recovery``, ``storage`` (an optional ``stored_bytes()`` returning what the service keeps at
  rest, which ``expect_stored`` searches for codes and passwords in clear). A scenario whose
  flow needs a feature the target lacks, or a step that observes one, is ``unsupported``, with
  a message saying so: a missing audit log is a finding, not a pass (and not a failure).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from twofa_sim.core.clock import Clock
from twofa_sim.errors import InputError
from twofa_sim.reference import Challenge, Enrollment, LoginResult, Notification, Outcome

__all__ = [
    "BUILTIN_TARGETS",
    "FEATURES",
    "REASONS",
    "AccountView",
    "AuditView",
    "Challenge",
    "Enrollment",
    "LoginResult",
    "Notification",
    "Outcome",
    "Target",
    "TargetContext",
    "TargetFactory",
    "load_target",
    "target_policy",
]

FEATURES = frozenset({"audit", "notifications", "restart", "authy", "recovery", "storage"})

REASONS: dict[str, str] = {
    "accepted": "the code (or approval) was right",
    "rejected": "refused, for a reason the target does not say (see ``reports_reasons``)",
    "wrong_code": "the code was not right",
    "malformed": "not a code at all (letters, wrong length)",
    "expired": "the code or request lived past its lifetime",
    "replayed": "a code already accepted, again",
    "used": "a spent code (recovery code used, SMS code used)",
    "stale": "a TOTP step at or before the last accepted one",
    "outside_window": "a real code, but too far from the server's time",
    "too_many_attempts": "the code took too many wrong guesses and is spent",
    "locked": "the account is locked after too many failures",
    "throttled": "back-off: try again later",
    "cooldown": "a code was sent too recently",
    "rate_limited": "too many requests (pushes, sends)",
    "push_pending": "the push is not answered yet",
    "push_denied": "the user denied the push",
    "number_mismatch": "the number typed is not the one the push showed",
    "unknown_request": "no such verification request",
    "nothing_pending": "nothing waits for a code",
    "login_expired": "the login attempt timed out",
    "no_such_factor": "the user has no such factor",
    "bad_credentials": "wrong user or password",
    "bad_password": "wrong password",
    "provider_unavailable": "the SMS or Authy provider could not be reached",
    "invalid_input": "the input (a phone number, a code) was refused as invalid",
}
"""The reasons scenarios assert, and what each means. An adapter maps its answers onto them."""


@dataclass(frozen=True)
class AccountView:
    """What a scenario may check about an account."""

    two_factor: bool
    factors: tuple[str, ...] = ()
    """Of ``sms``, ``authy-app``, ``authy-push``, ``totp``, ``recovery``."""
    phone: str | None = None
    """The verified number, E.164 (unmasked: scenarios compare it; reports mask it)."""
    locked: bool = False
    """True while the system refuses the user's second factors because of earlier failures:
    an account lock in force, or a throttle still running (the reference: its lock, or its
    back-off after a failure; NIST 800-63B 5.2.2 allows either); a system that throttles per device
    reports True while any of the user's devices refuses to verify (the django-otp target).
    Scenarios read it right after a run of failures (``expect_account: {locked: true}``) and
    after a success (``locked: false``); the refusal itself they check as ``reason: [locked,
    throttled]``."""


@dataclass(frozen=True)
class AuditView:
    """One audit event: what happened, to whom, how it ended; never a secret."""

    at: float
    event: str
    user: str
    outcome: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class TargetContext:
    """What a target gets to build itself: the world's clock and providers, a seed, the policy."""

    clock: Clock
    twilio_account_sid: str
    twilio_auth_token: str
    authy_api_key: str
    sms_from: str
    random: Callable[[int], bytes]
    """Seeded random bytes: use them (not ``os.urandom``) and a run replays byte for byte."""
    policy: Mapping[str, Any] = field(default_factory=dict)
    """The scenario's ``given.policy`` overrides (field names of the reference policy,
    durations in seconds)."""
    store: str = "memory"
    """``memory`` or ``sqlite``: where the target keeps its state, if it has a choice."""
    workdir: Path | None = None
    """A private scratch directory for this scenario (for an SQLite file, say)."""
    issuer: str = "twofa-sim"
    world: Any = None
    """The :class:`~twofa_sim.world.World` itself, for adapters that need more."""

    @classmethod
    def for_world(cls, world: Any, **settings: Any) -> TargetContext:
        """The context of a :class:`~twofa_sim.world.World`: its clock, its fakes' credentials,
        its seeded ``target`` random stream; ``settings`` fill the other fields."""
        from twofa_sim.world import SMS_FROM

        return cls(
            clock=world.clock,
            twilio_account_sid=world.twilio.account_sid,
            twilio_auth_token=world.twilio.auth_token,
            authy_api_key=world.authy.api_key,
            sms_from=SMS_FROM,
            random=world.rng.stream("target").randbytes,
            world=world,
            **settings,
        )


@runtime_checkable
class Target(Protocol):
    """The system under test, as scenarios see it. Users are named by a username string.

    ``features`` says what the target can show besides the flow (:data:`FEATURES`). A scenario
    whose flow needs a missing ``authy``, ``recovery`` or ``restart`` is ``unsupported`` before
    it runs; a step that observes a missing ``audit``, ``notifications`` or ``storage`` is
    ``unsupported`` and the scenario goes on.

    Optional class attributes (not part of the runtime check; the runner reads them from the
    target's class before it builds one):

    * ``policy_settings: frozenset[str] | None``: the ``given.policy`` keys the target honours
      (``totp`` for every ``totp.*`` key, or one ``totp.steps_back``). A scenario that sets any
      other key is ``not_applicable``, unless it sets the value ``default_policy()`` declares
      (a fixed window it runs by). Absent or None: every key is honoured.
    * ``providers: frozenset[str]``: the ``given.provider`` values it runs with (``messages``:
      Twilio Messages and Authy; ``verify``: Twilio Verify). A scenario naming another is
      ``not_applicable``. Absent: ``{"messages"}``.
    * ``reports_reasons: bool | frozenset[str]``: whether refusals say why (:data:`REASONS`).
      A target that answers only yes or no sets False: expected reasons are then checked as
      ``rejected`` (the step's evidence says the reason was not checked). One that tells some
      reasons apart and lumps the rest (``throttled``, and ``wrong_code`` for anything else)
      names those: an expected reason among them is compared, one outside them is checked as
      a refusal, and a refusal giving a named reason for another fails. Absent: True.
    * ``profiles: frozenset[str]``: ``reference`` runs the scenarios tagged ``reference`` (the
      reference service's own choices, not a standard's requirement; ``not_applicable``
      elsewhere). Absent: none.
    * ``default_policy()``: the target's numbers in the reference policy's field names (None
      for a rule it does not have): scenarios take their numbers from it through
      ``{policy.NAME}`` (:mod:`twofa_sim.scenario.declared`).
    * ``reads_system_time: bool``: the target reads the system clock itself; every scenario
      then runs with ``freeze_system_time`` on (see the module's notes on time). Absent: False.
    * ``versions()``: the versions of the packages the target tests, for the run's
      reproducibility block (peer targets).

    Optional instance members (read with ``getattr``; a target without one is told so by the
    step that needs it):

    * ``close()``: called once after each scenario run (each hypothesis example too), whatever
      the verdict, an error included, while the world and its time freeze are still up; release
      files, connections and threads there.
    * ``policy``: an object whose ``totp`` has ``steps_back`` and ``steps_forward`` (the
      window the target runs with, after the scenario's overrides); ``expect_acceptance``
      reads it and fails on a target without one.
    * ``audit_intact()``: whether the audit log's chain verifies end to end;
      ``expect_audit: {intact: true}`` calls it and fails on a target without it.
    * ``stored_bytes()``: everything kept at rest, as bytes (feature ``storage``; an SQLite
      file is searched cell by cell): ``expect_stored`` looks for codes and passwords in it.

    **Lifecycle.** For each scenario run, and for each hypothesis example of a property
    scenario (shrinking included), the runner builds a new world and a new target: the factory
    is called with a fresh :class:`TargetContext` inside the entered world (fakes mounted, the
    time frozen when asked); then ``register()`` is called for each user of ``given.users``
    that is not ``registered: false``, still inside the world and the freeze; then the steps
    run; then ``close()``, then the world is left and the work directory removed.
    ``context.workdir`` is set only when the scenario asks for ``store: sqlite``: a new empty
    directory for that run (None otherwise; make your own if you need files anyway).
    ``restart()`` (feature ``restart``) keeps the same target object: it must stop and start
    the service on the same storage, so that only what that storage kept survives.

    **Accounts.** ``account()`` answers an :class:`AccountView`; its ``locked`` is true while
    the system refuses the user's second factors because of earlier failures, a lock or a
    throttle (per device, for a system that throttles devices): see :attr:`AccountView.locked`.

    **Policy keys.** ``context.policy`` is the scenario's ``given.policy``, checked at load
    (field names of the reference's :class:`~twofa_sim.reference.SecurityPolicy`, durations
    in seconds: ``5m`` arrives as ``300.0``, ``totp`` a mapping, ``seed_compat`` a boolean).
    The bundled library sets ``login_ttl``, ``max_consecutive_failures``, ``sms_code_ttl``,
    ``seed_compat``, ``totp.steps_back``, ``totp.steps_forward``, ``totp.track_drift`` and
    ``totp.max_drift_steps`` (``code_hash_iterations`` only changes a check's cost and is never
    a reason for ``not_applicable``); through ``{policy.NAME}`` it reads ``backoff_factor``,
    ``login_ttl``, ``max_consecutive_failures``, ``resend_cooldown`` and ``sms_code_ttl`` from
    ``default_policy()``.
    """

    name: str
    features: frozenset[str]

    def register(self, user: str, password: str) -> None:
        """Create the user with this password (first factor)."""

    def start_phone_verification(self, user: str, phone: str, method: str) -> Challenge:
        """ "Verify Phone Number": send a code to the phone (``method``: ``push`` or ``app``
        chooses between an Authy push and an Authy app token when the number is an Authy
        user; SMS otherwise)."""
        ...

    def confirm_phone(self, user: str, request_id: str, code: str | None) -> Outcome:
        """ "Save Changes": the code typed for that request (for a push: the number it showed,
        or None); two-factor is on when ok."""
        ...

    def change_phone(self, user: str, phone: str, method: str) -> Challenge:
        """Start verifying a new number; the old one stays until the new one is confirmed."""
        ...

    def generate_qr(self, user: str) -> Enrollment:
        """ "Click here to generate": a new TOTP secret as an otpauth URI and its QR PNG."""
        ...

    def confirm_totp(self, user: str, code: str) -> Outcome:
        """Confirm the newly generated secret with a code from the app."""
        ...

    def login(self, user: str, password: str) -> LoginResult:
        """The password step: ``logged_in``, ``second_factor`` (with a login id) or
        ``refused``."""
        ...

    def send_login_code(self, user: str, login_id: str, channel: str) -> Challenge:
        """Send the second-factor code for a login (``sms``) or raise a push
        (``authy-push``)."""
        ...

    def verify_login(self, user: str, login_id: str, factor: str, code: str | None) -> Outcome:
        """Check the second factor (``totp``, ``sms``, ``authy-app``, ``authy-push``,
        ``recovery``)."""
        ...

    def logged_in(self, user: str, login_id: str) -> bool:
        """Whether that login completed."""
        ...

    def generate_recovery_codes(self, user: str) -> list[str]:
        """New recovery codes, shown once; the old ones stop working."""
        ...

    def disable_two_factor(self, user: str, password: str) -> Outcome:
        """Turn two-factor off (password again)."""
        ...

    def account(self, user: str) -> AccountView:
        """The account as the user's profile page would show it."""
        ...

    def audit_events(self) -> Sequence[AuditView]:
        """Every audit event so far, oldest first (feature ``audit``)."""
        ...

    def notifications(self) -> Sequence[Notification]:
        """Every message sent to users so far (feature ``notifications``)."""
        ...

    def restart(self) -> None:
        """Stop and start the service on the same storage (feature ``restart``)."""
        ...


TargetFactory = Callable[[TargetContext], Target]


def target_policy(factory: TargetFactory) -> dict[str, Any] | None:
    """The policy a target runs by default, for reports (scenarios may override fields), if
    the target says: a class attribute or method ``default_policy`` returning a mapping."""
    policy = getattr(factory, "default_policy", None)
    if callable(policy):
        policy = policy()
    return dict(policy) if isinstance(policy, Mapping) else None


BUILTIN_TARGETS: dict[str, str] = {
    "reference": "twofa_sim.scenario.targets.reference:ReferenceTarget",
    "pyotp-naive": "twofa_sim.scenario.targets.naive:NaiveTarget",
    "django-otp": "twofa_sim.peers.django_otp:DjangoOtpTarget",
    "django-two-factor-auth": "twofa_sim.peers.two_factor:TwoFactorAuthTarget",
    "pyotp-quickstart": "twofa_sim.peers.quickstart:QuickstartTarget",
}


def load_target(spec: str) -> TargetFactory:
    """A target factory from a name (``reference``, ``pyotp-naive``, ``django-otp``) or
    ``module:Class``, or a service's contract URL (``http://127.0.0.1:3000/twofa-test``)."""
    if spec.startswith(("http://", "https://")):
        http = importlib.import_module("twofa_sim.scenario.targets.http")  # as for module:Class
        return http.http_target(spec)  # type: ignore[no-any-return]
    path = BUILTIN_TARGETS.get(spec, spec)
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise InputError(
            f"unknown target {spec!r}",
            where="--target",
            hint=f"one of {', '.join(BUILTIN_TARGETS)}, or module:Class",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"cannot import {module_name!r}: {exc}",
            where="--target",
            hint="is the module on PYTHONPATH (or installed)?",
        ) from None
    factory = getattr(module, attribute, None)
    if factory is None or not callable(factory):
        raise InputError(f"{module_name} has no class {attribute!r}", where="--target")
    return factory  # type: ignore[no-any-return]
