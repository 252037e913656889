"""The conformance matrix ``twofa-sim compare`` writes: requirement x target -> verdict.

A matrix is built from one ``results.json`` per target (the same scenarios, the same seed), and
nothing is recomputed: each requirement's verdict for a target is the one that target's run
recorded (:func:`twofa_sim.report.model.traceability`), each scenario's verdict is the
scenario's. What a cell adds is its evidence: the scenarios that decided the verdict and, in
each, the steps that did (:func:`deciders`, from the checks that prove the requirement:
:func:`twofa_sim.core.verdicts.proof_sets`).

Cell verdicts: ``passed``, ``failed``, ``error``, ``unsupported`` (the target lacks a feature a
check needs), ``not_applicable`` (a precondition the target cannot honour) and ``uncovered`` (no
scenario covers the requirement). :meth:`Matrix.as_json` is the ``--json`` document::

    {"targets": [{"name", "versions": {...}}],
     "requirements": [{"id", "title", "source", "verdicts": {TARGET: VERDICT}}],
     "scenarios": [{"id", "verdicts": {TARGET: VERDICT}}]}

Three renderings read the same :class:`Matrix`: :func:`render_matrix_html` (compare.html,
self-contained, in report.html's style), :func:`render_matrix_markdown` (compare.md) and
:func:`render_findings` (the short "how common implementations fare" summary a README embeds,
free of anything that changes from run to run).

>>> a = {"scenarios": [{"id": "s", "verdict": "passed", "covers": ["R"], "steps": []}],
...      "requirements": [{"id": "R", "title": "T", "source": "X", "scenarios": ["s"],
...                        "verdict": "passed"}]}
>>> b = {"scenarios": [{"id": "s", "verdict": "failed", "covers": ["R"], "file": "s.yaml",
...      "steps": [{"line": 4, "action": "login", "verdict": "failed", "detail": "no"}]}],
...      "requirements": [{"id": "R", "title": "T", "source": "X", "scenarios": ["s"],
...                        "verdict": "failed"}]}
>>> m = build_matrix([("a", a), ("b", b)])
>>> m.as_json()["requirements"][0]["verdicts"]
{'a': 'passed', 'b': 'failed'}
>>> [(d.scenario, [s.where for s in d.steps]) for d in m.requirements[0].cells["b"].deciders]
[('s', ['s.yaml:4'])]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote

import jinja2

from twofa_sim.core.verdicts import proof_sets, requirement_verdict
from twofa_sim.errors import InputError
from twofa_sim.report.markdown import escape
from twofa_sim.report.model import location, scenarios, traceability

__all__ = [
    "CELL_VERDICTS",
    "FINDINGS_BEGIN",
    "FINDINGS_END",
    "Cell",
    "Column",
    "Decider",
    "Matrix",
    "Row",
    "StepRef",
    "build_matrix",
    "deciders",
    "embed_findings",
    "render_findings",
    "render_matrix_html",
    "render_matrix_markdown",
]

CELL_VERDICTS = ("passed", "failed", "error", "unsupported", "not_applicable", "uncovered")
"""What a cell may say, in the order the counts list them."""

FINDINGS_BEGIN = "<!-- BEGIN twofa-sim compare findings -->"
FINDINGS_END = "<!-- END twofa-sim compare findings -->"
"""The markers between which ``--findings FILE`` writes the summary (the rest of FILE is kept)."""

_NOT_DECIDING = ("passed", "skipped")


@dataclass(frozen=True)
class StepRef:
    """A step that decided a verdict: where it is and what it saw (never a code or secret: the
    runner's details and evidence summaries do not hold them)."""

    line: int
    action: str
    verdict: str
    where: str
    detail: str
    expected: str | None = None
    actual: str | None = None


@dataclass(frozen=True)
class Decider:
    """One scenario that decided a cell, with its own verdict on it and the deciding steps."""

    scenario: str
    verdict: str
    steps: tuple[StepRef, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Cell:
    """One target's verdict on one row, and what decided it."""

    verdict: str
    deciders: tuple[Decider, ...] = ()


@dataclass(frozen=True)
class Row:
    """A requirement (``source`` is its standard) or a scenario (``source`` is ``file:line``)
    with one cell per target."""

    id: str
    title: str
    source: str
    testable: bool
    cells: Mapping[str, Cell]

    def differs(self) -> bool:
        """The targets do not all agree."""
        return len({c.verdict for c in self.cells.values()}) > 1


@dataclass(frozen=True)
class Column:
    """A target: its name as given, the versions of what it tests, its run's counts and the
    command that reproduces that run alone."""

    name: str
    versions: Mapping[str, str | None]
    declared_versions: bool
    """Whether the versions are the target's own (``versions()``: a third-party
    implementation) rather than twofa-sim's (a built-in target)."""
    scenario_counts: Mapping[str, int]
    requirement_counts: Mapping[str, int]
    command: str = ""
    report: str | None = None
    """The target's own report.html, relative to the matrix's directory."""


@dataclass(frozen=True)
class Matrix:
    """The whole comparison: columns (targets), requirement rows and scenario rows."""

    seed: int | str
    columns: tuple[Column, ...]
    requirements: tuple[Row, ...]
    scenarios: tuple[Row, ...]
    command: str = ""
    notes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Reviewed notes: target → scenario id → what the divergence is (shown with findings)."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` document (exactly the documented keys)."""
        return {
            "targets": [{"name": c.name, "versions": dict(c.versions)} for c in self.columns],
            "requirements": [
                {
                    "id": r.id,
                    "title": r.title,
                    "source": r.source,
                    "verdicts": {n: r.cells[n].verdict for n in self.names},
                }
                for r in self.requirements
            ],
            "scenarios": [
                {"id": r.id, "verdicts": {n: r.cells[n].verdict for n in self.names}}
                for r in self.scenarios
            ],
        }


# --- building -------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _step_ref(scenario: Mapping[str, Any], step: Mapping[str, Any]) -> StepRef:
    return StepRef(
        line=int(step.get("line") or 0),
        action=str(step.get("action", "")).strip(),
        verdict=str(step.get("verdict", "")),
        where=location(scenario, step),
        detail=str(step.get("detail", "")),
        expected=_text(step.get("expected")),
        actual=_text(step.get("actual")),
    )


def _top_steps(scenario: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        s
        for s in scenario.get("steps") or []
        if isinstance(s, Mapping) and not str(s.get("action", "")).startswith("  ")
    ]


def _scenario_steps(scenario: Mapping[str, Any]) -> tuple[StepRef, ...]:
    """The steps that made a scenario other than passed (failed, erred, unsupported)."""
    return tuple(
        _step_ref(scenario, s)
        for s in _top_steps(scenario)
        if str(s.get("verdict", "")) not in _NOT_DECIDING
    )


def deciders(
    requirement: str, covering: Iterable[Mapping[str, Any]], verdict: str
) -> list[Decider]:
    """The covering scenarios whose verdict on ``requirement`` is ``verdict`` (the cell's), each
    with the steps that decided it: the steps proving the requirement that ended so, or, when a
    failure stopped the scenario before they ran, the failure itself."""
    found = []
    for scenario in covering:
        if requirement_verdict(requirement, scenario) != verdict:
            continue
        steps: tuple[StepRef, ...] = ()
        if verdict not in ("passed", "not_applicable") and scenario.get("steps"):
            top = _top_steps(scenario)
            sets = proof_sets([str(s.get("action", "")) for s in top], scenario.get("covers", []))
            steps = tuple(
                _step_ref(scenario, step)
                for step, proves in zip(top, sets, strict=True)
                if requirement in proves and step.get("verdict") == verdict
            ) or _scenario_steps(scenario)
        found.append(
            Decider(
                scenario=str(scenario.get("id", "")),
                verdict=verdict,
                steps=steps,
                detail=str(scenario.get("detail", "")) if not steps else "",
            )
        )
    return found


def _counts(verdicts: Iterable[str]) -> dict[str, int]:
    seen = list(verdicts)
    return {v: seen.count(v) for v in CELL_VERDICTS}


def _versions(results: Mapping[str, Any]) -> tuple[dict[str, str | None], bool]:
    repro = results.get("reproducibility")
    repro = repro if isinstance(repro, Mapping) else {}
    tested = repro.get("target_versions")
    if isinstance(tested, Mapping) and tested:
        return {str(k): _text(v) for k, v in tested.items()}, True
    return {"twofa-sim": _text(repro.get("twofa_sim"))}, False


def build_matrix(
    runs: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    reports: Mapping[str, str] | None = None,
    command: str = "",
    notes: Mapping[str, Mapping[str, str]] | None = None,
) -> Matrix:
    """The matrix of ``runs``: (target name, its results.json), in column order. ``reports``:
    each target's report.html relative to where the matrix is written; ``command``: the compare
    command that reproduces it; ``notes``: reviewed notes per target and scenario."""
    names = [name for name, _ in runs]
    traced = {name: {r.id: r for r in traceability(results)} for name, results in runs}
    entries = {name: {str(s.get("id")): s for s in scenarios(results)} for name, results in runs}
    requirement_ids = list(dict.fromkeys(rid for name in names for rid in traced[name]))
    scenario_ids = list(dict.fromkeys(sid for name in names for sid in entries[name]))

    requirement_rows = []
    for rid in requirement_ids:
        cells: dict[str, Cell] = {}
        first = next(traced[n][rid] for n in names if rid in traced[n])
        for name in names:
            row = traced[name].get(rid)
            if row is None or not row.scenarios:
                cells[name] = Cell("uncovered")
                continue
            covering = [entries[name][sid] for sid, _ in row.scenarios if sid in entries[name]]
            cells[name] = Cell(row.verdict, tuple(deciders(rid, covering, row.verdict)))
        requirement_rows.append(Row(rid, first.title, first.source, first.testable, cells))

    scenario_rows = []
    for sid in scenario_ids:
        cells = {}
        first_entry = next(entries[n][sid] for n in names if sid in entries[n])
        for name in names:
            entry = entries[name].get(sid)
            if entry is None:
                cells[name] = Cell("uncovered")
                continue
            verdict = str(entry.get("verdict", ""))
            steps = () if verdict == "passed" else _scenario_steps(entry)
            detail = "" if verdict == "passed" else str(entry.get("detail", ""))
            cells[name] = Cell(verdict, (Decider(sid, verdict, steps, detail),))
        scenario_rows.append(
            Row(
                sid,
                str(first_entry.get("title") or sid),
                location(first_entry),
                True,
                cells,
            )
        )

    columns = []
    for name, results in runs:
        versions, declared = _versions(results)
        repro = results.get("reproducibility")
        columns.append(
            Column(
                name=name,
                versions=versions,
                declared_versions=declared,
                scenario_counts=_counts(r.cells[name].verdict for r in scenario_rows),
                requirement_counts=_counts(
                    r.cells[name].verdict
                    for r in requirement_rows
                    if r.testable or r.cells[name].verdict != "uncovered"
                ),
                command=str(repro.get("command", "")) if isinstance(repro, Mapping) else "",
                report=(reports or {}).get(name),
            )
        )
    seed = runs[0][1].get("seed", "") if runs else ""
    return Matrix(
        seed=seed,
        columns=tuple(columns),
        requirements=tuple(requirement_rows),
        scenarios=tuple(scenario_rows),
        command=command,
        notes={k: dict(v) for k, v in (notes or {}).items()},
    )


# --- compare.html ---------------------------------------------------------------------------


def _fragment(value: object) -> str:
    return quote(str(value), safe="-._~:")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("twofa_sim.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["fragment"] = _fragment
    return env


@cache
def _css() -> str:
    return files("twofa_sim.report").joinpath("templates", "report.css").read_text("utf-8")


def render_matrix_html(matrix: Matrix) -> str:
    """compare.html: one self-contained page (no fetch: report.html's stylesheet is inlined and
    a Content-Security-Policy forbids loading anything); every value is autoescaped and every
    link points inside the page, or to a target's own report.html beside it."""
    shown = [r for r in matrix.requirements if r.testable or _covered(r)]
    return (
        _environment()
        .get_template("compare.html.j2")
        .render(
            matrix=matrix,
            names=matrix.names,
            requirements=shown,
            differing=[r for r in shown if r.differs()],
            scenarios=matrix.scenarios,
            verdicts=CELL_VERDICTS,
            reports={c.name: c.report for c in matrix.columns if c.report},
            css=_css(),
        )
    )


def _covered(row: Row) -> bool:
    return any(c.verdict != "uncovered" for c in row.cells.values())


# --- compare.md -----------------------------------------------------------------------------

_MARK = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "error": "⚠️ error",
    "unsupported": "🟧 unsupported",
    "not_applicable": "∅ n/a",
    "uncovered": "· uncovered",
}


def _mark(verdict: str) -> str:
    return _MARK.get(verdict, escape(verdict))


def _table(names: Sequence[str], first: Sequence[str]) -> list[str]:
    head = [*first, *(f"`{escape(n)}`" for n in names)]
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]


def _count_rows(matrix: Matrix, kind: str) -> list[str]:
    lines = _table(matrix.names, [kind])
    for verdict in CELL_VERDICTS:
        attr = "scenario_counts" if kind == "scenarios" else "requirement_counts"
        values = [getattr(c, attr).get(verdict, 0) for c in matrix.columns]
        if verdict == "error" and not any(values):
            continue
        lines.append(f"| {verdict} | " + " | ".join(str(v) for v in values) + " |")
    return lines


def _versions_text(column: Column) -> str:
    return ", ".join(
        f"{escape(k)} {escape(v or 'not installed')}" for k, v in column.versions.items()
    )


def _step_text(step: StepRef) -> str:
    if step.expected is not None or step.actual is not None:
        seen = f"expected {step.expected or '—'}; got {step.actual or '—'}"
    else:
        seen = step.detail or step.verdict
    return f"{step.action} at {step.where}: {seen}"


def render_matrix_markdown(matrix: Matrix) -> str:
    """compare.md: the counts, the requirements on which the targets differ, every requirement
    and scenario row, and why each non-passing scenario cell is what it is."""
    out = ["# twofa-sim compare", ""]
    if matrix.command:
        out += ["Reproduce with:", "", "```", matrix.command, "```", ""]
    out += ["## Targets", ""]
    for column in matrix.columns:
        report = f" (report: {escape(column.report)})" if column.report else ""
        out.append(f"- `{escape(column.name)}`: {_versions_text(column)}{report}")
    out += ["", "## Counts", "", *_count_rows(matrix, "scenarios"), ""]
    out += [*_count_rows(matrix, "requirements"), ""]
    shown = [r for r in matrix.requirements if r.testable or _covered(r)]
    out += ["## Requirements", "", *_table(matrix.names, ["requirement", "source", "summary"])]
    for row in shown:
        cells = [_mark(row.cells[n].verdict) for n in matrix.names]
        out.append(
            f"| {escape(row.id)} | {escape(row.source)} | {escape(row.title)} | "
            + " | ".join(cells)
            + " |"
        )
    out += ["", "## Scenarios", "", *_table(matrix.names, ["scenario", "file"])]
    for row in matrix.scenarios:
        cells = [_mark(row.cells[n].verdict) for n in matrix.names]
        out.append(f"| {escape(row.id)} | {escape(row.source)} | " + " | ".join(cells) + " |")
    out += ["", "## Why each scenario did not pass", ""]
    for column in matrix.columns:
        rows = [r for r in matrix.scenarios if r.cells[column.name].verdict != "passed"]
        out.append(f"### `{escape(column.name)}`: {len(rows)} not passed")
        out.append("")
        for row in rows:
            cell = row.cells[column.name]
            decider = cell.deciders[0] if cell.deciders else Decider(row.id, cell.verdict)
            why = "; ".join(_step_text(s) for s in decider.steps[:3]) or decider.detail
            out.append(f"- {cell.verdict}: **{escape(row.id)}**: {escape(why)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- the findings summary (README) ----------------------------------------------------------

_FEATURE = re.compile(r"does not provide (\w[\w-]*)")


def _feature(decider: Decider) -> str:
    for text in [decider.detail, *(s.detail for s in decider.steps)]:
        match = _FEATURE.search(text)
        if match:
            return match.group(1)
    return "other"


def _why_not_applicable(detail: str) -> str:
    text = re.sub(r"^target \S+ ", "", detail.split(";")[0]).strip()
    return text or "a precondition it cannot honour"


def _cited(rows: Iterable[Row], name: str, scenario: str, verdict: str) -> list[Row]:
    return [
        r
        for r in rows
        if r.cells[name].verdict == verdict
        and any(d.scenario == scenario for d in r.cells[name].deciders)
    ]


def _citation(row: Row) -> str:
    return f"{escape(row.id)} ({escape(row.title)})"


def _code(text: str) -> str:
    """A code span for an identifier or a location (backticks in it are dropped)."""
    return f"`{' '.join(text.replace('`', '').split())}`"


def _seen(cell: Cell) -> str:
    decider = cell.deciders[0] if cell.deciders else None
    if decider is None:
        return ""
    failing = [s for s in decider.steps if s.verdict == cell.verdict] or list(decider.steps)
    if not failing:
        return escape(decider.detail)
    parts = []
    for step in failing[:3]:
        if step.expected is not None or step.actual is not None:
            seen = f"expected {escape(step.expected or '—')}, got {escape(step.actual or '—')}"
        else:
            seen = escape(step.detail or step.verdict)
        parts.append(f"{_code(step.action)} at {_code(step.where)}: {seen}")
    return "; ".join(parts)


def render_findings(matrix: Matrix, *, regenerate: str, detail: Iterable[str] | None = None) -> str:
    """The README's "how common implementations fare": the counts of every target, then for
    each target in ``detail`` (default: those testing a third-party implementation, which
    declare their versions) its divergences (failed scenarios: the behaviour seen, where, and
    the requirements it breaks), the features it lacks and what it could not be asked.
    Deterministic: no date, no commit, no twofa-sim version, so the same code and the same
    installed implementations give the same text. ``regenerate``: the one command that writes
    it again."""
    detailed = (
        {c.name for c in matrix.columns if c.declared_versions} if detail is None else set(detail)
    )
    out = [
        FINDINGS_BEGIN,
        "<!-- Generated: do not edit by hand; regenerate with the command below. -->",
        "",
        f"Generated by {_code(regenerate)} (seed {matrix.seed}, "
        f"{len(matrix.scenarios)} scenarios).",
        "",
    ]
    out += _table(matrix.names, ["scenarios"])[:2]
    for verdict in CELL_VERDICTS:
        values = [c.scenario_counts.get(verdict, 0) for c in matrix.columns]
        if verdict == "uncovered" or (verdict == "error" and not any(values)):
            continue
        out.append(f"| {verdict} | " + " | ".join(str(v) for v in values) + " |")
    out.append("")
    out += _table(matrix.names, ["testable requirements"])[:2]
    for verdict in CELL_VERDICTS:
        values = [c.requirement_counts.get(verdict, 0) for c in matrix.columns]
        if verdict == "error" and not any(values):
            continue
        out.append(f"| {verdict} | " + " | ".join(str(v) for v in values) + " |")
    out.append("")
    plain = [c.name for c in matrix.columns if c.name not in detailed]
    if plain:
        out += [
            "Not detailed below (built-in targets, shown for scale): "
            + ", ".join(_code(n) for n in plain)
            + "; the command's compare.html and compare.md have every target's detail.",
            "",
        ]
    for column in matrix.columns:
        name = column.name
        if name not in detailed:
            continue
        tested = f" ({_versions_text(column)})" if column.declared_versions else ""
        out += [f"#### `{escape(name)}`{tested}", ""]
        rows = {
            v: [r for r in matrix.scenarios if r.cells[name].verdict == v] for v in CELL_VERDICTS
        }
        if len(rows["passed"]) == len(matrix.scenarios):
            out += [f"Passes all {len(matrix.scenarios)} scenarios.", ""]
            continue
        notes = matrix.notes.get(name, {})
        for verdict, heading in (("failed", "Divergences"), ("error", "Errors (harness)")):
            if not rows[verdict]:
                continue
            out += [f"{heading} ({len(rows[verdict])} scenarios failed):", ""]
            for row in rows[verdict]:
                cell = row.cells[name]
                broken = _cited(matrix.requirements, name, row.id, verdict)
                cites = "; ".join(_citation(r) for r in broken) or "no requirement cited"
                out.append(f"- **{escape(row.title)}** ({_code(row.id)}): {_seen(cell)}.")
                out.append(f"  Breaks: {cites}.")
                if row.id in notes:
                    out.append(f"  Reviewed: {escape(notes[row.id])}")
            out.append("")
        if rows["unsupported"]:
            features: dict[str, list[str]] = {}
            for row in rows["unsupported"]:
                cell = row.cells[name]
                feature = _feature(cell.deciders[0]) if cell.deciders else "other"
                features.setdefault(feature, []).append(row.id)
            lacks = [
                f"{escape(f)} ({len(ids)}: " + ", ".join(_code(i) for i in ids) + ")"
                for f, ids in sorted(features.items())
            ]
            unsupported = [
                r.id for r in matrix.requirements if r.cells[name].verdict == "unsupported"
            ]
            out.append(
                f"Missing features ({len(rows['unsupported'])} scenarios unsupported): "
                + "; ".join(lacks)
                + "."
            )
            if unsupported:
                out.append(
                    "Requirements left unsupported: "
                    + ", ".join(escape(i) for i in unsupported)
                    + "."
                )
            out.append("")
        if rows["not_applicable"]:
            reasons: dict[str, int] = {}
            for row in rows["not_applicable"]:
                cell = row.cells[name]
                detail = cell.deciders[0].detail if cell.deciders else ""
                why = _why_not_applicable(detail)
                reasons[why] = reasons.get(why, 0) + 1
            out.append(
                f"Not applicable ({len(rows['not_applicable'])} scenarios): "
                + "; ".join(f"{escape(w)} ({n})" for w, n in sorted(reasons.items()))
                + "."
            )
            out.append("")
    out.append(FINDINGS_END)
    return "\n".join(out) + "\n"


def embed_findings(document: str, findings: str, *, where: str = "--findings") -> str:
    """``document`` with the block between its marker lines replaced by ``findings`` (which
    carries the markers); the whole of ``findings`` when ``document`` has no marker line. A
    marker counts only alone on its line (the README may name the markers in its prose); a
    document with one marker line but not the other, or with more than one block, is refused
    rather than overwritten.

    """
    lines = document.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == FINDINGS_BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == FINDINGS_END]
    if not begins and not ends:
        return findings
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise InputError(
            f"{len(begins)} begin and {len(ends)} end marker line(s), not one block",
            where=where,
            hint=f"one line {FINDINGS_BEGIN!r}, later one line {FINDINGS_END!r}",
        )
    head, tail = "".join(lines[: begins[0]]), "".join(lines[ends[0] + 1 :])
    return head + findings.rstrip("\n") + "\n" + tail
