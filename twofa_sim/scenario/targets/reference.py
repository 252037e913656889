"""``reference``: the reference service as a target (every feature, SQLite or memory store).

Also the reference policy parser, :func:`policy_from`: a scenario's ``given.policy`` overrides
as a :class:`~twofa_sim.reference.SecurityPolicy`, with located errors (the loader checks a
file's policy with it before anything runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    ServiceParts,
)
from twofa_sim.scenario.target import FEATURES, AccountView, AuditView, TargetContext

__all__ = [
    "SCENARIO_HASH_ITERATIONS",
    "ReferenceTarget",
    "policy_from",
    "policy_problems",
    "read_policy",
]

SCENARIO_HASH_ITERATIONS = 1000
"""PBKDF2 rounds the reference target uses in scenario runs (see :class:`ReferenceTarget`)."""


class ReferenceTarget:
    """The reference service as a target: every feature, SQLite or memory store.

    A deliberately broken variant (for a mutation review) is a subclass that sets ``parts``
    (:class:`~twofa_sim.reference.ServiceParts`), run with ``--target module:Class``."""

    name = "reference"
    features = FEATURES
    providers = frozenset({"messages", "verify"})
    """``given.provider`` values it runs with (Twilio Messages + Authy, or Twilio Verify)."""
    profiles = frozenset({"reference"})
    """It runs the scenarios tagged ``reference`` (the reference's own choices) as well."""
    parts: ServiceParts | None = None
    """The service's collaborators' classes; None: the reference's own."""

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

    def _start(self) -> ReferenceService:
        c = self.context
        if c.world is None:
            raise InputError("the reference target runs in a world", where="target")
        service: ReferenceService = c.world.reference_service(
            store=self._memory if self._sqlite is None else None,
            sqlite=self._sqlite,
            policy=self.policy,
            random=c.random,
            issuer=c.issuer,
            parts=self.parts,
        )
        return service

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
    starts from the seed document's behaviour. Raises the first of :func:`policy_problems`."""
    policy, problems = read_policy(overrides, where)
    if problems:
        raise problems[0]
    assert policy is not None
    return policy


def policy_problems(overrides: Mapping[str, Any], where: str = "given.policy") -> list[InputError]:
    """Every problem of a scenario's policy overrides, each located (``where`` names the field:
    ``given.policy.totp.steps_bak``) with a hint; empty when the policy is good."""
    return read_policy(overrides, where)[1]


def read_policy(
    overrides: Mapping[str, Any], where: str = "given.policy"
) -> tuple[SecurityPolicy | None, list[InputError]]:
    """(the policy or None, every problem): see :func:`policy_from`."""
    from twofa_sim.core.otp import TotpPolicy

    problems: list[InputError] = []
    values = _settings(overrides, SecurityPolicy, "policy", where, problems, extra=("seed_compat",))
    if overrides.get("seed_compat") is True:
        values.setdefault("confirm_totp", False)
    if "totp" in values:
        totp = values["totp"]
        if not isinstance(totp, Mapping):
            problems.append(
                InputError("totp takes a mapping of window settings", where=f"{where}.totp")
            )
            del values["totp"]
        else:
            window = _settings(totp, TotpPolicy, "TOTP", f"{where}.totp", problems)
            try:
                values["totp"] = TotpPolicy(**window)
            except InputError as exc:
                problems.append(_located(exc, f"{where}.totp"))
                del values["totp"]
    if problems:
        return None, problems
    try:
        return SecurityPolicy(**values), []
    except InputError as exc:
        return None, [_located(exc, where)]


def _settings(
    given: Mapping[str, Any],
    kind: type[Any],
    what: str,
    where: str,
    problems: list[InputError],
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The fields of dataclass ``kind`` that ``given`` sets, type-checked and with durations
    read; each problem appended to ``problems``."""
    from dataclasses import fields

    from twofa_sim.core.clock import parse_duration

    known = {f.name: f for f in fields(kind)}
    base = kind()
    values: dict[str, Any] = {}
    for key, value in given.items():
        here = f"{where}.{key}"
        if key in extra:
            continue
        if key not in known:
            from difflib import get_close_matches

            close = get_close_matches(str(key), [*known, *extra], n=1)
            if not close:  # the words in another order: drift_tracking for track_drift
                by_words = {_words(name): name for name in [*known, *extra]}
                close = [by_words[w] for w in get_close_matches(_words(str(key)), by_words, n=1)]
            problems.append(
                InputError(
                    f"no {what} setting {key!r}",
                    where=here,
                    hint=f"did you mean {close[0]!r}?"
                    if close
                    else f"settings: {', '.join([*known, *extra])}",
                )
            )
            continue
        current = getattr(base, key)
        if value is None and "None" in str(known[key].type):
            pass
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                problems.append(InputError("must be true or false", where=here))
                continue
        elif isinstance(current, float) and isinstance(value, str):
            try:
                value = parse_duration(value)
            except InputError as exc:
                problems.append(_located(exc, here, replace=True))
                continue
        elif isinstance(current, int) and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(
                InputError(
                    f"must be a whole number, not {value!r}",
                    where=here,
                    hint="a whole number in digits, like 3",
                )
            )
            continue
        values[key] = value
    return values


def _words(name: str) -> str:
    return "_".join(sorted(name.split("_")))


def _located(exc: InputError, where: str, *, replace: bool = False) -> InputError:
    """``exc`` with ``where`` in front of its own location (or instead of it)."""
    located = where if replace else f"{where}.{exc.where or ''}".rstrip(".")
    return InputError(exc.what, where=located, hint=exc.hint)
