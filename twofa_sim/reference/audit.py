"""The audit log: append-only, hash-chained, and free of secrets.

Each entry's hash covers the previous entry's hash and the entry's own canonical JSON, so an
edited, removed or reordered entry breaks every hash after it (:func:`verify_chain` says where).
Entries carry what happened, to whom, with what outcome and why, never a secret or a code:
:func:`AuditLog.append` refuses field names that could hold one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twofa_sim.core.clock import format_instant
from twofa_sim.errors import AuditError
from twofa_sim.reference.records import UserRecord

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditError",
    "entry_hash",
    "make_entry",
    "unlogged_users",
    "verify_chain",
]

GENESIS = "0" * 64
_FORBIDDEN = frozenset({"code", "secret", "token", "password", "otp", "uri", "seed", "pin"})


@dataclass(frozen=True)
class AuditEntry:
    """One event: ``seq`` from 1, virtual time ``at``, and the chain hash over it and its past."""

    seq: int
    at: float
    event: str
    user: str | None
    outcome: str
    details: Mapping[str, Any] = field(default_factory=dict)
    prev: str = GENESIS
    hash: str = ""

    def body(self) -> dict[str, Any]:
        """Everything the hash covers (all but the hash itself)."""
        return {
            "seq": self.seq,
            "at": format_instant(self.at),
            "event": self.event,
            "user": self.user,
            "outcome": self.outcome,
            "details": dict(self.details),
            "prev": self.prev,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        from twofa_sim.core.clock import parse_instant

        return cls(
            seq=int(data["seq"]),
            at=parse_instant(str(data["at"])),
            event=str(data["event"]),
            user=data.get("user"),
            outcome=str(data["outcome"]),
            details=dict(data.get("details") or {}),
            prev=str(data["prev"]),
            hash=str(data["hash"]),
        )


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 over the entry's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_entry(
    previous: AuditEntry | None,
    *,
    at: float,
    event: str,
    user: str | None,
    outcome: str,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """The next entry of a chain whose last entry is ``previous``."""
    clean = dict(details or {})
    leaked = sorted(key for key in clean if key.lower() in _FORBIDDEN)
    if leaked:
        raise AuditError(f"audit details may not hold {', '.join(leaked)}: it could be a secret")
    draft = AuditEntry(
        seq=1 if previous is None else previous.seq + 1,
        at=at,
        event=event,
        user=user,
        outcome=outcome,
        details=clean,
        prev=GENESIS if previous is None else previous.hash,
    )
    return AuditEntry(**{**draft.__dict__, "hash": entry_hash(draft.body())})


def verify_chain(entries: Iterable[AuditEntry]) -> int | None:
    """None if the chain is intact; otherwise the ``seq`` of the first entry that breaks it."""
    previous_hash, expected_seq = GENESIS, 1
    for entry in entries:
        if (
            entry.seq != expected_seq
            or entry.prev != previous_hash
            or entry.hash != entry_hash(entry.body())
        ):
            return entry.seq
        previous_hash, expected_seq = entry.hash, expected_seq + 1
    return None


def unlogged_users(entries: Sequence[AuditEntry], records: Iterable[UserRecord]) -> list[str]:
    """The users whose last saved change has no entry in ``entries``: the chain alone cannot see
    an entry lost at its end, but each record names the entry its last change wrote
    (``audit_seq``, ``audit_hash``). Read the records first, then the entries."""
    by_seq = {entry.seq: entry for entry in entries}
    missing = []
    for record in records:
        if record.audit_seq is None:
            continue
        entry = by_seq.get(record.audit_seq)
        if entry is None or entry.hash != record.audit_hash or entry.user != record.username:
            missing.append(record.username)
    return missing
