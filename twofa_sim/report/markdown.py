"""report.md: the short summary a pull request or a ticket gets.

Every value from ``results.json`` is untrusted text: :func:`escape` turns it into Markdown that
shows the text and nothing else (no HTML, no link, no table cell break, no new block), and the
reproduce command sits in a fence longer than any backtick run inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from twofa_sim.report.model import (
    execution,
    failing_steps,
    location,
    run_verdict,
    scenario_counts,
    scope,
    traceability,
)

__all__ = ["escape", "render_markdown"]

MAX_FAILED = 20
"""Failed scenarios listed before "and N more"; report.html has them all."""
MAX_REQUIREMENTS = 30
"""Failed requirements listed before "and N more"."""
MAX_GAPS = 250
"""Gaps listed by ID before "and N more" (more than the catalog holds: all of them)."""

_HEADLINE = {
    "passed": "✅ PASSED",
    "failed": "❌ FAILED",
    "incomplete": "⚠️ INCOMPLETE",
}
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# markup mid-line (emphasis, code, links, images, HTML, entities, table cells, autolinked
# e-mail addresses). Line-start markers cannot matter: untrusted text never starts a line.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&@$])")
_WWW = re.compile(r"(?i)\b(www)\.")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: object) -> str:
    r"""Untrusted text as Markdown that renders as exactly that text, on one line.

    >>> escape("<script>alert(1)</script> | [x](https://evil.example)")
    '\\<script\\>alert\\(1\\)\\</script\\> \\| \\[x\\]\\(https\\://evil.example\\)'
    """
    flat = " ".join(_CONTROL.sub(" ", str(text)).split())
    escaped = _SPECIAL.sub(r"\\\1", flat)
    # GitHub autolinks bare URLs and www. names; an escaped ':' or '.' stops it.
    escaped = escaped.replace("://", "\\://")
    return _WWW.sub(r"\1\\.", escaped)


def _fence(text: str) -> str:
    runs = [len(m) for m in re.findall(r"`+", text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure_row(scenario: Mapping[str, Any]) -> str:
    steps = failing_steps(scenario)
    step = steps[0] if steps else None
    expected = "" if step is None else str(step.get("expected", ""))
    actual = str(scenario.get("detail", "")) if step is None else str(step.get("actual", ""))
    if step is not None and not expected and not actual:
        actual = str(step.get("detail", ""))
    cells = [
        f"**{escape(scenario.get('id', ''))}**: {escape(_cut(str(scenario.get('title', ''))))}",
        escape(location(scenario, step)),
        escape(_cut(expected)),
        escape(_cut(actual)),
    ]
    return "| " + " | ".join(cells) + " |"


def _environment_line(repro: Mapping[str, Any]) -> str:
    parts = [f"twofa-sim {escape(repro.get('twofa_sim') or '?')}"]
    git = repro.get("git")
    if isinstance(git, Mapping) and git.get("commit"):
        state = "with uncommitted changes" if git.get("dirty") else "clean"
        parts.append(f"scenarios at commit {escape(str(git['commit'])[:12])} ({state})")
    else:
        parts.append("scenarios not in git")
    parts.append(f"Python {escape(repro.get('python', '?'))}")
    parts.append(escape(repro.get("platform", "?")))
    tested = repro.get("target_versions")
    if isinstance(tested, Mapping) and tested:
        shown = ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in sorted(tested.items()))
        parts.append(f"system under test: {shown}")
    return " · ".join(parts)


def _ids(ids: list[str], limit: int = MAX_REQUIREMENTS) -> str:
    """Requirement IDs, escaped (never in a code span, which a backtick could close), at most
    :data:`MAX_REQUIREMENTS`, then "and N more"."""
    shown = ", ".join(escape(i) for i in ids[:limit])
    more = len(ids) - limit
    return shown + (f", and {more} more (report.html lists them all)" if more > 0 else "")


def _scope_lines(found: Mapping[str, Any]) -> list[str]:
    system = found.get("system")
    system = system if isinstance(system, Mapping) else {}
    who = f"{escape(system.get('name', '?'))} {escape(system.get('version', ''))}".strip()
    extra = [escape(system[k]) for k in ("environment", "owner") if system.get(k)]
    standards = [
        f"{escape(s.get('source', '?'))}"
        + ("" if s.get("level") in (None, "all") else f" {escape(s.get('level'))}")
        for s in found.get("standards") or []
        if isinstance(s, Mapping)
    ]
    lines = [f"- System under test: **{who}**" + (f" ({', '.join(extra)})" if extra else "")]
    lines.append(f"- In scope: {', '.join(standards) or 'nothing'}")
    return lines


def _execution_line(statement: Mapping[str, Any]) -> str:
    host = statement.get("host")
    name = host.get("name", "?") if isinstance(host, Mapping) else "?"
    duration = statement.get("duration_s")
    took = f", {duration:.1f} s" if isinstance(duration, int | float) else ""
    line = (
        f"- Ran {escape(statement.get('started', '?'))} to "
        f"{escape(statement.get('finished', '?'))} UTC on {escape(name)}{took}"
    )
    if statement.get("matches_results") is False:
        line += " (**this execution statement is for another results.json**)"
    return line


def render_markdown(results: Mapping[str, Any]) -> str:
    """A short Markdown summary: verdict, counts, target, seed and command, the system under
    test and the standards in scope when the run had a scope, when and where it ran, the failed
    scenarios (at most :data:`MAX_FAILED`, then "and N more"), and the failed requirements and
    the gaps by ID (requirements out of scope or declared not applicable are not gaps)."""
    verdict = run_verdict(results)
    counts = scenario_counts(results)
    scenarios = [s for s in results.get("scenarios") or [] if isinstance(s, Mapping)]
    repro = results.get("reproducibility")
    repro = repro if isinstance(repro, Mapping) else {}
    rows = [r for r in traceability(results) if r.in_scope]
    failed_reqs = [r.id for r in rows if r.verdict == "failed"]
    gaps = [r.id for r in rows if r.testable and r.verdict == "uncovered"]
    not_passed = [s for s in scenarios if s.get("verdict") != "passed"]
    found_scope = scope(results)
    statement = execution(results)

    lines = [f"## {_HEADLINE[verdict]}: twofa-sim against {escape(results.get('target', '?'))}", ""]
    if verdict == "incomplete":
        lines += [
            f"> **This run did not finish**: only the {counts['scenarios']} scenarios that did "
            "are counted below; re-run for a verdict.",
            "",
        ]
    shard = results.get("shard")
    if isinstance(shard, Mapping):
        lines += [
            f"> **Shard {shard.get('index')}/{shard.get('count')} of a run**: "
            f"{counts['scenarios']} of the {len(shard.get('selection') or [])} scenarios chosen "
            "ran here; `twofa-sim report merge` joins the shards into the whole run.",
            "",
        ]
    tally = (
        f"**{counts['passed']} passed**, **{counts['failed']} failed**, "
        f"{counts['errors']} errors"
        + (f", {counts['unsupported']} unsupported" if counts["unsupported"] else "")
        + (f", {counts['not_applicable']} not applicable" if counts["not_applicable"] else "")
        + f" of {counts['scenarios']} scenarios ({counts['steps']} steps)"
    )
    lines += [
        tally,
        "",
        f"- Requirements: {counts['requirements_covered']} of "
        f"{counts['requirements_testable']} testable{' in scope' if found_scope else ''} "
        f"covered; {len(failed_reqs)} failed, {len(gaps)} gaps (testable, no scenario)"
        + (
            f"; {counts['requirements_out_of_scope']} out of scope, "
            f"{counts['requirements_not_applicable']} declared not applicable"
            if found_scope
            else ""
        ),
        f"- Target {escape(results.get('target', '?'))}, seed {escape(results.get('seed', '?'))}",
    ]
    if found_scope:
        lines[-2:-2] = _scope_lines(found_scope)
    if statement:
        lines.append(_execution_line(statement))
    if repro:
        lines.append(f"- {_environment_line(repro)}")
    command = str(repro.get("command", "")).replace("\r", " ")
    if command:
        fence = _fence(command)
        lines += ["", "Reproduce:", "", f"{fence}console", command, fence]
    if not_passed:
        lines += [
            "",
            f"### Did not pass ({len(not_passed)})",
            "",
            "| Scenario | Where | Expected | Actual |",
            "|---|---|---|---|",
        ]
        lines += [_failure_row(s) for s in not_passed[:MAX_FAILED]]
        if len(not_passed) > MAX_FAILED:
            lines += ["", f"…and {len(not_passed) - MAX_FAILED} more: see report.html."]
    if failed_reqs:
        lines += ["", f"### Requirements failed ({len(failed_reqs)})", "", _ids(failed_reqs)]
    if gaps:
        lines += [
            "",
            f"### Requirement gaps ({len(gaps)}): testable"
            + (" and in scope" if found_scope else "")
            + ", no scenario covers them",
            "",
            _ids(gaps, MAX_GAPS),
        ]
    declared = [
        item
        for item in (found_scope or {}).get("not_applicable") or []
        if isinstance(item, Mapping)
    ]
    if declared:
        lines += ["", f"### Declared not applicable ({len(declared)})", ""]
        lines += [f"- {escape(i.get('id', '?'))}: {escape(i.get('reason', ''))}" for i in declared]
    lines += ["", "Full evidence, traceability matrix and timelines: report.html.", ""]
    return "\n".join(lines)
