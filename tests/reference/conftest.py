"""Fixtures for the reference service's tests: a fresh world, entered, and a service in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reference.harness import Harness, description
from twofa_sim.reference import MemoryStore, SqliteStore, Store
from twofa_sim.world import World


@pytest.fixture
def world() -> Iterator[World]:
    """The reference world, with the fakes mounted for the test's duration."""
    with World(description()) as entered:
        yield entered


@pytest.fixture
def h(world: World) -> Harness:
    """A reference service (memory store, default policy but cheap hashing) in the world."""
    return Harness.build(world)


@pytest.fixture(params=["memory", "sqlite"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """``make_store(kind)``: a store of that kind; SQLite ones share one file per test."""
    opened: list[Store] = []

    def make(kind: str) -> Store:
        store: Store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "db")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def hs(world: World, store_kind: str, make_store: Callable[[str], Store]) -> Harness:
    """A reference service on each kind of store (the test runs once per kind)."""
    return Harness.build(world, store=make_store(store_kind))
