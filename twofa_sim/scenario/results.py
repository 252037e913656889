"""A whole run: scenarios run (in parallel if asked), results.json built, requirements traced.

``results.json`` (schema version 2; verdicts as :mod:`twofa_sim.scenario.verdicts` defines)::

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

SCHEMA_VERSION = 2


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


def requirement_rows(scenarios: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The traceability matrix: every catalog requirement, the scenarios covering it, and its
    verdict, decided by the checks that prove it in each covering scenario
    (:func:`~twofa_sim.scenario.verdicts.requirement_verdict`; ``failed`` wins over ``error``,
    ``unsupported``, ``passed`` and ``not_applicable``), ``uncovered`` when none covers it."""
    from twofa_sim.core.requirements import load_catalog
    from twofa_sim.scenario.verdicts import combine, requirement_verdict

    covering: dict[str, list[Mapping[str, Any]]] = {}
    for scenario in scenarios:
        for requirement in scenario.get("covers", []):
            covering.setdefault(requirement, []).append(scenario)
    rows = []
    for item in load_catalog():
        found = covering.get(item.id, [])
        verdict = combine(requirement_verdict(item.id, s) for s in found) or "uncovered"
        rows.append(
            {
                "id": item.id,
                "title": item.summary,
                "source": item.source,
                "testable": item.testable,
                "scenarios": [s["id"] for s in found],
                "verdict": verdict,
            }
        )
    return rows


def assemble(
    seed: int, target: str, scenarios: Sequence[Mapping[str, Any]], **extra: Any
) -> dict[str, Any]:
    """results.json from scenario entries (what a run, or a half-written JSON Lines file,
    holds): the summary and the requirement rows are computed here, once."""
    requirements = requirement_rows(scenarios)
    verdicts = [s["verdict"] for s in scenarios]
    return {
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "target": target,
        "summary": {
            "passed": verdicts.count("passed"),
            "failed": verdicts.count("failed"),
            "errors": verdicts.count("error"),
            "unsupported": verdicts.count("unsupported"),
            "not_applicable": verdicts.count("not_applicable"),
            "scenarios": len(scenarios),
            "steps": sum(len(s.get("steps", [])) for s in scenarios),
            "requirements_covered": sum(1 for r in requirements if r["scenarios"]),
            "requirements_testable": sum(1 for r in requirements if r["testable"]),
        },
        "scenarios": list(scenarios),
        "requirements": requirements,
        **extra,
    }


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
