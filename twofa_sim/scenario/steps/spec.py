"""What a step is: :class:`StepSpec` (name, kind, fields, example, implementation) and
:func:`step`, the decorator that turns a function into one.

The decorator registers nothing: each step module lists its steps in ``STEPS`` and
:mod:`twofa_sim.scenario.steps` builds the registry from those lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from twofa_sim.scenario.context import Result, Run
from twofa_sim.scenario.steps.fields import EXPECT

__all__ = ["PROVES", "StepFn", "StepSpec", "step"]

StepFn = Callable[[Run, dict[str, Any]], "Result | None"]

PROVES: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "uniqueItems": True,
    "description": "the requirement IDs (of the scenario's covers) this step's check proves, "
    "instead of those its kind proves by default; [] for a step that proves none",
}
"""The ``proves`` field every step may carry (written as a mapping)."""

KINDS = ("clock", "provider", "user", "service", "expect", "control")
"""Step kinds, in the order ``twofa-sim steps`` lists them; ``user`` and ``service`` steps are
actions (they take ``expect:``)."""


@dataclass(frozen=True)
class StepSpec:
    """One step: its name, kind, fields (JSON Schema each), example and implementation."""

    name: str
    kind: str
    summary: str
    example: str
    fields: Mapping[str, Mapping[str, Any]]
    required: tuple[str, ...]
    shorthand: str | None
    run: StepFn
    action: bool

    def schema(self, *, for_editors: bool = False) -> dict[str, Any]:
        """The JSON Schema of this step's value (a mapping; or its shorthand scalar)."""
        properties = {name: dict(spec) for name, spec in self.fields.items()}
        properties["proves"] = dict(PROVES)
        if self.action:
            properties["expect"] = {"$ref": "#/$defs/expect"} if for_editors else EXPECT
        mapping: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "required": list(self.required),
        }
        if not for_editors:
            return mapping
        alternatives: list[dict[str, Any]] = [mapping]
        if self.shorthand is not None:
            alternatives.append(dict(self.fields[self.shorthand]))
        if not self.required:
            alternatives.append({"type": "null"})
        schema: dict[str, Any] = (
            {"anyOf": alternatives} if len(alternatives) > 1 else alternatives[0]
        )
        schema["description"] = f"{self.summary}\n\nExample:\n{self.example}"
        return schema

    def normalise(self, value: Any) -> Any:
        """Shorthand and empty forms turned into the field mapping. A mapping is the shorthand
        field's value when that field takes mappings and the keys are not the step's fields
        (``- expect: {result: rejected}`` is ``- expect: {that: {result: rejected}}``)."""
        if value is None and not self.required:
            return {}
        if self.shorthand is None:
            return value
        if not isinstance(value, Mapping):
            return {self.shorthand: value}
        if (
            _takes_mapping(self.fields[self.shorthand])
            and self.shorthand not in value
            and not set(value) <= {*self.fields, "proves"}
        ):
            return {self.shorthand: value}
        return value


def _takes_mapping(schema: Mapping[str, Any]) -> bool:
    alternatives = [schema, *schema.get("anyOf", ())]
    return any(a.get("type") == "object" for a in alternatives)


def step(
    name: str,
    kind: str,
    summary: str,
    example: str,
    *,
    fields: Mapping[str, Mapping[str, Any]] | None = None,
    required: tuple[str, ...] = (),
    shorthand: str | None = None,
) -> Callable[[StepFn], StepSpec]:
    """Decorate a step's function: the result is its :class:`StepSpec` (``spec.run`` calls it)."""
    if kind not in KINDS:
        raise ValueError(f"step {name}: unknown kind {kind!r}")

    def make(run: StepFn) -> StepSpec:
        return StepSpec(
            name,
            kind,
            summary,
            example.strip("\n"),
            dict(fields or {}),
            required,
            shorthand,
            run,
            kind in ("user", "service"),
        )

    return make
