"""The Target protocol: how scenarios speak to the 2FA system under test.

A scenario never calls the reference service directly. It calls a *target*: an object with
the methods below, built once per scenario by a factory that receives a :class:`TargetContext`
(the world's clock, the fake providers' credentials, a seeded random source, the scenario's
policy overrides). The reference service is the default target (``reference``); a team that
wants to run the library against its own system writes an adapter class with the same methods
and runs ``twofa-sim run --target mypackage.adapter:MyTarget``.

What an adapter must know:

* **Providers.** The world mounts fake Twilio and Authy APIs on ``requests`` (through
  ``responses``). A system that sends SMS with ``requests`` (or the Twilio/Authy helper
  libraries, which use ``requests``) to ``api.twilio.com`` / ``api.authy.com`` with the
  credentials in the context reaches the fakes; phones then receive the SMS in virtual time.
* **Time.** Read the time from ``context.clock.now()`` (Unix seconds, virtual). A system that
  reads the system clock itself can be run with ``given: {freeze_system_time: true}``, which
  keeps ``time.time()`` equal to the virtual clock.
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
  rest, which ``expect_stored`` searches for codes and passwords in clear). A scenario step
  that needs a feature the target lacks fails with a message saying so: a missing audit log
  is a finding, not a pass.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from twofa_sim.core.clock import Clock
from twofa_sim.errors import InputError
from twofa_sim.reference import (
    Challenge,
    Enrollment,
    LoginResult,
    MemoryStore,
    Notification,
    Outcome,
    ReferenceService,
    SecurityPolicy,
    SqliteStore,
)
from twofa_sim.reference.store import Store

__all__ = [
    "FEATURES",
    "REASONS",
    "AccountView",
    "AuditView",
    "Challenge",
    "Enrollment",
    "LoginResult",
    "Notification",
    "Outcome",
    "ReferenceTarget",
    "Target",
    "TargetContext",
    "TargetFactory",
    "load_target",
]

SCENARIO_HASH_ITERATIONS = 1000
"""PBKDF2 rounds the reference target uses in scenario runs (see :class:`ReferenceTarget`)."""

FEATURES = frozenset({"audit", "notifications", "restart", "authy", "recovery", "storage"})

REASONS: dict[str, str] = {
    "accepted": "the code (or approval) was right",
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
    """The scenario's ``given.policy`` overrides (field names of the reference policy)."""
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
    """The system under test, as scenarios see it. Users are named by a username string."""

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


class ReferenceTarget:
    """The reference service as a target: every feature, SQLite or memory store."""

    name = "reference"
    features = FEATURES

    def __init__(self, context: TargetContext) -> None:
        self.context = context
        overrides = dict(context.policy)
        # Scenario runs hash passwords and recovery codes with 1,000 PBKDF2 rounds unless the
        # scenario sets code_hash_iterations: no scenario can observe the cost, and at the
        # production 50,000 hashing is most of a run's time. Everything else is the policy.
        overrides.setdefault("code_hash_iterations", SCENARIO_HASH_ITERATIONS)
        self.policy = policy_from(overrides)
        self._sqlite: Path | None = None
        if context.store == "sqlite":
            if context.workdir is None:
                raise InputError("an SQLite store needs a work directory", where="given.store")
            self._sqlite = context.workdir / "reference.sqlite3"
        elif context.store != "memory":
            raise InputError(
                f"unknown store {context.store!r}", where="given.store", hint="memory or sqlite"
            )
        self._memory = MemoryStore()
        self.service = self._start()

    @staticmethod
    def default_policy() -> dict[str, Any]:
        """The reference policy scenarios run under unless they override a field."""
        from dataclasses import asdict

        overrides = {"code_hash_iterations": SCENARIO_HASH_ITERATIONS}
        return asdict(SecurityPolicy(**overrides))  # type: ignore[arg-type]

    def _store(self) -> Store:
        return self._memory if self._sqlite is None else SqliteStore(self._sqlite)

    def _start(self) -> ReferenceService:
        from twofa_sim.providers.authy import AuthyClient
        from twofa_sim.providers.twilio import TwilioClient

        c = self.context
        return ReferenceService(
            clock=c.clock,
            twilio=TwilioClient(c.twilio_account_sid, c.twilio_auth_token),
            authy=AuthyClient(c.authy_api_key),
            sms_from=c.sms_from,
            store=self._store(),
            policy=self.policy,
            random=c.random,
            issuer=c.issuer,
        )

    def close(self) -> None:
        self.service.store.close()

    # the flow
    def register(self, user: str, password: str) -> None:
        self.service.register(user, password)

    def start_phone_verification(self, user: str, phone: str, method: str) -> Challenge:
        return self.service.start_phone_verification(user, phone, authy_method=method)

    def confirm_phone(self, user: str, request_id: str, code: str | None) -> Outcome:
        return self.service.confirm_phone(user, request_id, code)

    def change_phone(self, user: str, phone: str, method: str) -> Challenge:
        return self.service.change_phone(user, phone, authy_method=method)

    def generate_qr(self, user: str) -> Enrollment:
        return self.service.generate_qr(user)

    def confirm_totp(self, user: str, code: str) -> Outcome:
        return self.service.confirm_totp(user, code)

    def login(self, user: str, password: str) -> LoginResult:
        return self.service.login(user, password)

    def send_login_code(self, user: str, login_id: str, channel: str) -> Challenge:
        return self.service.send_login_code(user, login_id, channel)

    def verify_login(self, user: str, login_id: str, factor: str, code: str | None) -> Outcome:
        return self.service.verify_login(user, login_id, factor, code)

    def logged_in(self, user: str, login_id: str) -> bool:
        return self.service.logged_in(user, login_id)

    def generate_recovery_codes(self, user: str) -> list[str]:
        return self.service.generate_recovery_codes(user)

    def disable_two_factor(self, user: str, password: str) -> Outcome:
        return self.service.disable_two_factor(user, password)

    # what a scenario may look at
    def account(self, user: str) -> AccountView:
        record = self.service.record(user)
        now = self.context.clock.now()
        locked = record.locked_until is not None and now < record.locked_until
        return AccountView(record.two_factor, tuple(record.factors), record.phone, locked)

    def audit_events(self) -> list[AuditView]:
        return [
            AuditView(e.at, e.event, e.user or "", e.outcome, dict(e.details))
            for e in self.service.audit_log()
        ]

    def notifications(self) -> list[Notification]:
        return list(self.service.notifications)

    def stored_bytes(self) -> bytes:
        """Everything the service keeps at rest: the SQLite files, or the memory store's records
        and audit log as JSON (feature ``storage``)."""
        if self._sqlite is not None:
            files = sorted(self._sqlite.parent.glob(self._sqlite.name + "*"))
            return b"".join(path.read_bytes() for path in files if path.is_file())
        import json

        store = self.service.store
        records = [r.as_dict() for u in store.usernames() if (r := store.load(u)) is not None]
        audit = [e.as_dict() for e in store.audit()]
        return json.dumps({"users": records, "audit": audit}, default=str).encode()

    def audit_intact(self) -> bool:
        """The audit log's hash chain verifies (an optional method: ``expect_audit: {intact:
        true}`` uses it)."""
        return self.service.audit_intact()

    def restart(self) -> None:
        """A new service instance on the same store: with SQLite only what the file kept
        survives; with the memory store the same objects (a restart of a process that shares
        memory is not a restart: use ``store: sqlite`` to test persistence)."""
        if self._sqlite is not None:
            self.service.store.close()
        notifications = self.service.notifications
        self.service = self._start()
        self.service.notifications = notifications  # e-mail already sent stays sent


def policy_from(overrides: Mapping[str, Any], where: str = "given.policy") -> SecurityPolicy:
    """A :class:`SecurityPolicy` from a scenario's overrides; durations may be written ``5m``;
    ``totp`` is a mapping of :class:`~twofa_sim.core.otp.TotpPolicy` fields; ``seed_compat: true``
    starts from the seed document's behaviour."""
    from dataclasses import fields

    from twofa_sim.core.clock import parse_duration
    from twofa_sim.core.otp import TotpPolicy

    known = {f.name: f for f in fields(SecurityPolicy)}
    values: dict[str, Any] = {}
    base = SecurityPolicy()
    for key, value in overrides.items():
        if key == "seed_compat":
            if value is True:
                values.setdefault("confirm_totp", False)
            continue
        if key not in known:
            from difflib import get_close_matches

            close = get_close_matches(key, [*known, "seed_compat"], n=1)
            raise InputError(
                f"no policy setting {key!r}",
                where=f"{where}.{key}",
                hint=f"did you mean {close[0]!r}?" if close else "see twofa-sim schema",
            )
        if key == "totp":
            if not isinstance(value, Mapping):
                raise InputError("totp takes a mapping of window settings", where=f"{where}.totp")
            try:
                values["totp"] = TotpPolicy(**dict(value))
            except TypeError as exc:
                raise InputError(str(exc), where=f"{where}.totp") from None
            continue
        current = getattr(base, key)
        if isinstance(current, bool):
            if not isinstance(value, bool):
                raise InputError("must be true or false", where=f"{where}.{key}")
        elif isinstance(current, float) and isinstance(value, str):
            value = parse_duration(value)
        elif isinstance(current, int) and (isinstance(value, bool) or not isinstance(value, int)):
            raise InputError(f"must be a whole number, not {value!r}", where=f"{where}.{key}")
        values[key] = value
    try:
        return SecurityPolicy(**values)
    except InputError as exc:
        located = f"{where}.{exc.where or ''}".rstrip(".")
        raise InputError(exc.what, where=located, hint=exc.hint) from None


def target_policy(factory: TargetFactory) -> dict[str, Any] | None:
    """The policy a target runs by default, for reports (scenarios may override fields), if
    the target says: a class attribute or method ``default_policy`` returning a mapping."""
    policy = getattr(factory, "default_policy", None)
    if callable(policy):
        policy = policy()
    return dict(policy) if isinstance(policy, Mapping) else None


BUILTIN_TARGETS: dict[str, str] = {
    "reference": "twofa_sim.scenario.target:ReferenceTarget",
    "pyotp-naive": "twofa_sim.scenario.naive:NaiveTarget",
}


def load_target(spec: str) -> TargetFactory:
    """A target factory from a name (``reference``, ``pyotp-naive``) or ``module:Class``."""
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
