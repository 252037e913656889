"""Where the reference service keeps users, teams and the audit log: in memory, or in SQLite.

Both stores give the same guarantees:

- ``with store.user(name) as tx:`` holds that user exclusively (threads included); ``tx.record``
  is a private copy, saved when the block ends normally and dropped if it raises, so a failed
  operation leaves the user exactly as it was;
- the audit events the block adds to ``tx.events`` are appended to the chained log
  (:mod:`twofa_sim.reference.audit`) in the same transaction as the record, whether the block
  ends normally or raises (a failed operation's events record the failure): a change is never
  saved without its entry, even with two processes on one SQLite file; the record keeps the
  ``seq`` and hash of the last entry its change wrote (``audit_seq``, ``audit_hash``), so a
  change whose entry went missing is found (:func:`~twofa_sim.reference.audit.unlogged_users`);
- :class:`SqliteStore` survives a restart: a new service on the same file sees everything.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from twofa_sim.reference.audit import AuditEntry, make_entry
from twofa_sim.reference.records import Team, UserRecord

__all__ = ["MemoryStore", "SqliteStore", "Store", "StoreView", "Transaction"]


class Transaction:
    """One user's record, held exclusively; set ``record`` to create the user.

    ``events``: audit events to append in the same transaction, each a mapping of
    :meth:`Store.append_audit`'s keyword arguments (``at``, ``event``, ``user``, ``outcome``,
    ``details``)."""

    def __init__(self, record: UserRecord | None) -> None:
        self.record = record
        self.events: list[dict[str, Any]] = []


def _stamp(record: UserRecord | None, entries: list[AuditEntry]) -> None:
    """Mark the record with the last entry its change wrote."""
    if record is not None and entries:
        record.audit_seq, record.audit_hash = entries[-1].seq, entries[-1].hash


def _chain(previous: AuditEntry | None, events: list[dict[str, Any]]) -> list[AuditEntry]:
    """The entries for ``events``, chained after ``previous`` (all made before any is kept)."""
    entries: list[AuditEntry] = []
    for event in events:
        entry = make_entry(previous, **event)
        entries.append(entry)
        previous = entry
    return entries


class Store(Protocol):
    """What the service needs from storage."""

    def user(self, username: str) -> Any:
        """A context manager yielding a :class:`Transaction` for ``username``: the record saved
        and ``tx.events`` appended together when the block ends (the events only, if it
        raises)."""
        ...

    def load(self, username: str) -> UserRecord | None: ...

    def usernames(self) -> list[str]: ...

    def team(self, name: str) -> Team | None: ...

    def teams(self) -> list[Team]: ...

    def save_team(self, team: Team) -> None: ...

    def append_audit(
        self, *, at: float, event: str, user: str | None, outcome: str, details: dict[str, Any]
    ) -> AuditEntry: ...

    def audit(self) -> list[AuditEntry]: ...

    def close(self) -> None: ...


def _dump(record: UserRecord) -> str:
    return json.dumps(record.as_dict(), sort_keys=True, separators=(",", ":"))


def _undump(text: str) -> UserRecord:
    return UserRecord.from_dict(json.loads(text))


class _Locks:
    """One lock per user, made on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def of(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


class MemoryStore:
    """Everything in this process's memory (documents kept as JSON, so copies never alias)."""

    def __init__(self) -> None:
        self._users: dict[str, str] = {}
        self._teams: dict[str, str] = {}
        self._audit: list[AuditEntry] = []
        self._locks = _Locks()
        self._audit_lock = threading.Lock()

    @contextmanager
    def user(self, username: str) -> Iterator[Transaction]:
        with self._locks.of(username):
            text = self._users.get(username)
            tx = Transaction(None if text is None else _undump(text))
            try:
                yield tx
            except BaseException:
                self._append(tx.events)
                raise
            entries = self._append(tx.events)
            _stamp(tx.record, entries)
            if tx.record is not None:
                self._users[username] = _dump(tx.record)

    def load(self, username: str) -> UserRecord | None:
        text = self._users.get(username)
        return None if text is None else _undump(text)

    def usernames(self) -> list[str]:
        return sorted(self._users)

    def team(self, name: str) -> Team | None:
        text = self._teams.get(name)
        return None if text is None else Team(**json.loads(text))

    def teams(self) -> list[Team]:
        return [Team(**json.loads(text)) for _, text in sorted(self._teams.items())]

    def save_team(self, team: Team) -> None:
        self._teams[team.name] = json.dumps(team.as_dict())

    def append_audit(
        self, *, at: float, event: str, user: str | None, outcome: str, details: dict[str, Any]
    ) -> AuditEntry:
        event_ = {"at": at, "event": event, "user": user, "outcome": outcome, "details": details}
        return self._append([event_])[0]

    def _append(self, events: list[dict[str, Any]]) -> list[AuditEntry]:
        with self._audit_lock:
            entries = _chain(self._audit[-1] if self._audit else None, events)
            self._audit.extend(entries)
            return entries

    def audit(self) -> list[AuditEntry]:
        return list(self._audit)

    def close(self) -> None:
        """Nothing to release."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL);
"""


class SqliteStore:
    """Everything in one SQLite file (stdlib ``sqlite3``): a restarted service picks up where the
    last one stopped. Writes are transactions (``BEGIN IMMEDIATE``), so a crash mid-operation
    leaves the previous state."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def user(self, username: str) -> Iterator[Transaction]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT doc FROM users WHERE username = ?", (username,)
                ).fetchone()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            tx = Transaction(None if row is None else _undump(row[0]))
            try:
                yield tx
            except BaseException:
                self._finish(username, tx, save=False)
                raise
            self._finish(username, tx, save=True)

    def _finish(self, username: str, tx: Transaction, *, save: bool) -> None:
        """Append the events (and save the record) in the open transaction, then commit; roll
        back everything if either fails."""
        try:
            entries = self._append(tx.events)
            if save and tx.record is not None:
                _stamp(tx.record, entries)
                self._db.execute(
                    "INSERT INTO users (username, doc) VALUES (?, ?) "
                    "ON CONFLICT(username) DO UPDATE SET doc = excluded.doc",
                    (username, _dump(tx.record)),
                )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def load(self, username: str) -> UserRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM users WHERE username = ?", (username,)
            ).fetchone()
        return None if row is None else _undump(row[0])

    def usernames(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT username FROM users ORDER BY username").fetchall()
        return [row[0] for row in rows]

    def team(self, name: str) -> Team | None:
        with self._lock:
            row = self._db.execute("SELECT doc FROM teams WHERE name = ?", (name,)).fetchone()
        return None if row is None else Team(**json.loads(row[0]))

    def teams(self) -> list[Team]:
        with self._lock:
            rows = self._db.execute("SELECT doc FROM teams ORDER BY name").fetchall()
        return [Team(**json.loads(row[0])) for row in rows]

    def save_team(self, team: Team) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO teams (name, doc) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
                (team.name, json.dumps(team.as_dict())),
            )

    def append_audit(
        self, *, at: float, event: str, user: str | None, outcome: str, details: dict[str, Any]
    ) -> AuditEntry:
        event_ = {"at": at, "event": event, "user": user, "outcome": outcome, "details": details}
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                entries = self._append([event_])
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return entries[0]

    def _append(self, events: list[dict[str, Any]]) -> list[AuditEntry]:
        """Chain and insert ``events`` inside the caller's write transaction (which holds the
        database's write lock, so no other process appends between the read and the insert)."""
        if not events:
            return []
        row = self._db.execute("SELECT doc FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        previous = None if row is None else AuditEntry.from_dict(json.loads(row[0]))
        entries = _chain(previous, events)
        self._db.executemany(
            "INSERT INTO audit (seq, doc) VALUES (?, ?)",
            [(e.seq, json.dumps(e.as_dict(), sort_keys=True)) for e in entries],
        )
        return entries

    def audit(self) -> list[AuditEntry]:
        with self._lock:
            rows = self._db.execute("SELECT doc FROM audit ORDER BY seq").fetchall()
        return [AuditEntry.from_dict(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class StoreView:
    """A :class:`Store` that hands every call to ``inner``: the store as a service uses it
    (:class:`~twofa_sim.reference.ServiceParts` ``store``). A subclass overriding one method
    changes how records or the audit log are kept, for a deliberately broken variant; this
    class itself changes nothing."""

    def __init__(self, *, inner: Store) -> None:
        self.inner = inner

    def user(self, username: str) -> Any:
        return self.inner.user(username)

    def load(self, username: str) -> UserRecord | None:
        return self.inner.load(username)

    def usernames(self) -> list[str]:
        return self.inner.usernames()

    def team(self, name: str) -> Team | None:
        return self.inner.team(name)

    def teams(self) -> list[Team]:
        return self.inner.teams()

    def save_team(self, team: Team) -> None:
        self.inner.save_team(team)

    def append_audit(
        self, *, at: float, event: str, user: str | None, outcome: str, details: dict[str, Any]
    ) -> AuditEntry:
        return self.inner.append_audit(
            at=at, event=event, user=user, outcome=outcome, details=details
        )

    def audit(self) -> list[AuditEntry]:
        return self.inner.audit()

    def close(self) -> None:
        self.inner.close()
