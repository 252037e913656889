"""The execution statement: when a run ran, for how long, and where (``execution.json``).

``results.json`` records no wall-clock time, so the same seed gives the same bytes. What an
auditor also needs (the run's start and end, each scenario's duration, the host) goes in a
separate file of the run directory, ``execution.json``, which the manifest and a signed
attestation cover like every other file, and which every human-facing format shows beside
the results. Its ``results_sha256`` is the SHA-256 of the results.json it speaks for: a report
rendered from a results.json with another hash says the statement is not for these results.

::

    {"execution_version": 1, "started": "2026-12-03T12:00:00.125Z", "finished": ...,
     "duration_s": 3.412, "host": {"name", "platform", "python", "cpus"}, "jobs": 1,
     "durations": "per_scenario" | "between_results",
     "scenarios": [{"id", "duration_s", "finished_s"}], "results_sha256": hex}

With one process, a scenario's ``duration_s`` is its own wall-clock time. With ``--jobs N``
scenarios run side by side and their results arrive in library order, so ``duration_s`` is the
time between one result and the next (``durations: between_results``): a share of the run, not
the scenario's own time; ``finished_s`` is when its result was recorded, from the start.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twofa_sim.errors import InputError
from twofa_sim.files import read_bytes, write_atomically

__all__ = [
    "EXECUTION",
    "Recorder",
    "load_execution",
    "with_execution",
    "write_execution",
]

EXECUTION = "execution.json"
_LIMIT = 64 << 20


def _instant(seconds: float) -> str:
    """A Unix time as ISO-8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Recorder:
    """Times a run as it goes: make one when the run starts, call :meth:`scenario` as each
    result is recorded, then :meth:`statement` when it ends."""

    def __init__(self, *, jobs: int) -> None:
        self.jobs = jobs
        self.started = time.time()
        self._start = time.perf_counter()
        self._last = self._start
        self._scenarios: list[dict[str, Any]] = []

    def scenario(self, scenario_id: str) -> None:
        now = time.perf_counter()
        self._scenarios.append(
            {
                "id": scenario_id,
                "duration_s": round(now - self._last, 4),
                "finished_s": round(now - self._start, 4),
            }
        )
        self._last = now

    def statement(self) -> dict[str, Any]:
        """The statement so far (the run's end is now)."""
        elapsed = time.perf_counter() - self._start
        return {
            "execution_version": 1,
            "started": _instant(self.started),
            "finished": _instant(self.started + elapsed),
            "duration_s": round(elapsed, 3),
            "host": {
                "name": socket.gethostname(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            "jobs": self.jobs,
            "durations": "per_scenario" if self.jobs == 1 else "between_results",
            "scenarios": list(self._scenarios),
        }


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_execution(
    directory: Path, statement: Mapping[str, Any], results_file: Path
) -> dict[str, Any]:
    """Write ``execution.json`` into ``directory``, bound to ``results_file`` (already
    written) by its SHA-256; returns the statement as written."""
    written = {**statement, "results_sha256": _digest(results_file.read_bytes())}
    write_atomically(directory / EXECUTION, json.dumps(written, indent=1) + "\n")
    return written


def load_execution(source: Path) -> dict[str, Any] | None:
    """The execution statement beside ``source`` (a run directory, or its results.json), or
    None when there is none (a results.json on its own, a killed run). A statement whose
    ``results_sha256`` is not that results.json's gets ``"matches_results": false``. A file
    that is there but unreadable is bad input (:class:`InputError`)."""
    directory = source if source.is_dir() else source.parent
    path = directory / EXECUTION
    if not path.is_file() or source.name.endswith(".jsonl"):
        return None
    raw = read_bytes(path, limit=_LIMIT, where=str(path))
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InputError(f"not JSON ({exc})", where=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("started"), str):
        raise InputError("not an execution statement (no 'started')", where=str(path))
    results = source / "results.json" if source.is_dir() else source
    if results.is_file():
        data["matches_results"] = data.get("results_sha256") == _digest(results.read_bytes())
    return data


def with_execution(
    results: Mapping[str, Any], statement: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """What a renderer is handed: the results, and the statement under ``execution``."""
    if statement is None:
        return results
    return {**results, "execution": dict(statement)}
