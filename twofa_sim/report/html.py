"""report.html: one self-contained page an auditor reads, prints and passes on.

Everything in ``results.json`` that came from scenario files or fakes (titles, SMS text, URIs,
details, tags, even requirement IDs) is untrusted: the template autoescapes every value, links
only ever point inside the page, and the page loads nothing (CSS, script and the QR PNGs are
inlined; a Content-Security-Policy forbids any fetch). The same results give the same bytes.

The run's verdict, the counts, the failing steps and the traceability rows come from
:mod:`twofa_sim.report.model`, as for every other format (the names are kept here too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe

from twofa_sim.report.model import (
    STATUSES,
    TraceRow,
    execution,
    failing_steps,
    location,
    run_verdict,
    scenario_counts,
    scenarios,
    scope,
    traceability,
)

__all__ = ["STATUS_LABELS", "failing_steps", "render_html", "run_verdict", "scenario_counts"]

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "failed": ("Failed", "a covering scenario found the system answering other than it requires"),
    "error": ("Error", "a covering scenario could not run: no finding either way"),
    "unsupported": ("Unsupported", "the target lacks a feature needed to check it"),
    "uncovered": ("Gaps", "testable and in scope, but no scenario covers it"),
    "passed": ("Passed", "every covering scenario's checks of it passed"),
    "not_applicable": (
        "Not applicable",
        "declared so by the scope (its reason shown), or a precondition the target cannot honour",
    ),
    "out_of_scope": ("Out of scope", "a standard or a level the scope does not include"),
}
"""The matrix's groups: (heading, what the group means), in :data:`STATUSES` order."""

# A base64 PNG (QR evidence) is only inlined when it is one: the signature, then base64 alone.
_PNG_BASE64 = re.compile(r"\AiVBORw0KGgo[A-Za-z0-9+/]*={0,2}\Z")
# Policy fields whose numbers are seconds (SecurityPolicy's naming), shown with a readable unit.
_SECONDS = re.compile(r"(ttl|cooldown|duration|cap|window)$")


# --- values shown on the page ---------------------------------------------------------------


def _fragment(value: object) -> str:
    """A value made safe for the part of an in-page link after ``#``."""
    return quote(str(value), safe="-._~:")


def _clock(instant: str) -> tuple[str, str]:
    """(date, time) of an ISO-8601 virtual instant, or the text itself when it is not one."""
    if len(instant) >= 19 and instant[10] == "T":
        return instant[:10], instant[11:19]
    return "", instant


def _epoch(value: object) -> str:
    """A Unix time from evidence as the virtual clock's UTC time of day."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            pass
    return str(value)


def _seq(value: object) -> list[Any]:
    """A list from evidence as it is, anything else as empty (results are input: a field
    that should hold a list may hold a number)."""
    return list(value) if isinstance(value, list | tuple) else []


def _plain(value: object) -> str:
    """Evidence values as text: strings as they are, lists joined, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "—"}[value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "none"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _policy_value(name: str, value: object) -> str:
    text = _plain(value)
    if (
        _SECONDS.search(name)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value >= 60
    ):
        minutes = value / 60
        unit = f"{minutes / 60:g} h" if value % 3600 == 0 else f"{minutes:g} min"
        return f"{value:g} s ({unit})"
    if _SECONDS.search(name) and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g} s"
    return text


def _flatten(prefix: str, value: object) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
    else:
        yield prefix, _policy_value(prefix, value)


def _audit_columns(entries: Sequence[Any]) -> list[str]:
    """The audit table's columns: the usual four first, then any other key, as first seen."""
    columns = ["at", "event", "user", "outcome"]
    for entry in entries:
        if isinstance(entry, Mapping):
            columns += [str(k) for k in entry if str(k) not in columns]
    present = {str(k) for e in entries if isinstance(e, Mapping) for k in e}
    return [c for c in columns if c in present]


def _finding(item: object) -> tuple[str, str]:
    """(severity, text) of a lint finding, either ``"warning rule-id"`` or a dict."""
    if isinstance(item, Mapping):
        severity = str(item.get("severity", "info"))
        text = " ".join(str(item[k]) for k in ("rule", "message") if item.get(k))
        return severity, text or _plain(dict(item))
    severity, _, rest = str(item).partition(" ")
    if severity in ("error", "warning", "info") and rest:
        return severity, rest
    return "info", str(item)


# --- the page ---------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    """Built once: templates compile on first use and stay compiled for every later render."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("twofa_sim.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(
        seq=_seq,
        fragment=_fragment,
        epoch=_epoch,
        plain=_plain,
        finding=_finding,
        audit_columns=_audit_columns,
        css_string=lambda v: markupsafe.Markup(_css_string(v)),
    )
    env.tests["png_base64"] = lambda v: isinstance(v, str) and bool(_PNG_BASE64.match(v))
    return env


@cache
def _asset(name: str) -> str:
    """A stylesheet or script, read once; inlined verbatim (they are ours, not results)."""
    return files("twofa_sim.report").joinpath("templates", name).read_text("utf-8")


def _step_view(step: Mapping[str, Any], first_date: str) -> dict[str, Any]:
    date, time = _clock(str(step.get("t") or ""))
    return {
        "line": step.get("line", ""),
        "action": str(step.get("action", "")),
        "verdict": str(step.get("verdict", "")),
        "t": str(step.get("t") or ""),
        "when": (f"{date} {time}" if date and date != first_date else time) or "—",
        "detail": str(step.get("detail", "")),
        "expected": step.get("expected"),
        "actual": step.get("actual"),
        "evidence": [e for e in step.get("evidence") or [] if isinstance(e, Mapping)],
    }


def _scenario_view(scenario: Mapping[str, Any]) -> dict[str, Any]:
    steps = [s for s in scenario.get("steps") or [] if isinstance(s, Mapping)]
    start = next((str(s["t"]) for s in steps if s.get("t")), "")
    first_date = _clock(start)[0]
    counterexample = scenario.get("counterexample")
    verdict = str(scenario.get("verdict", ""))
    return {
        "id": str(scenario.get("id", "")),
        "title": str(scenario.get("title") or scenario.get("id") or ""),
        "where": location(scenario),
        "tags": [str(t) for t in scenario.get("tags") or []],
        "covers": [str(c) for c in scenario.get("covers") or []],
        "verdict": verdict,
        "seed": scenario.get("seed", ""),
        "detail": str(scenario.get("detail") or ""),
        "examples": scenario.get("examples"),
        "counterexample": None
        if counterexample is None
        else json.dumps(counterexample, indent=2, sort_keys=True, ensure_ascii=False),
        "context": [str(c) for c in scenario.get("context") or []],
        "start": start,
        "steps": [_step_view(s, first_date) for s in steps],
        "failures": [
            {"where": location(scenario, s), **_step_view(s, first_date)}
            for s in failing_steps(scenario)
        ],
        "open": verdict != "passed",
        "drift": _drift_svg(scenario.get("drift")),
    }


def _drift_svg(points: Any) -> dict[str, Any] | None:
    """A drifting phone's clock error at each TOTP code it typed, accepted or refused, as SVG
    geometry (the x axis is the order of the codes; the labels give their dates)."""
    if not isinstance(points, list) or not points:
        return None
    errors = [float(p.get("error_s", 0.0)) for p in points if isinstance(p, Mapping)]
    if not errors:
        return None
    width, height, pad = 640.0, 200.0, 44.0
    low, high = min(0.0, *errors), max(0.0, *errors)
    if high - low < 1e-9:
        high = low + 1.0
    count = len(errors)

    def x(index: int) -> float:
        return round(pad + (index / max(1, count - 1)) * (width - 2 * pad), 2)

    def y(value: float) -> float:
        return round(height - pad - (value - low) / (high - low) * (height - 2 * pad), 2)

    marks: list[dict[str, Any]] = [
        {"x": x(i), "y": y(e), "ok": bool(p.get("accepted")), "t": str(p.get("t", ""))}
        for i, (e, p) in enumerate(zip(errors, points, strict=False))
    ]
    return {
        "width": width,
        "height": height,
        "line": " ".join(f"{m['x']},{m['y']}" for m in marks),
        "marks": marks,
        "y_low": y(low),
        "y_high": y(high),
        "y_zero": y(0.0),
        "low": f"{low:+.0f} s",
        "high": f"{high:+.0f} s",
        "first": str(marks[0]["t"])[:10],
        "last": str(marks[-1]["t"])[:10],
        "refused": sum(1 for m in marks if not m["ok"]),
        "count": count,
        "x0": pad,
        "x1": width - pad,
    }


def _steps(value: object) -> int | None:
    """A window's step count, or None when it is not a whole number >= 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _acceptance_svg(policy: Mapping[str, Any]) -> dict[str, Any] | None:
    """The policy's TOTP acceptance curve (probability against phone clock offset, -150 s to
    +150 s, the exact values of :mod:`twofa_sim.labs.skew`) as SVG geometry for the template."""
    from twofa_sim.labs.skew import acceptance  # plain floats: rendering loads no NumPy

    totp = policy.get("totp")
    if not isinstance(totp, Mapping):
        return None
    back, forward = _steps(totp.get("steps_back")), _steps(totp.get("steps_forward"))
    if back is None or forward is None:
        return None  # no window to draw (results are input: a file may say anything)
    period = 30
    low, high = -150.0, 150.0
    offsets = [low + i for i in range(int(high - low) + 1)]
    values = [acceptance(o, period=period, steps_back=back, steps_forward=forward) for o in offsets]
    width, height, pad = 640.0, 220.0, 40.0

    def x(offset: float) -> float:
        return round(pad + (offset - low) / (high - low) * (width - 2 * pad), 2)

    def y(value: float) -> float:
        return round(height - pad - value * (height - 2 * pad), 2)

    points = " ".join(f"{x(o)},{y(float(v))}" for o, v in zip(offsets, values, strict=True))
    edges = [
        {"x": x(e), "label": f"{e:+g} s"}
        for e in (-(back + 1) * period, -back * period, forward * period, (forward + 1) * period)
        if low <= e <= high
    ]
    ticks = [{"x": x(t), "label": f"{t:+g}" if t else "0"} for t in range(-150, 151, 30)]
    return {
        "width": width,
        "height": height,
        "points": points,
        "edges": edges,
        "ticks": ticks,
        "y0": y(0.0),
        "y1": y(1.0),
        "x0": x(low),
        "x1": x(high),
        "steps_back": back,
        "steps_forward": forward,
        "period": period,
    }


def _view(results: Mapping[str, Any]) -> dict[str, Any]:
    entries = scenarios(results)
    rows = traceability(results)
    matrix = [r for r in rows if (r.testable or r.scenarios) and r.in_scope]
    policy = results.get("policy")
    repro = results.get("reproducibility")
    tags = sorted({t for s in entries for t in map(str, s.get("tags") or [])})
    covered = sorted({c for s in entries for c in map(str, s.get("covers") or [])})
    verdicts = ["passed", "failed", "error"]
    verdicts += sorted({str(s.get("verdict")) for s in entries} - set(verdicts))
    return {
        "verdict": run_verdict(results),
        "counts": scenario_counts(results),
        "target": str(results.get("target", "")),
        "seed": results.get("seed", ""),
        "schema_version": results.get("schema_version", ""),
        "repro": repro if isinstance(repro, Mapping) else None,
        "matrix": matrix,
        "failed_requirements": [r for r in matrix if r.verdict == "failed"],
        "gaps": [r for r in matrix if r.verdict == "uncovered"],
        "not_testable": [r for r in rows if not r.testable and not r.scenarios and r.in_scope],
        "groups": _groups(rows),
        "scope": _scope_view(results),
        "execution": _execution_view(results),
        "shard": results.get("shard") if isinstance(results.get("shard"), Mapping) else None,
        "policy": list(_flatten("", policy)) if isinstance(policy, Mapping) else None,
        "curve": _acceptance_svg(policy) if isinstance(policy, Mapping) else None,
        "scenarios": [_scenario_view(s) for s in entries],
        "filter_verdicts": verdicts,
        "filter_tags": tags,
        "filter_requirements": covered,
        "css": _asset("report.css"),
        "js": _asset("report.js"),
    }


def _css_string(value: object) -> str:
    """Text as a CSS string literal (for ``@page`` margin boxes): everything but letters,
    digits, spaces and a few marks as a CSS escape, so nothing can end the string or the
    style element."""
    out = []
    for char in str(value)[:120]:
        if (char.isalnum() and char.isascii()) or char in " .,:-_()/":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def _groups(rows: Sequence[TraceRow]) -> list[dict[str, Any]]:
    """The matrix's rows by status, in :data:`STATUSES` order (empty groups left out); the
    rows a simulation cannot test, in scope and covered by nothing, are a group of their own,
    last."""
    groups = []
    for status in STATUSES:
        members = [r for r in rows if r.status == status and (r.testable or r.scenarios)]
        if status in ("out_of_scope", "not_applicable"):
            members = [r for r in rows if r.status == status]
        if members:
            heading, meaning = STATUS_LABELS[status]
            groups.append(
                {"status": status, "heading": heading, "meaning": meaning, "rows": members}
            )
    others = {r.status for r in rows} - set(STATUSES)
    for status in sorted(others):
        members = [r for r in rows if r.status == status and (r.testable or r.scenarios)]
        if members:
            groups.append({"status": status, "heading": status, "meaning": "", "rows": members})
    return groups


def _execution_view(results: Mapping[str, Any]) -> dict[str, Any] | None:
    statement = execution(results)
    if statement is None:
        return None
    host = statement.get("host")
    durations = {
        str(s.get("id")): s.get("duration_s")
        for s in _seq(statement.get("scenarios"))
        if isinstance(s, Mapping)
    }
    return {
        "started": str(statement.get("started", "")),
        "finished": str(statement.get("finished", "")),
        "duration_s": statement.get("duration_s"),
        "host": dict(host) if isinstance(host, Mapping) else {},
        "jobs": statement.get("jobs"),
        "between": statement.get("durations") == "between_results",
        "durations": durations,
        "results_sha256": str(statement.get("results_sha256", "")),
        "mismatch": statement.get("matches_results") is False,
    }


def _scope_view(results: Mapping[str, Any]) -> dict[str, Any] | None:
    found = scope(results)
    if found is None:
        return None
    system = found.get("system")
    return {
        "system": dict(system) if isinstance(system, Mapping) else {},
        "standards": [s for s in _seq(found.get("standards")) if isinstance(s, Mapping)],
        "not_applicable": [s for s in _seq(found.get("not_applicable")) if isinstance(s, Mapping)],
        "sign_off": [s for s in _seq(found.get("sign_off")) if isinstance(s, Mapping)],
        "sha256": str(found.get("sha256", "")),
    }


def render_html(
    results: Mapping[str, Any],
    *,
    paper: bool = False,
    pages: Mapping[str, int] | None = None,
) -> str:
    """The whole report.html for a parsed ``results.json``; reads nothing from the network.

    The page shows, in order: the verdict, the reproducibility block, the requirement matrix
    (with gaps and the requirements a simulation cannot test), the policy under test, and
    every scenario with its step timeline and evidence; filters by verdict, tag and
    requirement follow the URL hash (``report.html#verdict=failed&tag=sms``). A run with a
    scope shows it (system under test, standards and levels, what is not applicable and why);
    an execution statement handed in beside the results (``execution``) shows when and where
    the run ran, and each scenario's duration.

    With ``paper`` (what :mod:`twofa_sim.report.pdf` prints) the page is laid out for paper:
    the verdict page, then contents (with the page of each section when ``pages`` gives them,
    by element id), every section open, no script, and a sign-off block with a line per role.
    """
    view = _view(results)
    view.update(paper=paper, pages=dict(pages or {}))
    return _environment().get_template("report.html.j2").render(view)
