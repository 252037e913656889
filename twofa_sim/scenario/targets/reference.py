"""``reference``: the reference service as a target (every feature, SQLite or memory store).

The reference policy parser (:func:`policy_from`, :func:`policy_problems`, :func:`read_policy`)
lives with the policy in :mod:`twofa_sim.reference.policy`; it is re-exported here.
"""

from __future__ import annotations

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
from twofa_sim.reference.policy import policy_from, policy_problems, read_policy
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
        record = self.service.record(user)  # a copy: asking the gate changes nothing stored
        # locked, or backing off after failures: refusing either way (AccountView.locked)
        locked = self.service.gate.blocked(record) is not None
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
