"""junit.xml: one ``<testcase>`` per scenario, in the shape pytest's ``--junit-xml`` writes.

``<testsuites><testsuite name tests failures errors skipped time><properties/>
<testcase classname name file line time><properties/><failure message>text</failure>
<system-out/></testcase></testsuite></testsuites>``. ``classname`` is the scenario file's path
as dotted parts (``scenarios.account.audit-log``), so CI tools group scenarios by area.
Suite properties carry the counts and the whole reproducibility block; each testcase carries
its requirement IDs (``covers``, and ``requirements`` comma-separated as Xray reads them), seed
and target. Nothing records wall-clock time, so ``time`` is 0 and the same results give the
same bytes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from twofa_sim.report.model import failing_steps, location, run_verdict, scenario_counts

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


def _testcase(suite: ET.Element, scenario: Mapping[str, Any], target: object) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_text(_classname(scenario)),
        name=_text(scenario.get("id", "")),
        file=_text(scenario.get("file", "")),
        line=_text(scenario.get("line", "")),
        time="0.000",
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
    totals = {
        "tests": str(counts["scenarios"]),
        "failures": str(counts["failed"]),
        "errors": str(counts["errors"]),
        "skipped": str(counts["other"]),
        "time": "0.000",
    }
    root = ET.Element("testsuites", {"name": "twofa-sim", **totals})
    name = f"twofa-sim {_text(target)}" + ("" if complete else " (INCOMPLETE)")
    suite = ET.SubElement(root, "testsuite", {"name": name, **totals})
    items: list[tuple[str, object]] = [
        ("target", target),
        ("seed", results.get("seed", "")),
        ("schema_version", results.get("schema_version", "")),
        ("run.complete", complete),
        *((f"summary.{key}", value) for key, value in counts.items() if key != "other"),
    ]
    repro = results.get("reproducibility")
    if isinstance(repro, Mapping):
        items += _flat("reproducibility", repro)
    _properties(suite, items)
    for scenario in scenarios:
        _testcase(suite, scenario, target)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
