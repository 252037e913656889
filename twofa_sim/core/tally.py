"""Tallying a run: the blocks of ``results.json`` computed from its scenario entries.

A run (:mod:`twofa_sim.scenario.results`), a killed run's ``results.jsonl`` read back and shard
runs merged (:mod:`twofa_sim.report`) all build ``results.json`` here, so the summary and the
traceability matrix are computed one way, and reading or merging results needs nothing of the
simulation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["SCHEMA_VERSION", "assemble", "requirement_rows"]

SCHEMA_VERSION = 2


def requirement_rows(scenarios: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The traceability matrix: every catalog requirement, the scenarios covering it, and its
    verdict, decided by the checks that prove it in each covering scenario
    (:func:`~twofa_sim.core.verdicts.requirement_verdict`; ``failed`` wins over ``error``,
    ``unsupported``, ``passed`` and ``not_applicable``), ``uncovered`` when none covers it."""
    from twofa_sim.core.requirements import load_catalog
    from twofa_sim.core.verdicts import combine, requirement_verdict

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
