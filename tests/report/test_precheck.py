"""The fast check (twofa_sim.report.precheck) gives jsonschema's answer: results it accepts are
results jsonschema accepts, and the other way round, for real results with any field changed."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twofa_sim.report.precheck import compile_check
from twofa_sim.report.schema import results_schema
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all

LIBRARY = Path(__file__).parents[2] / "scenarios"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1.0, -0.0, 2.5, 0.0])
    | st.text(max_size=3)
    | st.sampled_from(["passed", "failed", "error", "skipped", "run", "scenario", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    """Real results of a few scenarios (steps with evidence, a failure against pyotp-naive)."""
    scenarios = load_paths([LIBRARY / "qr"])[:3]
    results = run_all(scenarios, target="pyotp-naive", seed=0).as_dict(run={"complete": True})
    results["reproducibility"] = {
        "twofa_sim": "0.1.0",
        "git": None,
        "python": "3.11",
        "implementation": "cpython",
        "platform": "linux",
        "packages": {"pyotp": None},
        "seed": 0,
        "target": "pyotp-naive",
        "command": "twofa-sim run",
    }
    results["policy"] = None
    return results


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**definitions[node["$ref"].split("/")[-1]], **rest}, definitions)
        return {k: _inline(v, definitions) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_fast_check_and_jsonschema_agree(sample: dict[str, Any], data: st.DataObject) -> None:
    """Change a field anywhere in real results (replace it with any JSON value, or remove a
    key): the fast check says valid exactly when jsonschema does."""
    schema = results_schema()
    check = compile_check(_inline(schema, schema["$defs"]))
    assert check is not None, "results.schema.json uses only what the fast check handles"
    validator = jsonschema.Draft202012Validator(schema)
    changed = copy.deepcopy(sample)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(changed)[1:]))
        parent: Any = changed
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(json_values))
    assert check(changed) == validator.is_valid(changed)


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
