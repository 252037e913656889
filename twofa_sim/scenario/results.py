"""A whole run: scenarios run (in parallel if asked), results.json built, requirements traced.

``results.json`` (schema version 1)::

    {"schema_version": 1, "seed": int, "target": str,
     "summary": {"passed": int, "failed": int, "errors": int, "scenarios": int, "steps": int,
                 "requirements_covered": int, "requirements_testable": int},
     "scenarios": [{"id", "title", "file", "line", "covers", "tags", "verdict", "seed", "detail",
                    "steps": [{"line", "action", "verdict", "t", "detail", "expected"?,
                               "actual"?, "evidence"?}],
                    "context"?, "examples"?, "counterexample"?}],
     "requirements": [{"id", "title", "source", "testable", "scenarios": [ids],
                       "verdict": "passed"|"failed"|"uncovered"}]}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twofa_sim.scenario.loader import Scenario
from twofa_sim.scenario.runner import ScenarioResult, run_scenario

__all__ = ["SCHEMA_VERSION", "RunResult", "run_all", "write_json_atomically"]

SCHEMA_VERSION = 1


@dataclass
class RunResult:
    """Every scenario's result, in library order."""

    seed: int
    target: str
    results: list[ScenarioResult] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.results if r.verdict == verdict)

    @property
    def passed(self) -> bool:
        return all(r.verdict == "passed" for r in self.results)

    def requirements(self) -> list[dict[str, Any]]:
        from twofa_sim.requirements import load_catalog

        covering: dict[str, list[ScenarioResult]] = {}
        for result in self.results:
            for requirement in result.scenario.covers:
                covering.setdefault(requirement, []).append(result)
        rows = []
        for item in load_catalog():
            found = covering.get(item.id, [])
            if not found:
                verdict = "uncovered"
            elif all(r.verdict == "passed" for r in found):
                verdict = "passed"
            else:
                verdict = "failed"
            rows.append(
                {
                    "id": item.id,
                    "title": item.summary,
                    "source": item.source,
                    "testable": item.testable,
                    "scenarios": [r.scenario.id for r in found],
                    "verdict": verdict,
                }
            )
        return rows

    def as_dict(self) -> dict[str, Any]:
        requirements = self.requirements()
        return {
            "schema_version": SCHEMA_VERSION,
            "seed": self.seed,
            "target": self.target,
            "summary": {
                "passed": self.count("passed"),
                "failed": self.count("failed"),
                "errors": self.count("error"),
                "scenarios": len(self.results),
                "steps": sum(len(r.steps) for r in self.results),
                "requirements_covered": sum(1 for r in requirements if r["scenarios"]),
                "requirements_testable": sum(1 for r in requirements if r["testable"]),
            },
            "scenarios": [r.as_dict() for r in self.results],
            "requirements": requirements,
        }


def _run_one(args: tuple[Scenario, str, int]) -> ScenarioResult:
    scenario, target, seed = args
    return run_scenario(scenario, target=target, seed=seed)


def run_all(
    scenarios: Sequence[Scenario],
    *,
    target: str = "reference",
    seed: int = 0,
    jobs: int = 1,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> RunResult:
    """Run every scenario (``jobs`` processes); ``on_result`` hears of each as it finishes, in
    library order."""
    run = RunResult(seed, target)
    for result in _results(scenarios, target, seed, jobs):
        run.results.append(result)
        if on_result is not None:
            on_result(result)
    return run


def _results(
    scenarios: Sequence[Scenario], target: str, seed: int, jobs: int
) -> Iterator[ScenarioResult]:
    work = [(scenario, target, seed) for scenario in scenarios]
    if jobs <= 1 or len(work) <= 1:
        for item in work:
            yield _run_one(item)
        return
    chunk = max(1, len(work) // (jobs * 32))  # small batches keep the workers even
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for scenario, result in zip(
            scenarios, pool.map(_run_one, work, chunksize=chunk), strict=True
        ):
            result.scenario = scenario  # the parent's own object, document included
            yield result


def write_json_atomically(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=False, ensure_ascii=False)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
