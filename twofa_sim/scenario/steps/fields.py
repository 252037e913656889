"""The field schemas steps share (JSON Schema fragments), in one place.

A step declares its fields with these (``fields={"user": USER, "by": DURATION}``); the loader
validates a step's fields against them and ``twofa-sim steps`` and ``twofa-sim schema`` print
them.
"""

from __future__ import annotations

from typing import Any

from twofa_sim.scenario.target import REASONS

__all__ = [
    "APP",
    "CAPTURE",
    "CODE",
    "DURATION",
    "EXPECT",
    "EXPECT_WORDS",
    "FACTOR",
    "LOGIN_STATUS",
    "PHONE",
    "PROVIDER",
    "USER",
]

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
                "reason": {"enum": list(REASONS)},
                "status": {"enum": list(LOGIN_STATUS)},
                "retry_after": DURATION,
                "ignored": {"type": "array", "items": {"type": "string"}},
            },
        },
    ],
}
