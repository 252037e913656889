"""The report's model of results.json: its shape as types, and what every format reads from it.

``results.schema.json`` says what a run writes; :class:`Results` and the types below say the
same to mypy. What the formats derive from the results is computed here, once, the same way for
report.html, report.md and junit.xml: the run's verdict (:func:`run_verdict`), the counts
(:func:`scenario_counts`), each scenario's failing steps and where they are
(:func:`failing_steps`, :func:`location`), and the traceability rows (:func:`traceability`).

Every function reads a results mapping leniently (a half-written run may lack its summary, its
requirements, or most of a scenario's fields): what to refuse is decided earlier, by the schema
(:mod:`twofa_sim.report.schema`), when results are read from a file.

>>> results = {"run": {"complete": True}, "scenarios": [
...     {"id": "a", "verdict": "passed", "covers": ["R1"]},
...     {"id": "b", "verdict": "failed", "covers": ["R1"], "file": "b.yaml",
...      "steps": [{"line": 7, "verdict": "failed"}]}]}
>>> run_verdict(results), scenario_counts(results)["failed"]
('failed', 1)
>>> [location(s, step) for s in results["scenarios"] for step in failing_steps(s)]
['b.yaml:7']
>>> [(row.id, row.verdict, row.scenarios) for row in traceability(results)]
[('R1', 'failed', (('a', 'passed'), ('b', 'failed')))]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "STATUSES",
    "Counts",
    "Requirement",
    "Results",
    "RunVerdict",
    "Scenario",
    "Step",
    "TraceRow",
    "execution",
    "failing_steps",
    "location",
    "run_verdict",
    "scenario_counts",
    "scenarios",
    "scope",
    "traceability",
]

RunVerdict = Literal["passed", "failed", "incomplete"]
ScenarioVerdict = Literal["passed", "failed", "error", "unsupported", "not_applicable"]
StepVerdict = Literal["passed", "failed", "error", "unsupported", "skipped"]


class Step(TypedDict):
    """One step of a scenario, as results.json holds it."""

    line: int
    action: str
    verdict: StepVerdict
    t: str
    detail: str
    expected: NotRequired[str]
    actual: NotRequired[str]
    evidence: NotRequired[list[dict[str, Any]]]


class Scenario(TypedDict):
    """One scenario's result."""

    id: str
    title: str
    file: str
    line: int
    covers: list[str]
    tags: list[str]
    verdict: ScenarioVerdict
    seed: int | str
    detail: str
    steps: list[Step]
    context: NotRequired[list[str]]
    examples: NotRequired[int]
    counterexample: NotRequired[dict[str, Any]]
    drift: NotRequired[list[dict[str, Any]]]


class Requirement(TypedDict):
    """One row of the requirement catalog as the run traced it (``level``, ``applicability``
    and ``reason`` when the run had a scope: see :mod:`twofa_sim.report.scope`)."""

    id: str
    title: str
    source: str
    testable: bool
    scenarios: list[str]
    verdict: str
    level: NotRequired[str | None]
    applicability: NotRequired[Literal["in_scope", "out_of_scope", "not_applicable"]]
    reason: NotRequired[str]


class Counts(TypedDict):
    """What the verdict section counts."""

    scenarios: int
    passed: int
    failed: int
    errors: int
    unsupported: int
    not_applicable: int
    other: int
    steps: int
    requirements_covered: int
    requirements_testable: int
    requirements_out_of_scope: int
    requirements_not_applicable: int


class Results(TypedDict):
    """results.json, schema version 2 or 1 (``twofa_sim/data/results.schema.json``)."""

    schema_version: Literal[1, 2]
    seed: int
    target: str
    summary: dict[str, int]
    scenarios: list[Scenario]
    requirements: list[Requirement]
    reproducibility: NotRequired[dict[str, Any]]
    policy: NotRequired[dict[str, Any] | None]
    run: NotRequired[dict[str, Any]]
    scope: NotRequired[dict[str, Any]]


STATUSES = (
    "failed",
    "error",
    "unsupported",
    "uncovered",
    "passed",
    "not_applicable",
    "out_of_scope",
)
"""The traceability matrix's groups, in the order every format shows them: what needs action
first, then what passed, then what the scope or the run set aside."""


@dataclass(frozen=True)
class TraceRow:
    """A row of the traceability matrix: a requirement, the scenarios covering it with their
    verdicts, and its own verdict (passed, failed, uncovered, or what the run recorded).

    ``status`` is the row's group in the matrix: ``out_of_scope`` or ``not_applicable`` when
    the run's scope set it aside (``reason`` says why), its verdict otherwise."""

    id: str
    title: str
    source: str
    testable: bool
    scenarios: tuple[tuple[str, str], ...]
    verdict: str
    level: str | None = None
    applicability: str = "in_scope"
    reason: str = ""

    @property
    def status(self) -> str:
        if self.applicability in ("out_of_scope", "not_applicable"):
            return self.applicability
        return self.verdict

    @property
    def in_scope(self) -> bool:
        return self.applicability not in ("out_of_scope", "not_applicable")


def scenarios(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The scenario entries of ``results`` (anything that is not one is left out)."""
    return [s for s in results.get("scenarios") or [] if isinstance(s, Mapping)]


def scenario_counts(results: Mapping[str, Any]) -> Counts:
    """Counts of the scenarios actually in ``results`` (so a half-written run adds up), plus the
    requirement counts of the summary (recomputed from ``requirements`` when it has none)."""
    entries = scenarios(results)
    verdicts = [str(s.get("verdict", "")) for s in entries]
    summary = results.get("summary") or {}
    requirements = [r for r in results.get("requirements") or [] if isinstance(r, Mapping)]
    testable = [r for r in requirements if r.get("testable", True)]
    counts: Counts = {
        "scenarios": len(entries),
        "passed": verdicts.count("passed"),
        "failed": verdicts.count("failed"),
        "errors": verdicts.count("error"),
        "unsupported": verdicts.count("unsupported"),
        "not_applicable": verdicts.count("not_applicable"),
        "other": sum(v not in ("passed", "failed", "error") for v in verdicts),
        "steps": sum(len(s.get("steps") or []) for s in entries),
        "requirements_covered": int(
            summary.get(
                "requirements_covered",
                sum(r.get("verdict") in ("passed", "failed") for r in testable),
            )
        ),
        "requirements_testable": int(summary.get("requirements_testable", len(testable))),
        "requirements_out_of_scope": 0,
        "requirements_not_applicable": 0,
    }
    if scope(results) is not None:
        # With a scope, coverage counts what is in it (the catalog's other items are listed
        # apart, as out of scope or not applicable).
        every = traceability(results)
        testable_ids = {str(q.get("id")) for q in testable}
        counted = [r for r in every if r.id in testable_ids and r.in_scope]
        counts["requirements_testable"] = len(counted)
        counts["requirements_covered"] = sum(1 for r in counted if r.scenarios)
        counts["requirements_out_of_scope"] = sum(r.status == "out_of_scope" for r in every)
        counts["requirements_not_applicable"] = sum(
            r.applicability == "not_applicable" for r in every
        )
    return counts


def scope(results: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The run's scope block (system under test, standards and levels, not-applicable
    declarations, sign-off roles), or None for a run without one."""
    found = results.get("scope")
    return found if isinstance(found, Mapping) else None


def execution(results: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The execution statement (wall-clock start and end, durations, host) a renderer was
    handed beside the results (see :mod:`twofa_sim.report.execution`): never part of
    results.json itself, which stays the same for the same seed."""
    found = results.get("execution")
    return found if isinstance(found, Mapping) else None


def run_verdict(results: Mapping[str, Any]) -> RunVerdict:
    """``incomplete`` for a run that did not finish (``run.complete`` false), else ``failed``
    when any scenario failed or erred, else ``passed`` (unsupported and not applicable
    scenarios are findings the report shows, not failures of the run)."""
    run = results.get("run") or {}
    if run.get("complete") is False:
        return "incomplete"
    if any(
        s.get("verdict") not in ("passed", "unsupported", "not_applicable")
        for s in scenarios(results)
    ):
        return "failed"
    return "passed"


def failing_steps(scenario: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The steps that failed or erred, in order (most scenarios stop at the first)."""
    return [
        step
        for step in scenario.get("steps") or []
        if isinstance(step, Mapping) and step.get("verdict") in ("failed", "error")
    ]


def location(scenario: Mapping[str, Any], step: Mapping[str, Any] | None = None) -> str:
    """``file:line`` of the step (or of the scenario when there is no step)."""
    line = (step or {}).get("line") or scenario.get("line")
    where = str(scenario.get("file") or "?")
    return f"{where}:{line}" if line else where


def _covered_verdict(ids: Sequence[str], verdicts: Mapping[str, str]) -> str:
    if not ids:
        return "uncovered"
    seen = {verdicts.get(i, "failed") for i in ids}
    for verdict in ("failed", "error", "unsupported", "passed", "not_applicable"):
        if verdict in seen:
            return verdict
    return "failed"


def traceability(results: Mapping[str, Any]) -> list[TraceRow]:
    """The catalog's rows as ``results`` gives them, each with its covering scenarios' verdicts,
    plus a row for any ID a scenario covers that the catalog lacks (so every link from a
    scenario lands somewhere)."""
    entries = scenarios(results)
    found_scope = scope(results)
    verdicts = {str(s.get("id")): str(s.get("verdict", "")) for s in entries}
    covering: dict[str, list[str]] = {}
    for s in entries:
        for requirement in s.get("covers") or []:
            covering.setdefault(str(requirement), []).append(str(s.get("id")))
    rows: list[TraceRow] = []
    seen: set[str] = set()
    for item in results.get("requirements") or []:
        if not isinstance(item, Mapping):
            continue
        rid = str(item.get("id", ""))
        seen.add(rid)
        ids = [str(i) for i in item.get("scenarios") or covering.get(rid, [])]
        level = item.get("level")
        applicability, reason = item.get("applicability"), item.get("reason")
        if applicability is None and found_scope is not None:
            from twofa_sim.report.scope import judge  # rows traced again without the scope

            applicability, reason, level = judge(found_scope, rid, str(item.get("source", "")))
        rows.append(
            TraceRow(
                id=rid,
                title=str(item.get("title", "")),
                source=str(item.get("source", "")),
                testable=bool(item.get("testable", True)),
                scenarios=tuple((i, verdicts.get(i, "missing")) for i in ids),
                verdict=str(item.get("verdict") or _covered_verdict(ids, verdicts)),
                level=None if level is None else str(level),
                applicability=str(applicability or "in_scope"),
                reason=str(reason or ""),
            )
        )
    for rid, ids in covering.items():
        if rid not in seen:
            rows.append(
                TraceRow(
                    id=rid,
                    title="(not in the requirement catalog of this run)",
                    source="",
                    testable=True,
                    scenarios=tuple((i, verdicts.get(i, "missing")) for i in ids),
                    verdict=_covered_verdict(ids, verdicts),
                )
            )
    return rows
