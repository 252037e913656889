"""Real results with fields changed at random, for the report's property tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

LIBRARY = Path(__file__).parents[2] / "scenarios"
KEYS = ["kind", "png", "uri", "lint", "entries", "at", "t", "error_s", "accepted", "totp"]
KEYS += ["steps_back", "steps_forward", "drift", "policy", "counterexample", "examples"]
KEYS += ["context", "evidence", "expected", "actual", "run", "complete", "verdict", "covers"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from([1.0, -0.0, 2.5, 0.0, 1e308])
    | st.text(max_size=3)
    | st.sampled_from(["passed", "failed", "error", "skipped", "run", "scenario", "qr", "sms"])
    | st.sampled_from(["audit", "iVBORw0KGgo", "<b>", ""]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3) | st.sampled_from(KEYS), inner)
    ),
    max_leaves=6,
)


def sample_results() -> dict[str, Any]:
    """Real results of a few scenarios (QR evidence, a clock drift chart, a failure against
    pyotp-naive) with a reproducibility block and a policy."""
    from twofa_sim.scenario.loader import load_paths, load_scenarios
    from twofa_sim.scenario.results import run_all

    scenarios = load_paths([LIBRARY / "qr"])[:3]
    scenarios += load_scenarios(LIBRARY / "clock" / "drift-untracked.scenario.yaml")
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
    results["policy"] = {"totp": {"steps_back": 1, "steps_forward": 1}, "sms_code_ttl": 600}
    return results


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``value`` (the root's is ``()``)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


def mutated(data: st.DataObject, sample: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``sample`` with one to three changes: a value replaced by any JSON value, a
    key removed, or a key (one the report reads, or any) added; half of them inside evidence
    or the policy, which the schema leaves open."""
    changed = copy.deepcopy(sample)
    for _ in range(data.draw(st.integers(1, 3))):
        everywhere = paths(changed)[1:]
        # Half the time inside evidence and the policy: the parts the schema leaves open.
        open_parts = [p for p in everywhere if "evidence" in p[:-1] or p[:1] == ("policy",)]
        focus = open_parts if open_parts and data.draw(st.booleans()) else everywhere
        path = data.draw(st.sampled_from(focus))
        parent: Any = changed
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "remove", "add"]))
        if isinstance(parent, dict) and action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict) and action == "add":
            key = data.draw(st.sampled_from(KEYS) | st.text(max_size=3))
            parent[key] = copy.deepcopy(data.draw(json_values))
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(json_values))
    return changed
