"""The step library: every step a scenario may write, its fields, an example, and what it does.

A step is a one-key mapping, ``- name: fields`` (``- advance: 30s`` for the steps that take one
value). Actions (``kind`` ``user`` and ``service``) accept ``expect:`` (see :data:`EXPECT`);
without it an action must succeed. ``twofa-sim steps`` prints this library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from twofa_sim.core.clock import format_duration, parse_duration, parse_instant
from twofa_sim.errors import StepError, StepFailed
from twofa_sim.scenario.context import (
    Result,
    Run,
)
from twofa_sim.scenario.target import REASONS

__all__ = ["EXPECT", "EXPECT_WORDS", "REGISTRY", "StepSpec", "check_expect"]

StepFn = Callable[[Run, dict[str, Any]], "Result | None"]
_F = TypeVar("_F", bound=Callable[..., Any])

DURATION: dict[str, Any] = {
    "type": ["string", "number"],
    "description": "a duration: 30s, 5m, 1h30m, 250ms, or seconds; negative moves back",
}
USER: dict[str, Any] = {"type": "string", "description": "a user from given.users"}
PHONE: dict[str, Any] = {"type": "string", "description": "a phone number from given.phones"}
APP: dict[str, Any] = {
    "type": "string",
    "description": "an app on the phone: google-authenticator, authy, freeotp or a profile id",
}
CODE: dict[str, Any] = {
    "type": ["string", "integer"],
    "description": "what the user types; omit it to type what the user's phone shows",
}
CAPTURE: dict[str, Any] = {
    "type": "string",
    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
    "description": "save the value as {name} for later steps",
}
FACTOR: dict[str, Any] = {"enum": ["totp", "sms", "authy-app", "authy-push", "recovery"]}
LOGIN_STATUS = ("logged_in", "second_factor", "refused")
EXPECT_WORDS: tuple[str, ...] = ("accepted", "rejected", *LOGIN_STATUS, *REASONS)
EXPECT: dict[str, Any] = {
    "description": "accepted, rejected, a reason (replayed, locked, ...) or a mapping",
    "anyOf": [
        {"enum": list(dict.fromkeys(EXPECT_WORDS))},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "result": {"enum": ["accepted", "rejected"]},
                "reason": {"enum": list(REASONS)},
                "status": {"enum": list(LOGIN_STATUS)},
                "retry_after": DURATION,
                "ignored": {"type": "array", "items": {"type": "string"}},
            },
        },
    ],
}


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
        """Shorthand and empty forms turned into the field mapping."""
        if value is None and not self.required:
            return {}
        if self.shorthand is not None and not isinstance(value, Mapping):
            return {self.shorthand: value}
        return value


REGISTRY: dict[str, StepSpec] = {}


def step(
    name: str,
    kind: str,
    summary: str,
    example: str,
    *,
    fields: Mapping[str, Mapping[str, Any]] | None = None,
    required: tuple[str, ...] = (),
    shorthand: str | None = None,
) -> Callable[[_F], _F]:
    def register(run: _F) -> _F:
        REGISTRY[name] = StepSpec(
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
        return run

    return register


def check_expect(expected: Any, result: Result) -> None:
    """Raise :class:`StepFailed` unless ``result`` is what ``expected`` says."""
    actual = result.describe()
    if isinstance(expected, str):
        if expected == "accepted":
            good = result.ok
        elif expected == "rejected":
            good = not result.ok
        elif expected in LOGIN_STATUS:
            good = result.status == expected
        else:
            good = not result.ok and result.reason == expected
        if not good:
            raise StepFailed(f"expected {expected}, got {actual}", expected=expected, actual=actual)
        return
    wanted: list[str] = []
    problems: list[str] = []
    if "result" in expected:
        wanted.append(expected["result"])
        if result.ok != (expected["result"] == "accepted"):
            problems.append("result")
    if "reason" in expected:
        wanted.append(f"reason {expected['reason']}")
        if result.reason != expected["reason"]:
            problems.append("reason")
    if "status" in expected:
        wanted.append(f"status {expected['status']}")
        if result.status != expected["status"]:
            problems.append("status")
    if "retry_after" in expected:
        limit = parse_duration(expected["retry_after"])
        wanted.append(f"retry after {format_duration(limit)}")
        if result.retry_after is None or abs(result.retry_after - limit) > 1e-6:
            problems.append("retry_after")
    if "ignored" in expected:
        wanted.append(f"ignores {', '.join(expected['ignored']) or 'nothing'}")
        if sorted(result.data.get("ignored", ())) != sorted(expected["ignored"]):
            problems.append("ignored")
            actual += f", ignores {', '.join(result.data.get('ignored', ())) or 'nothing'}"
    if problems:
        text = ", ".join(wanted)
        raise StepFailed(f"expected {text}, got {actual}", expected=text, actual=actual)


# --- clock ------------------------------------------------------------------------------------


@step(
    "advance",
    "clock",
    "Move the virtual clock (and every phone's) forward.",
    "- advance: 30s",
    fields={"by": DURATION},
    required=("by",),
    shorthand="by",
)
def _advance(run: Run, args: dict[str, Any]) -> None:
    by = parse_duration(args["by"])
    if by < 0:
        raise StepError("advance moves forward; use set_time to go back")
    run.world.advance(by)


@step(
    "set_time",
    "clock",
    "Set the virtual clock to an instant (ISO 8601 or Unix seconds).",
    "- set_time: 2026-03-01T09:00:00Z",
    fields={"to": {"type": ["string", "number"]}},
    required=("to",),
    shorthand="to",
)
def _set_time(run: Run, args: dict[str, Any]) -> None:
    run.world.clock.set(parse_instant(args["to"]))


@step(
    "set_device_clock",
    "clock",
    "Change how wrong a phone's clock is from now on: its offset and/or drift.",
    "- set_device_clock: {phone: '+15551230001', offset: 40s, drift_ppm: 20}",
    fields={"phone": PHONE, "offset": DURATION, "drift_ppm": {"type": "number"}},
)
def _set_device_clock(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.core.clock import DeviceClock

    phone = run.phone(args)
    clock = cast(DeviceClock, phone.clock)
    now = run.world.now()
    clock.offset = parse_duration(args["offset"]) if "offset" in args else clock.error()
    clock.reference = now
    if "drift_ppm" in args:
        clock.drift_ppm = float(args["drift_ppm"])


# --- providers --------------------------------------------------------------------------------

_PROVIDER = {"enum": ["twilio", "authy"]}


@step(
    "provider_fault",
    "provider",
    "Make a provider fail: http_500, http_503, rate_limit (429), timeout (the work is done, "
    "the answer lost), connection_error, or latency; for a while, a number of times, or until "
    "provider_recover.",
    "- provider_fault: {provider: twilio, kind: http_500, times: 1}",
    fields={
        "provider": _PROVIDER,
        "kind": {
            "enum": ["http_500", "http_503", "rate_limit", "timeout", "connection_error", "latency"]
        },
        "times": {"type": "integer", "minimum": 1},
        "for": DURATION,
        "endpoint": {"type": "string"},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "seconds": {"type": "number", "exclusiveMinimum": 0},
    },
    required=("provider", "kind"),
)
def _provider_fault(run: Run, args: dict[str, Any]) -> None:
    service = run.world.twilio if args["provider"] == "twilio" else run.world.authy
    until = run.world.now() + parse_duration(args["for"]) if "for" in args else None
    service.faults.add(
        args["kind"],
        endpoint=args.get("endpoint"),
        until=until,
        probability=float(args.get("probability", 1.0)),
        times=args.get("times"),
        seconds=float(args.get("seconds", 0.0)),
    )


@step(
    "provider_recover",
    "provider",
    "Clear every fault of one provider (or of both).",
    "- provider_recover: twilio",
    fields={"provider": _PROVIDER},
    shorthand="provider",
)
def _provider_recover(run: Run, args: dict[str, Any]) -> None:
    for service in run.world.services:
        if args.get("provider") in (None, service.name):
            service.faults.clear()


@step(
    "sms_delivery",
    "provider",
    "Change how the phone network delivers SMS from now on: delay, jitter, loss, duplicates.",
    "- sms_delivery: {delay: 11m}",
    fields={
        "delay": DURATION,
        "jitter": DURATION,
        "loss": {"type": "number", "minimum": 0, "maximum": 1},
        "duplicate": {"type": "number", "minimum": 0, "maximum": 1},
    },
)
def _sms_delivery(run: Run, args: dict[str, Any]) -> None:
    from dataclasses import replace

    network = run.world.network
    changes: dict[str, float] = {}
    for name in ("delay", "jitter"):
        if name in args:
            changes[name] = parse_duration(args[name])
    for name in ("loss", "duplicate"):
        if name in args:
            changes[name] = float(args[name])
    network.delivery = replace(network.delivery, **changes)


# --- control ----------------------------------------------------------------------------------


@step(
    "repeat",
    "control",
    "Run steps several times ({i} is the round, from 1): an attacker guessing codes, say.",
    "- repeat:\n"
    "    times: 10\n"
    "    steps:\n"
    "      - submit_code: {factor: totp, code: '00000{i}', expect: rejected}",
    fields={
        "times": {"type": "integer", "minimum": 1, "maximum": 10000},
        "steps": {"type": "array", "minItems": 1},
    },
    required=("times", "steps"),
)
def _repeat(run: Run, args: dict[str, Any]) -> None:
    raise AssertionError("the runner runs repeat itself")  # pragma: no cover


# The actions and expectations live in their own modules; importing them registers them.
from twofa_sim.scenario import _expect_steps, _user_steps  # noqa: E402, F401
