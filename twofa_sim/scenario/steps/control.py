"""Control steps: ``repeat`` (the runner runs its nested steps itself)."""

from __future__ import annotations

from typing import Any

from twofa_sim.scenario.context import Run
from twofa_sim.scenario.steps.spec import StepSpec, step

__all__ = ["STEPS"]


@step(
    "repeat",
    "control",
    "Run steps several times ({i} is the round, from 1): an attacker guessing codes, say.",
    "- repeat:\n"
    "    times: 10\n"
    "    steps:\n"
    "      - submit_code: {factor: totp, code: '00000{i}', expect: rejected}",
    fields={
        "times": {
            "description": "how many rounds: a number, or {policy.NAME} (a number the target's "
            "policy gives, e.g. {policy.max_consecutive_failures})",
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 10000},
                {"type": "string", "pattern": "^\\{policy\\.[A-Za-z0-9_.]+\\}$"},
            ],
        },
        "steps": {"type": "array", "minItems": 1},
    },
    required=("times", "steps"),
)
def repeat(run: Run, args: dict[str, Any]) -> None:
    raise AssertionError("the runner runs repeat itself")  # pragma: no cover


STEPS: tuple[StepSpec, ...] = (repeat,)
