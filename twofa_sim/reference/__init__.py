"""The reference two-factor service: the default system every scenario runs against.

:class:`ReferenceService` implements the seed document's flow (phone number, code by SMS or
Authy, QR for an authenticator app, logins with a second factor) under one
:class:`SecurityPolicy`; each rule names the requirement it serves (:data:`RULES`), and every
audit event and every :class:`Outcome` names the rule that decided it.

The service composes one collaborator per rule family (the failure gate, the replay alarm, the
code checks, the sender, the login steps, the enrollment steps, the operations and the store it
keeps records and the audit log in); :class:`ServiceParts` is the documented way to swap one for
a deliberately broken variant (see :class:`ReferenceService`).
"""

from __future__ import annotations

from twofa_sim.errors import AuditError
from twofa_sim.reference.account import AccountFlow
from twofa_sim.reference.audit import AuditEntry, unlogged_users, verify_chain
from twofa_sim.reference.checks import PasswordCheck, PendingCodeCheck, RecoveryCheck, TotpCheck
from twofa_sim.reference.delivery import CodeSender
from twofa_sim.reference.gate import FailureGate, ReplayAlarm
from twofa_sim.reference.journal import Journal, Operations
from twofa_sim.reference.login import LoginFlow
from twofa_sim.reference.policy import RULES, SecurityPolicy
from twofa_sim.reference.records import UserRecord
from twofa_sim.reference.service import ReferenceService, ServiceParts
from twofa_sim.reference.store import MemoryStore, SqliteStore, Store, StoreView
from twofa_sim.reference.verdicts import Challenge, Enrollment, LoginResult, Notification, Outcome
from twofa_sim.reference.verify import (
    VerifyCodeCheck,
    VerifySender,
    VerifyTotpCheck,
    push_identity,
    user_identity,
)

__all__ = [
    "RULES",
    "AccountFlow",
    "AuditEntry",
    "AuditError",
    "Challenge",
    "CodeSender",
    "Enrollment",
    "FailureGate",
    "Journal",
    "LoginFlow",
    "LoginResult",
    "MemoryStore",
    "Notification",
    "Operations",
    "Outcome",
    "PasswordCheck",
    "PendingCodeCheck",
    "RecoveryCheck",
    "ReferenceService",
    "ReplayAlarm",
    "SecurityPolicy",
    "ServiceParts",
    "SqliteStore",
    "Store",
    "StoreView",
    "TotpCheck",
    "UserRecord",
    "VerifyCodeCheck",
    "VerifySender",
    "VerifyTotpCheck",
    "push_identity",
    "unlogged_users",
    "user_identity",
    "verify_chain",
]
