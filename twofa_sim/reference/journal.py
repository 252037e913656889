"""One operation on one user: the record held exclusively, and what the operation records.

:class:`Operations` opens the user's store transaction and hands the operation a
:class:`Journal`; the journal's audit events are appended in that same transaction (a change is
never saved without its entry), and its notifications are delivered when the operation ends.
Both happen whether the operation succeeds or raises: a failed operation's events record the
failure. Every event names the rule of :data:`~twofa_sim.reference.policy.RULES` it applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from twofa_sim.core.clock import Clock
from twofa_sim.errors import AuditError, UnknownUserError
from twofa_sim.reference.policy import RULES
from twofa_sim.reference.records import UserRecord
from twofa_sim.reference.store import Store
from twofa_sim.reference.verdicts import Notification

__all__ = ["Journal", "Operations"]


class Journal:
    """The audit events and notifications of one operation on one user."""

    def __init__(self, clock: Clock, user: str, events: list[dict[str, Any]]) -> None:
        self.clock = clock
        self.user = user
        self.events = events
        """Audit events as :meth:`Store.append_audit` keyword arguments (the transaction's)."""
        self.notes: list[Notification] = []

    def event(self, event: str, outcome: str, *, rule: str, **details: Any) -> None:
        """Log ``event`` with its ``outcome``, naming the ``rule`` (an id of RULES) applied."""
        if rule not in RULES:
            raise AuditError(f"audit event {event!r} names no rule of RULES ({rule!r})")
        self.events.append(
            {
                "at": self.clock.now(),
                "event": event,
                "user": self.user,
                "outcome": outcome,
                "details": {**details, "rule": rule},
            }
        )

    def notify(self, kind: str, message: str) -> None:
        """Tell the user (a simulated e-mail), once the operation ends."""
        self.notes.append(Notification(self.clock.now(), self.user, kind, message))


class Operations:
    """Runs operations on users: ``with operations.on(name) as (record, journal):``.

    The record is the user's, exclusively; it is saved, with the journal's audit events, when
    the block ends normally; if the block raises, only the events are written. ``deliver``
    receives the journal's notifications either way.
    """

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        deliver: Callable[[Sequence[Notification]], None],
    ) -> None:
        self.store = store
        self.clock = clock
        self.deliver = deliver

    @contextmanager
    def on(self, username: str, *, create: bool = False) -> Iterator[tuple[UserRecord, Journal]]:
        """The user's record and a journal; ``create``: make the user if there is none."""
        notes: list[Notification] = []
        try:
            with self.store.user(username) as tx:
                if tx.record is None and not create:
                    raise UnknownUserError(f"no user {username!r}", where="username")
                if tx.record is None:
                    tx.record = UserRecord(username, "", "")
                journal = Journal(self.clock, username, tx.events)
                notes = journal.notes
                yield tx.record, journal
        finally:
            self.deliver(notes)
