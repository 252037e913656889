"""Processes sharing one SQLite file: every change is saved with its audit entry, or not at all."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

from tests.reference.harness import PASSWORD, Harness, policy
from twofa_sim.reference import SqliteStore
from twofa_sim.world import World

ROUNDS = 2
"""Bounded: each round, three processes released together each log their user in LOGINS times."""
LOGINS = 100
NAMES = ("p", "q", "r")


def _work(path: str, name: str, barrier: Any, results: Any) -> None:
    """One process: its own service on the shared file; reports the errors it met."""
    world = World({"seed": name})
    service = world.reference_service(store=SqliteStore(path), policy=policy())
    errors: list[str] = []
    barrier.wait()
    for index in range(LOGINS):
        try:
            service.login(name, PASSWORD)
        except Exception as exc:  # reported to the test, in its process
            errors.append(f"login {index}: {type(exc).__name__}: {exc}")
    service.store.close()
    results.put((name, errors))


def test_processes_on_one_file_lose_no_audit_entry(tmp_path: Path) -> None:
    """audit (ASVS 5.0 16.3.1): processes writing one SQLite file at once raise nothing,
    and every change they saved has its entry in one intact chain (the entry is appended in
    the change's own transaction: no `UNIQUE constraint failed: audit.seq`, no lost entry)."""
    context = multiprocessing.get_context("spawn")
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}.sqlite3"
        with World({"seed": 0}) as world:  # the users, before the processes race
            service = world.reference_service(store=SqliteStore(path), policy=policy())
            for name in NAMES:
                service.register(name, PASSWORD)
            service.store.close()
        barrier, results = context.Barrier(len(NAMES)), context.Queue()
        workers = [
            context.Process(target=_work, args=(str(path), name, barrier, results))
            for name in NAMES
        ]
        for worker in workers:
            worker.start()
        reports = dict(results.get(timeout=120) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
        assert reports == {name: [] for name in NAMES}
        with World({"seed": 0}) as world:
            service = world.reference_service(store=SqliteStore(path), policy=policy())
            logins = [e.user for e in service.audit_log() if e.event == "login"]
            assert [logins.count(name) for name in NAMES] == [LOGINS] * len(NAMES)
            assert service.audit_intact()
            service.store.close()


def test_a_change_saved_without_its_entry_is_found(world: World, tmp_path: Path) -> None:
    """audit: the chain check notices a login whose entry is missing, even the last entry of
    the log (a loss no hash chain alone can see), and an entry replaced by another."""
    path = tmp_path / "db"
    h = Harness.build(world, store=SqliteStore(path))
    h.register()
    h.service.login("alice", PASSWORD)
    assert h.service.audit_intact()
    last = h.service.audit_log()[-1]
    assert (last.user, last.event) == ("alice", "login")
    with sqlite3.connect(path) as db:  # the entry lost, as an append outside the change's
        db.execute("DELETE FROM audit WHERE seq = ?", (last.seq,))  # transaction could lose it
    db.close()
    h.restart(SqliteStore(path))
    assert h.service.audit_log()[-1].seq == last.seq - 1
    assert not h.service.audit_intact()
    # Another entry in its place (same seq, chained correctly) is not the change's entry.
    h.service.store.append_audit(at=0.0, event="noise", user=None, outcome="ok", details={})
    assert h.service.audit_log()[-1].seq == last.seq
    assert not h.service.audit_intact()
    h.service.store.close()
