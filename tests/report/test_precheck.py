"""The fast check (twofa_sim.report.precheck) gives jsonschema's answer: results it accepts are
results jsonschema accepts, and the other way round, for real results with any field changed;
and whatever the schema accepts, every format renders."""

from __future__ import annotations

import math
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.report.mutate import mutated, sample_results
from twofa_sim.errors import InputError
from twofa_sim.report.html import render_html
from twofa_sim.report.junit import render_junit
from twofa_sim.report.markdown import render_markdown
from twofa_sim.report.precheck import compile_check
from twofa_sim.report.schema import check_results, results_schema

FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # the fixture is module-scoped, not reset


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return sample_results()


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**definitions[node["$ref"].split("/")[-1]], **rest}, definitions)
        return {k: _inline(v, definitions) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


@settings(max_examples=150, suppress_health_check=FIXTURE_OK)
@given(data=st.data())
def test_the_fast_check_and_jsonschema_agree(sample: dict[str, Any], data: st.DataObject) -> None:
    """Change real results anywhere (replace a value with any JSON value, remove a key, add
    one): the fast check says valid exactly when jsonschema does."""
    schema = results_schema()
    check = compile_check(_inline(schema, schema["$defs"]))
    assert check is not None, "results.schema.json uses only what the fast check handles"
    changed = mutated(data, sample)
    assert check(changed) == jsonschema.Draft202012Validator(schema).is_valid(changed)


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.data())
def test_whatever_the_schema_accepts_renders(sample: dict[str, Any], data: st.DataObject) -> None:
    """The schema leaves evidence, the policy and later blocks open: whatever it accepts,
    every format renders (a results file that passed the check is never an internal error)."""
    changed = mutated(data, sample)
    try:
        check_results(changed, where="results.json")
    except InputError:
        return
    for render in (render_html, render_junit, render_markdown):
        assert render(changed)


@pytest.mark.parametrize(
    "evidence",
    [
        {"kind": "audit", "entries": 5},
        {"kind": "qr", "lint": 5},
        {"kind": "notifications", "messages": 5},
        {"kind": "lint", "findings": 5},
    ],
)
def test_evidence_with_a_number_for_a_list_renders(
    sample: dict[str, Any], evidence: dict[str, Any]
) -> None:
    """Found by the property above: an evidence field that should hold a list but holds a
    number was a TypeError in report.html; it now shows as empty."""
    changed = {**sample, "scenarios": [dict(sample["scenarios"][0])]}
    changed["scenarios"][0]["steps"] = [{**sample["scenarios"][0]["steps"][0]}]
    changed["scenarios"][0]["steps"][0]["evidence"] = [evidence]
    check_results(changed, where="results.json")
    assert f'class="ev ev-{evidence["kind"]}"' in render_html(changed)


def test_numbers_follow_json_schema() -> None:
    """Integers accept 2.0 but not True or 2.5; a boolean is never equal to 1."""
    check = compile_check({"type": "integer", "minimum": 0})
    assert check is not None
    assert [check(v) for v in (2, 2.0, True, 2.5, -1, math.inf)] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    one = compile_check({"const": 1})
    assert one is not None and [one(v) for v in (1, 1.0, True, "1")] == [True, True, False, False]
