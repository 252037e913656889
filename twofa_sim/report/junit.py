"""junit.xml: one ``<testcase>`` per scenario, in the shape pytest's ``--junit-xml`` writes.

``<testsuites><testsuite name tests failures errors skipped time><properties/>
<testcase classname name file line time><properties/><failure message>text</failure>
<system-out/></testcase></testsuite></testsuites>``. ``classname`` is the scenario file's path
as dotted parts (``scenarios.account.audit-log``), so CI tools group scenarios by area.
A shard of a run (``run --shard K/N``) says so in the suite's name and in ``shard.*``
properties (index, count, the number of scenarios of the whole run). Suite properties carry the
counts, the whole reproducibility block, the scope (``scope.*``:
the system under test, the standards and levels, each requirement declared not applicable with
its reason, the sign-off roles) and the execution statement (``execution.*``: start, end, host);
each testcase carries its requirement IDs (``covers``, and ``requirements`` comma-separated as
Xray reads them), seed and target. results.json records no wall-clock time: ``time`` comes from
the execution statement when one is handed in beside the results (a run directory's
execution.json), and is 0 otherwise, so the same results give the same bytes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from twofa_sim.report.model import (
    execution,
    failing_steps,
    location,
    run_verdict,
    scenario_counts,
    scope,
)

__all__ = ["render_junit"]

# Characters XML 1.0 cannot carry at all, even escaped: shown as \xNN instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _classname(scenario: Mapping[str, Any]) -> str:
    path = str(scenario.get("file") or "scenarios")
    for suffix in (".scenario.yaml", ".scenario.yml", ".yaml", ".yml"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return ".".join(part for part in path.replace("\\", "/").split("/") if part) or "scenarios"


def _properties(parent: ET.Element, items: Iterable[tuple[str, object]]) -> None:
    element = ET.SubElement(parent, "properties")
    for name, value in items:
        ET.SubElement(element, "property", name=name, value=_text(value))


def _flat(prefix: str, value: object) -> Iterable[tuple[str, object]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flat(f"{prefix}.{key}", inner)
    else:
        yield prefix, value


def _step_line(step: Mapping[str, Any]) -> str:
    line = (
        f"L{step.get('line', '?')} {step.get('t') or '-'} {step.get('action', '')}: "
        f"{str(step.get('verdict', '')).upper()} {step.get('detail', '')}"
    )
    if step.get("verdict") in ("failed", "error") and ("expected" in step or "actual" in step):
        line += (
            f"\n    expected: {step.get('expected', '')}\n    actual:   {step.get('actual', '')}"
        )
    return line


def _failure_text(scenario: Mapping[str, Any], steps: list[Mapping[str, Any]]) -> str:
    parts = [str(scenario.get("detail") or "")]
    for step in steps:
        parts.append(
            f"{location(scenario, step)}: step {step.get('action', '')} "
            f"{step.get('verdict', '')}: {step.get('detail', '')}\n"
            f"  expected: {step.get('expected', '')}\n  actual:   {step.get('actual', '')}"
        )
    if scenario.get("counterexample") is not None:
        example = json.dumps(scenario["counterexample"], sort_keys=True, ensure_ascii=False)
        parts.append(f"smallest counter-example: {example}")
    if scenario.get("context"):
        parts.append(
            "the world's last events:\n" + "\n".join(f"  {c}" for c in scenario["context"])
        )
    return "\n\n".join(p for p in parts if p)


def _seconds(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return f"{value:.3f}"
    return "0.000"


def _scope_items(found: Mapping[str, Any]) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = []
    system = found.get("system")
    if isinstance(system, Mapping):
        items += [(f"scope.system.{key}", value) for key, value in system.items()]
    standards = [s for s in found.get("standards") or [] if isinstance(s, Mapping)]
    items += [(f"scope.standard.{s.get('source', '?')}", s.get("level", "")) for s in standards]
    for item in found.get("not_applicable") or []:
        if isinstance(item, Mapping):
            items.append((f"scope.not_applicable.{item.get('id', '?')}", item.get("reason", "")))
    roles = [s.get("role", "") for s in found.get("sign_off") or [] if isinstance(s, Mapping)]
    if roles:
        items.append(("scope.sign_off", ", ".join(str(r) for r in roles)))
    if found.get("sha256"):
        items.append(("scope.sha256", found["sha256"]))
    return items


def _execution_items(statement: Mapping[str, Any]) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = [
        (f"execution.{key}", statement[key])
        for key in ("started", "finished", "duration_s", "jobs", "durations", "results_sha256")
        if key in statement
    ]
    host = statement.get("host")
    if isinstance(host, Mapping):
        items += _flat("execution.host", host)
    if statement.get("matches_results") is False:
        items.append(("execution.matches_results", False))
    return items


def _testcase(
    suite: ET.Element, scenario: Mapping[str, Any], target: object, seconds: object = None
) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_text(_classname(scenario)),
        name=_text(scenario.get("id", "")),
        file=_text(scenario.get("file", "")),
        line=_text(scenario.get("line", "")),
        time=_seconds(seconds),
    )
    covers = [str(c) for c in scenario.get("covers") or []]
    items: list[tuple[str, object]] = [
        ("title", scenario.get("title", "")),
        ("covers", " ".join(covers)),
        ("requirements", ",".join(covers)),
        ("tags", " ".join(str(t) for t in scenario.get("tags") or [])),
        ("seed", scenario.get("seed", "")),
        ("target", target),
    ]
    if scenario.get("examples") is not None:
        items.append(("examples", scenario["examples"]))
    _properties(case, items)
    verdict = scenario.get("verdict")
    if verdict == "passed":
        return
    steps = failing_steps(scenario)
    first = steps[0] if steps else None
    message = location(scenario, first)
    if first is not None and ("expected" in first or "actual" in first):
        message += f": expected {first.get('expected', '')}, actual {first.get('actual', '')}"
    else:
        message += f": {(first or scenario).get('detail', '')}"
    if verdict in ("failed", "error"):
        tag, kind = ("failure", "AssertionError") if verdict == "failed" else ("error", "Error")
        problem = ET.SubElement(case, tag, message=_text(message), type=kind)
        problem.text = _text(_failure_text(scenario, steps))
    else:
        ET.SubElement(case, "skipped", message=_text(f"verdict {verdict}: {message}"))
    timeline = "\n".join(
        _step_line(s) for s in scenario.get("steps") or [] if isinstance(s, Mapping)
    )
    ET.SubElement(case, "system-out").text = _text(f"{scenario.get('file', '')}\n{timeline}")


def render_junit(results: Mapping[str, Any]) -> str:
    """JUnit XML for a parsed ``results.json``: failures name the failing step's ``file:line``
    with what was expected and what happened; the same results give the same text."""
    counts = scenario_counts(results)
    scenarios = [s for s in results.get("scenarios") or [] if isinstance(s, Mapping)]
    target = results.get("target", "")
    complete = run_verdict(results) != "incomplete"
    statement = execution(results) or {}
    durations = {
        str(s.get("id")): s.get("duration_s")
        for s in statement.get("scenarios") or []
        if isinstance(s, Mapping)
    }
    totals = {
        "tests": str(counts["scenarios"]),
        "failures": str(counts["failed"]),
        "errors": str(counts["errors"]),
        "skipped": str(counts["other"]),
        "time": _seconds(statement.get("duration_s")),
    }
    shard = results.get("shard") if isinstance(results.get("shard"), Mapping) else None
    root = ET.Element("testsuites", {"name": "twofa-sim", **totals})
    name = f"twofa-sim {_text(target)}" + ("" if complete else " (INCOMPLETE)")
    if shard is not None:  # one share of a run: its own suite, not the run's verdict
        name += f" (shard {shard.get('index')}/{shard.get('count')})"
    suite = ET.SubElement(root, "testsuite", {"name": name, **totals})
    items: list[tuple[str, object]] = [
        ("target", target),
        ("seed", results.get("seed", "")),
        ("schema_version", results.get("schema_version", "")),
        ("run.complete", complete),
        *((f"summary.{key}", value) for key, value in counts.items() if key != "other"),
    ]
    if shard is not None:
        selection = shard.get("selection")
        items += [
            ("shard.index", shard.get("index")),
            ("shard.count", shard.get("count")),
            ("shard.of_scenarios", len(selection) if isinstance(selection, list) else ""),
        ]
    repro = results.get("reproducibility")
    if isinstance(repro, Mapping):
        items += _flat("reproducibility", repro)
    found_scope = scope(results)
    if found_scope is not None:
        items += _scope_items(found_scope)
    if statement:
        items += _execution_items(statement)
    _properties(suite, items)
    for scenario in scenarios:
        _testcase(suite, scenario, target, durations.get(str(scenario.get("id"))))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
