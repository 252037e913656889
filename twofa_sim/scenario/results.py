"""A whole run: scenarios run (in parallel if asked), results.json built, requirements traced.

``results.json`` (schema version 2; verdicts as :mod:`twofa_sim.core.verdicts` defines; the
summary and requirement rows computed by :mod:`twofa_sim.core.tally`)::

    {"schema_version": 2, "seed": int, "target": str,
     "summary": {"passed": int, "failed": int, "errors": int, "unsupported": int,
                 "not_applicable": int, "scenarios": int, "steps": int,
                 "requirements_covered": int, "requirements_testable": int},
     "scenarios": [{"id", "title", "file", "line", "covers", "tags", "verdict", "seed", "detail",
                    "steps": [{"line", "action", "verdict", "t", "detail", "expected"?,
                               "actual"?, "evidence"?}],
                    "context"?, "examples"?, "counterexample"?}],
     "requirements": [{"id", "title", "source", "testable", "scenarios": [ids],
                       "verdict": "passed"|"failed"|"error"|"unsupported"|"not_applicable"
                                  |"uncovered"}]}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twofa_sim.core.tally import SCHEMA_VERSION, assemble, requirement_rows
from twofa_sim.scenario.workers import watch_parent

if TYPE_CHECKING:  # the runner and loader load only when a run does (`report` reads results)
    from twofa_sim.scenario.loader import Scenario
    from twofa_sim.scenario.runner import ScenarioResult

__all__ = [
    "SCHEMA_VERSION",
    "RunResult",
    "assemble",
    "requirement_rows",
    "run_all",
]


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
        """No scenario failed or erred (unsupported and not applicable are findings)."""
        return all(r.verdict not in ("failed", "error") for r in self.results)

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        """results.json; ``extra`` top-level blocks (``reproducibility``, ``run``, ...) are
        added after the documented ones."""
        return assemble(self.seed, self.target, [r.as_dict() for r in self.results], **extra)


def _run_one(args: tuple[Scenario, str, int]) -> ScenarioResult:
    from twofa_sim.scenario.runner import run_scenario

    scenario, target, seed = args
    return run_scenario(scenario, target=target, seed=seed)


def run_all(
    scenarios: Sequence[Scenario],
    *,
    target: str = "reference",
    seed: int = 0,
    jobs: int = 1,
    on_result: Callable[[ScenarioResult], None] | None = None,
    root: Path | None = None,
) -> RunResult:
    """Run every scenario (``jobs`` processes); ``on_result`` hears of each as it finishes, in
    library order. ``root``: the scenario root, which results name files relative to."""
    run = RunResult(seed, target)
    for result in _results(scenarios, target, seed, jobs):
        result.root = root
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
    # Each worker exits when this process dies (even by SIGKILL): see scenario.workers.
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=watch_parent, initargs=(os.getpid(),)
    ) as pool:
        for scenario, result in zip(
            scenarios, pool.map(_run_one, work, chunksize=chunk), strict=True
        ):
            result.scenario = scenario  # the parent's own object
            yield result
