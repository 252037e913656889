"""The field schemas steps share (JSON Schema fragments), in one place.

A step declares its fields with these (``fields={"user": USER, "by": DURATION}``); the loader
validates a step's fields against them and ``twofa-sim steps`` and ``twofa-sim schema`` print
them. A field whose ``format`` is ``duration``, ``offset`` or ``instant`` is also read when the
file loads (:data:`VALUE_FORMATS`), so ``advance: 5 minutes`` is an error at its line before
anything runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twofa_sim.core.clock import parse_duration, parse_instant
from twofa_sim.errors import DurationError
from twofa_sim.scenario.target import REASONS

__all__ = [
    "APP",
    "CAPTURE",
    "CODE",
    "DURATION",
    "EXPECT",
    "EXPECT_WORDS",
    "FACTOR",
    "INSTANT",
    "LOGIN_STATUS",
    "OFFSET",
    "PHONE",
    "PROVIDER",
    "TYPED_PHONE",
    "USER",
    "VALUE_FORMATS",
]

DURATION: dict[str, Any] = {
    "type": ["string", "number"],
    "format": "duration",
    "description": "a duration, zero or more: 30s, 5m, 1h30m, 250ms, or seconds",
}
OFFSET: dict[str, Any] = {
    "type": ["string", "number"],
    "format": "offset",
    "description": "a signed duration: 40s ahead, -40s behind (30s, 5m, 1h30m, 250ms, seconds)",
}
INSTANT: dict[str, Any] = {
    "type": ["string", "number"],
    "format": "instant",
    "description": "an instant: ISO 8601 (2026-03-01T09:00:00Z) or Unix seconds",
}
USER: dict[str, Any] = {"type": "string", "description": "a user from given.users"}
PHONE: dict[str, Any] = {"type": "string", "description": "a phone number from given.phones"}
TYPED_PHONE: dict[str, Any] = {
    "type": "string",
    "description": "the number the user types, any text (the service decides what it accepts); "
    "the user's phone from given.users by default",
}
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
PROVIDER: dict[str, Any] = {"enum": ["twilio", "authy"]}
LOGIN_STATUS: tuple[str, ...] = ("logged_in", "second_factor", "refused")
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
                "reason": {
                    "description": "a reason, or a list of reasons any of which will do",
                    "anyOf": [
                        {"enum": list(REASONS)},
                        {
                            "type": "array",
                            "items": {"enum": list(REASONS)},
                            "minItems": 1,
                            "uniqueItems": True,
                        },
                    ],
                },
                "or_refused": {
                    "description": "reasons a refusal may give instead of the expected result "
                    "(a send the target holds back while it throttles: [throttled, locked])",
                    "type": "array",
                    "items": {"enum": list(REASONS)},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "status": {"enum": list(LOGIN_STATUS)},
                "retry_after": DURATION,
                "ignored": {"type": "array", "items": {"type": "string"}},
            },
        },
    ],
}


def _duration(value: Any, step: str) -> None:
    if parse_duration(value) < 0:
        hint = "durations here are zero or more (a phone's offset may be negative)"
        if step == "advance":
            hint = "advance moves forward; use set_time to go back"
        raise DurationError(f"{value!r} is negative", hint=hint)


def _offset(value: Any, step: str) -> None:
    parse_duration(value)


def _instant(value: Any, step: str) -> None:
    parse_instant(value)


VALUE_FORMATS: dict[str, Callable[[Any, str], None]] = {
    "duration": _duration,
    "offset": _offset,
    "instant": _instant,
}
"""What the loader reads a field of each ``format`` with (value, step name); each raises
:class:`~twofa_sim.errors.InputError` with a hint when the value is wrong."""
