"""The reference two-factor service: the default system every scenario runs against.

:class:`ReferenceService` implements the seed document's flow (phone number, code by SMS or
Authy, QR for an authenticator app, logins with a second factor) under one
:class:`SecurityPolicy`; each rule names the requirement it serves (:data:`RULES`).
"""

from __future__ import annotations

from twofa_sim.errors import AuditError
from twofa_sim.reference.audit import AuditEntry, verify_chain
from twofa_sim.reference.policy import RULES, SecurityPolicy
from twofa_sim.reference.records import UserRecord
from twofa_sim.reference.service import ReferenceService
from twofa_sim.reference.store import MemoryStore, SqliteStore, Store
from twofa_sim.reference.verdicts import Challenge, Enrollment, LoginResult, Notification, Outcome

__all__ = [
    "RULES",
    "AuditEntry",
    "AuditError",
    "Challenge",
    "Enrollment",
    "LoginResult",
    "MemoryStore",
    "Notification",
    "Outcome",
    "ReferenceService",
    "SecurityPolicy",
    "SqliteStore",
    "Store",
    "UserRecord",
    "verify_chain",
]
