"""expect_stored finds a code kept in clear inside a database record, and raises no false alarm
on a store that keeps only hashes (issue 11 §4: no false passes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.runner import run_scenario
from twofa_sim.scenario.steps.expect import sqlite_cells

LIBRARY = Path(__file__).parents[2] / "scenarios"


def _database(tmp_path: Path, rows: list[tuple[str, str, int]]) -> bytes:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE device (token TEXT, name TEXT, tries INTEGER)")
        connection.executemany("INSERT INTO device VALUES (?, ?, ?)", rows)
    return path.read_bytes()


def test_a_code_packed_against_its_neighbours_is_found_cell_by_cell(tmp_path: Path) -> None:
    """A record packs a 6-digit code right against the next column's letters and digits, so
    a search of the raw bytes cannot tell it from chance; the cells give it away."""
    data = _database(tmp_path, [("493021", "phone7", 3)])
    raw = data.decode("latin-1")
    assert "493021phone7" in raw  # no separator between the two columns
    cells = sqlite_cells(data)
    assert cells is not None and "493021" in cells


def test_what_is_not_a_database_is_left_to_the_byte_search() -> None:
    """A target whose store is not SQLite (a JSON dump, a memory image) gets None."""
    assert sqlite_cells(b'{"token": "493021"}') is None
    assert sqlite_cells(b"SQLite format 3\x00 but truncated") is None


def test_the_hashed_reference_store_raises_no_false_alarm_across_seeds() -> None:
    """The reference keeps only hashes: account-codes-stored-hashed passes for every seed."""
    (scenario,) = [s for s in load_paths([LIBRARY]) if s.id == "account-codes-stored-hashed"]
    assert scenario.given.get("store") == "sqlite"
    verdicts = {run_scenario(scenario, seed=seed).verdict for seed in range(12)}
    assert verdicts == {"passed"}
